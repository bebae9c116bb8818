// Admin: the house line of the waiting room. Its live figures (GET /admin/queue every 2 s, which
// the admin can pause) and its admission policy (PUT /admin/queue with only the fields the admin
// changed). Each concert's own line is in admin-lines.js.

import { policyForm } from './admin-policy.js';
import { watchAdmin } from './admin-watch.js';
import { request } from './api.js';
import { $, busy, el } from './dom.js';
import { clearError, showError, showNotice } from './feedback.js';

const REFRESH_MS = 2000;
const FIGURE_LABELS = {
  waiting: 'Waiting',
  active: 'Shopping now (active)',
  admitted_last_minute: 'Admitted in the last minute',
};

let paused = false;
let housePolicy = null;

/** Are the updates paused (the "Pause updates" button)? The concerts' lines pause with them. */
export function isPaused() {
  return paused;
}

/** Refresh the figures every 2 s until the signal aborts. */
export function watchQueue(signal, key) {
  housePolicy.forget();
  watchAdmin('/admin/queue', {
    everyMs: REFRESH_MS, signal, key, paused: () => paused, render, status: $('#figures-updated'),
  });
}

/** `key()` gives the admin key. */
export function initQueueAdmin(key) {
  housePolicy = policyForm($('#policy-form'));
  const pause = $('#figures-pause');
  pause.addEventListener('click', () => {
    paused = !paused;
    pause.setAttribute('aria-pressed', String(paused));
    pause.textContent = paused ? 'Resume updates' : 'Pause updates';
  });
  $('#policy-form').addEventListener('submit', (event) => {
    event.preventDefault();
    busy($('#policy-submit'), () => savePolicy(key));
  });
}

function render(state) {
  const figures = Object.entries(state).filter(([name, value]) => name !== 'policy' && typeof value !== 'object'
    && typeof value !== 'boolean');
  $('#queue-figures').replaceChildren(...figures.map(([name, value]) => el('div', { class: 'figure' },
    el('dt', {}, FIGURE_LABELS[name] ?? sentence(name)),
    el('dd', { id: `fig-${name.replaceAll('_', '-')}` }, String(value)))));
  const policy = state.policy ?? {};
  $('#policy-current').textContent = `Policy now: ${Object.entries(policy)
    .map(([name, value]) => `${name} ${value ?? '—'}`).join(' · ')}`;
  $('#figures-updated').textContent = `Updated ${new Date().toLocaleTimeString()}; refreshes every 2 s.`;
  if (!housePolicy.isLoaded() || !housePolicy.isDirty()) housePolicy.fill(policy);
}

function sentence(name) {
  const words = name.replaceAll('_', ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

async function savePolicy(key) {
  const body = housePolicy.changes();
  if (Object.keys(body).length === 0) {
    housePolicy.forget(); // the next refresh shows the policy as it is
    showNotice('Nothing changed: edit a field first.');
    return;
  }
  clearError();
  try {
    const state = await request('/admin/queue', { method: 'PUT', json: body, adminKey: key() });
    housePolicy.forget();
    if (state?.policy) render(state);
    showNotice(`Policy saved: ${Object.keys(body).join(', ')}.`);
  } catch (error) {
    showError(error, { form: $('#policy-form'), retry: () => savePolicy(key) });
  }
}
