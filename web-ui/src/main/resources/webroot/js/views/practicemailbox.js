// The practice's side of the patient mailbox: the staff member's own mailbox key, the practice
// mailbox's set-up and who may read it (admins), the practice inbox (#/mailbox), and one patient's
// mailbox with invitation, messages, writing and export (#/patients/<id>/mailbox). Keys are
// unwrapped here with the staff member's password and kept in this module's memory only.

import * as api from '../api.js';
import { h, replace, uuid, fileSize, saveBlob } from '../dom.js';
import { t, formatDateTime, formatDate } from '../i18n.js';
import { field, errorBox, busy } from './forms.js';
import * as mc from '../mailbox-crypto.js';

let desk = null; // { own: keys, practice: keys } once unlocked

/** Forgets the unlocked keys (logout). */
export function lockDesk() {
  desk = null;
}

async function state() {
  const view = await api.get('/organisation/mailbox');
  let ownKey = null;
  try {
    ownKey = await api.get('/me/mailbox-key');
  } catch (e) {
    if (e.code !== 'mailbox_key_missing') throw e;
  }
  return { view, ownKey };
}

function passwordForm(id, label, hint, action) {
  const error = errorBox();
  const [row, input] = field(t('login.password'), { id: `${id}-password`, type: 'password', autocomplete: 'current-password', required: true, maxlength: 200 });
  const submit = h('button', { class: 'primary', type: 'submit', id: `${id}-submit` }, label);
  return h('form', {
    class: 'mailbox-unlock', id,
    onsubmit: (event) => {
      event.preventDefault();
      busy(submit, error, () => action(input.value));
    },
  }, h('p', { class: 'hint' }, hint), error, row, submit);
}

async function unlock(password, ownKey, view) {
  const derived = await mc.derive(password, mc.unb64(ownKey.salt), ownKey.iterations);
  let raw;
  try {
    raw = await mc.unwrapKeys(derived.wrappingKey, mc.unb64(ownKey.wrappedPrivate));
  } catch (e) {
    throw new api.ProblemError(401, 'invalid_credentials', 'wrong password');
  }
  const own = mc.keysFrom(raw, mc.unb64(ownKey.x25519Public));
  const practicePublic = view.practiceKey;
  const practiceRaw = await mc.open(own, mc.unb64(view.sealedPracticeKey), 'practice-key');
  desk = {
    own,
    practice: mc.keysFrom(practiceRaw, mc.unb64(practicePublic.x25519Public), mc.unb64(practicePublic.ed25519Public)),
  };
}

async function makeOwnKey(password) {
  const salt = mc.random(16);
  const derived = await mc.derive(password, salt, mc.ITERATIONS);
  const keys = await mc.generateKeys(false);
  await api.put('/me/mailbox-key', {
    x25519Public: mc.b64(keys.xPublic), wrappedPrivate: mc.b64(await mc.wrapKeys(derived.wrappingKey, keys.xPrivate)),
    salt: mc.b64(salt), iterations: mc.ITERATIONS,
  });
  return keys;
}

/**
 * Makes sure the desk is unlocked; renders what is missing (own key, set-up, access, password)
 * into `slot` and calls `then()` once it is.
 */
async function ensureDesk(slot, app, then) {
  if (desk) return then();
  const { view, ownKey } = await state();
  const admin = app.state.user.role === 'admin';
  if (!ownKey) {
    replace(slot, passwordForm('mailbox-own-key', t('pm.setup.key'), t('pm.unlock.hint'), async (password) => {
      await makeOwnKey(password);
      await ensureDesk(slot, app, then);
    }));
    return undefined;
  }
  if (!view.practiceKey) {
    if (!admin) {
      replace(slot, h('p', { class: 'notice' }, t('pm.notSetUp')));
      return undefined;
    }
    replace(slot, passwordForm('mailbox-setup', t('pm.setup.practice'), t('pm.unlock.hint'), async (password) => {
      const derived = await mc.derive(password, mc.unb64(ownKey.salt), ownKey.iterations);
      await mc.unwrapKeys(derived.wrappingKey, mc.unb64(ownKey.wrappedPrivate)).catch(() => {
        throw new api.ProblemError(401, 'invalid_credentials', 'wrong password');
      });
      const practice = await mc.generateKeys(true);
      await api.post('/organisation/mailbox', {
        x25519Public: mc.b64(practice.xPublic), ed25519Public: mc.b64(practice.edPublic),
        sealedPracticeKey: mc.b64(await mc.seal(mc.unb64(ownKey.x25519Public), mc.privateBytes(practice), 'practice-key')),
      });
      await ensureDesk(slot, app, then);
    }));
    return undefined;
  }
  if (!view.sealedPracticeKey) {
    replace(slot, h('p', { class: 'notice', id: 'mailbox-no-access' }, t('pm.noAccess')));
    return undefined;
  }
  replace(slot, passwordForm('mailbox-unlock', t('pm.unlock'), t('pm.unlock.hint'), async (password) => {
    await unlock(password, ownKey, view);
    await then();
  }));
  return undefined;
}

async function openAll(messages, patientEdFor) {
  const opened = [];
  for (const message of messages) {
    const path = `/patients/${message.patientId}/mailbox/messages/${message.id}/attachments`;
    const senderEd = message.direction === 'to_patient' ? desk.practice.edPublic : await patientEdFor(message.patientId);
    try {
      const content = await mc.openMessage(message, desk.practice, senderEd,
        async (i) => mc.unb64((await api.get(`${path}/${i}`)).content));
      opened.push({ message, ...content });
    } catch (e) {
      opened.push({ message, subject: null, body: null, files: [], verified: false });
    }
  }
  return opened;
}

/** #/mailbox: the practice inbox, and for admins who may read the mailbox who else may. */
export async function renderPracticeMailbox(main, app) {
  const slot = h('div', { class: 'mailbox-slot' });
  const error = errorBox();
  replace(main, h('section', { class: 'practice-mailbox', 'aria-labelledby': 'pm-title' },
    h('h1', { id: 'pm-title' }, t('pm.inbox')), error, slot));
  try {
    await ensureDesk(slot, app, async () => {
      const list = h('ul', { class: 'mailbox-list', id: 'practice-inbox' });
      const detail = h('section', { class: 'mailbox-detail', id: 'practice-detail' });
      replace(slot, list, detail, app.state.user.role === 'admin' ? await staffAccess(app) : null);
      const keys = new Map();
      const inbox = await openAll(await api.get('/organisation/mailbox/inbox'), async (patientId) => {
        if (!keys.has(patientId)) keys.set(patientId, mc.unb64((await api.get(`/patients/${patientId}/mailbox`)).ed25519Public));
        return keys.get(patientId);
      });
      if (!inbox.length) list.append(h('li', { class: 'empty' }, t('mailbox.empty')));
      for (const item of inbox) {
        list.append(h('li', {}, h('a', {
          href: `#/patients/${item.message.patientId}/mailbox`, class: item.message.readAt ? 'mailbox-item' : 'mailbox-item unread', 'data-id': item.message.id,
        }, h('span', { class: 'subject' }, item.subject ?? t('mailbox.unreadable')),
        h('span', { class: 'when' }, formatDateTime(item.message.createdAt)),
        item.message.readAt ? null : h('span', { class: 'badge' }, t('mailbox.unread')))));
      }
    });
  } catch (e) {
    error.show(e);
  }
}

async function staffAccess(app) {
  const error = errorBox();
  const list = h('ul', { class: 'results', id: 'mailbox-staff' });
  const render = async () => {
    replace(list);
    for (const member of await api.get('/organisation/mailbox/staff')) {
      const action = member.hasAccess
        ? h('button', { type: 'button', class: 'secondary', onclick: (event) => busy(event.target, error, async () => {
          await api.call('DELETE', `/organisation/mailbox/staff/${member.userId}/access`);
          await render();
        }) }, t('pm.withdraw'))
        : member.x25519Public
          ? h('button', { type: 'button', class: 'primary', 'data-grant': member.email, onclick: (event) => busy(event.target, error, async () => {
            const sealed = await mc.seal(mc.unb64(member.x25519Public), mc.privateBytes(desk.practice), 'practice-key');
            await api.put(`/organisation/mailbox/staff/${member.userId}/access`, { x25519Public: member.x25519Public, sealedPracticeKey: mc.b64(sealed) });
            await render();
          }) }, t('pm.grant'))
          : h('span', { class: 'hint' }, t('pm.noKey'));
      list.append(h('li', { 'data-member': member.email }, h('span', {}, `${member.displayName} · ${member.email}`), action));
    }
  };
  await render();
  return h('section', { class: 'mailbox-staff' }, h('h2', {}, t('pm.staff')), error, list);
}

/** #/patients/<id>/mailbox: invitation, conversation, writing, export. */
export async function renderPatientMailbox(main, app, patientId) {
  const error = errorBox();
  const slot = h('div', { class: 'mailbox-slot' });
  const head = h('h1', { id: 'pm-patient-title' }, t('pm.title'));
  replace(main, h('section', { class: 'practice-mailbox', 'aria-labelledby': 'pm-patient-title' }, head, error, slot));
  try {
    const patient = await api.get(`/patients/${patientId}`);
    head.textContent = `${t('pm.title')}: ${patient.familyName}, ${patient.givenName} (${formatDate(patient.birthDate)})`;
    let account = null;
    try {
      account = await api.get(`/patients/${patientId}/mailbox`);
    } catch (e) {
      if (e.code !== 'mailbox_not_found') throw e;
    }
    if (!account || account.status === 'invited' || account.status === 'closed') {
      replace(slot, account ? h('p', { class: 'notice', id: 'pm-status' }, t(`pm.status.${account.status}`)) : null,
        inviteForm(patientId, patient, account, () => renderPatientMailbox(main, app, patientId)));
      return;
    }
    await ensureDesk(slot, app, () => conversation(slot, app, patientId, account));
  } catch (e) {
    error.show(e);
  }
}

function inviteForm(patientId, patient, account, done) {
  const error = errorBox();
  const [row, email] = field(t('pm.invite.email'), { id: 'pm-invite-email', type: 'email', required: true, maxlength: 254 });
  email.value = (account && account.email) || patient.email || '';
  const submit = h('button', { class: 'primary', type: 'submit', id: 'pm-invite' }, t('pm.invite'));
  return h('form', {
    class: 'mailbox-invite',
    onsubmit: (event) => {
      event.preventDefault();
      busy(submit, error, async () => {
        await api.post(`/patients/${patientId}/mailbox`, { email: email.value.trim() });
        done();
      });
    },
  }, error, row, submit);
}

async function conversation(slot, app, patientId, account) {
  const patientEd = mc.unb64(account.ed25519Public);
  const error = errorBox();
  const list = h('ul', { class: 'mailbox-list', id: 'pm-messages' });
  const detail = h('section', { class: 'mailbox-detail', id: 'pm-detail', 'aria-live': 'polite' });
  replace(slot,
    h('p', { class: 'notice', id: 'pm-status' }, t(`pm.status.${account.status}`), ' · ', account.email),
    h('button', { type: 'button', class: 'primary', id: 'pm-write', onclick: () => compose(detail, app, patientId, account) }, t('pm.write')),
    error, list, detail);
  const messages = await openAll(await api.get(`/patients/${patientId}/mailbox/messages`), async () => patientEd);
  if (!messages.length) list.append(h('li', { class: 'empty' }, t('mailbox.empty')));
  for (const item of messages) {
    const fromPatient = item.message.direction === 'to_practice';
    const unread = fromPatient && !item.message.readAt;
    list.append(h('li', {}, h('button', {
      type: 'button', class: unread ? 'mailbox-item unread' : 'mailbox-item', 'data-id': item.message.id,
      onclick: (event) => {
        const button = event.currentTarget;
        busy(button, error, async () => {
          const read = await api.post(`/patients/${patientId}/mailbox/messages/${item.message.id}/read`);
          item.message.readAt = read.readAt;
          button.classList.remove('unread');
          show(detail, app, patientId, account, item);
        });
      },
    },
    h('span', { class: 'direction' }, fromPatient ? t('pm.fromPatient') : t('pm.toPatient')),
    h('span', { class: 'subject' }, item.subject ?? t('mailbox.unreadable')),
    h('span', { class: 'when' }, formatDateTime(item.message.createdAt)),
    item.message.readAt ? h('span', { class: 'hint' }, t('pm.read')) : null,
    item.files.length ? h('span', { class: 'clip' }, `${t('mailbox.attachments')}: ${item.files.length}`) : null)));
  }
}

function show(detail, app, patientId, account, item) {
  if (item.subject === null || !item.verified) {
    replace(detail, h('p', { class: 'error' }, item.subject === null ? t('mailbox.unreadable') : t('mailbox.notVerified')));
    return;
  }
  const error = errorBox();
  replace(detail,
    h('h2', { id: 'pm-subject' }, item.subject),
    h('p', { class: 'meta' }, formatDateTime(item.message.createdAt), ' · ', h('span', { class: 'verified' }, t('mailbox.verified'))),
    h('div', { class: 'mailbox-body', id: 'pm-body' }, item.body),
    item.files.length ? h('ul', { class: 'mailbox-files' }, item.files.map((f) => h('li', {},
      h('button', { type: 'button', class: 'link', onclick: () => saveBlob(new Blob([f.bytes], { type: 'application/octet-stream' }), f.name) },
        `${f.name} (${fileSize(f.size)})`)))) : null,
    error,
    h('button', {
      type: 'button', id: 'pm-export-pdf',
      onclick: (event) => busy(event.target, error, async () => {
        await api.post(`/patients/${patientId}/mailbox/messages/${item.message.id}/exports`, { kind: 'pdf' });
        window.print();
      }),
    }, t('pm.exportPdf')),
    fileIntoChat(app, patientId, item, error),
    item.message.direction === 'to_practice'
      ? h('button', { type: 'button', id: 'pm-reply', onclick: () => compose(detail, app, patientId, account, item) }, t('mailbox.reply'))
      : null);
}

/**
 * Files the decrypted message as a text into a room about the patient (the room's own API, so the
 * room's rules hold), then records the export; hidden when there is no such room.
 */
function fileIntoChat(app, patientId, item, error) {
  const rooms = [...app.state.rooms.values()].filter((room) => room.patient && room.patient.id === patientId && !room.encrypted);
  if (!rooms.length) return null;
  const select = h('select', { id: 'pm-file-room', 'aria-label': t('pm.fileRoom') },
    rooms.map((room) => h('option', { value: room.id }, room.title)));
  const button = h('button', {
    type: 'button', id: 'pm-file',
    onclick: () => busy(button, error, async () => {
      const direction = item.message.direction === 'to_practice' ? t('pm.fromPatient') : t('pm.toPatient');
      const text = `${t('pm.filed', { direction, when: formatDateTime(item.message.createdAt) })}\n${item.subject}\n\n${item.body}`;
      await api.post(`/rooms/${select.value}/messages`, { clientMsgId: uuid(), content: text.slice(0, 16000) });
      await api.post(`/patients/${patientId}/mailbox/messages/${item.message.id}/exports`, { kind: 'room', roomId: select.value });
      button.textContent = t('pm.filedDone');
    }),
  }, t('pm.file'));
  return h('span', { class: 'pm-file' }, select, button);
}

function compose(detail, app, patientId, account, replyTo) {
  const error = errorBox();
  const [subjectRow, subject] = field(t('mailbox.subject'), { id: 'pm-new-subject', required: true, maxlength: 300 });
  const [bodyRow, body] = field(t('mailbox.text'), { tag: 'textarea', id: 'pm-new-body', required: true, rows: 8, maxlength: 20000 });
  const [filesRow, files] = field(t('mailbox.attach'), { id: 'pm-new-files', type: 'file', multiple: true });
  if (replyTo) subject.value = replyTo.subject.startsWith('Re: ') ? replyTo.subject : `Re: ${replyTo.subject}`;
  const submit = h('button', { class: 'primary', type: 'submit', id: 'pm-send' }, t('mailbox.send'));
  replace(detail, h('form', {
    class: 'mailbox-compose',
    onsubmit: (event) => {
      event.preventDefault();
      busy(submit, error, async () => {
        const draft = { subject: subject.value, body: body.value, files: [] };
        for (const file of files.files) draft.files.push({ name: file.name, type: file.type, bytes: new Uint8Array(await file.arrayBuffer()) });
        const request = await mc.sealMessage({
          mailboxId: account.id, messageId: uuid(), direction: 'to_patient', draft,
          patientX: mc.unb64(account.x25519Public), practiceX: desk.practice.xPublic, signer: desk.practice,
        });
        await api.post(`/patients/${patientId}/mailbox/messages`, request);
        location.hash = `#/patients/${patientId}/mailbox`;
        const slot = detail.parentElement;
        await conversation(slot, app, patientId, account);
      });
    },
  }, h('h2', {}, replyTo ? t('mailbox.reply') : t('pm.write')), error, subjectRow, bodyRow, filesRow, submit));
  (replyTo ? body : subject).focus();
}

