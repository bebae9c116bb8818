// Admin: the waiting room's live figures (GET /admin/queue every 2 s) and the admission-policy form
// (PUT /admin/queue with only the fields the admin changed).

import { watchAdmin } from './admin-watch.js';
import { request } from './api.js';
import { $, busy, el } from './dom.js';
import { clearError, showError, showNotice } from './feedback.js';
import { fromLocalInput, toLocalInput } from './format.js';

const REFRESH_MS = 2000;
const FIGURE_LABELS = {
  waiting: 'Waiting',
  active: 'Shopping now (active)',
  admitted_last_minute: 'Admitted in the last minute',
};
const NUMBER_FIELDS = ['max_active', 'admit_per_minute', 'active_ttl_seconds', 'claim_seconds'];

let loadedPolicy = null;
let paused = false;

/** Refresh the figures every 2 s until the signal aborts. `key()` gives the admin key. */
export function watchQueue(signal, key) {
  loadedPolicy = null;
  watchAdmin('/admin/queue', {
    everyMs: REFRESH_MS, signal, key, paused: () => paused, render, status: $('#figures-updated'),
  });
}

export function initQueueAdmin(key) {
  const pause = $('#figures-pause');
  pause.addEventListener('click', () => {
    paused = !paused;
    pause.setAttribute('aria-pressed', String(paused));
    pause.textContent = paused ? 'Resume updates' : 'Pause updates';
  });
  $('#policy-opens-none').addEventListener('change', (event) => {
    $('#policy-opens-at').disabled = event.target.checked;
  });
  $('#policy-form').addEventListener('submit', (event) => {
    event.preventDefault();
    busy($('#policy-submit'), () => savePolicy(key));
  });
}

function render(state) {
  const figures = Object.entries(state).filter(([name, value]) => name !== 'policy' && typeof value !== 'object');
  $('#queue-figures').replaceChildren(...figures.map(([name, value]) => el('div', { class: 'figure' },
    el('dt', {}, FIGURE_LABELS[name] ?? sentence(name)),
    el('dd', { id: `fig-${name.replaceAll('_', '-')}` }, String(value)))));
  const policy = state.policy ?? {};
  $('#policy-current').textContent = `Policy now: ${Object.entries(policy)
    .map(([name, value]) => `${name} ${value ?? '—'}`).join(' · ')}`;
  $('#figures-updated').textContent = `Updated ${new Date().toLocaleTimeString()}; refreshes every 2 s.`;
  if (!loadedPolicy || !formIsDirty()) fillPolicy(policy);
}

function sentence(name) {
  const words = name.replaceAll('_', ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function fillPolicy(policy) {
  loadedPolicy = policy;
  for (const name of NUMBER_FIELDS) {
    const input = $(`#policy-form [name="${name}"]`);
    input.value = policy[name] ?? '';
  }
  $('#policy-opens-at').value = policy.opens_at ? toLocalInput(policy.opens_at) : '';
  $('#policy-opens-none').checked = !policy.opens_at;
  $('#policy-opens-at').disabled = !policy.opens_at;
}

function formIsDirty() {
  return Object.keys(changes()).length > 0;
}

// The fields whose value differs from the policy last loaded.
function changes() {
  const body = {};
  for (const name of NUMBER_FIELDS) {
    const text = $(`#policy-form [name="${name}"]`).value.trim();
    if (text === '' || Number(text) === Number(loadedPolicy?.[name])) continue;
    body[name] = Number(text);
  }
  const none = $('#policy-opens-none').checked;
  const typed = $('#policy-opens-at').value;
  const opensAt = none || !typed ? null : fromLocalInput(typed);
  if (wholeSeconds(opensAt) !== wholeSeconds(loadedPolicy?.opens_at) && (none || typed)) body.opens_at = opensAt;
  return body;
}

function wholeSeconds(iso) {
  return iso ? Math.floor(Date.parse(iso) / 1000) : null;
}

async function savePolicy(key) {
  const body = changes();
  if (Object.keys(body).length === 0) {
    showNotice('Nothing changed: edit a field first.');
    return;
  }
  clearError();
  try {
    const state = await request('/admin/queue', { method: 'PUT', json: body, adminKey: key() });
    loadedPolicy = null;
    if (state?.policy) render(state);
    showNotice(`Policy saved: ${Object.keys(body).join(', ')}.`);
  } catch (error) {
    showError(error, { form: $('#policy-form'), retry: () => savePolicy(key) });
  }
}
