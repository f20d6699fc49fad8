// The list of rooms in the sidebar: newest activity first, unread badges, patient and partners.
// After a revocation a partner's rooms come without the patient's identity (identityWithheld).

import { h, replace } from '../dom.js';
import { t, formatDate, formatDateTime } from '../i18n.js';

export function renderRoomList(list, rooms, currentId) {
  if (rooms.length === 0) {
    replace(list, h('p', { class: 'empty' }, t('rooms.empty')));
    return;
  }
  replace(list, h('ul', {}, rooms.map((room) => item(room, room.id === currentId))));
}

/** The title to show: a neutral one when the patient's identity is withheld from this viewer. */
export function roomTitle(room) {
  return room.identityWithheld ? t('room.withheld') : room.title;
}

function patientLine(room) {
  if (!room.patient) return h('span', { class: 'room-kind' }, t('rooms.general'));
  if (!room.patient.familyName) return h('span', { class: 'room-patient withheld' }, t('room.identity.withheld'));
  return h('span', { class: 'room-patient' },
    `${room.patient.familyName}, ${room.patient.givenName} (${t('room.born', { date: formatDate(room.patient.birthDate) })})`);
}

function item(room, current) {
  const unread = room.unread || 0;
  const partners = room.organisations.map((o) => o.name).join(', ');
  return h('li', {},
    h('a', {
      class: `room-item${current ? ' current' : ''}${unread ? ' has-unread' : ''}${room.consentRevokedAt ? ' revoked' : ''}`,
      href: `#/rooms/${room.id}`,
      'data-room': room.id,
      'aria-current': current ? 'page' : null,
    },
    h('span', { class: 'room-title' }, roomTitle(room)),
    room.encrypted ? h('span', { class: 'room-lock', title: t('rooms.encrypted'), 'aria-label': t('rooms.encrypted'), role: 'img' }, '🔒') : null,
    unread ? h('span', { class: 'badge', 'aria-label': t('rooms.unread', { n: unread }) }, String(unread)) : null,
    room.registrationPending
      ? h('span', { class: 'badge registration', title: t('rooms.registrationPending'), 'aria-label': t('rooms.registrationPending') }, '!')
      : null,
    patientLine(room),
    room.consentRevokedAt && !room.identityWithheld ? h('span', { class: 'room-state revoked' }, t('rooms.revoked')) : null,
    h('span', { class: 'room-partners' }, partners),
    preview(room.lastMessage),
    room.lastMessageAt ? h('time', { class: 'room-time', datetime: room.lastMessageAt }, formatDateTime(room.lastMessageAt)) : null));
}

/** The newest message in one line: who and the start of the text, masked like the message. */
function preview(last) {
  if (!last) return null;
  let text;
  if (last.masked || last.excerpt === null) text = t('room.masked');
  else if (last.kind === 'system') text = t('system.other');
  else if (last.kind === 'encrypted') text = t('rooms.preview.encrypted');
  else if (last.kind === 'attachment') {
    const name = /"fileName":"([^"]*)"/.exec(last.excerpt);
    text = t('room.quote.attachment', { name: name ? name[1] : '' });
  } else text = last.excerpt.replace(/\s+/g, ' ');
  return h('span', { class: 'room-preview' }, last.senderName ? `${last.senderName}: ${text}` : text);
}
