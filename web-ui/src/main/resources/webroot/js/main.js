// Entry point: picks the page by path (/register, /set-password, the patient's /mailbox, or the app at /), resumes a
// session from the refresh cookie, and switches between the login and the app.

import * as api from './api.js';
import { App } from './app.js';
import { renderLogin, renderRegister, renderSetPassword, renderEnrolment } from './views/entry.js';
import { renderMailbox } from './views/mailbox.js';
import { renderDownload } from './views/download.js';
import { renderOptOut } from './views/outreach.js';

const root = document.getElementById('app');
let app = null;

function showLogin(reason, message) {
  app = null;
  if (location.pathname !== '/') history.replaceState(null, '', '/');
  renderLogin(root, (user) => enter(user), reason, message);
}

async function enter(user) {
  if (user.secondFactorRequired && !user.secondFactorEnabled) {
    await renderEnrolment(root, async () => enter(await api.refresh()));
    return;
  }
  app = new App(root, user, (reason) => {
    // Nothing of the session stays: the page reloads empty, memory and all.
    if (reason) showLogin(reason);
    else location.replace('/');
  });
  try {
    await app.start();
  } catch (e) {
    showLogin(e.code);
  }
}

api.onSessionEnded((code) => {
  if (app) app.end(code);
});

window.addEventListener('konsil:login', (event) => showLogin(null, event.detail));

async function boot() {
  if (location.pathname === '/register') {
    renderRegister(root);
    return;
  }
  if (location.pathname === '/mailbox') {
    // the patient's page: no staff session is looked for or used there
    renderMailbox(root);
    return;
  }
  if (location.pathname === '/opt-out') {
    // the link in a message to many patients: no login, the token is the credential
    renderOptOut(root);
    return;
  }
  if (location.pathname === '/download') {
    renderDownload(root);
    return;
  }
  if (location.pathname === '/set-password') {
    renderSetPassword(root);
    return;
  }
  let user = null;
  try {
    user = await api.refresh();
  } catch (e) {
    showLogin(e.code);
    return;
  }
  if (user) enter(user);
  else showLogin();
}

boot();
