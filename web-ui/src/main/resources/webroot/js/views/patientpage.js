// A patient of the user's own organisation: the contact details (e-mail, mobile) and secure file
// delivery with a second factor — the form to send a document and the deliveries with their state.

import * as api from '../api.js';
import { h, replace, fileSize } from '../dom.js';
import { t, formatDate, formatDateTime, problemText } from '../i18n.js';
import { field, fieldError, errorBox, busy } from './forms.js';
import { permissionsSection, appointmentsSection, profileSection } from './outreach.js';

const KINDS = ['findings', 'invoice', 'consent_copy', 'other'];
const METHODS = ['birth_date', 'insurance_number', 'sms_code', 'none'];

export async function renderPatientPage(main, app, patientId) {
  let patient;
  let settings;
  try {
    [patient, settings] = await Promise.all([
      api.get(`/patients/${patientId}`),
      api.get('/organisation/delivery-settings'),
    ]);
  } catch (e) {
    replace(main, h('p', { class: 'error', role: 'alert', 'data-code': e.code }, problemText(e.code)));
    return;
  }
  const list = h('ul', { class: 'deliveries', id: 'delivery-list' });

  // ---- contact details ----
  const contactError = errorBox();
  const [emailRow, email] = field(t('new.patient.email'), { id: 'contact-email', type: 'email', maxlength: 254, value: patient.email || '' });
  const [mobileRow, mobile] = field(t('new.patient.mobile'), { id: 'contact-mobile', type: 'tel', maxlength: 40, value: patient.mobile || '' });
  const saveContact = h('button', { class: 'secondary', type: 'submit', id: 'contact-save' }, t('patient.contact.save'));
  const contactForm = h('form', {
    class: 'contact', id: 'contact-form',
    onsubmit: (event) => {
      event.preventDefault();
      busy(saveContact, contactError, async () => {
        fieldError(email, null);
        fieldError(mobile, null);
        try {
          patient = await api.patch(`/patients/${patientId}`, { email: email.value.trim() || null, mobile: mobile.value.trim() || null });
        } catch (e) {
          if (e.code === 'invalid_email') fieldError(email, problemText(e.code));
          if (e.code === 'invalid_mobile') fieldError(mobile, problemText(e.code));
          throw e;
        }
        email.value = patient.email || '';
        mobile.value = patient.mobile || '';
      });
    },
  }, h('h2', {}, t('patient.contact')), contactError, emailRow, mobileRow, saveContact);

  // ---- sending ----
  const error = errorBox();
  error.id = 'delivery-error';
  const file = h('input', { type: 'file', id: 'delivery-file', accept: 'application/pdf,image/png,image/jpeg,application/dicom,.dcm' });
  const toPatient = h('input', { type: 'radio', name: 'delivery-recipient', id: 'delivery-to-patient', value: 'patient', checked: true });
  const toOther = h('input', { type: 'radio', name: 'delivery-recipient', id: 'delivery-to-other', value: 'third_party' });
  const [otherRow, otherEmail] = field(t('delivery.otherEmail'), { id: 'delivery-email', type: 'email', maxlength: 254 });
  const kind = h('select', { id: 'delivery-kind' }, KINDS.map((k) => h('option', { value: k }, t(`delivery.kind.${k}`))));
  const method = h('select', { id: 'delivery-method' }, METHODS.map((m) => h('option', { value: m }, t(`delivery.method.${m}`))));
  const [valueRow, value] = field(t('delivery.typedValue'), { id: 'delivery-value', maxlength: 40, autocomplete: 'off' });
  const [numberRow, number] = field(t('delivery.typedMobile'), { id: 'delivery-mobile', type: 'tel', maxlength: 40, autocomplete: 'off' });
  const confirm = h('input', { type: 'checkbox', id: 'delivery-confirm' });
  const warning = h('label', { class: 'check warning', id: 'delivery-warning' }, confirm, h('span', {}, t('delivery.warning')));
  const sendButton = h('button', { class: 'primary', type: 'submit', id: 'delivery-send' }, t('delivery.send'));
  const sync = () => {
    otherRow.hidden = !toOther.checked;
    valueRow.hidden = !['birth_date', 'insurance_number'].includes(method.value);
    numberRow.hidden = method.value !== 'sms_code';
    warning.hidden = method.value !== 'none';
    const noneAllowed = settings.allowUnverifiedInvoices && kind.value === 'invoice';
    method.querySelector('option[value="none"]').disabled = !noneAllowed;
    if (method.value === 'none' && !noneAllowed) { method.value = 'birth_date'; sync(); }
  };
  [toPatient, toOther, kind, method].forEach((input) => input.addEventListener('change', sync));
  const form = h('form', {
    class: 'delivery', id: 'delivery-form', novalidate: true,
    onsubmit: (event) => {
      event.preventDefault();
      busy(sendButton, error, async () => {
        if (!file.files.length) throw new Error(t('delivery.fileMissing'));
        const query = {
          recipient: toOther.checked ? 'third_party' : 'patient',
          email: toOther.checked ? otherEmail.value.trim() : undefined,
          documentKind: kind.value,
          verification: method.value,
          value: valueRow.hidden ? undefined : value.value.trim() || undefined,
          mobile: numberRow.hidden ? undefined : number.value.trim() || undefined,
          fileName: file.files[0].name,
          confirmUnverified: method.value === 'none' ? String(confirm.checked) : undefined,
        };
        for (const key of Object.keys(query)) if (query[key] === undefined) delete query[key];
        await api.upload(`/patients/${patientId}/deliveries`, query, file.files[0]);
        form.reset();
        sync();
        await refresh();
      });
    },
  },
  h('h2', {}, t('delivery.title')),
  h('p', { class: 'hint' }, t('delivery.hint', { days: settings.verifiedLinkDays, smsDays: settings.smsLinkDays })),
  error,
  h('label', { class: 'field' }, h('span', {}, t('delivery.file')), file),
  h('fieldset', {}, h('legend', {}, t('delivery.recipient')),
    h('label', { class: 'check' }, toPatient, h('span', {}, t('delivery.toPatient', { email: patient.email || t('delivery.noEmail') }))),
    h('label', { class: 'check' }, toOther, h('span', {}, t('delivery.toOther')))),
  otherRow,
  h('label', { class: 'field' }, h('span', {}, t('delivery.kind')), kind),
  h('label', { class: 'field' }, h('span', {}, t('delivery.method')), method),
  valueRow, numberRow, warning, sendButton);
  sync();

  async function refresh() {
    const deliveries = await api.get(`/patients/${patientId}/deliveries`);
    replace(list, deliveries.length ? deliveries.map(row) : h('li', { class: 'hint' }, t('delivery.none')));
  }

  function row(d) {
    const reissue = h('input', { type: 'file', class: 'reissue-file', 'aria-label': t('delivery.reissue'), accept: 'application/pdf,image/png,image/jpeg,application/dicom,.dcm' });
    const rowError = errorBox();
    reissue.addEventListener('change', async () => {
      if (!reissue.files.length) return;
      rowError.clear();
      try {
        const typed = d.valueSource === 'typed' ? window.prompt(t('delivery.typedValue')) : null;
        await api.upload(`/deliveries/${d.id}/reissue`, typed ? { value: typed } : {}, reissue.files[0]);
        await refresh();
      } catch (e) {
        rowError.show(e);
      }
    });
    const canReissue = ['open', 'locked', 'expired'].includes(d.state);
    return h('li', { 'data-delivery': d.id, 'data-state': d.state },
      h('span', { class: `delivery-state ${d.state}` }, t(`delivery.state.${d.state}`)),
      h('span', {}, `${d.fileName || t(`delivery.kind.${d.documentKind}`)} (${fileSize(d.size)}) → ${d.email}${d.smsNumber ? ` · SMS ${d.smsNumber}` : ''}`),
      h('span', { class: 'hint' }, [
        t(`delivery.method.${d.verification}`),
        `${t('delivery.sent')} ${formatDateTime(d.createdAt)}`,
        `${t('delivery.expires')} ${formatDateTime(d.expiresAt)}`,
        d.downloadedAt ? `${t('delivery.downloaded')} ${formatDateTime(d.downloadedAt)}` : null,
        d.failedAttempts ? t('delivery.failed', { n: d.failedAttempts }) : null,
        d.mailStatus ? `${t('delivery.mail')}: ${t(`delivery.outbox.${d.mailStatus}`)}` : null,
        d.smsStatus ? `SMS: ${t(`delivery.outbox.${d.smsStatus}`)}` : null,
      ].filter(Boolean).join(' · ')),
      canReissue ? h('label', { class: 'field reissue' }, h('span', {}, t('delivery.reissue')), reissue) : null,
      rowError);
  }

  const outreach = await permissionsSection(patientId, patient).catch((e) => h('p', { class: 'error', role: 'alert' }, problemText(e.code)));
  const appointments = await appointmentsSection(patientId).catch((e) => h('p', { class: 'error', role: 'alert' }, problemText(e.code)));
  const profile = await profileSection(patientId).catch((e) => h('p', { class: 'error', role: 'alert' }, problemText(e.code)));
  replace(main, h('section', { class: 'patient-page', 'aria-labelledby': 'patient-title' },
    h('h1', { id: 'patient-title' }, `${patient.familyName}, ${patient.givenName}`),
    h('p', { class: 'hint' }, t('room.born', { date: formatDate(patient.birthDate) })),
    contactForm, outreach, profile, appointments, form,
    h('h2', {}, t('delivery.list')), list));
  await refresh().catch((e) => error.show(e));
}
