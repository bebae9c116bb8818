// Admin: create a concert, and add a date to a concert with one price or with price tiers (whose
// seat counts add up to the date's seat count).

import { asList, request } from './api.js';
import { $, busy, el, formValues } from './dom.js';
import { invalid } from './errors.js';
import { clearError, showError } from './feedback.js';
import { dateTime, fromLocalInput, money, toMinorUnits } from './format.js';

let tierCount = 0;
let concertsListed = () => {};

/** `key()` gives the admin key; `onConcerts(concerts)` is told the concerts each time they are read. */
export function initCatalogAdmin(key, { onConcerts } = {}) {
  concertsListed = onConcerts ?? concertsListed;
  $('#concert-form').addEventListener('submit', (event) => {
    event.preventDefault();
    busy($('#concert-submit'), () => createConcert(key));
  });
  $('#schedule-form').addEventListener('submit', (event) => {
    event.preventDefault();
    busy($('#schedule-submit'), () => createSchedule(key));
  });
  $('#schedule-use-tiers').addEventListener('change', (event) => {
    $('#tier-fields').hidden = !event.target.checked;
    $('#single-price').hidden = event.target.checked;
    if (event.target.checked && !$('#tier-list').children.length) {
      addTier('Standard');
      addTier('VIP');
    }
  });
  $('#add-tier').addEventListener('click', () => addTier(''));
  $('#tier-list').addEventListener('input', showTierTotal);
}

/** Fill the concert menu from the public list; select `selectedId` when given. */
export async function loadConcerts(selectedId) {
  const select = $('#schedule-concert');
  try {
    const concerts = asList(await request('/concerts'));
    select.replaceChildren(...concerts.map((c) => el('option', { value: String(c.id) }, c.title)));
    if (concerts.length === 0) select.append(el('option', { value: '' }, 'No concerts yet: create one first'));
    if (selectedId !== undefined) select.value = String(selectedId);
    concertsListed(concerts);
  } catch (error) {
    showError(error, { retry: () => loadConcerts(selectedId) });
  }
}

async function createConcert(key) {
  const form = $('#concert-form');
  const values = formValues(form);
  const body = { title: values.title.trim() };
  if (values.venue.trim()) body.venue = values.venue.trim();
  if (values.description.trim()) body.description = values.description.trim();
  if (!body.title) {
    fieldError(form, 'title', 'enter a title');
    return;
  }
  clearError();
  try {
    const concert = await request('/admin/concerts', { method: 'POST', json: body, adminKey: key() });
    $('#concert-result').textContent = `Created concert ${concert.id}: ${concert.title}. Now add its dates.`;
    form.reset();
    await loadConcerts(concert.id);
  } catch (error) {
    showError(error, { form, retry: () => createConcert(key) });
  }
}

function addTier(name) {
  tierCount += 1;
  const n = tierCount;
  const field = (label, id, attributes) => el('div', { class: 'field' },
    el('label', { for: id }, label), el('input', { id, ...attributes }));
  const row = el('div', { class: 'tier-row', id: `tier-${n}` },
    field('Tier name', `tier-name-${n}`, { name: 'tier_name', value: name, required: true }),
    field('Seats', `tier-seats-${n}`, { name: 'tier_seat_count', type: 'number', min: '1', step: '1' }),
    field('Price (KRW)', `tier-price-${n}`, { name: 'tier_price', type: 'number', min: '0', step: '1' }),
    el('button', {
      type: 'button', class: 'secondary', 'aria-label': `Remove tier ${n}`,
      onclick: () => { row.remove(); showTierTotal(); },
    }, 'Remove'));
  $('#tier-list').append(row);
  showTierTotal();
}

function readTiers() {
  return [...$('#tier-list').querySelectorAll('.tier-row')].map((row) => ({
    name: row.querySelector('[name="tier_name"]').value.trim(),
    seat_count: Number(row.querySelector('[name="tier_seat_count"]').value),
    price: toMinorUnits(row.querySelector('[name="tier_price"]').value, 'KRW'),
  }));
}

function showTierTotal() {
  const total = readTiers().reduce((sum, tier) => sum + (tier.seat_count || 0), 0);
  $('#tier-total').textContent = `Seats in all: ${total}`;
}

function scheduleBody(form) {
  const values = formValues(form);
  if (!values.concert_id) return fieldError(form, 'concert_id', 'create or choose a concert');
  if (!values.starts_at) return fieldError(form, 'starts_at', 'choose when the concert starts');
  const body = { starts_at: fromLocalInput(values.starts_at) };
  if ($('#schedule-use-tiers').checked) {
    const tiers = readTiers();
    if (!tiers.length || tiers.some((t) => !t.name || !(t.seat_count > 0) || !(t.price >= 0))) {
      return fieldError(form, 'tier_name', 'give every tier a name, a seat count above zero and a price');
    }
    body.price_tiers = tiers;
    body.seat_count = tiers.reduce((sum, t) => sum + t.seat_count, 0);
  } else {
    body.seat_count = Number(values.seat_count);
    body.price = toMinorUnits(values.price, 'KRW');
    if (!(body.seat_count > 0)) return fieldError(form, 'seat_count', 'enter a number of seats above zero');
    if (!(body.price >= 0)) return fieldError(form, 'price', 'enter a price');
  }
  return { concertId: values.concert_id, body };
}

async function createSchedule(key) {
  const form = $('#schedule-form');
  const prepared = scheduleBody(form);
  if (!prepared) return;
  clearError();
  try {
    const schedule = await request(`/admin/concerts/${encodeURIComponent(prepared.concertId)}/schedules`, {
      method: 'POST', json: prepared.body, adminKey: key(),
    });
    const price = prepared.body.price !== undefined ? ` at ${money(prepared.body.price, 'KRW')}` : '';
    $('#schedule-result').textContent = `Added date ${schedule.id}: ${dateTime(schedule.starts_at)}, `
      + `${schedule.total_seats ?? prepared.body.seat_count} seats${price}.`;
  } catch (error) {
    showError(error, { form, retry: () => createSchedule(key) });
  }
}

function fieldError(form, field, message) {
  showError(invalid({ [field]: message }), { form });
  return null;
}
