// Search results: rooms by title, patients by name (with their rooms), messages by their words.
// What the server answers is already limited to what the user's organisation may see.

import * as api from '../api.js';
import { h, replace } from '../dom.js';
import { t, problemText, formatDate, formatDateTime } from '../i18n.js';

export async function renderSearch(main, app, query) {
  const status = h('p', { class: 'hint', role: 'status' }, t('search.running'));
  replace(main, h('section', { class: 'search-results', 'aria-labelledby': 'search-title' },
    h('h1', { id: 'search-title' }, t('search.title', { q: query })), status));
  let found;
  try {
    found = await api.get('/search', { q: query });
  } catch (e) {
    replace(status, problemText(e.code));
    status.className = 'error';
    return;
  }
  if (!main.querySelector('.search-results')) return;
  const total = found.rooms.length + found.patients.length + found.messages.length;
  status.textContent = total ? t('search.count', { n: total }) : t('search.none');
  const section = main.querySelector('.search-results');
  if (found.rooms.length) {
    section.append(h('h2', {}, t('search.rooms')), h('ul', { class: 'results', id: 'found-rooms' },
      found.rooms.map((room) => h('li', {},
        h('a', { href: `#/rooms/${room.id}`, 'data-room': room.id }, room.title),
        h('span', { class: 'hint' }, formatDateTime(room.lastActivity))))));
  }
  if (found.patients.length) {
    section.append(h('h2', {}, t('search.patients')), h('ul', { class: 'results', id: 'found-patients' },
      found.patients.map((patient) => h('li', { 'data-patient': patient.id },
        patient.own
          ? h('a', { class: 'patient-name', href: `#/patients/${patient.id}`, 'data-patient-page': patient.id },
            `${patient.familyName}, ${patient.givenName} (${t('room.born', { date: formatDate(patient.birthDate) })})`)
          : h('span', { class: 'patient-name' },
            `${patient.familyName}, ${patient.givenName} (${t('room.born', { date: formatDate(patient.birthDate) })})`),
        h('span', { class: `consent-state ${patient.consent}` }, t(`new.consent.state.${patient.consent}`)),
        h('a', { href: `#/patients/${patient.id}/mailbox`, class: 'patient-mailbox', 'data-mailbox': patient.id }, t('pm.open')),
        patient.rooms.length
          ? patient.rooms.map((id) => h('a', { href: `#/rooms/${id}`, 'data-room': id }, roomName(app, id)))
          : h('span', { class: 'hint' }, t('search.noRoom'))))));
  }
  if (found.messages.length) {
    section.append(h('h2', {}, t('search.messages')), h('ul', { class: 'results found-messages', id: 'found-messages' },
      found.messages.map((message) => h('li', { 'data-room': message.room, 'data-seq': message.seq },
        h('a', { href: `#/rooms/${message.room}` }, message.roomTitle),
        h('span', { class: 'hint' }, `${message.senderName || ''} · ${formatDateTime(message.sentAt)}`),
        h('span', { class: 'excerpt' }, message.excerpt)))));
  }
}

function roomName(app, id) {
  const room = app.state.rooms.get(id);
  return room && room.title ? room.title : t('search.openRoom');
}
