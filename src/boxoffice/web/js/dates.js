// The concert's reservable dates with the seats left on each (needs an ACTIVE pass).

import { asList, request } from './api.js';
import { $, busy, doneLoading, el, isAbort, showLoading } from './dom.js';
import { showError } from './feedback.js';
import { dateTime } from './format.js';
import { watchPass } from './pass.js';
import { isPassLost, passLost } from './queue.js';
import { go, showScreen } from './screens.js';
import { credentials, session } from './session.js';

const knownSchedules = new Map();

/** A date seen on this page, by id (reservations only carry the schedule id). */
export function knownSchedule(id) {
  return knownSchedules.get(String(id));
}

export function initDates() {
  $('#change-concert').addEventListener('click', () => go.concerts());
  $('#refresh-dates').addEventListener('click', () => busy($('#refresh-dates'), () => loadDates()));
}

export async function showDates() {
  const concert = session.concert;
  if (!concert) {
    go.concerts();
    return;
  }
  const signal = showScreen('dates');
  document.title = 'Choose a date — boxoffice';
  $('#dates-concert').textContent = concert.title;
  showLoading($('#schedule-list'), 'Loading dates…');
  // The first use of a new turn claims it (the server lengthens it), so the banner's check of the
  // turn comes after the dates are loaded.
  if (await loadDates(signal)) watchPass(signal);
}

async function loadDates(signal) {
  const list = $('#schedule-list');
  let schedules;
  try {
    schedules = asList(await request(`/concerts/${encodeURIComponent(session.concert.id)}/schedules`, {
      ...credentials({ withPass: true }), signal,
    }));
  } catch (error) {
    if (isAbort(error)) return false;
    list.replaceChildren(el('p', {}, 'The dates could not be loaded.'));
    if (isPassLost(error)) passLost(error);
    else if (error.code === 'QUEUE_TOKEN_NOT_ACTIVE') go.queue();
    else showError(error, { retry: () => loadDates() });
    return false;
  } finally {
    doneLoading(list);
  }
  renderDates(list, schedules);
  return true;
}

function renderDates(list, schedules) {
  if (schedules.length === 0) {
    const text = 'No dates of this concert are on sale right now. Choose another concert.';
    list.replaceChildren(el('p', { id: 'no-dates' }, text));
    return;
  }
  const items = schedules.map((schedule) => {
    const remember = { ...schedule, concertTitle: session.concert.title };
    knownSchedules.set(String(schedule.id), remember);
    const left = Number(schedule.available_seats);
    return el('button', {
      type: 'button',
      id: `schedule-${schedule.id}`,
      class: 'choice-button',
      disabled: left <= 0,
      onclick: () => go.seats(remember),
    },
    el('span', { class: 'choice-title' }, dateTime(schedule.starts_at)),
    el('span', { class: 'choice-detail' }, left > 0
      ? `${left} of ${schedule.total_seats} seats left`
      : 'Sold out'));
  });
  list.replaceChildren(...items);
}
