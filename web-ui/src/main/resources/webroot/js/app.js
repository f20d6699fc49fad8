// The signed-in application: header, connection banner, room list and the main pane, kept in
// step with the live connection.

import * as api from './api.js';
import { h, replace, uuid, inDesktopCompanion } from './dom.js';
import { t, lang, setLang, problemText } from './i18n.js';
import { LiveConnection } from './live.js';
import { Attention, mayAsk, ask } from './attention.js';
import { Uploads } from './uploads.js';
import { newState, sortedRooms, timeline, putMessage, newestSeq, maskRoom, withholdIdentity, putReceipt } from './state.js';
import { renderRoomList } from './views/roomlist.js';
import { RoomView } from './views/room.js';
import { renderNewRoom } from './views/newroom.js';
import { renderSearch } from './views/search.js';
import { renderCampaigns, renderCampaign } from './views/outreach.js';
import { renderPatientPage } from './views/patientpage.js';
import { renderAdmin, renderSettings } from './views/admin.js';
import { renderSecondFactorPage } from './views/secondfactor.js';
import { renderPracticeMailbox, renderPatientMailbox, lockDesk } from './views/practicemailbox.js';

const TYPING_SHOWN_MS = 5000;
const ACK_WAIT_MS = 15_000;

export class App {
  constructor(root, user, onLoggedOut) {
    this.root = root;
    this.state = newState(user);
    this.onLoggedOut = onLoggedOut;
    this.roomView = null;
    this.live = new LiveConnection({
      onReady: (frame) => this.ready(frame),
      onFrame: (frame) => this.frame(frame),
      onState: (connection) => this.connectionState(connection),
      onSessionEnded: (code) => this.end(code),
    });
    this.uploads = new Uploads(this);
    this.attention = new Attention((roomId) => { location.hash = `#/rooms/${roomId}`; });
    this.hashListener = () => this.route();
    this.focusListener = () => this.markRead();
  }

  async start() {
    this.layout();
    window.addEventListener('hashchange', this.hashListener);
    window.addEventListener('focus', this.focusListener);
    document.addEventListener('visibilitychange', this.focusListener);
    await this.loadRooms();
    await this.loadRegistrations();
    this.route();
    this.live.start();
  }

  layout() {
    const user = this.state.user;
    this.bannerText = h('span', { class: 'conn-text' });
    this.retryNow = h('button', { class: 'link', type: 'button', id: 'retry-now', onclick: () => this.live.retryNow() }, t('conn.retryNow'));
    this.banner = h('div', { class: 'conn-banner', role: 'status', 'aria-live': 'polite', hidden: true }, this.bannerText, this.retryNow);
    this.list = h('nav', { class: 'room-list', 'aria-label': t('rooms.title') });
    this.main = h('main', { class: 'pane', id: 'main' });
    const header = h('header', { class: 'top' },
      h('a', { class: 'brand', href: '#/' }, t('app.name')),
      inDesktopCompanion ? h('span', { class: 'desktop-mark', id: 'desktop-mark', title: t('desktop.mark.title') }, t('desktop.mark')) : null,
      h('span', { class: 'who' }, `${user.displayName} · ${user.organisation.name}`),
      h('span', { class: 'spacer' }),
      h('a', { class: 'nav-link', href: '#/mailbox', id: 'nav-mailbox' }, t('pm.inbox')),
      h('a', { class: 'nav-link', href: '#/campaigns', id: 'nav-campaigns' }, t('outreach.campaigns')),
      user.role === 'admin' ? h('a', { class: 'nav-link', href: '#/admin' }, t('admin.title')) : null,
      h('a', { class: 'nav-link', href: '#/settings' }, t('settings.title')),
      h('button', {
        class: 'link lang', type: 'button', title: t('lang.switch.label'), lang: lang() === 'de' ? 'en' : 'de',
        onclick: () => { setLang(lang() === 'de' ? 'en' : 'de'); this.relayout(); },
      }, t('lang.switch')),
      h('button', { class: 'secondary', type: 'button', id: 'logout', onclick: () => this.logout() }, t('logout')));
    this.waiting = h('div', { class: 'waiting', id: 'waiting', 'aria-live': 'polite' });
    const aside = h('aside', { class: 'sidebar' },
      h('div', { class: 'sidebar-head' },
        h('h2', {}, t('rooms.title')),
        h('a', { class: 'button primary', href: '#/new', id: 'new-room' }, t('rooms.new'))),
      this.notificationOffer(),
      this.searchForm(),
      this.waiting,
      this.list);
    this.shell = h('div', { class: 'shell' }, aside, this.main);
    // the connection banner belongs to the page's header landmark
    header.append(this.banner);
    replace(this.root, header, this.shell);
    this.connectionState(this.state.connection);
  }

  /** Offers browser notifications once, on a click of the user (browsers want a gesture). */
  notificationOffer() {
    if (!mayAsk() || this.state.notificationsOffered) return null;
    const offer = h('div', { class: 'notify-offer' },
      h('p', {}, t('notify.offer')),
      h('button', {
        class: 'secondary', type: 'button', id: 'enable-notifications',
        onclick: async () => {
          await ask();
          this.state.notificationsOffered = true;
          offer.remove();
        },
      }, t('notify.enable')),
      h('button', {
        class: 'link', type: 'button', id: 'dismiss-notifications',
        onclick: () => { this.state.notificationsOffered = true; offer.remove(); },
      }, t('notify.later')));
    return offer;
  }

  /** One search box for rooms, patients and messages; the results take the main pane. */
  searchForm() {
    const input = h('input', {
      type: 'search', id: 'search-input', maxlength: 100, 'aria-label': t('search.label'), placeholder: t('search.label'),
    });
    return h('form', {
      class: 'search', role: 'search',
      onsubmit: (event) => {
        event.preventDefault();
        const q = input.value.trim();
        if (q) location.hash = `#/search/${encodeURIComponent(q)}`;
      },
    }, input);
  }

  relayout() {
    if (this.roomView) this.roomView.detach();
    this.roomView = null;
    this.layout();
    this.renderList();
    this.renderWaiting();
    this.route();
  }

  /**
   * Registrations of this organisation that the inviting organisation has not confirmed (or has
   * rejected): their rooms stay closed, so the sidebar says for whom it waits.
   */
  async loadRegistrations() {
    try {
      this.state.registrations = await api.get('/invitations/received');
    } catch (e) {
      this.state.registrations = [];
    }
    this.renderWaiting();
  }

  renderWaiting() {
    if (!this.waiting) return;
    const open = (this.state.registrations || []).filter((r) => r.status !== 'confirmed');
    replace(this.waiting, open.map((r) => h('p', { class: `notice waiting-${r.status}`, 'data-invitation': r.id },
      t(r.status === 'pending' ? 'waiting.pending' : 'waiting.rejected', { org: r.invitingOrganisation.name }))));
  }

  async loadRooms() {
    const rooms = await api.get('/rooms');
    const known = new Set();
    for (const room of rooms) {
      known.add(room.id);
      const before = this.state.rooms.get(room.id);
      this.state.rooms.set(room.id, room);
      // A revocation while this page was offline: its frame was missed, so mask what is loaded.
      if (room.consentRevokedAt && !(before && before.consentRevokedAt)) {
        maskRoom(this.state, room.id, room.consentRevokedAt);
        this.refreshRoom(room.id);
      }
    }
    for (const id of [...this.state.rooms.keys()]) if (!known.has(id)) this.state.rooms.delete(id);
    this.renderList();
  }

  renderList() {
    renderRoomList(this.list, sortedRooms(this.state), this.state.current);
    let unread = 0;
    for (const room of this.state.rooms.values()) unread += room.unread || 0;
    this.attention.unread(unread);
  }

  route() {
    const hash = location.hash || '#/';
    const room = hash.match(/^#\/rooms\/([0-9a-f-]{36})$/);
    this.shell.classList.toggle('showing-room', hash !== '#/' && hash !== '#');
    if (room) {
      this.openRoom(room[1]);
      return;
    }
    this.closeRoom();
    if (hash === '#/new') {
      renderNewRoom(this.main, this);
    } else if (hash === '#/admin' && this.state.user.role === 'admin') {
      renderAdmin(this.main, this);
    } else if (/^#\/patients\/[0-9a-f-]{36}$/.test(hash)) {
      renderPatientPage(this.main, this, hash.slice('#/patients/'.length));
    } else if (hash.startsWith('#/search/')) {
      renderSearch(this.main, this, decodeURIComponent(hash.slice('#/search/'.length)));
    } else if (hash === '#/settings') {
      renderSettings(this.main, this);
    } else if (hash === '#/campaigns') {
      renderCampaigns(this.main, this).catch((e) => replace(this.main, h('p', { class: 'error', role: 'alert' }, problemText(e.code))));
    } else if (/^#\/campaigns\/[0-9a-f-]{36}$/.test(hash)) {
      renderCampaign(this.main, this, hash.slice('#/campaigns/'.length));
    } else if (hash === '#/mailbox') {
      renderPracticeMailbox(this.main, this);
    } else if (/^#\/patients\/[0-9a-f-]{36}\/mailbox$/.test(hash)) {
      renderPatientMailbox(this.main, this, hash.split('/')[2]);
    } else if (hash === '#/second-factor') {
      renderSecondFactorPage(this.main, this);
    } else {
      replace(this.main, h('h1', { class: 'visually-hidden' }, t('rooms.title')),
        h('p', { class: 'empty' }, this.state.rooms.size ? t('rooms.pick') : t('rooms.empty')));
    }
  }

  openRoom(roomId) {
    if (this.roomView && this.roomView.roomId === roomId) return;
    this.closeRoom();
    if (!this.state.rooms.has(roomId)) {
      replace(this.main, h('p', { class: 'error', role: 'alert' }, problemText('not_a_member')));
      return;
    }
    this.state.current = roomId;
    this.renderList();
    this.roomView = new RoomView(this, roomId);
    this.roomView.attach(this.main);
  }

  closeRoom() {
    if (this.roomView) this.roomView.detach();
    this.roomView = null;
    this.state.current = null;
    this.renderList();
  }

  // ---- history ----

  /** Loads the newest page of a room, or the page before the oldest loaded message. */
  async loadHistory(roomId, older) {
    const line = timeline(this.state, roomId);
    if (line.loading || (older && !line.hasMore)) return;
    line.loading = true;
    try {
      let before;
      if (older) {
        before = Math.min(...line.messages.keys());
      }
      const page = await api.get(`/rooms/${roomId}/messages`, { before, limit: 50 });
      if (!older && page.messages.length) {
        // live messages that came before the room was opened may leave a hole below this page
        for (const seq of [...line.messages.keys()]) if (seq < page.messages[0].seq) line.messages.delete(seq);
      }
      for (const message of page.messages) putMessage(this.state, message);
      if (!older || page.messages.length === 0 || !page.hasMore) line.hasMore = page.hasMore;
      line.loaded = true;
    } finally {
      line.loading = false;
    }
    this.refreshRoom(roomId);
  }

  // ---- live ----

  ready(frame) {
    this.state.user = frame.user;
    // the first connection comes right after start() loaded the lists: they are asked for again
    // only if the server knows of rooms or messages they lack (a second visit stays small)
    let changed = this.connectedBefore || frame.rooms.length !== this.state.rooms.size;
    for (const { id, lastSeq } of frame.rooms) {
      const line = this.state.timelines.get(id);
      // a loaded history catches up, an empty one too (from 0): what came meanwhile is missing
      if (line && (line.loaded || line.messages.size > 0)) {
        this.live.send({ type: 'sync', room: id, after: newestSeq(line), ref: `sync-${id}` });
      }
      const room = this.state.rooms.get(id);
      if (!room || lastSeq > room.lastSeq) changed = true;
      if (room && lastSeq > room.lastSeq) room.lastSeq = lastSeq;
    }
    this.connectedBefore = true;
    if (changed) {
      // Unread counts and rooms joined while offline come with the list.
      this.loadRooms().catch(() => {});
      this.loadRegistrations();
    }
    for (const item of this.state.outbox.values()) {
      if (item.state === 'sending') this.transmit(item);
    }
    this.uploads.resume();
    this.markRead();
  }

  frame(frame) {
    switch (frame.type) {
      case 'message': {
        const mine = frame.sender && frame.sender.id === this.state.user.id;
        const room = this.state.rooms.get(frame.room);
        // counted once: a message the room list already knew of (lastSeq) is in its unread count
        const unseen = room && frame.seq > room.lastSeq;
        putMessage(this.state, frame);
        if (unseen && !mine && frame.kind !== 'system' && !this.isReading(frame.room)) {
          if (frame.seq > room.readSeq) room.unread = (room.unread || 0) + 1;
        }
        if (unseen && !mine && frame.kind !== 'system') this.attention.message(frame);
        if (frame.sender) this.typingStopped(frame.room, frame.sender.id);
        this.renderList();
        this.refreshRoom(frame.room);
        if (this.isReading(frame.room)) this.markRead();
        break;
      }
      case 'ack': {
        const item = this.state.outbox.get(frame.clientMsgId);
        if (item) {
          clearTimeout(item.timer);
          // stored: it joins the history now, whether or not its push arrives
          const user = this.state.user;
          putMessage(this.state, {
            room: frame.room, seq: frame.seq, id: frame.id, kind: 'text', content: item.content,
            masked: false, sentAt: frame.sentAt, clientMsgId: frame.clientMsgId,
            sender: { id: user.id, displayName: user.displayName, organisation: user.organisation },
            replyTo: item.replyTo || undefined, corrects: item.corrects || undefined,
          });
          this.renderList();
        }
        this.refreshRoom(frame.room);
        break;
      }
      case 'unread': {
        const room = this.state.rooms.get(frame.room);
        if (room) {
          room.readSeq = frame.readSeq;
          room.unread = frame.unread;
          this.renderList();
        }
        break;
      }
      case 'joined': {
        this.state.rooms.set(frame.room.id, frame.room);
        this.renderList();
        // a confirmed registration: the room it waited for is here now
        if ((this.state.registrations || []).some((r) => r.room === frame.room.id)) this.loadRegistrations();
        break;
      }
      case 'registration_pending': {
        const room = this.state.rooms.get(frame.room);
        if (room) {
          room.registrationPending = true;
          this.renderList();
        }
        if (this.roomView && this.roomView.roomId === frame.room) this.roomView.loadInvitations();
        break;
      }
      case 'revoked': {
        maskRoom(this.state, frame.room, frame.at);
        withholdIdentity(this.state, frame.room);
        this.renderList();
        this.refreshRoom(frame.room);
        this.reloadConsent(frame.room);
        break;
      }
      case 'receipt': {
        putReceipt(this.state, frame);
        this.refreshRoom(frame.room);
        break;
      }
      case 'typing': {
        this.typingStarted(frame.room, frame.sender);
        break;
      }
      case 'error':
        this.refused(frame);
        break;
      default:
        break;
    }
  }

  refused(frame) {
    const item = frame.clientMsgId && this.state.outbox.get(frame.clientMsgId);
    if (item) {
      clearTimeout(item.timer);
      if (frame.code === 'rate_limited') {
        item.timer = setTimeout(() => this.transmit(item), 2000);
        return;
      }
      item.state = 'failed';
      item.error = frame.code;
      this.refreshRoom(item.room);
    } else if (frame.code === 'session_ended' || frame.code === 'account_disabled') {
      this.endReason = frame.code;
    }
  }

  connectionState(connection) {
    this.state.connection = connection;
    if (connection.state === 'offline') {
      // Waiting for a connection is not a failure: these go out again after the reconnect.
      for (const item of this.state.outbox.values()) {
        if (item.state === 'sending' || item.error === 'unavailable') {
          clearTimeout(item.timer);
          item.state = 'sending';
          item.error = null;
        }
      }
    }
    if (!this.banner) return;
    const { state } = connection;
    this.banner.hidden = state === 'online' || state === 'connecting';
    this.banner.dataset.state = state;
    this.retryNow.hidden = state !== 'offline';
    clearInterval(this.countdown);
    if (state === 'offline') {
      // the banner counts down to the next attempt; "retry now" does not wait for it
      const tick = () => {
        const seconds = Math.max(0, Math.ceil((connection.retryAt - Date.now()) / 1000));
        this.bannerText.textContent = t('conn.lost', { s: seconds });
      };
      tick();
      this.countdown = setInterval(tick, 1000);
    } else {
      this.bannerText.textContent = t('conn.retrying');
    }
    if (this.roomView) this.roomView.connectionChanged();
  }

  // ---- sending ----

  /**
   * Queues a text message; it stays in the outbox until acked, across reconnects. `related` may
   * carry the quoted message (`replyTo`, as the server shows quotes) or the id of the own message
   * it corrects (`corrects`).
   */
  sendText(roomId, content, related = {}) {
    const item = {
      clientMsgId: uuid(), room: roomId, content, state: 'sending', createdAt: Date.now(),
      replyTo: related.replyTo || null, corrects: related.corrects || null,
    };
    this.state.outbox.set(item.clientMsgId, item);
    this.transmit(item);
    this.refreshRoom(roomId);
  }

  transmit(item) {
    clearTimeout(item.timer);
    item.state = 'sending';
    item.error = null;
    const frame = { type: 'send', room: item.room, clientMsgId: item.clientMsgId, content: item.content, ref: item.clientMsgId.slice(0, 8) };
    if (item.replyTo) frame.replyTo = item.replyTo.id;
    if (item.corrects) frame.corrects = item.corrects;
    const sent = this.live.send(frame);
    if (sent) {
      // No ack in time while connected: show it as failed; a retry reuses the clientMsgId, so
      // the server stores it once whatever happened.
      item.timer = setTimeout(() => {
        if (item.state === 'sending' && this.state.outbox.has(item.clientMsgId)) {
          item.state = 'failed';
          item.error = 'unavailable';
          this.refreshRoom(item.room);
        }
      }, ACK_WAIT_MS);
    }
  }

  retry(clientMsgId) {
    const item = this.state.outbox.get(clientMsgId);
    if (item) {
      this.transmit(item);
      this.refreshRoom(item.room);
    }
  }

  discard(clientMsgId) {
    const item = this.state.outbox.get(clientMsgId);
    if (item) {
      clearTimeout(item.timer);
      this.state.outbox.delete(clientMsgId);
      this.refreshRoom(item.room);
    }
  }

  typing(roomId) {
    const now = Date.now();
    if (this.lastTyping && this.lastTyping.room === roomId && now - this.lastTyping.at < 3000) return;
    this.lastTyping = { room: roomId, at: now };
    this.live.send({ type: 'typing', room: roomId });
  }

  typingStarted(roomId, sender) {
    let users = this.state.typing.get(roomId);
    if (!users) this.state.typing.set(roomId, (users = new Map()));
    const previous = users.get(sender.id);
    if (previous) clearTimeout(previous.timer);
    users.set(sender.id, {
      name: sender.displayName,
      timer: setTimeout(() => this.typingStopped(roomId, sender.id), TYPING_SHOWN_MS),
    });
    this.refreshTyping(roomId);
  }

  typingStopped(roomId, userId) {
    const users = this.state.typing.get(roomId);
    if (users && users.delete(userId)) this.refreshTyping(roomId);
  }

  // ---- read markers ----

  isReading(roomId) {
    return this.state.current === roomId && document.visibilityState === 'visible';
  }

  markRead() {
    const roomId = this.state.current;
    if (!roomId || !this.isReading(roomId)) return;
    const room = this.state.rooms.get(roomId);
    const line = this.state.timelines.get(roomId);
    if (!room || !line) return;
    const newest = newestSeq(line);
    if (newest > (room.readSeq || 0) || room.unread > 0) {
      room.readSeq = Math.max(room.readSeq || 0, newest);
      room.unread = 0;
      this.renderList();
      if (!this.live.send({ type: 'read', room: roomId, seq: newest })) {
        api.put(`/rooms/${roomId}/read`, { seq: newest }).catch(() => {});
      }
    }
  }

  /** The patient's own organisation learns from the room whether a signed revocation was filed. */
  async reloadConsent(roomId) {
    const room = this.state.rooms.get(roomId);
    if (!room || !room.patient || room.patient.organisationId !== this.state.user.organisation.id) return;
    try {
      const fresh = await api.get(`/rooms/${roomId}`);
      const current = this.state.rooms.get(roomId);
      if (current) current.consent = fresh.consent;
      this.refreshRoom(roomId);
    } catch (e) {
      // the banner stays as it is; the next load of the room list brings the consent
    }
  }

  refreshRoom(roomId) {
    if (this.roomView && this.roomView.roomId === roomId) this.roomView.render();
  }

  refreshTyping(roomId) {
    if (this.roomView && this.roomView.roomId === roomId) this.roomView.renderTyping();
  }

  // ---- leaving ----

  async logout() {
    lockDesk();
    this.teardown();
    try {
      await api.logout();
    } finally {
      this.onLoggedOut(null);
    }
  }

  end(code) {
    this.teardown();
    this.onLoggedOut(this.endReason || code);
  }

  teardown() {
    this.live.stop();
    if (this.roomView) this.roomView.detach();
    window.removeEventListener('hashchange', this.hashListener);
    window.removeEventListener('focus', this.focusListener);
    document.removeEventListener('visibilitychange', this.focusListener);
    for (const item of this.state.outbox.values()) clearTimeout(item.timer);
    this.attention.reset();
    this.uploads.clear();
    clearInterval(this.countdown);
    this.state = newState(null);
  }
}
