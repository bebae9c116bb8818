// Draws the seats as a grid of toggle buttons (one per seat, id "seat-<number>") coloured by state,
// and lets the keyboard move through them: one seat is in the tab order, the arrow keys move
// between seats (up and down by what is drawn above or below), Home and End jump to the ends.

import { el } from './dom.js';
import { money } from './format.js';

const STATE_WORDS = {
  available: 'available',
  selected: 'selected',
  mine: 'held by you',
  held: 'held by someone else',
  sold: 'sold',
};

let drawnKey = '';

/** The seat's state as drawn: sold, mine, held, selected or available. */
export function seatState(seat, selected, mine) {
  if (seat.status === 'SOLD') return 'sold';
  if (seat.status === 'HELD') return mine.has(seat.number) ? 'mine' : 'held';
  return selected.has(seat.number) ? 'selected' : 'available';
}

/**
 * Draw `seats` into `container`. If the same seats were drawn before, only their states change, so
 * the focused seat keeps the focus while the map refreshes.
 */
export function drawSeats(container, seats, selected, mine) {
  const key = seats.map((s) => `${s.number}:${s.section ?? ''}:${s.price}`).join(',');
  if (key !== drawnKey || !container.querySelector('.seat')) {
    drawnKey = key;
    container.replaceChildren(...groupBySection(seats).map(drawSection));
    const first = container.querySelector('.seat');
    if (first) first.tabIndex = 0;
  }
  for (const seat of seats) {
    const button = document.getElementById(`seat-${seat.number}`);
    if (button) paint(button, seat, seatState(seat, selected, mine));
  }
}

export function forgetDrawing() {
  drawnKey = '';
}

function groupBySection(seats) {
  const sections = new Map();
  for (const seat of seats) {
    const name = seat.section ?? '';
    if (!sections.has(name)) sections.set(name, []);
    sections.get(name).push(seat);
  }
  return [...sections.entries()];
}

/** What seats cost, as one price or a range. */
export function priceRange(seats) {
  const prices = [...new Set(seats.map((s) => Number(s.price)))];
  return prices.length === 1
    ? money(prices[0])
    : `${money(Math.min(...prices))}–${money(Math.max(...prices))}`;
}

function drawSection([name, seats]) {
  const priceText = priceRange(seats);
  const grid = el('div', { class: 'seat-grid' },
    seats.map((seat) => el('button', {
      type: 'button',
      class: 'seat',
      id: `seat-${seat.number}`,
      'data-testid': `seat-${seat.number}`,
      'data-number': String(seat.number),
      tabindex: '-1',
    }, String(seat.number))));
  // Through the CSSOM, not a style attribute: the Content-Security-Policy refuses inline style.
  grid.style.setProperty('--columns', seats.length > 200 ? '20' : '10');
  return el('div', { class: 'seat-section' },
    el('p', { class: 'section-title' }, name ? `${name} · ${priceText}` : priceText),
    grid);
}

function paint(button, seat, state) {
  if (button.dataset.state === state) return;
  button.dataset.state = state;
  button.className = `seat ${state}`;
  button.setAttribute('aria-pressed', String(state === 'selected'));
  const unavailable = state === 'held' || state === 'sold';
  if (unavailable) button.setAttribute('aria-disabled', 'true');
  else button.removeAttribute('aria-disabled');
  const section = seat.section ? `, ${seat.section}` : '';
  const label = `Seat ${seat.number}${section}, ${money(seat.price)}, ${STATE_WORDS[state]}`;
  button.setAttribute('aria-label', label);
  button.title = label;
}

/** Arrow-key movement inside the grid; call from the container's keydown. */
export function moveFocus(container, event) {
  const from = event.target.closest('.seat');
  if (!from) return;
  const seats = [...container.querySelectorAll('.seat')];
  const index = seats.indexOf(from);
  const targets = {
    ArrowLeft: () => seats[index - 1],
    ArrowRight: () => seats[index + 1],
    ArrowUp: () => vertical(seats, from, -1),
    ArrowDown: () => vertical(seats, from, 1),
    Home: () => seats[0],
    End: () => seats[seats.length - 1],
  };
  if (!targets[event.key]) return;
  event.preventDefault();
  const target = targets[event.key]();
  if (target) focusSeat(container, target);
}

export function focusSeat(container, seat) {
  for (const other of container.querySelectorAll('.seat[tabindex="0"]')) other.tabIndex = -1;
  seat.tabIndex = 0;
  seat.focus();
}

// The seat drawn in the nearest row above (-1) or below (+1), closest horizontally.
function vertical(seats, from, direction) {
  const origin = from.getBoundingClientRect();
  const originX = origin.left + origin.width / 2;
  let best = null;
  let bestScore = Infinity;
  for (const seat of seats) {
    const box = seat.getBoundingClientRect();
    const dy = (box.top - origin.top) * direction;
    if (dy < origin.height / 2) continue;
    const score = dy * 1000 + Math.abs(box.left + box.width / 2 - originX);
    if (score < bestScore) {
      best = seat;
      bestScore = score;
    }
  }
  return best;
}
