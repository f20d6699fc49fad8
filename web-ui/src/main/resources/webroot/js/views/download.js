// The public download page of a secure delivery: the link's secret is the part after '#' (it never
// reaches a server log), the page asks for the verification value and saves the document. No login.

import * as api from '../api.js';
import { h, replace, saveBlob } from '../dom.js';
import { t, lang, setLang, problemText, formatDateTime } from '../i18n.js';
import { field, errorBox, busy, notice } from './forms.js';

export async function renderDownload(root) {
  const token = location.hash.replace(/^#/, '');
  const rerender = () => renderDownload(root);
  const card = h('div', { class: 'entry-card download-card' });
  replace(root, h('main', { class: 'entry' }, card));
  const head = h('div', { class: 'entry-head' },
    h('span', { class: 'brand' }, t('app.name')),
    h('button', {
      class: 'link lang', type: 'button', title: t('lang.switch.label'), lang: lang() === 'de' ? 'en' : 'de',
      onclick: () => { setLang(lang() === 'de' ? 'en' : 'de'); rerender(); },
    }, t('lang.switch')));
  let info;
  try {
    info = await api.call('POST', '/delivery-links/open', { json: { token }, anonymous: true });
  } catch (e) {
    replace(card, head, h('h1', {}, t('download.title')),
      h('p', { class: 'error', role: 'alert', id: 'download-problem', 'data-code': e.code }, problemText(e.code)));
    return;
  }
  const error = errorBox();
  error.id = 'download-error';
  const asks = info.verification;
  const [valueRow, value] = asks === 'none' ? [null, null] : field(t(`download.ask.${asks}`), {
    id: 'download-value',
    // a text field, not type=date: the browser's date picker follows the system's locale, while
    // older recipients type their birth date the way they write it (23.04.1950; 1950-04-23 works too)
    type: 'text',
    placeholder: asks === 'birth_date' ? t('download.datePlaceholder') : undefined,
    inputmode: asks === 'sms_code' ? 'numeric' : undefined,
    autocomplete: asks === 'sms_code' ? 'one-time-code' : 'off',
    maxlength: 40,
    required: true,
  });
  const submit = h('button', { class: 'primary', type: 'submit', id: 'download-submit' }, t('download.submit'));
  const done = h('div', { id: 'download-done' });
  const form = h('form', {
    class: 'login', id: 'download-form',
    onsubmit: (event) => {
      event.preventDefault();
      busy(submit, error, async () => {
        const json = { token };
        if (value) json.value = value.value.trim();
        const response = await api.call('POST', '/delivery-links/download', { json, anonymous: true, raw: true });
        const disposition = response.headers.get('Content-Disposition') || '';
        const match = /filename\*=UTF-8''([^;]+)/.exec(disposition);
        const name = match ? decodeURIComponent(match[1]) : 'dokument';
        saveBlob(await response.blob(), name);
        form.hidden = true;
        replace(done, notice(t('download.done', { name })));
      });
    },
  },
  h('p', {}, t('download.from', { organisation: info.organisation })),
  h('p', { class: 'hint' }, t('download.valid', { date: formatDateTime(info.expiresAt) })),
  error, valueRow, submit);
  replace(card, head, h('h1', {}, t('download.title')), form, done,
    h('p', { class: 'aside' }, t('download.once')));
  if (value) value.focus();
}
