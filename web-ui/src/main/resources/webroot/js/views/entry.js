// The screens before the app: log in (with the second factor), register with an invitation code,
// set a password from a mailed link, and enrol a second factor when the organisation requires one.

import * as api from '../api.js';
import { h, replace } from '../dom.js';
import { t, lang, setLang, problemText } from '../i18n.js';
import { field, errorBox, busy, notice } from './forms.js';
import { startEnrolment, setupForm, recoveryCodes } from './secondfactor.js';

function page(root, rerender, ...content) {
  replace(root, h('main', { class: 'entry' },
    h('div', { class: 'entry-card' },
      h('div', { class: 'entry-head' },
        h('span', { class: 'brand' }, t('app.name')),
        h('button', {
          class: 'link lang', type: 'button', title: t('lang.switch.label'), lang: lang() === 'de' ? 'en' : 'de',
          onclick: () => { setLang(lang() === 'de' ? 'en' : 'de'); rerender(); },
        }, t('lang.switch'))),
      ...content)));
}

/** Login; calls done(user) once logged in. `reason` is the problem code that ended a session. */
export function renderLogin(root, done, reason, message) {
  const rerender = () => renderLogin(root, done, reason, message);
  const error = errorBox();
  const [emailRow, email] = field(t('login.email'), { id: 'login-email', type: 'email', autocomplete: 'username', required: true, maxlength: 254 });
  const [passwordRow, password] = field(t('login.password'), { id: 'login-password', type: 'password', autocomplete: 'current-password', required: true, maxlength: 200 });
  const submit = h('button', { class: 'primary', type: 'submit', id: 'login-submit' }, t('login.submit'));
  const form = h('form', {
    class: 'login', id: 'login-form',
    onsubmit: (event) => {
      event.preventDefault();
      busy(submit, error, async () => {
        const answer = await api.login(email.value.trim(), password.value);
        if (answer.challenge) renderSecondFactor(root, done, answer.challenge);
        else done(answer.user);
      });
    },
  }, h('h1', {}, t('login.title')), error, emailRow, passwordRow, submit);
  page(root, rerender,
    message ? notice(message) : null,
    reason ? h('p', { class: 'error', role: 'alert', 'data-code': reason }, problemText(reason)) : null,
    form,
    h('p', { class: 'aside' }, h('a', { href: '/register' }, t('login.register'))));
  email.focus();
}

function renderSecondFactor(root, done, challenge) {
  const error = errorBox();
  const [codeRow, code] = field(t('login.code'), { id: 'login-code', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 6 });
  const [recoveryRow, recovery] = field(t('login.recovery'), { id: 'login-recovery', maxlength: 64 });
  const submit = h('button', { class: 'primary', type: 'submit' }, t('login.code.submit'));
  page(root, () => renderSecondFactor(root, done, challenge), h('form', {
    class: 'login',
    onsubmit: (event) => {
      event.preventDefault();
      busy(submit, error, async () => {
        const answer = await api.secondFactor(challenge, code.value.trim() || null, recovery.value.trim() || null);
        done(answer.user);
      });
    },
  }, h('h1', {}, t('login.title')), h('p', {}, t('login.code.hint')), error, codeRow, recoveryRow, submit));
  code.focus();
}

/**
 * Setting up the authenticator app when the organisation requires it. A language switch shows the
 * same enrolment again; the way out logs out.
 */
export async function renderEnrolment(root, done, started) {
  if (!started) {
    try {
      started = await startEnrolment();
    } catch (e) {
      page(root, () => renderEnrolment(root, done), h('p', { class: 'error', role: 'alert' }, problemText(e.code)));
      return;
    }
  }
  const showCodes = (codes) => page(root, () => showCodes(codes), recoveryCodes(codes, () => done()));
  page(root, () => renderEnrolment(root, done, started), setupForm(started, {
    cancelLabel: t('enrol.logout'),
    onCancel: async () => {
      try {
        await api.logout();
      } finally {
        location.replace('/');
      }
    },
    onConfirmed: showCodes,
  }));
  root.querySelector('#enrol-code').focus();
}

/** Registering an invited organisation with the code from the mail or fax (/register). */
export function renderRegister(root) {
  const error = errorBox();
  const given = new URLSearchParams(location.hash.slice(1)).get('code') || new URLSearchParams(location.search).get('code') || '';
  const [codeRow, code] = field(t('register.code'), { id: 'register-code', required: true, maxlength: 64, autocomplete: 'off', value: given });
  const [nameRow, name] = field(t('register.name'), { id: 'register-name', required: true, maxlength: 200 });
  const [emailRow, email] = field(t('register.email'), { id: 'register-email', type: 'email', required: true, maxlength: 254, autocomplete: 'username' });
  const [passwordRow, password] = field(t('register.password'), { id: 'register-password', type: 'password', required: true, minlength: 10, maxlength: 200, autocomplete: 'new-password' });
  const submit = h('button', { class: 'primary', type: 'submit', id: 'register-submit' }, t('register.submit'));
  page(root, () => renderRegister(root), h('form', {
    class: 'login', id: 'register-form',
    onsubmit: (event) => {
      event.preventDefault();
      busy(submit, error, async () => {
        await api.call('POST', '/registrations', {
          anonymous: true,
          json: { code: code.value.trim(), adminName: name.value.trim(), adminEmail: email.value.trim(), password: password.value },
        });
        history.replaceState(null, '', '/');
        location.hash = '';
        window.dispatchEvent(new CustomEvent('konsil:login', { detail: t('register.done') }));
      });
    },
  }, h('h1', {}, t('register.title')), error, codeRow, nameRow, emailRow, passwordRow, submit));
}

/** Setting a password from an admin's link (/set-password#token=...). */
export function renderSetPassword(root) {
  const error = errorBox();
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  const [passwordRow, password] = field(t('password.new'), { id: 'new-password', type: 'password', required: true, minlength: 10, maxlength: 200, autocomplete: 'new-password' });
  const [repeatRow, repeat] = field(t('password.repeat'), { id: 'repeat-password', type: 'password', required: true, maxlength: 200, autocomplete: 'new-password' });
  const submit = h('button', { class: 'primary', type: 'submit', id: 'password-submit' }, t('password.submit'));
  page(root, () => renderSetPassword(root), token ? h('form', {
    class: 'login', id: 'password-form',
    onsubmit: (event) => {
      event.preventDefault();
      if (password.value !== repeat.value) {
        error.show(t('password.mismatch'));
        return;
      }
      busy(submit, error, async () => {
        await api.call('POST', '/auth/set-password', { anonymous: true, json: { token, password: password.value } });
        history.replaceState(null, '', '/');
        window.dispatchEvent(new CustomEvent('konsil:login', { detail: t('password.done') }));
      });
    },
  }, h('h1', {}, t('password.title')), error, passwordRow, repeatRow, submit)
    : h('p', { class: 'error', role: 'alert' }, t('password.noToken')));
}
