// Setting up the authenticator app: the QR code of the otpauth URI (drawn by the server as SVG),
// the key as text for typing in, the first code, and the recovery codes to copy or print. Used at
// the login when the organisation requires it and from the settings when a user chooses to.

import * as api from '../api.js';
import { h, replace } from '../dom.js';
import { t } from '../i18n.js';
import { field, errorBox, busy, notice } from './forms.js';

/** Starts an enrolment: answers {secret, otpauthUri, qrCodeSvg}. */
export function startEnrolment() {
  return api.post('/me/second-factor', {});
}

/**
 * The set-up form for a started enrolment. The same enrolment is shown again after a language
 * switch (starting anew would replace the secret the app may have scanned already).
 */
export function setupForm(started, { onConfirmed, onCancel, cancelLabel }) {
  const error = errorBox();
  const [codeRow, code] = field(t('login.code'), { id: 'enrol-code', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 6, required: true });
  const submit = h('button', { class: 'primary', type: 'submit', id: 'enrol-submit' }, t('login.code.submit'));
  const cancel = h('button', { class: 'secondary', type: 'button', id: 'enrol-cancel', onclick: () => onCancel() }, cancelLabel);
  return h('form', {
    class: 'login enrol', id: 'enrol-form',
    onsubmit: (event) => {
      event.preventDefault();
      busy(submit, error, async () => {
        const answer = await api.post('/me/second-factor/confirm', { code: code.value.trim() });
        onConfirmed(answer.recoveryCodes || []);
      });
    },
  },
  h('h1', {}, t('enrol.title')),
  h('p', {}, t('enrol.hint')),
  h('ol', { class: 'enrol-steps' },
    h('li', {}, t('enrol.step.scan'),
      h('img', {
        class: 'qr', id: 'enrol-qr', width: 220, height: 220, alt: t('enrol.qr.alt'),
        src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(started.qrCodeSvg || '')}`,
      })),
    h('li', {}, t('enrol.step.type'),
      h('p', { class: 'secret' }, h('code', { id: 'enrol-secret' }, started.secret || ''))),
    h('li', {}, t('enrol.step.code'))),
  error, codeRow,
  h('div', { class: 'actions' }, submit, cancel));
}

/** The recovery codes, shown once, with copy and print. */
export function recoveryCodes(codes, onContinue) {
  const status = h('div', { class: 'status-slot', role: 'status' });
  const text = codes.join('\n');
  const copy = h('button', { class: 'secondary', type: 'button', id: 'copy-codes' }, t('enrol.copy'));
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text);
      replace(status, notice(t('enrol.copied')));
    } catch (e) {
      // no clipboard (a plain-HTTP address, or refused): select the codes for Ctrl+C instead
      const range = document.createRange();
      range.selectNodeContents(list);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      replace(status, notice(t('enrol.copySelect')));
    }
  });
  const print = h('button', { class: 'secondary', type: 'button', id: 'print-codes', onclick: () => window.print() }, t('enrol.print'));
  const list = h('ul', { class: 'recovery-codes', id: 'recovery-codes' }, codes.map((c) => h('li', {}, h('code', {}, c))));
  return h('section', { class: 'recovery printable' },
    h('h1', {}, t('enrol.recovery.title')),
    h('p', {}, t('enrol.recovery')),
    list,
    h('div', { class: 'actions no-print' }, copy, print),
    status,
    h('button', { class: 'primary no-print', type: 'button', id: 'enrol-continue', onclick: () => onContinue() }, t('enrol.continue')));
}

/** The settings' own page (#/second-factor): set up by choice, with a way back. */
export async function renderSecondFactorPage(main, app) {
  const section = h('section', { class: 'settings second-factor' });
  replace(main, section);
  const done = () => {
    app.state.recoveryCodes = null;
    location.hash = '#/settings';
  };
  if (app.state.recoveryCodes) {
    // still showing them (a language switch redraws the page): they are not shown a second time later
    replace(section, recoveryCodes(app.state.recoveryCodes, done));
    return;
  }
  if (app.state.user.secondFactorEnabled) {
    replace(section, h('h1', {}, t('enrol.title')), notice(t('settings.2fa.on')));
    return;
  }
  const error = errorBox();
  if (!app.state.enrolment) {
    try {
      app.state.enrolment = await startEnrolment();
    } catch (e) {
      error.show(e);
      replace(section, h('h1', {}, t('enrol.title')), error, h('a', { href: '#/settings' }, t('enrol.back')));
      return;
    }
  }
  replace(section, setupForm(app.state.enrolment, {
    cancelLabel: t('enrol.back'),
    onCancel: () => { location.hash = '#/settings'; },
    onConfirmed: (codes) => {
      app.state.enrolment = null;
      app.state.user.secondFactorEnabled = true;
      app.state.recoveryCodes = codes;
      replace(section, recoveryCodes(codes, done));
    },
  }));
  main.querySelector('#enrol-code').focus();
}
