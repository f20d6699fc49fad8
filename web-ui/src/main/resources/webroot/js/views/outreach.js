// Messages to many patients: a patient's postal address and contact permissions (on the patient's
// page), and the campaigns view - recipients, the review list with the reason per patient,
// template, preview, send and each recipient's state. The server decides who may be written to;
// this page only shows it.

import * as api from '../api.js';
import { h, replace, saveBlob } from '../dom.js';
import { t, formatDate, formatDateTime, problemText } from '../i18n.js';
import { field, errorBox, busy, notice } from './forms.js';

const CHANNELS = ['email', 'sms', 'letter'];

function today() {
  return new Date().toISOString().slice(0, 10);
}

function purposeLabel(purposes, code) {
  const known = purposes.find((p) => p.code === code);
  if (known && known.builtIn) return t(`outreach.purpose.${code}`);
  return known ? known.label : code;
}

// ---- on the patient's page ----

/** The postal address and the contact permissions of one patient, as a section of their page. */
export async function permissionsSection(patientId, patient) {
  const purposes = await api.get('/contact-purposes');
  const section = h('section', { class: 'outreach-patient', id: 'patient-outreach' });

  // postal address
  const addressError = errorBox();
  const address = patient.postalAddress || {};
  const [salutationRow, salutation] = field(t('outreach.salutation'), { id: 'address-salutation', maxlength: 50, value: address.salutation || '' });
  const [streetRow, street] = field(t('outreach.street'), { id: 'address-street', maxlength: 200, value: address.street || '' });
  const [postcodeRow, postcode] = field(t('outreach.postcode'), { id: 'address-postcode', maxlength: 20, value: address.postcode || '', inputmode: 'numeric' });
  const [cityRow, city] = field(t('outreach.city'), { id: 'address-city', maxlength: 100, value: address.city || '' });
  const saveAddress = h('button', { class: 'secondary', type: 'submit', id: 'address-save' }, t('outreach.address.save'));
  const addressSaved = h('span', { class: 'hint', id: 'address-saved', role: 'status' });
  const addressForm = h('form', {
    class: 'address', id: 'address-form',
    onsubmit: (event) => {
      event.preventDefault();
      addressSaved.textContent = '';
      busy(saveAddress, addressError, async () => {
        await api.put(`/patients/${patientId}/postal-address`, {
          salutation: salutation.value.trim() || null,
          street: street.value.trim() || null,
          postcode: postcode.value.trim() || null,
          city: city.value.trim() || null,
        });
        addressSaved.textContent = t('outreach.address.saved');
      });
    },
  }, h('h2', {}, t('outreach.address')), addressError, salutationRow, streetRow, postcodeRow, cityRow, saveAddress, addressSaved);

  // permissions
  const table = h('tbody', { id: 'permission-rows' });
  const history = h('ol', { class: 'permission-history', id: 'permission-history' });
  const listError = errorBox();
  async function refresh() {
    const standing = await api.get(`/patients/${patientId}/contact-permissions`);
    replace(table, standing.current.length ? standing.current.map((p) => {
      const withdraw = p.status === 'granted' ? h('button', {
        class: 'link', type: 'button', 'data-withdraw': `${p.channel}:${p.purpose}`,
        onclick: (event) => busy(event.target, listError, async () => {
          await api.post(`/patients/${patientId}/contact-permissions/withdrawal`, { channel: p.channel, purpose: p.purpose, date: today() });
          await refresh();
        }),
      }, t('outreach.withdraw')) : null;
      return h('tr', { 'data-permission': `${p.channel}:${p.purpose}`, 'data-status': p.status },
        h('td', {}, t(`outreach.channel.${p.channel}`)),
        h('td', {}, purposeLabel(purposes, p.purpose)),
        h('td', {}, h('span', { class: `permission-state ${p.status}` }, t(`outreach.status.${p.status}`))),
        h('td', {}, formatDate(p.since)),
        h('td', {}, withdraw));
    }) : h('tr', {}, h('td', { colspan: 5, class: 'hint' }, t('outreach.permissions.none'))));
    replace(history, standing.history.map((e) => h('li', {},
      `${formatDate(e.date)} · ${t(`outreach.channel.${e.channel}`)} · ${purposeLabel(purposes, e.purpose)} · `
        + `${t(`outreach.kind.${e.kind}`)} (${t(`outreach.source.${e.source}`)})`,
      e.documentId ? h('button', {
        class: 'link', type: 'button',
        onclick: async () => saveBlob(await api.blob(`/contact-permissions/${e.id}/document`), 'einwilligung-kontakt'),
      }, ` ${t('outreach.form')}`) : null)));
  }

  const grantError = errorBox();
  grantError.id = 'grant-error';
  const file = h('input', { type: 'file', id: 'grant-file', accept: 'application/pdf,image/png,image/jpeg' });
  const [dateRow, date] = field(t('outreach.signedOn'), { id: 'grant-date', type: 'date', value: today(), max: today() });
  const channelBoxes = CHANNELS.map((c) => h('label', { class: 'check' },
    h('input', { type: 'checkbox', name: 'grant-channel', value: c, id: `grant-channel-${c}` }), h('span', {}, t(`outreach.channel.${c}`))));
  const purposeBoxes = purposes.map((p) => h('label', { class: 'check' },
    h('input', { type: 'checkbox', name: 'grant-purpose', value: p.code, id: `grant-purpose-${p.code}` }), h('span', {}, purposeLabel(purposes, p.code))));
  const grantButton = h('button', { class: 'primary', type: 'submit', id: 'grant-save' }, t('outreach.grant'));
  const grantForm = h('form', {
    class: 'grant', id: 'grant-form', novalidate: true,
    onsubmit: (event) => {
      event.preventDefault();
      busy(grantButton, grantError, async () => {
        const channels = [...grantForm.querySelectorAll('input[name=grant-channel]:checked')].map((i) => i.value);
        const chosen = [...grantForm.querySelectorAll('input[name=grant-purpose]:checked')].map((i) => i.value);
        if (!file.files.length) throw new Error(t('outreach.formMissing'));
        if (!channels.length || !chosen.length) throw new Error(t('outreach.choiceMissing'));
        await api.upload(`/patients/${patientId}/contact-permissions`,
          { channels: channels.join(','), purposes: chosen.join(','), date: date.value }, file.files[0]);
        grantForm.reset();
        date.value = today();
        await refresh();
      });
    },
  }, h('h3', {}, t('outreach.grant.title')), grantError,
  h('label', { class: 'field' }, h('span', {}, t('outreach.form.file')), file), dateRow,
  h('fieldset', {}, h('legend', {}, t('outreach.channels')), ...channelBoxes),
  h('fieldset', {}, h('legend', {}, t('outreach.purposes')), ...purposeBoxes),
  grantButton);

  replace(section, addressForm,
    h('h2', {}, t('outreach.permissions')),
    h('p', { class: 'hint' }, t('outreach.permissions.hint')),
    listError,
    h('table', { class: 'permissions' },
      h('thead', {}, h('tr', {}, ...['channel', 'purpose', 'status', 'since', 'action'].map((c) => h('th', { scope: 'col' }, t(`outreach.col.${c}`))))),
      table),
    grantForm,
    h('h3', {}, t('outreach.history')), history);
  await refresh();
  return section;
}

// ---- campaigns ----

/** The list of campaigns and the forms for a new template and a new campaign. */
export async function renderCampaigns(main, app) {
  const [campaigns, templates, purposes] = await Promise.all([
    api.get('/campaigns'), api.get('/message-templates'), api.get('/contact-purposes'),
  ]);
  const error = errorBox();
  error.id = 'campaign-error';

  const templateError = errorBox();
  templateError.id = 'template-error';
  const [tNameRow, tName] = field(t('outreach.template.name'), { id: 'template-name', maxlength: 100 });
  const tChannel = h('select', { id: 'template-channel' }, CHANNELS.map((c) => h('option', { value: c }, t(`outreach.channel.${c}`))));
  const tLang = h('select', { id: 'template-language' }, ['de', 'en'].map((l) => h('option', { value: l }, l === 'de' ? 'Deutsch' : 'English')));
  const [tSubjectRow, tSubject] = field(t('outreach.template.subject'), { id: 'template-subject', maxlength: 200 });
  const [tBodyRow, tBody] = field(t('outreach.template.body'), { id: 'template-body', tag: 'textarea', rows: 6, maxlength: 5000 });
  const tSave = h('button', { class: 'secondary', type: 'submit', id: 'template-save' }, t('outreach.template.save'));
  const templateForm = h('form', {
    class: 'template', id: 'template-form', novalidate: true,
    onsubmit: (event) => {
      event.preventDefault();
      busy(tSave, templateError, async () => {
        try {
          await api.post('/message-templates', {
            name: tName.value.trim(), channel: tChannel.value, language: tLang.value,
            subject: tSubject.value.trim() || null, body: tBody.value,
          });
        } catch (e) {
          if (e.code === 'forbidden_macro' && e.body && e.body.macro) {
            throw new Error(t('outreach.template.forbidden', { macro: `{{${e.body.macro}}}` }));
          }
          throw e;
        }
        await renderCampaigns(main, app);
      });
    },
  }, h('h2', {}, t('outreach.template.new')),
  h('p', { class: 'hint' }, t('outreach.template.macros')),
  templateError, tNameRow,
  h('label', { class: 'field' }, h('span', {}, t('outreach.col.channel')), tChannel),
  h('label', { class: 'field' }, h('span', {}, t('outreach.template.language')), tLang),
  tSubjectRow, tBodyRow, tSave);

  const [cNameRow, cName] = field(t('outreach.campaign.name'), { id: 'campaign-name', maxlength: 100 });
  const cTemplate = h('select', { id: 'campaign-template' },
    templates.map((tp) => h('option', { value: tp.id, 'data-channel': tp.channel }, `${tp.name} (${t(`outreach.channel.${tp.channel}`)}, ${tp.language})`)));
  const cPurpose = h('select', { id: 'campaign-purpose' }, purposes.map((p) => h('option', { value: p.code }, purposeLabel(purposes, p.code))));
  const cSave = h('button', { class: 'primary', type: 'submit', id: 'campaign-create' }, t('outreach.campaign.create'));
  const campaignForm = h('form', {
    class: 'campaign-new', id: 'campaign-form', novalidate: true,
    onsubmit: (event) => {
      event.preventDefault();
      busy(cSave, error, async () => {
        const option = cTemplate.selectedOptions[0];
        if (!option) throw new Error(t('outreach.template.none'));
        const created = await api.post('/campaigns', {
          name: cName.value.trim(), channel: option.dataset.channel, purpose: cPurpose.value, templateId: option.value,
        });
        location.hash = `#/campaigns/${created.id}`;
      });
    },
  }, h('h2', {}, t('outreach.campaign.new')), error, cNameRow,
  h('label', { class: 'field' }, h('span', {}, t('outreach.campaign.template')), cTemplate),
  h('label', { class: 'field' }, h('span', {}, t('outreach.col.purpose')), cPurpose), cSave);

  const list = h('ul', { class: 'campaigns', id: 'campaign-list' }, campaigns.length
    ? campaigns.map((c) => h('li', {}, h('a', { href: `#/campaigns/${c.id}` }, c.name),
      ` · ${t(`outreach.channel.${c.channel}`)} · ${purposeLabel(purposes, c.purpose)} · ${t(`outreach.campaign.status.${c.status}`)}`
        + ` · ${t('outreach.campaign.counts', { sent: c.recipients.sent, failed: c.recipients.failed })}`))
    : h('li', { class: 'hint' }, t('outreach.campaign.none')));

  replace(main, h('section', { class: 'campaigns-page', 'aria-labelledby': 'campaigns-title' },
    h('h1', { id: 'campaigns-title' }, t('outreach.campaigns')),
    list, campaignForm, templateForm, await remindersSection(app, templates)));
}

/**
 * Appointment reminders: how the organisation reminds (administrators change it or turn it off)
 * and the import of appointments from a CSV, with the wrong lines named.
 */
async function remindersSection(app, templates) {
  const setting = await api.get('/organisation/appointment-reminders');
  const section = h('section', { class: 'reminders', id: 'reminders' });
  const error = errorBox();
  error.id = 'reminder-error';
  const chosen = templates.find((tp) => tp.id === setting.templateId);
  const state = h('p', { id: 'reminder-state' }, setting.enabled
    ? t('reminders.on', {
      channel: t(`outreach.channel.${setting.channel}`),
      template: chosen ? chosen.name : '',
      days: setting.daysBefore,
    })
    : t('reminders.off'));

  let settingForm = null;
  if (app.state.user.role === 'admin') {
    const usable = templates.filter((tp) => tp.channel === 'email' || tp.channel === 'sms');
    const template = h('select', { id: 'reminder-template' },
      usable.map((tp) => h('option', { value: tp.id, 'data-channel': tp.channel, selected: tp.id === setting.templateId },
        `${tp.name} (${t(`outreach.channel.${tp.channel}`)}, ${tp.language})`)));
    const [daysRow, days] = field(t('reminders.days'), { id: 'reminder-days', type: 'number', min: 1, max: 7, value: String(setting.daysBefore || 1) });
    const save = h('button', { class: 'secondary', type: 'submit', id: 'reminder-save' }, t('reminders.save'));
    const stop = setting.enabled
      ? h('button', {
        class: 'link', type: 'button', id: 'reminder-stop',
        onclick: (event) => busy(event.target, error, async () => {
          await api.call('DELETE', '/organisation/appointment-reminders');
          replace(section, ...(await remindersSection(app, templates)).childNodes);
        }),
      }, t('reminders.stop'))
      : null;
    settingForm = h('form', {
      class: 'reminder-setting', id: 'reminder-form', novalidate: true,
      onsubmit: (event) => {
        event.preventDefault();
        busy(save, error, async () => {
          const option = template.selectedOptions[0];
          if (!option) throw new Error(t('outreach.template.none'));
          await api.put('/organisation/appointment-reminders', {
            channel: option.dataset.channel, templateId: option.value, daysBefore: Number(days.value),
          });
          replace(section, ...(await remindersSection(app, templates)).childNodes);
        });
      },
    }, h('label', { class: 'field' }, h('span', {}, t('reminders.template')), template), daysRow, save, stop);
  }

  const importError = errorBox();
  importError.id = 'appointment-import-error';
  const lines = h('ul', { class: 'csv-errors', id: 'appointment-csv-errors' });
  const done = h('p', { id: 'appointment-import-done', role: 'status' });
  const csv = h('input', { type: 'file', id: 'appointment-csv', accept: '.csv,text/csv,text/plain' });
  csv.addEventListener('change', () => busy(csv, importError, async () => {
    replace(lines);
    replace(done);
    if (!csv.files.length) return;
    try {
      const imported = await api.post('/appointments/import', { csv: await csv.files[0].text() });
      replace(done, t('reminders.imported', { count: imported.imported }));
    } catch (e) {
      if (e.code === 'csv_invalid' && e.body && e.body.errors) {
        replace(lines, e.body.errors.map((l) => h('li', {}, t('outreach.csv.line', { line: l.line, text: problemText(l.code) }))));
      }
      throw e;
    } finally {
      csv.value = '';
    }
  }));

  replace(section,
    h('h2', {}, t('reminders.title')), error, state, settingForm,
    h('h3', {}, t('reminders.import')),
    h('p', { class: 'hint' }, t('reminders.import.hint')), importError,
    h('label', { class: 'field' }, h('span', {}, t('reminders.import.file')), csv), lines, done);
  return section;
}

/** One campaign: recipients, review list with ticks, preview, send, then each recipient's state. */
export async function renderCampaign(main, app, campaignId) {
  let campaign;
  let purposes;
  try {
    [campaign, purposes] = await Promise.all([api.get(`/campaigns/${campaignId}`), api.get('/contact-purposes')]);
  } catch (e) {
    replace(main, h('p', { class: 'error', role: 'alert', 'data-code': e.code }, problemText(e.code)));
    return;
  }
  const error = errorBox();
  error.id = 'review-error';
  const body = h('div', { class: 'campaign-body' });
  const rerender = () => renderCampaign(main, app, campaignId);

  replace(main, h('section', { class: 'campaign-page', 'aria-labelledby': 'campaign-title' },
    h('p', {}, h('a', { href: '#/campaigns' }, `← ${t('outreach.campaigns')}`)),
    h('h1', { id: 'campaign-title' }, campaign.name),
    h('p', { class: 'hint', id: 'campaign-facts' },
      `${t(`outreach.channel.${campaign.channel}`)} · ${purposeLabel(purposes, campaign.purpose)} · `
        + `${t(`outreach.campaign.status.${campaign.status}`)}`),
    error, body));

  if (campaign.status === 'draft') {
    await draft();
  } else {
    await progress();
  }

  async function draft() {
    // picking recipients
    const addError = errorBox();
    addError.id = 'add-error';
    const addAll = h('button', { class: 'secondary', type: 'button', id: 'add-all' }, t('outreach.add.all'));
    addAll.onclick = () => busy(addAll, addError, async () => {
      await api.post(`/campaigns/${campaignId}/recipients`, { allPatients: true });
      await rerender();
    });
    const [fromRow, from] = field(t('outreach.add.birthdayFrom'), { id: 'birthday-from', placeholder: 'MM-TT', maxlength: 5 });
    const [toRow, to] = field(t('outreach.add.birthdayTo'), { id: 'birthday-to', placeholder: 'MM-TT', maxlength: 5 });
    const addBirthdays = h('button', { class: 'secondary', type: 'button', id: 'add-birthdays' }, t('outreach.add.birthdays'));
    addBirthdays.onclick = () => busy(addBirthdays, addError, async () => {
      await api.post(`/campaigns/${campaignId}/recipients`, { birthdayFrom: from.value.trim(), birthdayTo: to.value.trim() });
      await rerender();
    });
    const [tagRow, tag] = field(t('outreach.add.tag'), { id: 'add-tag-name', maxlength: 80 });
    const addTag = h('button', { class: 'secondary', type: 'button', id: 'add-tag' }, t('outreach.add.byTag'));
    addTag.onclick = () => busy(addTag, addError, async () => {
      await api.post(`/campaigns/${campaignId}/recipients`, { tag: tag.value.trim() });
      await rerender();
    });
    const [dueRow, due] = field(t('outreach.add.recallDueBy'), { id: 'recall-due-by', type: 'date' });
    const addDue = h('button', { class: 'secondary', type: 'button', id: 'add-recall-due' }, t('outreach.add.byRecall'));
    addDue.onclick = () => busy(addDue, addError, async () => {
      await api.post(`/campaigns/${campaignId}/recipients`, { recallDueBy: due.value });
      await rerender();
    });
    const csv = h('input', { type: 'file', id: 'add-csv', accept: '.csv,text/csv,text/plain' });
    const csvErrors = h('ul', { class: 'csv-errors', id: 'csv-errors' });
    csv.addEventListener('change', () => busy(csv, addError, async () => {
      replace(csvErrors);
      if (!csv.files.length) return;
      try {
        await api.post(`/campaigns/${campaignId}/recipients`, { csv: await csv.files[0].text() });
      } catch (e) {
        if (e.code === 'csv_invalid' && e.body && e.body.errors) {
          replace(csvErrors, e.body.errors.map((l) => h('li', {}, t('outreach.csv.line', { line: l.line, text: problemText(l.code) }))));
        }
        throw e;
      }
      await rerender();
    }));

    const rows = await api.get(`/campaigns/${campaignId}/review`);
    const preview = h('div', { class: 'preview', id: 'preview', 'aria-live': 'polite' });
    const tbody = h('tbody', { id: 'review-rows' }, rows.map((r) => {
      const box = h('input', { type: 'checkbox', class: 'tick', checked: r.allowed, 'data-patient': r.patientId, 'aria-label': `${r.familyName}, ${r.givenName}` });
      const show = h('button', {
        class: 'link', type: 'button', 'data-preview': r.patientId,
        onclick: (event) => busy(event.target, error, async () => {
          const p = await api.get(`/campaigns/${campaignId}/preview`, { patientId: r.patientId });
          replace(preview, h('h3', {}, t('outreach.preview.for', { name: `${r.givenName} ${r.familyName}` })),
            p.address ? h('p', { class: 'hint' }, p.address) : null,
            p.subject ? h('p', {}, h('strong', {}, p.subject)) : null,
            h('pre', { class: 'preview-text' }, p.text));
        }),
      }, t('outreach.preview'));
      return h('tr', { 'data-patient': r.patientId, 'data-allowed': String(r.allowed) },
        h('td', {}, box),
        h('td', {}, `${r.familyName}, ${r.givenName}`),
        h('td', {}, r.address || '–'),
        h('td', {}, h('span', { class: `allowed ${r.allowed ? 'yes' : 'no'}` }, r.allowed ? t('outreach.allowed.yes') : t('outreach.allowed.no'))),
        h('td', { class: 'reason' }, r.reason ? t(`outreach.reason.${r.reason}`) : ''),
        h('td', {}, show));
    }));
    const counter = h('p', { class: 'hint', id: 'review-count', role: 'status' });
    const count = () => {
      const ticked = tbody.querySelectorAll('input.tick:checked').length;
      counter.textContent = t('outreach.review.count', { ticked, total: rows.length, allowed: rows.filter((r) => r.allowed).length });
    };
    tbody.addEventListener('change', count);
    count();
    const untick = h('button', { class: 'secondary', type: 'button', id: 'untick-not-allowed' }, t('outreach.review.untick'));
    untick.onclick = () => {
      for (const tr of tbody.querySelectorAll('tr[data-allowed=false] input.tick')) tr.checked = false;
      count();
    };
    const send = h('button', { class: 'primary', type: 'button', id: 'campaign-send' }, t('outreach.send'));
    send.onclick = () => busy(send, error, async () => {
      const ids = [...tbody.querySelectorAll('input.tick:checked')].map((i) => i.dataset.patient);
      if (!ids.length) throw new Error(t('outreach.send.none'));
      await api.post(`/campaigns/${campaignId}/send`, { patientIds: ids });
      await rerender();
    });

    replace(body,
      h('section', { class: 'recipients-pick' }, h('h2', {}, t('outreach.add')), addError,
        h('div', { class: 'row' }, addAll),
        h('div', { class: 'row' }, fromRow, toRow, addBirthdays),
        h('div', { class: 'row' }, tagRow, addTag),
        h('div', { class: 'row' }, dueRow, addDue),
        h('label', { class: 'field' }, h('span', {}, t('outreach.add.csv')), csv), csvErrors),
      h('section', { class: 'review' }, h('h2', {}, t('outreach.review')),
        h('p', { class: 'hint' }, t('outreach.review.hint')),
        counter,
        h('div', { class: 'row' }, untick, send),
        h('table', { class: 'review-list' },
          h('thead', {}, h('tr', {}, ...['tick', 'patient', 'address', 'allowed', 'reason', 'preview'].map((c) => h('th', { scope: 'col' }, t(`outreach.col.${c}`))))),
          tbody),
        preview));
  }

  async function progress() {
    const recipients = await api.get(`/campaigns/${campaignId}/recipients`);
    const refreshButton = h('button', { class: 'secondary', type: 'button', id: 'campaign-refresh', onclick: rerender }, t('outreach.refresh'));
    const exportButton = h('button', {
      class: 'secondary', type: 'button', id: 'campaign-export',
      onclick: (event) => busy(event.target, error, async () => saveBlob(await api.blob(`/campaigns/${campaignId}/recipient-export`), 'empfaenger.csv')),
    }, t('outreach.export'));
    const letters = campaign.channel === 'letter' ? h('button', {
      class: 'primary', type: 'button', id: 'campaign-letters',
      onclick: (event) => busy(event.target, error, async () => saveBlob(await api.blob(`/campaigns/${campaignId}/letters`), 'serienbrief.pdf')),
    }, t('outreach.letters')) : null;
    const shown = recipients.filter((r) => r.state !== 'not_selected');
    replace(body,
      h('p', { id: 'campaign-counts', role: 'status' }, t('outreach.campaign.progress', campaign.recipients)),
      h('div', { class: 'row' }, refreshButton, exportButton, letters),
      h('table', { class: 'recipient-states' },
        h('thead', {}, h('tr', {}, ...['patient', 'address', 'state', 'delivery', 'updated'].map((c) => h('th', { scope: 'col' }, t(`outreach.col.${c}`))))),
        h('tbody', { id: 'recipient-rows' }, shown.map((r) => h('tr', { 'data-patient': r.patientId, 'data-state': r.state },
          h('td', {}, `${r.familyName || '–'}, ${r.givenName || ''}`),
          h('td', {}, r.address || '–'),
          h('td', {}, h('span', { class: `recipient-state ${r.state}` }, t(`outreach.state.${r.state}`)), r.reason ? ` (${t(`outreach.reason.${r.reason}`)})` : ''),
          h('td', {}, r.delivery ? t(`outreach.delivery.${r.delivery}`) : '–'),
          h('td', {}, formatDateTime(r.updatedAt)))))));
    const moving = campaign.status === 'sending'
      || recipients.some((r) => r.delivery === 'queued' || r.delivery === 'sending');
    if (moving && !main.dataset.polling) {
      // the page follows the sending on its own while it runs
      main.dataset.polling = '1';
      setTimeout(() => {
        delete main.dataset.polling;
        if (location.hash === `#/campaigns/${campaignId}`) rerender();
      }, 1500);
    }
  }
}

// ---- the public opt-out page ----

/** The page behind the link in a message: withdraws at once, says what was withdrawn. */
export async function renderOptOut(root) {
  const token = location.hash.replace(/^#/, '');
  const card = h('div', { class: 'entry-card optout-card', id: 'optout' });
  replace(root, h('main', { class: 'entry' }, card));
  try {
    const done = await api.call('POST', '/opt-outs', { json: { token }, anonymous: true });
    replace(card, h('h1', {}, t('optout.title')),
      notice(t('optout.done', { channel: t(`outreach.channel.${done.channel}`), purpose: t(`outreach.purpose.${done.purpose}`) === `outreach.purpose.${done.purpose}` ? done.purpose : t(`outreach.purpose.${done.purpose}`) })));
  } catch (e) {
    replace(card, h('h1', {}, t('optout.title')),
      h('p', { class: 'error', role: 'alert', 'data-code': e.code }, e.code === 'not_found' ? t('optout.unknown') : problemText(e.code)));
  }
}

/** A patient's appointments with where each reminder stands, and a form to add one. */
export async function appointmentsSection(patientId) {
  const section = h('section', { class: 'appointments', id: 'patient-appointments' });
  const rows = h('tbody', { id: 'appointment-rows' });
  const listError = errorBox();
  async function refresh() {
    const list = await api.get(`/patients/${patientId}/appointments`);
    replace(rows, list.length ? list.map((a) => {
      const cancel = !a.cancelledAt && a.reminder !== 'sent' ? h('button', {
        class: 'link', type: 'button', 'data-cancel': a.id,
        onclick: (event) => busy(event.target, listError, async () => {
          await api.call('DELETE', `/appointments/${a.id}`);
          await refresh();
        }),
      }, t('appointments.cancel')) : null;
      const state = a.cancelledAt ? t('appointments.cancelled')
        : a.reminder === 'skipped' ? `${t('appointments.reminder.skipped')} (${t(`outreach.reason.${a.reminderReason}`)})`
          : t(`appointments.reminder.${a.reminder}`);
      return h('tr', { 'data-appointment': a.id, 'data-reminder': a.reminder },
        h('td', {}, formatDateTime(a.startsAt)), h('td', {}, state), h('td', {}, cancel));
    }) : h('tr', {}, h('td', { colspan: 3, class: 'hint' }, t('appointments.none'))));
  }
  const addError = errorBox();
  const [dateRow, date] = field(t('appointments.date'), { id: 'appointment-date', type: 'date', required: true });
  const [timeRow, time] = field(t('appointments.time'), { id: 'appointment-time', type: 'time', required: true });
  const add = h('button', { class: 'secondary', type: 'submit', id: 'appointment-add' }, t('appointments.add'));
  const form = h('form', {
    class: 'appointment-add', id: 'appointment-form',
    onsubmit: (event) => {
      event.preventDefault();
      busy(add, addError, async () => {
        const startsAt = new Date(`${date.value}T${time.value}`).toISOString();
        await api.post('/appointments', { patientId, startsAt });
        form.reset();
        await refresh();
      });
    },
  }, addError, dateRow, timeRow, add);
  replace(section, h('h2', {}, t('appointments.title')), listError,
    h('table', { class: 'appointments' },
      h('thead', {}, h('tr', {}, ...['when', 'reminder', 'action'].map((c) => h('th', { scope: 'col' }, t(`appointments.col.${c}`))))),
      rows),
    form);
  await refresh();
  return section;
}

/**
 * A patient's tags and recall date, which the campaigns' recipient picker filters by: what is set
 * now, and a form that replaces both (tags separated by commas).
 */
export async function profileSection(patientId) {
  const section = h('section', { class: 'outreach-profile', id: 'patient-outreach-profile' });
  const current = h('p', { class: 'hint', id: 'profile-current', role: 'status' });
  const error = errorBox();
  error.id = 'profile-error';
  const saved = h('p', { class: 'notice', id: 'profile-saved', role: 'status', hidden: true }, t('profile.saved'));
  const [tagsRow, tags] = field(t('profile.tags'), { id: 'profile-tags', placeholder: t('profile.tags.placeholder'), maxlength: 1000 });
  const [dueRow, due] = field(t('profile.recallDue'), { id: 'profile-recall-due', type: 'date' });
  const save = h('button', { class: 'secondary', type: 'submit', id: 'profile-save' }, t('profile.save'));
  function show(profile) {
    current.textContent = t('profile.current', {
      tags: profile.tags.length ? profile.tags.join(', ') : t('profile.noTags'),
      due: profile.recallDue ? formatDate(profile.recallDue) : t('profile.noRecall'),
    });
    current.dataset.tags = profile.tags.join(',');
    current.dataset.recallDue = profile.recallDue || '';
    tags.value = profile.tags.join(', ');
    due.value = profile.recallDue || '';
  }
  const form = h('form', {
    class: 'profile-form', id: 'profile-form',
    onsubmit: (event) => {
      event.preventDefault();
      saved.hidden = true;
      busy(save, error, async () => {
        const list = tags.value.split(',').map((s) => s.trim()).filter(Boolean);
        show(await api.put(`/patients/${patientId}/outreach-profile`, { tags: list, recallDue: due.value || null }));
        saved.hidden = false;
      });
    },
  }, error, h('div', { class: 'row' }, tagsRow, dueRow), save, saved);
  show(await api.get(`/patients/${patientId}/outreach-profile`));
  replace(section, h('h2', {}, t('profile.title')), h('p', { class: 'hint' }, t('profile.hint')), current, form);
  return section;
}
