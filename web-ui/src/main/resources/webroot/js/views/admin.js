// Organisation administration (users, second factor for everyone) and the user's own settings.

import * as api from '../api.js';
import { h, replace } from '../dom.js';
import { t } from '../i18n.js';
import { field, errorBox, busy, notice } from './forms.js';

export async function renderAdmin(main, app) {
  const error = errorBox();
  const status = h('div', { class: 'status-slot', role: 'status' });
  const table = h('tbody', {});
  const requireBox = h('input', { type: 'checkbox', id: 'require-2fa' });
  const [nameRow, name] = field(t('admin.name'), { id: 'user-name', required: true, maxlength: 200 });
  const [emailRow, email] = field(t('admin.email'), { id: 'user-email', type: 'email', required: true, maxlength: 254 });
  const role = h('select', { id: 'user-role' },
    h('option', { value: 'member' }, t('admin.role.member')), h('option', { value: 'admin' }, t('admin.role.admin')));
  const addButton = h('button', { class: 'primary', type: 'submit', id: 'user-add' }, t('admin.add'));

  const load = async () => {
    const [organisation, users] = await Promise.all([api.get('/organisation'), api.get('/organisation/users')]);
    requireBox.checked = organisation.requireSecondFactor;
    replace(table, users.map((user) => h('tr', { 'data-user': user.id },
      h('td', {}, user.displayName), h('td', {}, user.email), h('td', {}, t(`admin.role.${user.role}`)),
      h('td', { class: `user-status ${user.status}` }, t(`admin.status.${user.status}`)),
      h('td', { class: 'actions' },
        user.id === app.state.user.id ? null
          : user.status === 'disabled'
            ? action(t('admin.enable'), `/organisation/users/${user.id}/enable`)
            : action(t('admin.disable'), `/organisation/users/${user.id}/disable`),
        action(t('admin.link'), `/organisation/users/${user.id}/password-link`, t('admin.link.sent', { email: user.email })),
        roleAction(user),
        user.secondFactorEnabled ? resetAction(user) : null))));
  };

  // The server keeps one active admin at least (last_admin) and audits the change.
  const roleAction = (user) => {
    const next = user.role === 'admin' ? 'member' : 'admin';
    const button = h('button', { class: 'link role-change', type: 'button' }, t(`admin.makeRole.${next}`));
    button.addEventListener('click', () => busy(button, error, async () => {
      await api.put(`/organisation/users/${user.id}/role`, { role: next });
      replace(status, notice(t('admin.roleChanged', { name: user.displayName, role: t(`admin.role.${next}`) })));
      await load();
    }));
    return button;
  };

  // Two clicks: taking away a second factor should not happen by a slip.
  const resetAction = (user) => {
    const button = h('button', { class: 'link reset-2fa', type: 'button' }, t('admin.reset2fa'));
    button.addEventListener('click', () => {
      if (!button.dataset.armed) {
        button.dataset.armed = 'true';
        button.textContent = t('admin.reset2fa.confirm');
        return;
      }
      busy(button, error, async () => {
        await api.post(`/organisation/users/${user.id}/second-factor-reset`, {});
        replace(status, notice(t('admin.reset2fa.done', { name: user.displayName })));
        await load();
      });
    });
    return button;
  };

  const action = (label, path, done) => {
    const button = h('button', { class: 'link', type: 'button' }, label);
    button.addEventListener('click', () => busy(button, error, async () => {
      await api.post(path, {});
      replace(status, done ? notice(done) : null);
      await load();
    }));
    return button;
  };

  requireBox.addEventListener('change', () => busy(requireBox, error, async () => {
    await api.patch('/organisation', { requireSecondFactor: requireBox.checked });
    replace(status, notice(t('settings.saved')));
  }));

  const form = h('form', {
    class: 'add-user', id: 'add-user',
    onsubmit: (event) => {
      event.preventDefault();
      busy(addButton, error, async () => {
        await api.post('/organisation/users', { email: email.value.trim(), displayName: name.value.trim(), role: role.value });
        replace(status, notice(t('admin.added', { email: email.value.trim() })));
        name.value = '';
        email.value = '';
        await load();
      });
    },
  }, h('h2', {}, t('admin.add')), nameRow, emailRow, h('label', { class: 'field' }, h('span', {}, t('admin.role')), role), addButton);

  replace(main, h('section', { class: 'admin' },
    h('h1', {}, t('admin.title')),
    error, status,
    h('h2', {}, t('admin.users')),
    h('div', { class: 'table-wrap' }, h('table', { class: 'users' },
      h('thead', {}, h('tr', {}, h('th', {}, t('admin.name')), h('th', {}, t('admin.email')), h('th', {}, t('admin.role')), h('th', {}, t('admin.state')), h('th', {}, h('span', { class: 'visually-hidden' }, t('admin.actions'))))),
      table)),
    form,
    h('label', { class: 'check' }, requireBox, h('span', {}, t('admin.require2fa')))));
  try {
    await load();
  } catch (e) {
    error.show(e);
  }
}

export function renderSettings(main, app) {
  const error = errorBox();
  const status = h('div', { class: 'status-slot', role: 'status' });
  const notify = h('input', { type: 'checkbox', id: 'notify-by-email', checked: app.state.user.notifyByEmail });
  notify.addEventListener('change', () => busy(notify, error, async () => {
    const user = await api.patch('/me', { notifyByEmail: notify.checked });
    if (user && typeof user.notifyByEmail === 'boolean') app.state.user.notifyByEmail = user.notifyByEmail;
    else app.state.user.notifyByEmail = notify.checked;
    replace(status, notice(t('settings.saved')));
  }));
  replace(main, h('section', { class: 'settings' },
    h('h1', {}, t('settings.title')), error, status,
    h('label', { class: 'check' }, notify, h('span', {}, t('settings.notify'))),
    h('h2', {}, t('settings.2fa')),
    app.state.user.secondFactorEnabled
      ? h('p', { id: 'second-factor-state' }, t('settings.2fa.on'))
      : h('p', { id: 'second-factor-state' }, t('settings.2fa.off'), ' ',
        h('a', { class: 'button secondary', href: '#/second-factor', id: 'setup-second-factor' }, t('settings.2fa.setup')))));
}
