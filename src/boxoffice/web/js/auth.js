// Sign up and log in. The access token from /auth/token is kept in sessionStorage for this tab.

import { request } from './api.js';
import { $, busy, formValues } from './dom.js';
import { invalid } from './errors.js';
import { clearError, showError } from './feedback.js';
import { go, showScreen } from './screens.js';
import { forgetAccess, forgetEverything, keepFor, session } from './session.js';

const USERNAME = /^[a-z0-9_.-]{3,32}$/;

export function initAuth() {
  $('#login-form').addEventListener('submit', (event) => {
    event.preventDefault();
    logIn($('#login-form'), $('#login-submit'));
  });
  $('#signup-form').addEventListener('submit', (event) => {
    event.preventDefault();
    signUp($('#signup-form'));
  });
  $('#logout-button').addEventListener('click', logOut);
}

export function showAuth() {
  showScreen('auth');
  document.title = 'boxoffice — concert tickets';
  $('#nav').hidden = true;
  $('#pass-banner').hidden = true;
}

/** Forget the log-in after an UNAUTHENTICATED answer and ask for it again (the place in line
 * and an open hold are kept for the same fan: `forgetAccess`). */
export function sessionEnded() {
  forgetAccess();
  showAuth();
  $('#login-username').focus();
}

async function logIn(form, button) {
  const { username, password } = credentialsFrom(form);
  if (!username || !password) {
    showMissing(form, username, password);
    return;
  }
  clearError();
  await busy(button, async () => {
    try {
      await obtainToken(username, password);
      form.reset();
      go.afterLogin();
    } catch (error) {
      showError(error, { form, retry: () => logIn(form, button) });
    }
  });
}

async function signUp(form) {
  const { username, password } = credentialsFrom(form);
  const problems = {};
  if (!USERNAME.test(username)) problems.username = 'use 3–32 characters: a–z, 0–9, _ . -';
  if (password.length < 8 || password.length > 128) problems.password = 'use 8 to 128 characters';
  if (Object.keys(problems).length) {
    showError(invalid(problems), { form });
    return;
  }
  clearError();
  await busy($('#signup-submit'), async () => {
    try {
      await request('/users', { method: 'POST', json: { username, password } });
      await obtainToken(username, password);
      form.reset();
      go.afterLogin();
    } catch (error) {
      showError(error, { form, retry: () => signUp(form) });
    }
  });
}

async function obtainToken(username, password) {
  const token = await request('/auth/token', { method: 'POST', form: { username, password } });
  keepFor(username);
  session.accessToken = token.access_token;
  session.username = username;
}

function credentialsFrom(form) {
  const values = formValues(form);
  return { username: (values.username || '').trim(), password: values.password || '' };
}

function showMissing(form, username, password) {
  const problems = {};
  if (!username) problems.username = 'enter your username';
  if (!password) problems.password = 'enter your password';
  showError(invalid(problems), { form });
}

function logOut() {
  forgetEverything();
  showAuth();
}
