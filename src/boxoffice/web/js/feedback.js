// The page's two live regions: #status for passing notices (retrying, saved) and #error for
// problems, with a button for the next step and the invalid fields marked on their form.

import { onAutomaticRetry } from './api.js';
import { ACTION_LABELS, describeError, retryNotice } from './errors.js';
import { $, el } from './dom.js';

let actionHandlers = {};
let immediateActions = new Set();
let noticeTimer = null;
let retryTimer = null;
let retryCount = null; // the number inside the retry's notice while #status shows it

/**
 * Map action names ('login', 'join', 'topup', ...) to functions; unknown actions show no button.
 * Actions named in `immediate` run at once instead of waiting for a click (e.g. back to log in).
 */
export function setActionHandlers(handlers, { immediate = [] } = {}) {
  actionHandlers = { reload: () => location.reload(), ...handlers };
  immediateActions = new Set(immediate);
  $('#error-dismiss').addEventListener('click', clearError);
  onAutomaticRetry(showRetryCountdown);
}

/**
 * Show an error in words. Options: form (mark its invalid fields), message (override the text),
 * action (override the follow-up), retry (function the "Try again" button runs).
 */
export function showError(error, options = {}) {
  const described = describeError(error);
  const message = options.message ?? described.message;
  const actionName = options.action !== undefined ? options.action : described.action;
  for (const input of document.querySelectorAll('[aria-invalid="true"]')) unmark(input);
  $('#error-message').textContent = message;
  renderFields(described.fields);
  if (options.form) markFields(options.form, described.fields);
  $('#error').hidden = false;
  $('#error').scrollIntoView({ block: 'nearest' });
  if (immediateActions.has(actionName) && actionHandlers[actionName]) {
    $('#error-action').hidden = true;
    actionHandlers[actionName]();
  } else {
    renderAction(actionName, options.retry);
  }
  if (!(typeof error === 'object' && error !== null && 'status' in error)) console.warn(error); // a bug in this page
}

export function clearError() {
  $('#error').hidden = true;
  $('#error-message').textContent = '';
  $('#error-fields').replaceChildren();
  $('#error-action').hidden = true;
  for (const input of document.querySelectorAll('[aria-invalid="true"]')) unmark(input);
}

/** A passing notice; it fades after `seconds` unless 0. */
export function showNotice(text, seconds = 6) {
  clearTimeout(noticeTimer);
  const notice = $('#status');
  notice.textContent = text;
  notice.hidden = false;
  if (seconds > 0) noticeTimer = setTimeout(clearNotice, seconds * 1000);
}

export function clearNotice() {
  clearTimeout(noticeTimer);
  $('#status').hidden = true;
  $('#status').textContent = '';
}

function renderAction(actionName, retry) {
  const button = $('#error-action');
  const handler = actionName === 'retry' ? retry : actionHandlers[actionName];
  if (!actionName || !handler) {
    button.hidden = true;
    return;
  }
  button.textContent = ACTION_LABELS[actionName] ?? actionName;
  button.onclick = () => {
    clearError();
    handler();
  };
  button.hidden = false;
}

function renderFields(fields) {
  const items = fields.map(({ field, message }) => el('li', {}, field ? `${field}: ${message}` : message));
  $('#error-fields').replaceChildren(...items);
}

// Field names from the API (e.g. "seat_numbers.0", "amount") are matched against input names.
function markFields(form, fields) {
  for (const { field, message } of fields) {
    const name = field.split('.')[0];
    const input = name && form.querySelector(`[name="${CSS.escape(name)}"]`);
    if (!input) continue;
    input.setAttribute('aria-invalid', 'true');
    const hint = el('p', { class: 'field-error', id: `${input.id}-error` }, message);
    input.insertAdjacentElement('afterend', hint);
    const describedBy = (input.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
    input.setAttribute('aria-describedby', [...describedBy, hint.id].join(' '));
  }
  form.querySelector('[aria-invalid="true"]')?.focus();
}

function unmark(input) {
  input.removeAttribute('aria-invalid');
  const hintId = `${input.id}-error`;
  document.getElementById(hintId)?.remove();
  const rest = (input.getAttribute('aria-describedby') || '').split(' ').filter((id) => id && id !== hintId);
  if (rest.length) input.setAttribute('aria-describedby', rest.join(' '));
  else input.removeAttribute('aria-describedby');
}

function showRetryCountdown(error, seconds) {
  clearInterval(retryTimer);
  if (!error) {
    // Only the retry's own notice goes: another one shown since (e.g. "Your payment went
    // through" as the screen is left) stays.
    if (retryCount && $('#status').contains(retryCount)) clearNotice();
    retryCount = null;
    return;
  }
  let left = seconds;
  showNotice(retryNotice(error, left), 0);
  // Say it once; after that only the number changes, inside a part that is not re-announced.
  const [before, after] = retryNotice(error, '\u0000').split('\u0000');
  const count = el('span', { 'aria-live': 'off' }, String(left));
  retryCount = count;
  $('#status').replaceChildren(before, count, after);
  retryTimer = setInterval(() => {
    left -= 1;
    if (left <= 0) clearInterval(retryTimer);
    else count.textContent = String(left);
  }, 1000);
}
