// One room: consent banner, history that loads page by page, live messages, own messages with
// their delivery state, typing, attachments with upload progress, replies and corrections, and
// the composer.

import * as api from '../api.js';
import { h, replace, fileSize, openBlob, saveBlob, linkified, inDesktopCompanion } from '../dom.js';
import { t, problemText, formatDate, formatDateTime } from '../i18n.js';
import { entries, timeline, shownText, putReceipt, readersOf } from '../state.js';
import { roomTitle } from './roomlist.js';
import { roomActions, revokedBanner } from './roomactions.js';

/** The server accepts a correction for 15 minutes; the button goes a little earlier. */
const CORRECTION_MS = 14.5 * 60 * 1000;

export class RoomView {
  constructor(app, roomId) {
    this.app = app;
    this.roomId = roomId;
    this.uploads = new Map();
  }

  get room() {
    return this.app.state.rooms.get(this.roomId);
  }

  /** An end-to-end encrypted room this page cannot read or write (only a member's device can). */
  get sealed() {
    return Boolean(this.room.encrypted) && !inDesktopCompanion;
  }

  attach(main) {
    const room = this.room;
    this.banner = h('div', { class: 'consent-slot' });
    this.lockNotice = room.encrypted
      ? h('div', { class: 'consent-banner encrypted', id: 'encrypted-notice', role: 'note' },
        h('strong', {}, `🔒 ${t('room.encrypted.title')}`),
        h('span', {}, t(inDesktopCompanion ? 'room.encrypted.local' : 'room.encrypted.explain')))
      : null;
    this.invitations = h('div', { class: 'invitations-slot' });
    this.tools = h('div', { class: 'tools-slot' }, roomActions(this.app, this));
    this.older = h('button', { class: 'link older', type: 'button', onclick: () => this.loadOlder() }, t('room.more'));
    this.list = h('ol', { class: 'messages' });
    this.scroller = h('div', { class: 'scroller', tabindex: '0' }, this.older, this.list);
    this.scroller.addEventListener('scroll', () => {
      if (this.scroller.scrollTop < 40) this.loadOlder();
    });
    this.typingLine = h('div', { class: 'typing', 'aria-live': 'polite' });
    this.uploadList = h('ul', { class: 'uploads' });
    this.notices = h('ul', { class: 'uploads notices' });
    this.textarea = h('textarea', {
      id: 'composer-text', rows: 2, maxlength: 16000, 'aria-label': composerHint(), placeholder: composerHint(),
      oninput: () => {
        this.app.state.drafts.set(this.roomId, this.textarea.value);
        if (this.textarea.value.trim()) this.app.typing(this.roomId);
      },
      onkeydown: (event) => {
        if (event.key === 'Escape' && this.relation) {
          event.preventDefault();
          this.cancelRelation();
          return;
        }
        // on a touch keyboard Enter makes a new line, as in other messengers: the button sends
        if (event.key === 'Enter' && !event.shiftKey && !event.isComposing && !touchKeyboard()) {
          event.preventDefault();
          this.submit();
        }
      },
    });
    this.textarea.value = this.app.state.drafts.get(this.roomId) || '';
    this.fileInput = h('input', {
      type: 'file', id: 'attach-file', class: 'visually-hidden', multiple: true, tabindex: '-1',
      accept: 'application/pdf,image/png,image/jpeg,application/dicom,.dcm',
      onchange: () => {
        for (const file of this.fileInput.files) this.upload(file);
        this.fileInput.value = '';
      },
    });
    this.sendButton = h('button', { class: 'primary', type: 'submit' }, t('room.send'));
    this.relationBar = h('div', { class: 'relation-bar', id: 'relation-bar', hidden: true, 'aria-live': 'polite' });
    this.composer = h('form', {
      class: 'composer', id: 'composer',
      onsubmit: (event) => { event.preventDefault(); this.submit(); },
    },
    h('label', { class: 'button secondary attach', for: 'attach-file', tabindex: '0', title: t('room.attach'),
      onkeydown: (event) => { if (event.key === 'Enter' || event.key === ' ') { event.preventDefault(); this.fileInput.click(); } } },
    t('room.attach.short')),
    this.fileInput, this.textarea, this.sendButton);
    this.title = h('h1', { id: 'room-title' }, roomTitle(room));
    this.patient = h('div', { class: 'patient-slot' }, patientLine(room, this.app));
    this.element = h('section', { class: 'room', 'data-room': this.roomId, 'aria-labelledby': 'room-title' },
      h('header', { class: 'room-head' },
        h('a', { class: 'back', href: '#/' }, `← ${t('room.back')}`),
        this.title,
        this.patient,
        this.partners = h('p', { class: 'partners-line' }, partnersText(room))),
      this.lockNotice, this.banner, this.tools, this.invitations, this.scroller, this.typingLine, this.uploadList, this.notices, this.relationBar, this.composer);
    this.dragDepth = 0;
    this.element.addEventListener('dragenter', (event) => { event.preventDefault(); this.dragDepth += 1; this.element.classList.add('dragging'); });
    this.element.addEventListener('dragleave', () => { this.dragDepth -= 1; if (this.dragDepth <= 0) this.element.classList.remove('dragging'); });
    this.element.addEventListener('dragover', (event) => event.preventDefault());
    this.element.addEventListener('drop', (event) => {
      event.preventDefault();
      this.dragDepth = 0;
      this.element.classList.remove('dragging');
      if (this.room.consentRevokedAt || this.sealed) return;
      for (const file of event.dataTransfer.files) this.upload(file);
    });
    replace(main, this.element);
    this.render();
    this.renderUploads();
    this.loadInvitations();
    this.loadReceipts();
    const line = timeline(this.app.state, this.roomId);
    if (!line.loaded) {
      this.app.loadHistory(this.roomId, false).then(() => this.app.markRead()).catch((e) => this.showError(e));
    } else {
      this.app.markRead();
    }
    this.textarea.focus();
  }

  detach() {
    if (this.element) this.element.remove();
  }

  submit() {
    const content = this.textarea.value;
    if (!content.trim() || this.room.consentRevokedAt || this.sealed) return;
    this.app.sendText(this.roomId, content, this.relation || {});
    this.cancelRelation();
    this.textarea.value = '';
    this.app.state.drafts.delete(this.roomId);
    this.textarea.focus();
  }

  /** Answers a message: the composer shows what is quoted until sent or cancelled (Escape). */
  startReply(message) {
    this.relation = {
      replyTo: {
        id: message.id, seq: message.seq, kind: message.kind,
        senderName: message.sender ? message.sender.displayName : null,
        excerpt: (shownText(message) || '').slice(0, 200),
      },
    };
    this.showRelation(t('room.replyingTo', { name: this.relation.replyTo.senderName || '' }), quoteText(this.relation.replyTo));
  }

  /** Corrects an own message: its text goes into the composer; sending stores the correction. */
  startCorrection(message) {
    this.relation = { corrects: message.id };
    this.textarea.value = shownText(message) || '';
    this.showRelation(t('room.correcting'), null);
  }

  showRelation(label, text) {
    replace(this.relationBar,
      h('span', { class: 'relation-label' }, label),
      text ? h('span', { class: 'relation-text' }, text) : null,
      h('button', { class: 'link', type: 'button', id: 'cancel-relation', onclick: () => this.cancelRelation() }, t('room.cancel')));
    this.relationBar.hidden = false;
    this.textarea.focus();
  }

  cancelRelation() {
    if (this.relation && this.relation.corrects) {
      this.textarea.value = '';
      this.app.state.drafts.delete(this.roomId);
    }
    this.relation = null;
    this.relationBar.hidden = true;
    replace(this.relationBar);
  }

  async loadOlder() {
    const line = timeline(this.app.state, this.roomId);
    if (!line.loaded || !line.hasMore || line.loading) return;
    const before = this.scroller.scrollHeight - this.scroller.scrollTop;
    this.keepOffset = before;
    try {
      await this.app.loadHistory(this.roomId, true);
    } catch (e) {
      this.showError(e);
    }
  }

  /** The owner added a partner: the head names it. */
  partnersChanged() {
    this.partners.textContent = partnersText(this.room);
  }

  /** How far the others have read; receipt frames keep it current, a reconnect reloads it. */
  async loadReceipts() {
    try {
      const receipts = await api.get(`/rooms/${this.roomId}/receipts`);
      for (const receipt of receipts) putReceipt(this.app.state, receipt);
    } catch (e) {
      return;
    }
    if (this.element) this.render();
  }

  connectionChanged() {
    if (this.app.state.connection.state === 'online') this.loadReceipts();
    this.render();
  }

  render() {
    const room = this.room;
    if (!room || !this.element) return;
    const atBottom = this.scroller.scrollHeight - this.scroller.scrollTop - this.scroller.clientHeight < 60;
    // a revocation withholds the patient's identity from partners: the head follows the room
    if (this.title.textContent !== roomTitle(room)) {
      this.title.textContent = roomTitle(room);
      replace(this.patient, patientLine(room, this.app));
    }
    this.renderBanner(room);
    const line = timeline(this.app.state, this.roomId);
    const { stored, pending } = entries(this.app.state, this.roomId);
    this.older.hidden = !line.loaded || !line.hasMore;
    // a correction shows on the message it corrects; alone only while that one is not loaded
    const loadedIds = new Set(stored.map((message) => message.id));
    replace(this.list,
      line.loaded && !line.hasMore ? h('li', { class: 'start' }, t('room.start')) : null,
      stored.filter((message) => !(message.corrects && loadedIds.has(message.corrects))).map((message) => this.storedItem(message)),
      pending.filter((item) => !stored.some((m) => m.clientMsgId === item.clientMsgId)).map((item) => this.pendingItem(item)));
    const revoked = Boolean(room.consentRevokedAt);
    const closed = revoked || this.sealed;
    this.textarea.disabled = closed;
    this.sendButton.disabled = closed;
    this.fileInput.disabled = closed;
    this.composer.classList.toggle('disabled', closed);
    this.textarea.placeholder = revoked ? t('room.closed') : this.sealed ? t('room.encrypted.composer') : composerHint();
    if (revoked && this.tools.firstChild) replace(this.tools);
    if (this.keepOffset !== undefined) {
      this.scroller.scrollTop = this.scroller.scrollHeight - this.keepOffset;
      this.keepOffset = undefined;
    } else if (atBottom || !this.scrolledOnce) {
      this.scroller.scrollTop = this.scroller.scrollHeight;
      this.scrolledOnce = line.loaded;
    }
    this.renderTyping();
  }

  renderBanner(room) {
    if (room.kind !== 'patient') {
      replace(this.banner);
      return;
    }
    if (room.consentRevokedAt) {
      // the signed revocation: for the patient's own organisation only (the server says so too)
      const own = room.patient && room.patient.organisationId === this.app.state.user.organisation.id;
      const document = Boolean(own && room.consent && room.consent.revocationDocument);
      if (this.banner.querySelector('.revoked') && Boolean(this.banner.querySelector('#open-revocation')) === document) return;
      const banner = revokedBanner(room, formatDate);
      if (document) {
        banner.append(h('button', {
          class: 'link', type: 'button', id: 'open-revocation',
          onclick: () => api.blob(`/consents/${room.consent.id}/revocation-document`).then(openBlob).catch((e) => this.showError(e)),
        }, t('room.revocation.open')));
      }
      replace(this.banner, banner);
      return;
    }
    if (!room.consent) {
      replace(this.banner, h('div', { class: 'consent-banner missing' }, t('room.consent.none')));
      return;
    }
    const consent = room.consent;
    replace(this.banner, h('div', { class: 'consent-banner active' },
      h('span', {}, t('room.consent.active', { version: consent.version, date: formatDateTime(consent.uploadedAt), by: consent.uploadedBy })),
      h('button', {
        class: 'link', type: 'button', id: 'open-consent',
        onclick: () => api.blob(`/consents/${consent.id}/document`).then(openBlob).catch((e) => this.showError(e)),
      }, t('room.consent.open'))));
  }

  storedItem(message) {
    const mine = message.sender && message.sender.id === this.app.state.user.id;
    if (message.kind === 'system') {
      return h('li', { class: 'message system', 'data-seq': message.seq }, systemText(message.content));
    }
    const corrected = Boolean(message.correction);
    // replies and corrections are not carried in encrypted messages (yet)
    const open = !message.masked && !this.room.consentRevokedAt && message.kind !== 'encrypted' && !this.room.encrypted;
    const correctable = mine && open && message.kind === 'text' && !message.corrects
      && Date.now() - Date.parse(message.sentAt) < CORRECTION_MS;
    return h('li', {
      class: `message${mine ? ' own' : ''}${message.masked ? ' masked' : ''}`,
      'data-seq': message.seq,
      'data-message-id': message.id,
      'data-state': mine ? 'sent' : null,
      'data-client-msg-id': message.clientMsgId,
      'data-corrected': corrected ? 'true' : null,
    },
    h('div', { class: 'meta' },
      h('span', { class: 'sender' }, message.sender ? `${message.sender.displayName} · ${message.sender.organisation.name}` : ''),
      h('time', { datetime: message.sentAt }, formatDateTime(message.sentAt)),
      corrected ? h('span', { class: 'corrected', title: formatDateTime(message.correction.sentAt) }, t('room.corrected')) : null,
      message.corrects ? h('span', { class: 'corrected' }, t('room.correctionOfOlder')) : null,
      mine ? this.deliveryState(message) : null),
    message.replyTo ? quote(message.replyTo) : null,
    message.masked
      ? h('p', { class: 'content masked' }, t('room.masked'))
      : message.kind === 'encrypted' ? h('p', { class: 'content encrypted' }, `🔒 ${t('room.encrypted.message')}`)
      : message.kind === 'attachment' ? this.attachment(message.content) : h('p', { class: 'content' }, linkified(shownText(message))),
    corrected && !message.masked
      ? h('details', { class: 'original' }, h('summary', {}, t('room.original')), h('p', { class: 'content' }, message.content))
      : null,
    open
      ? h('div', { class: 'message-actions' },
        h('button', { class: 'link reply', type: 'button', onclick: () => this.startReply(message) }, t('room.reply')),
        correctable ? h('button', { class: 'link correct', type: 'button', onclick: () => this.startCorrection(message) }, t('room.correct')) : null)
      : null);
  }

  /** "gesendet", or "gelesen" once another user has read up to it (who: in the tooltip). */
  deliveryState(message) {
    const readers = readersOf(this.app.state, this.roomId, message.seq);
    if (!readers.length) return h('span', { class: 'state' }, t('room.state.sent'));
    const names = readers.map((r) => `${r.user.displayName} (${r.user.organisation.name})`).join(', ');
    return h('span', { class: 'state receipt', title: t('room.readBy', { names }) }, t('room.state.read'));
  }

  pendingItem(item) {
    const failed = item.state === 'failed';
    return h('li', { class: 'message own pending', 'data-state': item.state, 'data-client-msg-id': item.clientMsgId },
      h('div', { class: 'meta' },
        h('span', { class: 'sender' }, this.app.state.user.displayName),
        item.corrects ? h('span', { class: 'corrected' }, t('room.correction')) : null,
        h('span', { class: 'state' }, t(failed ? 'room.state.failed' : 'room.state.sending'))),
      item.replyTo ? quote(item.replyTo) : null,
      h('p', { class: 'content' }, item.content),
      failed
        ? h('div', { class: 'failed' },
          h('span', {}, problemText(item.error)),
          item.error !== 'consent_revoked'
            ? h('button', { class: 'link retry', type: 'button', onclick: () => this.app.retry(item.clientMsgId) }, t('room.retry'))
            : null,
          h('button', { class: 'link', type: 'button', onclick: () => this.app.discard(item.clientMsgId) }, t('room.discard')))
        : null);
  }

  attachment(content) {
    let file;
    try {
      file = JSON.parse(content);
    } catch (e) {
      return h('p', { class: 'content' }, content);
    }
    const name = file.fileName || file.mediaType;
    const fetchIt = () => api.blob(`/attachments/${file.attachmentId}`);
    return h('div', { class: 'attachment' },
      h('span', { class: 'file-name' }, name),
      h('span', { class: 'file-size' }, fileSize(file.size)),
      h('button', { class: 'link', type: 'button', onclick: () => fetchIt().then(openBlob).catch((e) => this.showError(e)) }, t('room.open')),
      h('button', { class: 'link', type: 'button', onclick: () => fetchIt().then((b) => saveBlob(b, name)).catch((e) => this.showError(e)) }, t('room.download')));
  }

  renderTyping() {
    if (!this.typingLine) return;
    const users = this.app.state.typing.get(this.roomId);
    const names = users ? [...users.values()].map((u) => u.name) : [];
    this.typingLine.textContent = names.length ? t('room.typing', { name: names.join(', ') }) : '';
  }

  upload(file) {
    this.app.uploads.add(this.roomId, file);
  }

  /** Attachments of this room on their way: waiting for the connection, going, or refused. */
  renderUploads() {
    if (!this.uploadList) return;
    replace(this.uploadList, this.app.uploads.forRoom(this.roomId).map((item) => {
      const name = item.file.name;
      if (item.state === 'failed') {
        return h('li', { class: 'upload failed', 'data-upload': item.id, 'data-state': item.state },
          h('span', { class: 'error', role: 'alert' }, `${name}: ${problemText(item.error)}`),
          h('button', { class: 'link', type: 'button', onclick: () => this.app.uploads.discard(item.id) }, t('close')));
      }
      if (item.state === 'waiting') {
        return h('li', { class: 'upload', 'data-upload': item.id, 'data-state': item.state },
          h('span', {}, t('room.upload.waiting', { name })),
          h('button', { class: 'link', type: 'button', onclick: () => this.app.uploads.discard(item.id) }, t('room.discard')));
      }
      return h('li', { class: 'upload', 'data-upload': item.id, 'data-state': item.state },
        h('span', {}, t('room.upload', { name })), h('progress', { max: 1, value: item.progress }));
    }));
  }

  /**
   * The room's invitations and how they fared. The owner also sees who registered with one and
   * confirms (the organisation joins the room) or rejects it.
   */
  async loadInvitations() {
    const room = this.room;
    if (room.kind !== 'general' || !room.organisations.some((o) => o.id === this.app.state.user.organisation.id)) return;
    let list;
    try {
      list = await api.get(`/rooms/${this.roomId}/invitations`);
    } catch (e) {
      return;
    }
    if (!this.element) return;
    const owner = room.createdByOrganisationId === this.app.state.user.organisation.id;
    const waiting = list.filter((invitation) => invitation.registration && invitation.registration.status === 'pending');
    room.registrationPending = owner && waiting.length > 0;
    this.app.renderList();
    if (!list.length) return;
    const shown = this.invitations.querySelector('details');
    const open = (shown && shown.open) || (owner && waiting.length > 0);
    replace(this.invitations, h('details', { class: 'invitations', open: open ? true : null },
      h('summary', {}, `${t('room.invitations')} (${list.length})`),
      h('ul', {}, list.map((invitation) => h('li', { 'data-invitation': invitation.id },
        t('room.invite.status', { name: invitation.organisation.name, status: invitationStatus(invitation) }),
        owner && (invitation.deliveries || []).some((d) => d.status === 'failed') && !invitation.usedAt
          ? h('button', { class: 'link', type: 'button', onclick: (event) => api.post(`/invitations/${invitation.id}/resend`, {}).then(() => this.loadInvitations()).catch((e) => { event.target.replaceWith(h('span', { class: 'error' }, problemText(e.code))); }) }, t('room.invite.resend'))
          : null,
        owner && waiting.includes(invitation) ? this.registration(invitation) : null)))));
  }

  registration(invitation) {
    const admin = invitation.registration.admin || {};
    const org = invitation.organisation.name;
    const decide = (event, answer) => api.post(`/invitations/${invitation.id}/${answer}`, {})
      .then(() => this.loadInvitations())
      .catch((e) => { event.target.replaceWith(h('span', { class: 'error', role: 'alert' }, problemText(e.code))); });
    return h('div', { class: 'registration', role: 'group' },
      h('p', {}, t('registration.who', { name: admin.displayName || '', email: admin.email || '', org })),
      h('button', { class: 'primary confirm-registration', type: 'button', onclick: (event) => decide(event, 'confirmation') }, t('registration.confirm')),
      h('button', { class: 'secondary reject-registration', type: 'button', onclick: (event) => decide(event, 'rejection') }, t('registration.reject')));
  }

  showError(e) {
    const box = h('p', { class: 'error', role: 'alert' }, problemText(e.code));
    this.notices.append(h('li', {}, box));
    setTimeout(() => box.parentElement && box.parentElement.remove(), 8000);
  }
}

/** Whether the page is used with a touch screen (its keyboard has no Shift+Enter to speak of). */
function touchKeyboard() {
  return window.matchMedia('(pointer: coarse)').matches;
}

function composerHint() {
  return t(touchKeyboard() ? 'room.composer.touch' : 'room.composer');
}

function partnersText(room) {
  return `${t('room.partners')}: ${room.organisations.map((o) => o.name).join(', ')}`;
}

function patientLine(room, app) {
  if (!room.patient) return null;
  if (!room.patient.familyName) return h('p', { class: 'patient-line withheld' }, t('room.identity.withheld'));
  const text = `${t('room.patient')}: ${room.patient.familyName}, ${room.patient.givenName} · ${t('room.born', { date: formatDate(room.patient.birthDate) })}`;
  // the patient's own organisation reaches the patient's page (contact, secure delivery) from here
  const own = app && room.patient.organisationId === app.state.user.organisation.id;
  return h('p', { class: 'patient-line' }, own ? h('a', { href: `#/patients/${room.patient.id}`, id: 'patient-page-link' }, text) : text);
}

function quote(replyTo) {
  return h('blockquote', { class: 'quote', 'data-quote-seq': replyTo.seq },
    h('span', { class: 'quote-sender' }, replyTo.senderName || t('system.other')),
    h('span', { class: 'quote-text' }, quoteText(replyTo)));
}

function quoteText(replyTo) {
  if (replyTo.excerpt === null || replyTo.excerpt === undefined) return t('room.masked');
  if (replyTo.kind === 'attachment') {
    // the excerpt may cut the attachment's JSON short; its file name comes early
    const name = /"fileName":"([^"]*)"/.exec(replyTo.excerpt);
    return t('room.quote.attachment', { name: name ? name[1] : '' });
  }
  if (replyTo.kind === 'system') return t('system.other');
  return replyTo.excerpt;
}

function invitationStatus(invitation) {
  const registration = invitation.registration;
  if (registration) return t(registration.status === 'pending' ? 'invitation.awaiting' : `invitation.${registration.status}`);
  if (invitation.usedAt) return t('invitation.registered');
  if (!invitation.sentAt) return t('invitation.pending');
  const states = (invitation.deliveries || []).map((d) => d.status);
  if (states.includes('sent')) return t('invitation.sent');
  if (states.includes('failed')) return t('invitation.failed');
  if (states.includes('sending')) return t('invitation.sending');
  return t('invitation.queued');
}

function systemText(content) {
  let notice = {};
  try {
    notice = JSON.parse(content);
  } catch (e) {
    return t('system.other');
  }
  if (notice.event === 'consent_revoked') return t('system.consent_revoked', { date: formatDate(notice.revocationDate) });
  return t('system.other');
}
