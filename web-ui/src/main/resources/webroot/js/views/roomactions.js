// What the organisation that owns a room does with it once it exists: add a partner from the
// directory, and record the patient's revocation with its date and the signed document.

import * as api from '../api.js';
import { h, replace } from '../dom.js';
import { t } from '../i18n.js';
import { maskRoom } from '../state.js';
import { field, errorBox, busy, notice } from './forms.js';

/** The file types the server takes for consent and revocation documents (checked again there). */
export const DOCUMENT_TYPES = ['application/pdf', 'image/png', 'image/jpeg'];
export const DOCUMENT_ACCEPT = DOCUMENT_TYPES.join(',');

/** The organisation whose documentation the room is: the patient's, or the creator's. */
export function owningOrganisation(room) {
  return room.patient ? room.patient.organisationId : room.createdByOrganisationId;
}

export function ownsRoom(app, room) {
  return owningOrganisation(room) === app.state.user.organisation.id;
}

/**
 * The owner's tools above the history (null for everybody else): adding a partner, and for a
 * patient room with an active consent, recording the revocation.
 */
export function roomActions(app, view) {
  const room = view.room;
  if (!ownsRoom(app, room) || room.consentRevokedAt) return null;
  return h('div', { class: 'room-actions' },
    addPartner(app, view),
    room.kind === 'patient' && room.consent ? revocation(app, view) : null);
}

function addPartner(app, view) {
  const error = errorBox();
  const status = h('div', { class: 'status-slot', role: 'status' });
  const [queryRow, query] = field(t('new.directory'), { id: 'partner-search', type: 'search', maxlength: 200 });
  const results = h('ul', { class: 'results', id: 'partner-results' });
  const searchButton = h('button', { class: 'secondary', type: 'button', id: 'partner-search-button' }, t('new.patient.searchButton'));
  const add = (organisation, button) => busy(button, error, async () => {
    const room = await api.post(`/rooms/${view.roomId}/organisations`, { organisationId: organisation.id });
    app.state.rooms.set(room.id, { ...app.state.rooms.get(room.id), ...room });
    replace(results);
    query.value = '';
    replace(status, notice(t('room.partner.added', { name: organisation.name })));
    view.partnersChanged();
    app.renderList();
  });
  const search = () => busy(searchButton, error, async () => {
    replace(status);
    const inRoom = new Set(view.room.organisations.map((o) => o.id));
    const found = (await api.get('/organisations', { query: query.value.trim() })).filter((o) => !inRoom.has(o.id));
    replace(results, found.length
      ? found.map((o) => {
        const button = h('button', { class: 'link', type: 'button', 'data-org': o.id }, `${o.name} (${t(`kind.${o.kind}`)}${o.city ? `, ${o.city}` : ''})`);
        button.addEventListener('click', () => add(o, button));
        return h('li', {}, button);
      })
      : h('li', {}, t('new.patient.none')));
  });
  searchButton.addEventListener('click', search);
  query.addEventListener('keydown', (event) => { if (event.key === 'Enter') { event.preventDefault(); search(); } });
  return h('details', { class: 'room-tool add-partner' },
    h('summary', { id: 'add-partner' }, t('room.addPartner')),
    view.room.kind === 'patient' ? h('p', { class: 'hint' }, t('room.partner.consentHint')) : null,
    error, status,
    h('div', { class: 'row' }, queryRow, searchButton), results);
}

function today() {
  const now = new Date();
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
}

function revocation(app, view) {
  const error = errorBox();
  const [dateRow, date] = field(t('revoke.date'), { id: 'revocation-date', type: 'date', required: true, max: today(), value: today() });
  const [fileRow, file] = field(t('revoke.document'), { id: 'revocation-file', type: 'file', accept: DOCUMENT_ACCEPT });
  const progress = h('progress', { max: 1, value: 0, hidden: true });
  const save = h('button', { class: 'danger', type: 'submit', id: 'revocation-save' }, t('revoke.save'));
  const patientId = view.room.patient.id;
  const form = h('form', {
    class: 'revocation', id: 'revocation-form', novalidate: true,
    onsubmit: (event) => {
      event.preventDefault();
      busy(save, error, async () => {
        if (!/^\d{4}-\d{2}-\d{2}$/.test(date.value)) {
          date.focus();
          throw new Error(t('revoke.dateMissing'));
        }
        const picked = file.files[0];
        if (picked && !DOCUMENT_TYPES.includes(picked.type)) {
          throw new Error(t('revoke.fileType', { name: picked.name }));
        }
        let consent;
        if (picked) {
          progress.hidden = false;
          try {
            consent = await api.upload(`/patients/${patientId}/revocation`, { date: date.value }, picked, (share) => { progress.value = share; });
          } finally {
            progress.hidden = true;
          }
        } else {
          consent = await api.call('POST', `/patients/${patientId}/revocation`, { query: { date: date.value } });
        }
        // the revoked frame follows; the page need not wait for it
        maskRoom(app.state, view.roomId, consent.revokedAt || new Date().toISOString());
        app.renderList();
        view.render();
      });
    },
  },
  h('p', {}, t('revoke.explain')),
  error, dateRow, fileRow, progress,
  h('div', { class: 'actions' }, save));
  return h('details', { class: 'room-tool revoke' },
    h('summary', { id: 'revoke-consent' }, t('revoke.open')),
    form);
}

/** The revoked room as both sides see it: what happened, what still works, what no longer does. */
export function revokedBanner(room, formatDate) {
  return h('div', { class: 'consent-banner revoked', role: 'alert' },
    h('strong', { class: 'revoked-title' }, t('room.revoked.title')),
    h('span', {}, t('room.consent.revoked', { date: formatDate(room.consentRevokedAt) })));
}
