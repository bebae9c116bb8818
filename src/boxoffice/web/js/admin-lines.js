// Admin: each concert's line (/admin/concerts/{id}/queue): whether it has one of its own and that
// line's figures (every 5 s, paused with the house line's figures), giving it one, changing its
// policy, or giving it up.

import { policyForm } from './admin-policy.js';
import { isPaused } from './admin-queue.js';
import { isTransient, request } from './api.js';
import { $, busy, el, isAbort, repeat } from './dom.js';
import { clearError, showError, showNotice } from './feedback.js';

const LINES_REFRESH_MS = 5000;

let lineEditor = null;
const lines = new Map(); // concert id → {concert, item, state}
let editing = null; // the concert whose line the line form edits

/** Refresh the concerts' lines every 5 s until the signal aborts. */
export function watchLines(signal, key) {
  repeat(LINES_REFRESH_MS, signal, () => isPaused() || document.hidden || refreshLines(key, signal));
}

/** `key()` gives the admin key. */
export function initLinesAdmin(key) {
  lineEditor = policyForm($('#line-form'));
  $('#line-form').addEventListener('submit', (event) => {
    event.preventDefault();
    busy($('#line-submit'), () => saveLine(key));
  });
  $('#line-form-close').addEventListener('click', closeLineForm);
}

/** List the concerts, each with its line (kept items keep their buttons, and so the focus). */
export function showConcertLines(concerts, key) {
  const shown = new Set(concerts.map((concert) => String(concert.id)));
  if (editing && !shown.has(editing)) closeLineForm();
  for (const id of lines.keys()) if (!shown.has(id)) lines.delete(id);
  for (const concert of concerts) {
    const id = String(concert.id);
    if (lines.has(id)) lines.get(id).concert = concert;
    else lines.set(id, { concert, item: lineItem(concert, key), state: null });
  }
  const items = [...lines.values()].map((line) => line.item);
  $('#concert-lines').replaceChildren(...(items.length ? items : [el('li', { class: 'muted' }, 'No concerts yet.')]));
  refreshLines(key);
}

function lineItem(concert, key) {
  const id = `line-${concert.id}`;
  const button = (suffix, text, onclick, attributes = {}) => el('button', {
    type: 'button', id: `line-${suffix}-${concert.id}`, 'aria-describedby': `${id}-title`, hidden: true,
    onclick, ...attributes,
  }, text);
  const confirm = button('close-confirm', 'Yes, give the line up', (event) => busy(event.currentTarget,
    () => giveUpLine(concert.id, key)), { class: 'danger' });
  return el('li', { class: 'item', id, 'data-line': 'unknown' },
    el('div', { class: 'item-main' },
      el('strong', { id: `${id}-title` }, concert.title),
      el('span', { class: 'badge', id: `${id}-kind` }, 'Checking…'),
      el('span', { id: `${id}-figures` }),
      el('span', { class: 'hint', id: `${id}-policy` })),
    el('div', { class: 'item-actions' },
      button('open', 'Give it a line of its own', () => openLineForm(concert.id)),
      button('edit', 'Change its policy', () => openLineForm(concert.id)),
      button('close', 'Give the line up', (event) => {
        confirm.hidden = false;
        event.currentTarget.setAttribute('aria-expanded', 'true');
        confirm.focus();
      }, { class: 'secondary', 'aria-expanded': 'false' }),
      confirm));
}

/** GET each listed concert's line; false ends the watch (the key was refused). */
async function refreshLines(key, signal) {
  const ids = [...lines.keys()];
  const results = await Promise.allSettled(ids.map((id) => request(
    `/admin/concerts/${encodeURIComponent(id)}/queue`, { adminKey: key(), signal, retries: 0 },
  )));
  let failed = null;
  results.forEach((result, i) => {
    if (result.status === 'fulfilled') renderLine(ids[i], result.value);
    else failed = failed ?? result.reason;
  });
  if (!failed) {
    $('#lines-updated').textContent = `Lines updated ${new Date().toLocaleTimeString()}; `
      + `they update every ${LINES_REFRESH_MS / 1000} s.`;
    return true;
  }
  if (isAbort(failed)) return false;
  if (isTransient(failed)) {
    $('#lines-updated').textContent = `Could not update the lines (${failed.code}); trying again.`;
    return true;
  }
  showError(failed);
  return failed.code !== 'ADMIN_UNAUTHORIZED';
}

const KIND_WORDS = { house: 'House line', own: 'Line of its own', closing: 'Line given up: ends once empty' };

function renderLine(id, state) {
  const line = lines.get(id);
  if (!line) return;
  line.state = state;
  const own = hasOwnLine(state);
  const kind = !own ? 'house' : (state.closing ? 'closing' : 'own');
  const { item } = line;
  item.dataset.line = kind;
  $(`#line-${id}-kind`, item).textContent = KIND_WORDS[kind];
  $(`#line-${id}-figures`, item).textContent = own
    ? `${state.waiting} waiting · ${state.active} shopping now · `
      + `${state.admitted_last_minute} let in in the last minute`
    : 'Sold through the house line.';
  $(`#line-${id}-policy`, item).hidden = !own;
  $(`#line-${id}-policy`, item).textContent = own ? policyWords(state.policy) : '';
  $(`#line-open-${id}`, item).hidden = own;
  const edit = $(`#line-edit-${id}`, item);
  edit.hidden = !own;
  edit.textContent = kind === 'closing' ? 'Keep it: take fans again' : 'Change its policy';
  const close = $(`#line-close-${id}`, item);
  close.hidden = kind !== 'own';
  if (kind !== 'own') {
    $(`#line-close-confirm-${id}`, item).hidden = true;
    close.setAttribute('aria-expanded', 'false');
  }
}

function policyWords(policy) {
  const opens = policy.opens_at ? ` · opens ${new Date(policy.opens_at).toLocaleString()}` : '';
  return `At most ${policy.max_active} shopping · ${policy.admit_per_minute} let in a minute · `
    + `turns of ${policy.active_ttl_seconds} s${opens}`;
}

// Answered for a concert's line: is it the concert's own (null: the house line covers it)?
function hasOwnLine(state) {
  return state.concert_id !== null && state.concert_id !== undefined;
}

function focusLineActions(id) {
  const actions = [...$(`#line-${id}`)?.querySelectorAll('.item-actions button') ?? []];
  actions.find((button) => !button.hidden)?.focus();
}

function openLineForm(id) {
  const line = lines.get(String(id));
  if (!line?.state) return;
  editing = String(id);
  const own = hasOwnLine(line.state);
  const { title } = line.concert;
  $('#line-form-heading').textContent = own ? `The line of ${title}` : `A line of its own for ${title}`;
  $('#line-form-hint').textContent = own
    ? 'Only the fields you change are sent.'
    : "It starts from the house line's policy, shown here: change what this concert needs.";
  $('#line-submit').textContent = own ? 'Save its policy' : 'Give it its own line';
  lineEditor.fill(line.state.policy);
  line.item.append($('#line-form')); // beside the concert it is about
  $('#line-form').hidden = false;
  $('#line-form-heading').focus();
}

function closeLineForm() {
  const id = editing;
  editing = null;
  $('#line-form').hidden = true;
  $('#lines-updated').after($('#line-form'));
  if (id) focusLineActions(id);
}

async function saveLine(key) {
  const line = lines.get(editing);
  if (!line) return;
  // A line given up but not yet ended is kept by a PUT too, with nothing changed.
  const opening = !hasOwnLine(line.state) || line.state.closing;
  const body = lineEditor.changes();
  if (!opening && Object.keys(body).length === 0) {
    showNotice('Nothing changed: edit a field first.');
    return;
  }
  clearError();
  const { title } = line.concert;
  try {
    const state = await request(`/admin/concerts/${encodeURIComponent(editing)}/queue`, {
      method: 'PUT', json: body, adminKey: key(),
    });
    renderLine(editing, state);
    const changed = Object.keys(body).join(', ');
    showNotice(opening ? `${title} has a line of its own now${changed ? ` (${changed} set)` : ''}.`
      : `Policy of the line of ${title} saved: ${changed}.`);
    closeLineForm();
  } catch (error) {
    showError(error, { form: $('#line-form'), retry: () => saveLine(key) });
  }
}

async function giveUpLine(id, key) {
  const line = lines.get(String(id));
  clearError();
  try {
    await request(`/admin/concerts/${encodeURIComponent(id)}/queue`, { method: 'DELETE', adminKey: key() });
  } catch (error) {
    showError(error, { retry: () => giveUpLine(id, key) });
    return;
  }
  if (editing === String(id)) closeLineForm();
  showNotice(`The line of ${line?.concert.title ?? `concert ${id}`} was given up: no one joins it now, `
    + 'and the concert goes back to the house line once the line is empty.');
  await refreshLines(key);
  focusLineActions(id);
}
