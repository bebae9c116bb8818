// Admin: the live board. Every few seconds GET /admin/board: for each line, the last 30 minutes,
// minute by minute, charted as small SVG charts (fans waiting and shopping, let in, holds, tickets
// sold, revenue, holds run out), each with its latest figure, readable at a glance on a phone too.

import { watchAdmin } from './admin-watch.js';
import { $, el } from './dom.js';
import { money, setCurrency } from './format.js';

const REFRESH_MS = 5000;
const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 300;
const HEIGHT = 80;
// field, title, how it is drawn (a level as a line; a count a minute as bars), how it reads.
const CHARTS = [
  ['waiting', 'Waiting in line', 'line', String],
  ['active', 'Shopping now', 'line', String],
  ['admitted', 'Let in a minute', 'bars', String],
  ['holds', 'Holds a minute', 'bars', String],
  ['tickets_sold', 'Tickets sold a minute', 'bars', String],
  ['revenue', 'Revenue a minute', 'bars', (value) => money(value)],
  ['holds_expired', 'Holds run out a minute', 'bars', String],
];

let paused = false;

export function initBoard() {
  const pause = $('#board-pause');
  pause.addEventListener('click', () => {
    paused = !paused;
    pause.setAttribute('aria-pressed', String(paused));
    pause.textContent = paused ? 'Resume the board' : 'Pause the board';
  });
}

/** Refresh the board every few seconds until the signal aborts. `key()` gives the admin key. */
export function watchBoard(signal, key) {
  watchAdmin('/admin/board', {
    everyMs: REFRESH_MS, signal, key, paused: () => paused, render, status: $('#board-updated'),
  });
}

function render(board) {
  setCurrency(board.currency);
  $('#board-lines').replaceChildren(...board.lines.map(drawLine));
  $('#board-updated').textContent = `Board updated ${new Date().toLocaleTimeString()}; `
    + `it updates every ${REFRESH_MS / 1000} s.`;
}

function drawLine(line) {
  const id = `board-line-${line.concert_id ?? 'house'}`;
  return el('section', { class: 'board-line', id, 'aria-labelledby': `${id}-name` },
    el('h4', { id: `${id}-name` }, line.name),
    el('div', { class: 'board-charts' },
      CHARTS.map(([field, title, kind, format]) => drawChart(line, field, title, kind, format))));
}

function drawChart(line, field, title, kind, format) {
  const values = line.minutes.map((minute) => minute[field]);
  const known = values.filter((value) => value !== null && value !== undefined);
  const latest = known.length ? known[known.length - 1] : null;
  const most = Math.max(1, ...known);
  const total = kind === 'bars' ? known.reduce((sum, value) => sum + value, 0) : null;
  const summary = latest === null
    ? `${title}: no figures in the last 30 minutes.`
    : `${title}: ${format(latest)} now, at most ${format(Math.max(0, ...known))} in the last 30 minutes`
      + (total === null ? '.' : `, ${format(total)} in all.`);
  const chart = svg('svg', {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': summary,
    class: `board-chart ${kind}`,
  });
  chart.append(svg('line', { x1: 0, y1: HEIGHT - 1, x2: WIDTH, y2: HEIGHT - 1, class: 'axis' }));
  const step = WIDTH / values.length;
  const y = (value) => HEIGHT - 2 - (value / most) * (HEIGHT - 4);
  if (kind === 'bars') {
    values.forEach((value, i) => {
      if (!value) return;
      chart.append(svg('rect', {
        x: (i * step + 1).toFixed(1), y: y(value).toFixed(1), width: Math.max(1, step - 2).toFixed(1),
        height: (HEIGHT - 2 - y(value)).toFixed(1), class: 'bar',
      }));
    });
  } else {
    // A polyline per run of known figures: a minute no instance sampled is a gap.
    let points = [];
    const flush = () => {
      if (points.length) chart.append(svg('polyline', { points: points.join(' '), class: 'level' }));
      points = [];
    };
    values.forEach((value, i) => {
      if (value === null || value === undefined) flush();
      else points.push(`${(i * step + step / 2).toFixed(1)},${y(value).toFixed(1)}`);
    });
    flush();
  }
  return el('figure', { class: 'board-card', 'data-field': field },
    el('figcaption', {},
      el('span', { class: 'board-title' }, title),
      el('span', { class: 'board-latest', 'data-testid': `board-${field}` }, latest === null ? '–' : format(latest))),
    chart,
    el('p', { class: 'board-axis', 'aria-hidden': 'true' },
      el('span', {}, '30 min ago'), el('span', {}, `max ${format(most)}`), el('span', {}, 'now')));
}

function svg(tag, attributes) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  return node;
}
