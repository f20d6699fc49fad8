// What the signed-in page knows: rooms, the loaded part of each room's history, the outbox of
// own messages not yet acknowledged, drafts and typing indicators. Memory only: nothing of a
// patient is written to browser storage, so a logout (or closing the tab) leaves nothing behind.

export function newState(user) {
  return {
    user,
    rooms: new Map(),
    timelines: new Map(),
    outbox: new Map(),
    drafts: new Map(),
    typing: new Map(),
    receipts: new Map(),
    current: null,
    connection: { state: 'connecting' },
    // a second-factor enrolment under way, and its recovery codes while they are shown
    enrolment: null,
    recoveryCodes: null,
  };
}

/** Rooms with the newest activity first. */
export function sortedRooms(state) {
  return [...state.rooms.values()].sort((a, b) => activity(b).localeCompare(activity(a)));
}

function activity(room) {
  return room.lastMessageAt || room.createdAt || '';
}

/** The loaded history of a room, created empty on first use. */
export function timeline(state, roomId) {
  let line = state.timelines.get(roomId);
  if (!line) {
    line = { messages: new Map(), loaded: false, hasMore: true, loading: false };
    state.timelines.set(roomId, line);
  }
  return line;
}

/** Adds or replaces a stored message; answers whether it was new. */
export function putMessage(state, message) {
  const line = timeline(state, message.room);
  const known = line.messages.has(message.seq);
  line.messages.set(message.seq, message);
  if (message.corrects) applyCorrection(line, message);
  if (message.clientMsgId) state.outbox.delete(message.clientMsgId);
  const room = state.rooms.get(message.room);
  if (room && message.seq > room.lastSeq) {
    room.lastSeq = message.seq;
    room.lastMessageAt = message.sentAt;
  }
  if (room && (!room.lastMessage || message.seq >= room.lastMessage.seq)) {
    room.lastMessage = {
      seq: message.seq, kind: message.kind, masked: Boolean(message.masked),
      senderName: message.sender ? message.sender.displayName : null,
      excerpt: message.masked ? null : (message.content || '').slice(0, 120),
    };
  }
  return !known;
}

/**
 * A correction is a message of its own (kept for the sequence), shown on the message it corrects:
 * that one keeps its first text and gets the newest correction, as the server's history has it.
 */
function applyCorrection(line, correction) {
  for (const message of line.messages.values()) {
    if (message.id === correction.corrects) {
      if (!message.correction || message.correction.seq <= correction.seq) {
        message.correction = { id: correction.id, seq: correction.seq, content: correction.content, sentAt: correction.sentAt };
      }
      return;
    }
  }
}

/** The text to show for a message: its newest correction's, else its own. */
export function shownText(message) {
  return message.correction ? message.correction.content : message.content;
}

export function newestSeq(line) {
  let newest = 0;
  for (const seq of line.messages.keys()) if (seq > newest) newest = seq;
  return newest;
}

export function oldestSeq(line) {
  let oldest = Infinity;
  for (const seq of line.messages.keys()) if (seq < oldest) oldest = seq;
  return oldest === Infinity ? null : oldest;
}

/** Stored messages in order, then own messages still in the outbox. */
export function entries(state, roomId) {
  const line = timeline(state, roomId);
  const stored = [...line.messages.values()].sort((a, b) => a.seq - b.seq);
  const pending = [...state.outbox.values()].filter((o) => o.room === roomId);
  return { stored, pending };
}

/** Masks what a revocation hides: every loaded message but system notices. */
export function maskRoom(state, roomId, at) {
  const room = state.rooms.get(roomId);
  if (room) room.consentRevokedAt = at;
  if (room && room.lastMessage && room.lastMessage.kind !== 'system') {
    room.lastMessage.masked = true;
    room.lastMessage.excerpt = null;
  }
  const line = timeline(state, roomId);
  for (const message of line.messages.values()) {
    if (message.kind !== 'system') {
      message.masked = true;
      message.content = null;
      if (message.correction) message.correction.content = null;
      if (message.replyTo) message.replyTo.excerpt = null;
    }
  }
  for (const [id, item] of state.outbox) {
    if (item.room === roomId) {
      item.state = 'failed';
      item.error = 'consent_revoked';
      state.outbox.set(id, item);
    }
  }
}

/**
 * After a revocation a partner keeps nothing of the patient's identity in memory: the same as
 * the server answers from then on (a neutral title, the patient without name or birth date).
 */
export function withholdIdentity(state, roomId) {
  const room = state.rooms.get(roomId);
  if (!room || !room.patient || room.patient.organisationId === state.user.organisation.id) return;
  room.identityWithheld = true;
  room.patient = { id: room.patient.id, organisationId: room.patient.organisationId };
  // the title of a patient room names the patient: nothing of it stays in memory either
  room.title = null;
}

/** Records how far another user has read a room (from the receipts list or a receipt frame). */
export function putReceipt(state, receipt) {
  let users = state.receipts.get(receipt.room);
  if (!users) state.receipts.set(receipt.room, (users = new Map()));
  const known = users.get(receipt.user.id);
  if (!known || known.readSeq < receipt.readSeq) users.set(receipt.user.id, receipt);
}

/** The other users who have read a room up to this message. */
export function readersOf(state, roomId, seq) {
  const users = state.receipts.get(roomId);
  return users ? [...users.values()].filter((r) => r.readSeq >= seq) : [];
}
