// The patient's mailbox page (/mailbox): registration from the mailed link, login, and a small
// e-mail client (inbox, sent, read state, attachments, reply, new message). Everything is
// encrypted and decrypted here (mailbox-crypto.js); the session token and the keys live only in
// this page's memory, so a reload asks for the password again.

import * as api from '../api.js';
import { h, replace, uuid, fileSize, saveBlob } from '../dom.js';
import { t, lang, setLang, formatDateTime } from '../i18n.js';
import { field, errorBox, busy } from './forms.js';
import * as mc from '../mailbox-crypto.js';

const PRACTICE_KEY = 'konsil.mailbox.practice';
const EMAIL_KEY = 'konsil.mailbox.email';

let session = null; // { token, me, keys, practiceX, practiceEd }

function call(method, path, json) {
  const headers = session ? { Authorization: `Bearer ${session.token}` } : {};
  return api.call(method, `/mailbox${path}`, { anonymous: true, headers, json });
}

function shell(root, rerender, ...content) {
  replace(root, h('main', { class: 'entry mailbox-page' },
    h('div', { class: 'entry-card mailbox-card' },
      h('div', { class: 'entry-head' },
        h('span', { class: 'brand' }, t('mailbox.title')),
        h('button', {
          class: 'link lang', type: 'button', title: t('lang.switch.label'), lang: lang() === 'de' ? 'en' : 'de',
          onclick: () => { setLang(lang() === 'de' ? 'en' : 'de'); rerender(); },
        }, t('lang.switch'))),
      ...content)));
}

/** Entry of the page: #register=<token>, #practice=<organisation id>, or what was used before. */
export function renderMailbox(root) {
  const params = new URLSearchParams(location.hash.slice(1));
  if (params.get('register')) {
    renderRegistration(root, params.get('register'));
    return;
  }
  if (params.get('reset')) {
    renderResetLink(root, params.get('reset'));
    return;
  }
  if (params.get('practice')) localStorage.setItem(PRACTICE_KEY, params.get('practice'));
  renderMailboxLogin(root);
}

function renderRegistration(root, token) {
  const error = errorBox();
  const rerender = () => renderRegistration(root, token);
  shell(root, rerender, h('p', {}, t('mailbox.checking')));
  call('POST', '/registration-link', { token }).then((link) => {
    const [pwRow, pw] = field(t('mailbox.password'), { id: 'mailbox-password', type: 'password', autocomplete: 'new-password', required: true, minlength: 10, maxlength: 200 });
    const [repeatRow, repeat] = field(t('mailbox.password.repeat'), { id: 'mailbox-password-repeat', type: 'password', autocomplete: 'new-password', required: true, minlength: 10, maxlength: 200 });
    const submit = h('button', { class: 'primary', type: 'submit', id: 'mailbox-register' }, t('mailbox.register.submit'));
    const form = h('form', {
      class: 'login', id: 'mailbox-register-form',
      onsubmit: (event) => {
        event.preventDefault();
        if (pw.value !== repeat.value) {
          error.show(new Error(t('mailbox.password.mismatch')));
          return;
        }
        busy(submit, error, async () => {
          submit.textContent = t('mailbox.deriving');
          const derived = await mc.derive(pw.value, mc.unb64(link.salt), mc.ITERATIONS);
          const keys = await mc.generateKeys(true);
          const wrapped = await mc.wrapKeys(derived.wrappingKey, mc.privateBytes(keys));
          const opened = await call('POST', '/registration', {
            token, loginSecret: mc.b64(derived.loginSecret), iterations: mc.ITERATIONS,
            x25519Public: mc.b64(keys.xPublic), ed25519Public: mc.b64(keys.edPublic), wrappedPrivate: mc.b64(wrapped),
          });
          localStorage.setItem(PRACTICE_KEY, link.organisationId);
          localStorage.setItem(EMAIL_KEY, link.email);
          history.replaceState(null, '', `/mailbox#practice=${link.organisationId}`);
          await startSession(opened.token, keys);
          renderBox(root, 'inbox');
        }).finally(() => { submit.textContent = t('mailbox.register.submit'); });
      },
    }, h('h1', {}, t('mailbox.register.title')),
    h('p', { id: 'mailbox-register-practice' }, t('mailbox.register.hint', { practice: link.practiceName, email: link.email })),
    error, pwRow, repeatRow, submit);
    shell(root, rerender, form);
    pw.focus();
  }).catch((e) => {
    error.show(e);
    shell(root, rerender, h('h1', {}, t('mailbox.register.title')), error);
  });
}

function renderMailboxLogin(root) {
  const practice = localStorage.getItem(PRACTICE_KEY);
  const error = errorBox();
  const rerender = () => renderMailboxLogin(root);
  if (!practice) {
    shell(root, rerender, h('h1', {}, t('mailbox.login.title')), h('p', {}, t('mailbox.login.noPractice')));
    return;
  }
  const [emailRow, email] = field(t('login.email'), { id: 'mailbox-email', type: 'email', autocomplete: 'username', required: true, maxlength: 254 });
  email.value = localStorage.getItem(EMAIL_KEY) || '';
  const [pwRow, pw] = field(t('mailbox.password'), { id: 'mailbox-login-password', type: 'password', autocomplete: 'current-password', required: true, maxlength: 200 });
  const submit = h('button', { class: 'primary', type: 'submit', id: 'mailbox-login' }, t('login.submit'));
  shell(root, rerender, h('form', {
    class: 'login', id: 'mailbox-login-form',
    onsubmit: (event) => {
      event.preventDefault();
      busy(submit, error, async () => {
        const address = email.value.trim().toLowerCase();
        const pre = await call('POST', '/prelogin', { organisationId: practice, email: address });
        const derived = await mc.derive(pw.value, mc.unb64(pre.salt), pre.iterations);
        const opened = await call('POST', '/login', { organisationId: practice, email: address, loginSecret: mc.b64(derived.loginSecret) });
        localStorage.setItem(EMAIL_KEY, address);
        const me = opened.mailbox;
        const privateKeys = await mc.unwrapKeys(derived.wrappingKey, mc.unb64(me.wrappedPrivate));
        await startSession(opened.token, mc.keysFrom(privateKeys, mc.unb64(me.x25519Public), mc.unb64(me.ed25519Public)));
        renderBox(root, 'inbox');
      });
    },
  }, h('h1', {}, t('mailbox.login.title')), error, emailRow, pwRow, submit),
  h('p', { class: 'aside' }, h('button', { type: 'button', class: 'link', id: 'mailbox-forgot', onclick: () => renderForgotten(root, practice) }, t('mailbox.forgot'))));
  (email.value ? pw : email).focus();
}

async function startSession(token, keys) {
  session = { token, keys };
  session.me = await call('GET', '/me');
  session.practiceX = mc.unb64(session.me.practice.x25519Public);
  session.practiceEd = mc.unb64(session.me.practice.ed25519Public);
  session.fingerprint = await mc.fingerprint(session.practiceX, session.practiceEd);
}

async function loadMessages() {
  const list = await call('GET', '/messages');
  const opened = [];
  for (const message of list) {
    const fromPractice = message.direction === 'to_patient';
    try {
      const content = await mc.openMessage(message, session.keys, fromPractice ? session.practiceEd : session.keys.edPublic,
        async (i) => mc.unb64((await call('GET', `/messages/${message.id}/attachments/${i}`)).content));
      opened.push({ message, ...content });
    } catch (e) {
      opened.push({ message, subject: null, body: null, files: [], verified: false });
    }
  }
  return opened;
}

function renderBox(root, folder, selectedId) {
  const rerender = () => renderBox(root, folder, selectedId);
  const error = errorBox();
  const listEl = h('ul', { class: 'mailbox-list', id: 'mailbox-list', 'aria-label': t(`mailbox.${folder}`) });
  const detail = h('section', { class: 'mailbox-detail', id: 'mailbox-detail', 'aria-live': 'polite' });
  const tabs = h('nav', { class: 'mailbox-tabs' },
    ['inbox', 'sent'].map((name) => h('button', {
      type: 'button', class: name === folder ? 'tab active' : 'tab', id: `mailbox-${name}`, 'aria-pressed': name === folder ? 'true' : 'false',
      onclick: () => renderBox(root, name),
    }, t(`mailbox.${name}`))),
    h('button', { type: 'button', class: 'primary', id: 'mailbox-compose', onclick: () => compose(root, detail) }, t('mailbox.new')),
    h('span', { class: 'spacer' }),
    h('button', { type: 'button', class: 'link', id: 'mailbox-logout', onclick: async () => { await call('POST', '/logout').catch(() => {}); session = null; renderMailboxLogin(root); } }, t('logout')));
  shell(root, rerender,
    h('h1', { class: 'mailbox-practice' }, t('mailbox.with', { practice: session.me.practice.name }),
      h('span', { class: 'fingerprint', title: t('mailbox.fingerprint.hint') }, ` · ${t('mailbox.fingerprint')}: ${session.fingerprint}`)),
    session.me.status === 'blocked' ? h('p', { class: 'notice' }, t('mailbox.blocked.notice')) : null,
    session.me.recoveryCreatedAt ? null : h('p', { class: 'notice urge', id: 'mailbox-recovery-urge' }, t('mailbox.recovery.urge'), ' ',
      h('button', { type: 'button', class: 'primary', id: 'mailbox-recovery-start', onclick: () => renderRecoverySheet(root) }, t('mailbox.recovery.create'))),
    tabs, error, listEl, detail, settings(root));
  loadMessages().then((messages) => {
    const shown = messages.filter((m) => (folder === 'inbox') === (m.message.direction === 'to_patient'));
    if (!shown.length) listEl.append(h('li', { class: 'empty' }, t('mailbox.empty')));
    for (const item of shown) {
      const unread = folder === 'inbox' && !item.message.readAt;
      listEl.append(h('li', {},
        h('button', {
          type: 'button', class: unread ? 'mailbox-item unread' : 'mailbox-item', 'data-id': item.message.id,
          onclick: () => show(root, detail, item, folder),
        },
        h('span', { class: 'subject' }, item.subject ?? t('mailbox.unreadable')),
        h('span', { class: 'when' }, formatDateTime(item.message.createdAt)),
        unread ? h('span', { class: 'badge' }, t('mailbox.unread')) : null,
        item.files.length ? h('span', { class: 'clip' }, `${t('mailbox.attachments')}: ${item.files.length}`) : null)));
      if (item.message.id === selectedId) show(root, detail, item, folder);
    }
  }).catch((e) => error.show(e));
}

async function show(root, detail, item, folder) {
  if (folder === 'inbox' && !item.message.readAt) {
    const read = await call('POST', `/messages/${item.message.id}/read`);
    item.message.readAt = read.readAt;
    const button = document.querySelector(`.mailbox-item[data-id="${item.message.id}"]`);
    if (button) {
      button.classList.remove('unread');
      button.querySelector('.badge')?.remove();
    }
  }
  if (item.subject === null) {
    replace(detail, h('p', { class: 'error' }, t('mailbox.unreadable')));
    return;
  }
  replace(detail,
    h('h2', { id: 'mailbox-subject' }, item.subject),
    h('p', { class: 'meta' }, formatDateTime(item.message.createdAt), ' · ',
      item.verified ? h('span', { class: 'verified' }, t('mailbox.verified')) : h('span', { class: 'error' }, t('mailbox.notVerified')),
      item.message.direction === 'to_practice' && item.message.readAt ? ` · ${t('mailbox.readByPractice')}` : ''),
    h('div', { class: 'mailbox-body', id: 'mailbox-body' }, item.verified ? item.body : ''),
    item.verified && item.files.length ? h('ul', { class: 'mailbox-files' }, item.files.map((f) => h('li', {},
      h('button', { type: 'button', class: 'link', onclick: () => saveBlob(new Blob([f.bytes], { type: 'application/octet-stream' }), f.name) },
        `${f.name} (${fileSize(f.size)})`)))) : null,
    folder === 'inbox' ? h('button', { type: 'button', id: 'mailbox-reply', onclick: () => compose(root, detail, item) }, t('mailbox.reply')) : null);
}

function compose(root, detail, replyTo) {
  const error = errorBox();
  const [subjectRow, subject] = field(t('mailbox.subject'), { id: 'mailbox-new-subject', required: true, maxlength: 300 });
  const [bodyRow, body] = field(t('mailbox.text'), { tag: 'textarea', id: 'mailbox-new-body', required: true, rows: 8, maxlength: 20000 });
  const [filesRow, files] = field(t('mailbox.attach'), { id: 'mailbox-new-files', type: 'file', multiple: true });
  if (replyTo) subject.value = replyTo.subject.startsWith('Re: ') ? replyTo.subject : `Re: ${replyTo.subject}`;
  const submit = h('button', { class: 'primary', type: 'submit', id: 'mailbox-send' }, t('mailbox.send'));
  replace(detail, h('form', {
    class: 'mailbox-compose',
    onsubmit: (event) => {
      event.preventDefault();
      busy(submit, error, async () => {
        const draft = { subject: subject.value, body: body.value, files: [] };
        for (const file of files.files) draft.files.push({ name: file.name, type: file.type, bytes: new Uint8Array(await file.arrayBuffer()) });
        const id = uuid();
        const request = await mc.sealMessage({
          mailboxId: session.me.id, messageId: id, direction: 'to_practice', draft,
          patientX: session.keys.xPublic, practiceX: session.practiceX, signer: session.keys,
        });
        await call('POST', '/messages', request);
        renderBox(root, 'sent', id);
      });
    },
  }, h('h2', {}, replyTo ? t('mailbox.reply') : t('mailbox.new')), error, subjectRow, bodyRow, filesRow, submit));
  (replyTo ? body : subject).focus();
}

/** Blocking the practice, and closing the mailbox after an export of everything decrypted. */
function settings(root) {
  const error = errorBox();
  const blocked = session.me.status === 'blocked';
  return h('details', { class: 'mailbox-settings' },
    h('summary', {}, t('mailbox.settings')), error,
    h('button', {
      type: 'button', id: 'mailbox-block',
      onclick: (event) => busy(event.target, error, async () => {
        session.me = { ...session.me, ...(await call('PUT', '/practice-blocked', { blocked: !blocked })) };
        renderBox(root, 'inbox');
      }),
    }, blocked ? t('mailbox.unblock') : t('mailbox.block')),
    h('button', {
      type: 'button', id: 'mailbox-export',
      onclick: (event) => busy(event.target, error, async () => {
        const all = await loadMessages();
        const text = all.map((m) => `${m.message.createdAt} ${m.message.direction === 'to_patient' ? '←' : '→'} ${m.subject}\n\n${m.body}\n${m.files.map((f) => `[${f.name}]`).join(' ')}\n`).join('\n----\n\n');
        saveBlob(new Blob([text], { type: 'text/plain;charset=utf-8' }), 'postfach-export.txt');
      }),
    }, t('mailbox.export')),
    h('button', {
      type: 'button', class: 'danger', id: 'mailbox-close',
      onclick: (event) => busy(event.target, error, async () => {
        if (!confirm(t('mailbox.close.confirm'))) return;
        await call('POST', '/close', { confirm: true });
        session = null;
        shell(root, () => renderMailbox(root), h('p', { class: 'notice' }, t('mailbox.closed')));
      }),
    }, t('mailbox.close')));
}

function passwordPair(prefix) {
  const [pwRow, pw] = field(t('mailbox.password.new'), { id: `${prefix}-password`, type: 'password', autocomplete: 'new-password', required: true, minlength: 10, maxlength: 200 });
  const [repeatRow, repeat] = field(t('mailbox.password.repeat'), { id: `${prefix}-password-repeat`, type: 'password', autocomplete: 'new-password', required: true, minlength: 10, maxlength: 200 });
  const check = () => {
    if (pw.value !== repeat.value) throw new Error(t('mailbox.password.mismatch'));
    return pw.value;
  };
  return [pwRow, repeatRow, check];
}

/** The recovery sheet: the password again, then a code to print (the print dialog saves a PDF). */
function renderRecoverySheet(root) {
  const error = errorBox();
  const [pwRow, pw] = field(t('mailbox.password'), { id: 'mailbox-recovery-password', type: 'password', autocomplete: 'current-password', required: true, maxlength: 200 });
  const submit = h('button', { class: 'primary', type: 'submit', id: 'mailbox-recovery-submit' }, t('mailbox.recovery.create'));
  shell(root, () => renderRecoverySheet(root), h('form', {
    class: 'login', id: 'mailbox-recovery-form',
    onsubmit: (event) => {
      event.preventDefault();
      busy(submit, error, async () => {
        const derived = await mc.derive(pw.value, mc.unb64(session.me.salt), session.me.iterations);
        await mc.unwrapKeys(derived.wrappingKey, mc.unb64(session.me.wrappedPrivate)).catch(() => {
          throw new api.ProblemError(401, 'invalid_credentials', 'wrong password');
        });
        const code = mc.newRecoveryCode();
        const recovery = await mc.deriveRecovery(code);
        const me = await call('PUT', '/recovery', {
          loginSecret: mc.b64(derived.loginSecret), recoverySecret: mc.b64(recovery.recoverySecret),
          wrappedPrivate: mc.b64(await mc.wrapForRecovery(recovery.recoveryKey, mc.privateBytes(session.keys))),
        });
        session.me = { ...session.me, recoveryCreatedAt: me.recoveryCreatedAt };
        shell(root, () => renderBox(root, 'inbox'), h('section', { class: 'recovery-sheet', id: 'mailbox-recovery-sheet' },
          h('h1', {}, t('mailbox.recovery.title')),
          h('p', {}, t('mailbox.with', { practice: session.me.practice.name }), ' · ', session.me.email),
          h('p', { class: 'recovery-code', id: 'mailbox-recovery-code' }, code),
          h('p', {}, t('mailbox.recovery.keep')),
          h('button', { type: 'button', class: 'primary', id: 'mailbox-recovery-print', onclick: () => window.print() }, t('mailbox.recovery.print')),
          h('button', { type: 'button', id: 'mailbox-recovery-done', onclick: () => renderBox(root, 'inbox') }, t('mailbox.recovery.done'))));
      });
    },
  }, h('h1', {}, t('mailbox.recovery.title')), h('p', {}, t('mailbox.recovery.hint')), error, pwRow, submit));
  pw.focus();
}

/** A forgotten password: with the recovery code (keys stay), or a mailed link (new keys). */
function renderForgotten(root, practice) {
  const error = errorBox();
  const [emailRow, email] = field(t('login.email'), { id: 'mailbox-forgot-email', type: 'email', required: true, maxlength: 254 });
  email.value = localStorage.getItem(EMAIL_KEY) || '';
  const [codeRow, code] = field(t('mailbox.recovery.code'), { id: 'mailbox-forgot-code', autocomplete: 'off', maxlength: 40 });
  const [pwRow, repeatRow, newPassword] = passwordPair('mailbox-forgot');
  const submit = h('button', { class: 'primary', type: 'submit', id: 'mailbox-forgot-submit' }, t('mailbox.recovery.reset'));
  const mailError = errorBox();
  const mailButton = h('button', { type: 'button', id: 'mailbox-forgot-mail', onclick: () => busy(mailButton, mailError, async () => {
    await call('POST', '/password-reset', { organisationId: practice, email: email.value.trim().toLowerCase() });
    replace(mailNote, t('mailbox.reset.mailed'));
  }) }, t('mailbox.reset.mail'));
  const mailNote = h('p', { class: 'notice', role: 'status', id: 'mailbox-forgot-mailed' });
  shell(root, () => renderForgotten(root, practice), h('form', {
    class: 'login', id: 'mailbox-forgot-form',
    onsubmit: (event) => {
      event.preventDefault();
      busy(submit, error, async () => {
        const password = newPassword();
        const address = email.value.trim().toLowerCase();
        const recovery = await mc.deriveRecovery(code.value);
        const opened = await call('POST', '/recovery/open', { organisationId: practice, email: address, recoverySecret: mc.b64(recovery.recoverySecret) });
        const privateKeys = await mc.unwrapForRecovery(recovery.recoveryKey, mc.unb64(opened.wrappedPrivate));
        const derived = await mc.derive(password, mc.unb64(opened.salt), mc.ITERATIONS);
        const session0 = await call('POST', '/password', {
          token: opened.resetToken, loginSecret: mc.b64(derived.loginSecret), iterations: mc.ITERATIONS,
          wrappedPrivate: mc.b64(await mc.wrapKeys(derived.wrappingKey, privateKeys)),
        });
        const me = session0.mailbox;
        await startSession(session0.token, mc.keysFrom(privateKeys, mc.unb64(me.x25519Public), mc.unb64(me.ed25519Public)));
        renderBox(root, 'inbox');
      });
    },
  }, h('h1', {}, t('mailbox.forgot')), h('p', {}, t('mailbox.recovery.withCode')), error, emailRow, codeRow, pwRow, repeatRow, submit),
  h('hr'),
  h('p', {}, t('mailbox.reset.withoutCode')), mailError, mailButton, mailNote);
  code.focus();
}

/** The mailed reset link: new keys, after the patient has confirmed that old messages are lost. */
function renderResetLink(root, token) {
  const error = errorBox();
  const rerender = () => renderResetLink(root, token);
  call('POST', '/reset-link', { token }).then((link) => {
    const [pwRow, repeatRow, newPassword] = passwordPair('mailbox-reset');
    const confirmBox = h('input', { type: 'checkbox', id: 'mailbox-reset-confirm', required: true });
    const submit = h('button', { class: 'primary', type: 'submit', id: 'mailbox-reset-submit' }, t('mailbox.reset.submit'));
    shell(root, rerender, h('form', {
      class: 'login', id: 'mailbox-reset-form',
      onsubmit: (event) => {
        event.preventDefault();
        busy(submit, error, async () => {
          const password = newPassword();
          const derived = await mc.derive(password, mc.unb64(link.salt), mc.ITERATIONS);
          const keys = await mc.generateKeys(true);
          const opened = await call('POST', '/password', {
            token, loginSecret: mc.b64(derived.loginSecret), iterations: mc.ITERATIONS,
            wrappedPrivate: mc.b64(await mc.wrapKeys(derived.wrappingKey, mc.privateBytes(keys))),
            x25519Public: mc.b64(keys.xPublic), ed25519Public: mc.b64(keys.edPublic), confirmLoss: confirmBox.checked,
          });
          localStorage.setItem(PRACTICE_KEY, link.organisationId);
          history.replaceState(null, '', `/mailbox#practice=${link.organisationId}`);
          await startSession(opened.token, keys);
          renderBox(root, 'inbox');
        });
      },
    }, h('h1', {}, t('mailbox.reset.title')),
    h('p', { class: 'error', id: 'mailbox-reset-warning' }, t('mailbox.reset.warning')),
    error, pwRow, repeatRow,
    h('label', { class: 'check' }, confirmBox, ' ', t('mailbox.reset.confirm')), submit));
  }).catch((e) => {
    error.show(e);
    shell(root, rerender, h('h1', {}, t('mailbox.reset.title')), error);
  });
}
