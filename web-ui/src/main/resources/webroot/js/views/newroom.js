// Starting a room: general (with partners from the directory and invitations of partners not on
// Konsil yet) or about a patient (search or create, the partners, then the consent form and the
// signed consent that must cover them). Problems are named at the field they concern.

import * as api from '../api.js';
import { h, replace, saveBlob } from '../dom.js';
import { t, lang, formatDate, problemText } from '../i18n.js';
import { field, fieldError, errorBox, busy, notice } from './forms.js';

const KINDS = ['practice', 'clinic', 'rehab', 'care_service', 'care_home', 'pharmacy', 'therapy', 'insurer', 'other'];

export function renderNewRoom(main, app) {
  const draft = { kind: 'general', patient: null, consent: null, partners: new Map(), invitations: [] };
  const error = errorBox();
  const [titleRow, title] = field(t('new.roomTitle'), { id: 'room-title-input', required: true, maxlength: 200 });
  const kindGeneral = h('input', { type: 'radio', name: 'kind', value: 'general', id: 'kind-general', checked: true });
  const kindPatient = h('input', { type: 'radio', name: 'kind', value: 'patient', id: 'kind-patient' });
  const patientSection = h('fieldset', { class: 'patient-section', hidden: true });
  const consentSection = h('fieldset', { class: 'consent-section', id: 'consent-section', hidden: true });
  const inviteSection = h('fieldset', { class: 'invite-section' });
  const partnerChips = h('ul', { class: 'chips', id: 'partner-chips' });
  const createButton = h('button', { class: 'primary', type: 'submit', id: 'create-room' }, t('new.create'));

  const switchKind = () => {
    draft.kind = kindPatient.checked ? 'patient' : 'general';
    patientSection.hidden = draft.kind !== 'patient';
    consentSection.hidden = draft.kind !== 'patient';
    inviteSection.hidden = draft.kind !== 'general';
    renderConsent();
  };
  kindGeneral.addEventListener('change', switchKind);
  kindPatient.addEventListener('change', switchKind);

  // ---- patient ----
  const [searchRow, search] = field(t('new.patient.search'), { id: 'patient-search', type: 'search', maxlength: 200, autocomplete: 'off' });
  const results = h('ul', { class: 'results', id: 'patient-results' });
  const chosen = h('div', { class: 'chosen-patient' });
  const consentBox = h('div', { class: 'consent-box', id: 'consent-box' });
  const searchButton = h('button', { class: 'secondary', type: 'button', id: 'patient-search-button' }, t('new.patient.searchButton'));
  const runSearch = () => busy(searchButton, error, async () => {
    const query = search.value.trim();
    if (!query) return;
    const found = await api.get('/patients', { query });
    replace(results, found.length ? found.map((p) => h('li', {},
      h('button', { class: 'link', type: 'button', onclick: () => choosePatient(p) },
        `${p.familyName}, ${p.givenName} (${formatDate(p.birthDate)})`),
      h('span', { class: `consent-state ${p.consent}` }, t(`new.consent.state.${p.consent}`)))) : h('li', {}, t('new.patient.none')));
  });
  searchButton.addEventListener('click', runSearch);
  search.addEventListener('keydown', (event) => { if (event.key === 'Enter') { event.preventDefault(); runSearch(); } });

  const [familyRow, family] = field(t('new.patient.family'), { id: 'patient-family', maxlength: 200, autocomplete: 'off' });
  const [givenRow, given] = field(t('new.patient.given'), { id: 'patient-given', maxlength: 200, autocomplete: 'off' });
  const [birthRow, birth] = field(t('new.patient.birth'), { id: 'patient-birth', type: 'date', autocomplete: 'off' });
  const [insuranceRow, insurance] = field(t('new.patient.insurance'), { id: 'patient-insurance', maxlength: 30, autocomplete: 'off' });
  const [emailRow, email] = field(t('new.patient.email'), { id: 'patient-email', type: 'email', maxlength: 254, autocomplete: 'off' });
  const [mobileRow, mobile] = field(t('new.patient.mobile'), { id: 'patient-mobile', type: 'tel', maxlength: 40, autocomplete: 'off' });
  const savePatient = h('button', { class: 'secondary', type: 'button', id: 'patient-save' }, t('new.patient.save'));
  savePatient.addEventListener('click', () => busy(savePatient, error, async () => {
    const wrong = [];
    if (!family.value.trim()) wrong.push([family, t('new.patient.familyMissing')]);
    if (!given.value.trim()) wrong.push([given, t('new.patient.givenMissing')]);
    if (!birth.value) wrong.push([birth, t('new.patient.birthMissing')]);
    else if (birth.value > new Date().toISOString().slice(0, 10)) wrong.push([birth, t('new.patient.birthFuture')]);
    markWrong([family, given, birth], wrong);
    const patient = await api.post('/patients', {
      familyName: family.value, givenName: given.value, birthDate: birth.value,
      insuranceNumber: insurance.value.trim() || undefined,
      email: email.value.trim() || undefined,
      mobile: mobile.value.trim() || undefined,
    }).catch((e) => {
      // the server's check of the contact details is named at its field
      if (e && e.code === 'invalid_email') fieldError(email, problemText(e.code));
      if (e && e.code === 'invalid_mobile') fieldError(mobile, problemText(e.code));
      throw e;
    });
    savePatient.closest('details').open = false;
    choosePatient({ ...patient, consent: 'none' });
  }));

  async function choosePatient(patient) {
    draft.patient = patient;
    draft.consent = null;
    replace(results);
    replace(chosen, notice(t('new.patient.chosen', { name: `${patient.familyName}, ${patient.givenName} (${formatDate(patient.birthDate)})` })));
    if (!title.value.trim()) title.value = `${patient.familyName}, ${patient.givenName}`;
    if (patient.consent === 'active') {
      try {
        draft.consent = await api.get(`/patients/${patient.id}/consent`);
      } catch (e) {
        error.show(e);
      }
    }
    renderConsent();
  }

  function covered() {
    if (!draft.consent || draft.consent.status !== 'active') return false;
    return [...draft.partners.keys()].every((id) => draft.consent.organisations.includes(id));
  }

  function renderConsent() {
    fieldError(consentState, null);
    if (draft.kind !== 'patient') {
      replace(consentBox);
      return;
    }
    if (!draft.patient) {
      replace(consentBox, h('p', { class: 'hint' }, t('new.consent.needPatient')));
      return;
    }
    const patient = draft.patient;
    if (patient.consent === 'revoked' || patient.consentRevokedAt) {
      replace(consentBox, h('p', { class: 'consent-banner revoked' }, t('new.consent.state.revoked')));
      return;
    }
    if (covered()) {
      replace(consentBox, notice(t('new.consent.uploaded', { version: draft.consent.version })));
      return;
    }
    // a new consent version may only add partners: keep the ones the current one covers
    const ids = [...new Set([...(draft.consent && draft.consent.status === 'active' ? draft.consent.organisations : []), ...draft.partners.keys()])];
    const templateButton = h('button', { class: 'secondary', type: 'button', id: 'consent-template' }, t('new.consent.template'));
    templateButton.addEventListener('click', () => busy(templateButton, error, async () => {
      const pdf = await api.blob(`/patients/${patient.id}/consent-template`, { lang: lang(), organisations: ids.join(',') });
      saveBlob(pdf, `einwilligung-${patient.familyName}.pdf`);
    }));
    const file = h('input', { type: 'file', id: 'consent-file', accept: 'application/pdf,image/png,image/jpeg' });
    const progress = h('progress', { max: 1, value: 0, hidden: true });
    file.addEventListener('change', async () => {
      if (!file.files.length) return;
      error.clear();
      progress.hidden = false;
      try {
        draft.consent = await api.upload(`/patients/${patient.id}/consents`, { organisations: ids.join(',') }, file.files[0], (share) => { progress.value = share; });
        draft.patient = { ...patient, consent: 'active' };
        renderConsent();
      } catch (e) {
        error.show(e);
        progress.hidden = true;
        file.value = '';
      }
    });
    if (!ids.length) {
      // the consent names the partners: without them there is nothing to print or sign yet
      replace(consentBox, h('p', { class: 'hint' }, t('new.consent.needPartners')));
      return;
    }
    replace(consentBox,
      h('p', { class: 'hint' }, t('new.consent.covers', { names: partnerNames(ids) })),
      templateButton,
      h('label', { class: 'field' }, h('span', {}, t('new.consent.upload')), file),
      progress);
  }

  replace(patientSection,
    h('legend', {}, t('room.patient')),
    h('p', { class: 'hint' }, t('new.invite.patientHint')),
    h('div', { class: 'row' }, searchRow, searchButton), results, chosen,
    h('details', { class: 'create-patient' },
      h('summary', {}, t('new.patient.create')),
      familyRow, givenRow, birthRow, insuranceRow, emailRow, mobileRow, savePatient));
  // where a problem with the consent is said: below the consent box, whatever it shows
  const consentState = h('input', { type: 'hidden', id: 'consent-state' });
  const consentRow = h('div', { class: 'field' }, consentBox, consentState);
  replace(consentSection, h('legend', {}, t('new.consent')), consentRow);

  function partnerNames(ids) {
    return ids.map((id) => (draft.partners.get(id) || {}).name).filter(Boolean).join(', ');
  }

  /** Marks the wrong fields (and clears the others of the list); throws when there are any. */
  function markWrong(inputs, wrong) {
    for (const input of inputs) fieldError(input, null);
    for (const [input, text] of wrong) fieldError(input, text);
    if (wrong.length) {
      const first = wrong[0][0];
      (first === consentState ? consentBox.querySelector('input, button') || first : first).focus();
      throw new Error(t('new.check'));
    }
  }

  // ---- partners ----
  const [dirRow, dirQuery] = field(t('new.directory'), { id: 'directory-search', type: 'search', maxlength: 200 });
  const dirResults = h('ul', { class: 'results', id: 'directory-results' });
  const dirButton = h('button', { class: 'secondary', type: 'button', id: 'directory-search-button' }, t('new.patient.searchButton'));
  const runDirectory = () => busy(dirButton, error, async () => {
    const found = await api.get('/organisations', { query: dirQuery.value.trim() });
    const others = found.filter((o) => o.id !== app.state.user.organisation.id);
    replace(dirResults, others.length ? others.map((o) => h('li', {},
      h('button', { class: 'link', type: 'button', 'data-org': o.id, onclick: () => { draft.partners.set(o.id, o); renderPartners(); } },
        `${o.name} (${t(`kind.${o.kind}`)}${o.city ? `, ${o.city}` : ''})`))) : h('li', {}, t('new.patient.none')));
  });
  dirButton.addEventListener('click', runDirectory);
  dirQuery.addEventListener('keydown', (event) => { if (event.key === 'Enter') { event.preventDefault(); runDirectory(); } });

  function renderPartners() {
    replace(partnerChips, [...draft.partners.values()].map((o) => h('li', { class: 'chip' }, o.name,
      h('button', { class: 'link', type: 'button', 'aria-label': `${t('new.remove')}: ${o.name}`, onclick: () => { draft.partners.delete(o.id); renderPartners(); } }, '×'))),
    draft.invitations.map((inv, index) => h('li', { class: 'chip invite' }, `✉ ${inv.name}`,
      h('button', { class: 'link', type: 'button', 'aria-label': `${t('new.remove')}: ${inv.name}`, onclick: () => { draft.invitations.splice(index, 1); renderPartners(); } }, '×'))));
    renderConsent();
  }

  // ---- invitations ----
  const [invNameRow, invName] = field(t('new.invite.name'), { id: 'invite-name', maxlength: 200 });
  const invKind = h('select', { id: 'invite-kind' }, KINDS.map((k) => h('option', { value: k }, t(`kind.${k}`))));
  invKind.value = 'care_home';
  const [invEmailRow, invEmail] = field(t('new.invite.email'), { id: 'invite-email', type: 'email', maxlength: 254 });
  const [invFaxRow, invFax] = field(t('new.invite.fax'), { id: 'invite-fax', type: 'tel', maxlength: 40 });
  const invLang = h('select', { id: 'invite-language' }, h('option', { value: 'de' }, 'Deutsch'), h('option', { value: 'en' }, 'English'));
  const inviteNow = h('input', { type: 'checkbox', id: 'invite-now' });
  const addInvite = h('button', { class: 'secondary', type: 'button', id: 'invite-add' }, t('new.invite.add'));
  /**
   * The invitation typed into the fields, checked field by field; null when nothing is typed.
   * Throws (and marks the fields) when it is incomplete, so nothing typed is dropped silently.
   */
  function typedInvitation() {
    const name = invName.value.trim();
    const email = invEmail.value.trim();
    const fax = invFax.value.trim();
    for (const input of [invName, invEmail, invFax]) fieldError(input, null);
    if (!name && !email && !fax) return null;
    const wrong = [];
    if (!name) wrong.push([invName, t('new.invite.nameMissing')]);
    if (!email && !fax) wrong.push([invEmail, t('new.invite.addressMissing')]);
    if (email && !invEmail.checkValidity()) wrong.push([invEmail, t('new.invite.emailInvalid')]);
    for (const [input, text] of wrong) fieldError(input, text);
    if (wrong.length) {
      wrong[0][0].focus();
      throw new Error(t('new.invite.incomplete'));
    }
    return { name, kind: invKind.value, email: email || undefined, fax: fax || undefined, language: invLang.value };
  }

  function takeInvitation() {
    const invitation = typedInvitation();
    if (!invitation) return false;
    draft.invitations.push(invitation);
    invName.value = '';
    invEmail.value = '';
    invFax.value = '';
    renderPartners();
    return true;
  }

  addInvite.addEventListener('click', () => {
    error.clear();
    try {
      if (!takeInvitation()) {
        fieldError(invName, t('new.invite.nameMissing'));
        invName.focus();
      }
    } catch (e) {
      error.show(e);
    }
  });
  replace(inviteSection,
    h('legend', {}, t('new.invite')),
    invNameRow, h('label', { class: 'field' }, h('span', {}, t('new.invite.kind')), invKind),
    invEmailRow, invFaxRow, h('label', { class: 'field' }, h('span', {}, t('new.invite.language')), invLang),
    addInvite,
    h('label', { class: 'check' }, inviteNow, h('span', {}, t('new.invite.now'))));

  // ---- create ----
  const form = h('form', {
    class: 'new-room', id: 'new-room-form', novalidate: true,
    onsubmit: (event) => {
      event.preventDefault();
      busy(createButton, error, async () => {
        const partnerOrganisationIds = [...draft.partners.keys()];
        let request;
        const wrong = [];
        if (!title.value.trim() && !(draft.kind === 'patient' && draft.patient)) wrong.push([title, t('new.titleMissing')]);
        if (draft.kind === 'patient') {
          if (!draft.patient) wrong.push([search, t('new.patient.missing')]);
          else if (partnerOrganisationIds.length && !covered()) wrong.push([consentState, t('new.consent.missing')]);
        }
        markWrong([title, search, consentState], wrong);
        if (draft.kind === 'patient') {
          request = { kind: 'patient', title: title.value.trim(), patientId: draft.patient.id, partnerOrganisationIds };
        } else {
          // an invitation typed but not yet added goes along (or stops here with the reason)
          takeInvitation();
          request = { kind: 'general', title: title.value.trim(), partnerOrganisationIds, invitations: draft.invitations, inviteNow: inviteNow.checked };
        }
        const room = await api.post('/rooms', request);
        app.state.rooms.set(room.id, room);
        location.hash = `#/rooms/${room.id}`;
      });
    },
  },
  h('h1', {}, t('new.title')),
  error,
  h('fieldset', { class: 'kind' },
    h('label', { class: 'check' }, kindGeneral, h('span', {}, t('new.kind.general'))),
    h('label', { class: 'check' }, kindPatient, h('span', {}, t('new.kind.patient')))),
  titleRow,
  patientSection,
  h('fieldset', {}, h('legend', {}, t('new.partners')), h('div', { class: 'row' }, dirRow, dirButton), dirResults, partnerChips),
  consentSection,
  inviteSection,
  h('div', { class: 'actions' }, createButton, h('a', { class: 'button secondary', href: '#/' }, t('new.cancel'))));
  replace(main, form);
  title.focus();
}
