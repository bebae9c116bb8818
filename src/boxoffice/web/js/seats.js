// The seat-map screen: loads a date's seats and refreshes them every few seconds while open, knows
// which held seats are the fan's own (from their reservations), keeps the selection (up to 4) and
// holds the selected seats, or asks the server for the best free seats. A large date is drawn a
// section at a time (and a large section in blocks), so a 5,000-seat date never draws 5,000 buttons.

import { asList, isTransient, request, serverNow, sleep } from './api.js';
import { $, busy, doneLoading, el, isAbort, showLoading } from './dom.js';
import { clearError, showError, showNotice } from './feedback.js';
import { joinWords, seatNumbersOf } from './errors.js';
import { money, scheduleWords } from './format.js';
import { watchPass } from './pass.js';
import { isPassLost, passLost } from './queue.js';
import { go, showScreen } from './screens.js';
import { drawSeats, focusSeat, forgetDrawing, moveFocus, priceRange } from './seatgrid.js';
import { credentials, session } from './session.js';

const REFRESH_MS = 3000;
const MAX_SEATS = 4;
// Dates of up to this many seats are drawn whole; a larger one a section at a time, and a section
// of more than BLOCK_SEATS in blocks of that many.
const DRAW_ALL_UP_TO = 400;
const BLOCK_SEATS = 200;

let view = newView(null);

function newView(schedule) {
  return { schedule, seats: [], selected: new Set(), mine: new Map(), section: null, block: 0 };
}

export function initSeats() {
  const map = $('#seat-map');
  map.addEventListener('click', (event) => {
    const button = event.target.closest('.seat');
    if (button) onSeat(Number(button.dataset.number), button);
  });
  map.addEventListener('keydown', (event) => moveFocus(map, event));
  // busy() puts the button back as it found it; the selection then decides whether it is usable.
  $('#hold-button').addEventListener('click', () => busy($('#hold-button'), holdSelected).finally(redraw));
  $('#clear-selection').addEventListener('click', () => {
    view.selected.clear();
    redraw();
  });
  $('#back-to-dates').addEventListener('click', () => go.dates());
  $('#seat-limit').textContent = String(MAX_SEATS);
  $('#best-form').addEventListener('submit', (event) => {
    event.preventDefault();
    busy($('#best-button'), holdBest);
  });
  fillSelect($('#best-quantity'), Array.from({ length: MAX_SEATS }, (_, i) => {
    const count = String(i + 1);
    return { value: count, text: `${count} ${i ? 'seats' : 'seat'}` };
  }), '2');
  $('#section-choice').addEventListener('change', () => {
    view.section = $('#section-choice').value;
    view.block = 0;
    redraw();
  });
  $('#block-choice').addEventListener('change', () => {
    view.block = Number($('#block-choice').value);
    redraw();
  });
}

export async function showSeats(schedule) {
  const signal = showScreen('seats');
  document.title = 'Pick your seats — boxoffice';
  if (schedule.id !== view.schedule?.id) forgetDrawing();
  view = newView(schedule);
  $('#seats-date').textContent = scheduleWords(schedule);
  $('#seat-map').replaceChildren();
  redraw();
  // Until the seats come, the map says it is loading (not an empty map under the last one's time).
  showLoading($('#seat-map'), 'Loading the seat map…');
  $('#seats-updated').textContent = '';
  await loadMine(signal);
  const shown = await refresh(signal);
  doneLoading($('#seat-map'));
  if (!shown) {
    if (!signal.aborted && view.seats.length === 0) $('#seat-map').replaceChildren();
    return;
  }
  watchPass(signal);
  while (!signal.aborted) {
    try {
      await sleep(REFRESH_MS, signal);
    } catch {
      return;
    }
    if (!(await refresh(signal))) return;
  }
}

// The fan's own live holds on this date, so their seats show as "mine" (the seat list only says HELD).
async function loadMine(signal) {
  try {
    await readMine(signal);
  } catch (error) {
    if (!isAbort(error)) showError(error, { retry: () => go.seats(view.schedule) });
  }
}

async function readMine(signal) {
  const reservations = asList(await request('/reservations', { ...credentials(), signal }));
  view.mine = new Map();
  for (const reservation of reservations) {
    if (String(reservation.schedule_id) !== String(view.schedule.id)) continue;
    if (reservation.status !== 'HELD' || Date.parse(reservation.held_until) <= serverNow()) continue;
    for (const seat of reservation.seats) view.mine.set(Number(seat.number), reservation);
  }
}

/** One refresh of the seat states; returns false to stop refreshing. */
async function refresh(signal) {
  if (document.hidden) return true;
  try {
    const seats = await request(`/schedules/${encodeURIComponent(view.schedule.id)}/seats`, {
      ...credentials({ withPass: true }), signal,
    });
    view.seats = asList(seats).map((seat) => ({ ...seat, number: Number(seat.number) }));
  } catch (error) {
    if (isAbort(error)) return false;
    if (isPassLost(error)) passLost(error);
    else if (isTransient(error)) {
      $('#seats-updated').textContent = 'Could not update the seat map just now; trying again.';
      return true; // on the next beat
    }
    else showError(error, { retry: () => go.seats(view.schedule) });
    return false;
  }
  dropTakenSelection();
  redraw();
  const time = new Date().toLocaleTimeString();
  $('#seats-updated').textContent = `Seat map updated ${time}; it refreshes every ${REFRESH_MS / 1000} s.`;
  return true;
}

function dropTakenSelection() {
  const taken = view.seats
    .filter((seat) => view.selected.has(seat.number) && seat.status !== 'AVAILABLE')
    .map((seat) => seat.number);
  if (taken.length === 0) return;
  for (const number of taken) view.selected.delete(number);
  const which = `${taken.length === 1 ? 'seat' : 'seats'} ${joinWords(taken)}`;
  showNotice(`Someone else just took ${which}. Pick another seat.`);
}

function onSeat(number, button) {
  focusSeat($('#seat-map'), button);
  const seat = view.seats.find((s) => s.number === number);
  if (!seat) return;
  const state = button.dataset.state;
  if (state === 'mine') {
    showNotice(`You already hold seat ${number}. Opening your hold so you can pay.`);
    go.hold(view.mine.get(number));
    return;
  }
  if (state === 'held' || state === 'sold') {
    showNotice(`Seat ${number} is ${state === 'sold' ? 'sold' : 'held by someone else'}. Pick another seat.`);
    return;
  }
  if (view.selected.has(number)) view.selected.delete(number);
  else if (view.selected.size >= MAX_SEATS) {
    showNotice(`You can pick up to ${MAX_SEATS} seats at once. Unselect one first.`);
    return;
  } else view.selected.add(number);
  redraw();
}

function redraw() {
  const sections = sectionsOf(view.seats);
  offerSections(sections);
  drawSeats($('#seat-map'), drawnSeats(sections), view.selected, view.mine);
  const numbers = [...view.selected].sort((a, b) => a - b);
  const total = view.seats.filter((s) => view.selected.has(s.number)).reduce((sum, s) => sum + Number(s.price), 0);
  $('#selection-summary').textContent = numbers.length
    ? `${numbers.length === 1 ? 'Seat' : 'Seats'} ${joinWords(numbers)} selected · total ${money(total)}`
    : 'No seats selected.';
  $('#hold-button').disabled = numbers.length === 0;
  $('#hold-button').textContent = numbers.length > 1 ? `Hold ${numbers.length} seats` : 'Hold seat';
  $('#clear-selection').disabled = numbers.length === 0;
}

async function holdSelected() {
  const seatNumbers = [...view.selected].sort((a, b) => a - b);
  if (seatNumbers.length === 0) return;
  clearError();
  let reservation;
  try {
    reservation = await request('/reservations', {
      ...credentials({ withPass: true }),
      method: 'POST',
      json: { schedule_id: view.schedule.id, seat_numbers: seatNumbers },
    });
  } catch (error) {
    const asked = seatNumbers.join(',');
    // Sent again after an unclear answer, the seats may be refused as taken by the first try.
    const mayBeHeld = isTransient(error) || (error.code === 'SEAT_UNAVAILABLE' && unclearHold === asked);
    if (mayBeHeld && (await openHeld((held) => holdsExactly(held, seatNumbers)))) return;
    unclearHold = isTransient(error) ? asked : null;
    holdFailed(error);
    return;
  }
  unclearHold = null;
  view.selected.clear();
  go.hold(reservation);
}

// The seats of the last hold whose answer was unclear (the network, a 5xx: the server may have
// held them just before), as "1,2,3"; null after a clear answer.
let unclearHold = null;

function holdsExactly(held, seatNumbers) {
  return held.seats.length === seatNumbers.length
    && seatNumbers.every((number) => view.mine.get(number) === held);
}

/**
 * After a hold's unclear answer: the fan's holds on the date read again, and the one `match`
 * picks shown, if any (whether it was found). Otherwise "Try again" would say someone else took
 * the fan's own seats, or hold a second set.
 */
async function openHeld(match) {
  try {
    await readMine(new AbortController().signal);
  } catch {
    return false; // what the failure says is then all there is to tell
  }
  const held = [...new Set(view.mine.values())].find(match);
  if (!held) return false;
  view.selected.clear();
  showNotice('Your seats are held.');
  go.hold(held);
  return true;
}

function holdFailed(error) {
  if (isPassLost(error)) {
    passLost(error);
    return;
  }
  if (error.code === 'SEAT_UNAVAILABLE' || error.code === 'SEAT_NOT_FOUND') {
    const gone = seatNumbersOf(error).map(Number);
    for (const number of gone.length ? gone : [...view.selected]) view.selected.delete(number);
    redraw();
    refresh(new AbortController().signal);
  }
  showError(error, { retry: holdSelected });
}

/** The date's sections in seat order: name → {seats, free}. */
function sectionsOf(seats) {
  const sections = new Map();
  for (const seat of seats) {
    const name = seat.section ?? '';
    if (!sections.has(name)) sections.set(name, { seats: [], free: 0 });
    const section = sections.get(name);
    section.seats.push(seat);
    if (seat.status === 'AVAILABLE') section.free += 1;
  }
  return sections;
}

function describeSection(name, section) {
  return `${name || 'Seats'} · ${priceRange(section.seats)} · ${section.free} free`;
}

/** The sections the best-seat form offers, with their free seats now. */
function offerSections(sections) {
  const named = [...sections].filter(([name]) => name !== '');
  fillSelect($('#best-section'), [
    { value: '', text: 'Best section with room' },
    ...named.map(([name, section]) => ({ value: name, text: describeSection(name, section) })),
  ], $('#best-section').value);
}

/** The seats to draw: all of a small date; of a large one, the chosen section (and block). */
function drawnSeats(sections) {
  const small = view.seats.length <= DRAW_ALL_UP_TO;
  $('#seat-filters').hidden = small;
  if (small) return view.seats;
  if (!sections.has(view.section)) {
    const withRoom = [...sections].find(([, section]) => section.free > 0);
    view.section = (withRoom ?? [...sections][0])[0];
  }
  fillSelect($('#section-choice'), [...sections].map(([name, section]) => (
    { value: name, text: describeSection(name, section) })), view.section);
  const seats = sections.get(view.section).seats;
  const blocks = Math.ceil(seats.length / BLOCK_SEATS);
  $('#block-field').hidden = blocks <= 1;
  if (view.block >= blocks) view.block = 0;
  fillSelect($('#block-choice'), Array.from({ length: blocks }, (_, i) => {
    const part = seats.slice(i * BLOCK_SEATS, (i + 1) * BLOCK_SEATS);
    const free = part.filter((seat) => seat.status === 'AVAILABLE').length;
    return { value: String(i), text: `${part[0].number}–${part[part.length - 1].number} · ${free} free` };
  }), String(view.block));
  return seats.slice(view.block * BLOCK_SEATS, (view.block + 1) * BLOCK_SEATS);
}

/** Replace a select's options, keeping `value` chosen when it is still one of them. */
function fillSelect(select, options, value) {
  const same = select.options.length === options.length
    && options.every((option, i) => select.options[i].value === option.value
      && select.options[i].textContent === option.text);
  if (!same) {
    select.replaceChildren(...options.map((option) => el('option', { value: option.value }, option.text)));
  }
  if (options.some((option) => option.value === value)) select.value = value;
}

async function holdBest() {
  clearError();
  const section = $('#best-section').value;
  const json = { schedule_id: view.schedule.id, quantity: Number($('#best-quantity').value) };
  if (section) json.section = section;
  const before = new Set([...view.mine.values()].map((held) => held.id));
  let reservation;
  try {
    reservation = await request('/reservations', {
      ...credentials({ withPass: true }), method: 'POST', json,
    });
  } catch (error) {
    // An unclear answer: a hold made since is this one's (a retry would hold a second set).
    if (isTransient(error) && (await openHeld((held) => !before.has(held.id)))) return;
    if (isPassLost(error)) {
      passLost(error);
      return;
    }
    if (error.code === 'SEAT_UNAVAILABLE' || error.code === 'SECTION_NOT_FOUND') {
      refresh(new AbortController().signal);
    }
    showError(error, { retry: holdBest });
    return;
  }
  view.selected.clear();
  go.hold(reservation);
}

/** The schedule now on the map (for the hold screen's "back"). */
export function currentSchedule() {
  return view.schedule;
}
