// The concert list (public) and the "Join the line" button that starts the waiting room.

import { asList, request } from './api.js';
import { $, busy, doneLoading, el, showLoading } from './dom.js';
import { invalid } from './errors.js';
import { clearError, showError } from './feedback.js';
import { go, showScreen } from './screens.js';
import { session } from './session.js';

let concerts = [];

export function initConcerts() {
  $('#join-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const chosen = $('#join-form').querySelector('input[name="concert"]:checked');
    const concert = concerts.find((c) => String(c.id) === chosen?.value);
    if (!concert) {
      showError(invalid({ concert: 'choose a concert first' }));
      return;
    }
    clearError();
    session.concert = { id: concert.id, title: concert.title };
    busy($('#join-button'), () => go.join());
  });
}

export async function showConcerts() {
  showScreen('concerts');
  document.title = 'Choose a concert — boxoffice';
  const list = $('#concert-list');
  showLoading(list, 'Loading concerts…');
  $('#join-button').disabled = true;
  try {
    concerts = asList(await request('/concerts'));
  } catch (error) {
    list.replaceChildren(el('p', {}, 'The concerts could not be loaded.'));
    showError(error, { retry: showConcerts });
    return;
  } finally {
    doneLoading(list);
  }
  renderConcerts(list);
}

/** The title of a concert seen in the list, for screens that only know its id. */
export function concertTitle(id) {
  return concerts.find((c) => String(c.id) === String(id))?.title;
}

function renderConcerts(list) {
  if (concerts.length === 0) {
    list.replaceChildren(el('p', { id: 'no-concerts' }, 'No concerts are on sale right now. Come back later.'));
    return;
  }
  const chosenId = String(session.concert?.id ?? concerts[0].id);
  const items = concerts.map((concert) => {
    const id = `concert-${concert.id}`;
    const details = [concert.venue, concert.description].filter(Boolean).join(' — ');
    return el('div', { class: 'choice' },
      el('input', {
        type: 'radio', name: 'concert', id, value: String(concert.id), checked: String(concert.id) === chosenId,
      }),
      el('label', { for: id },
        el('span', { class: 'choice-title' }, concert.title),
        details ? el('span', { class: 'choice-detail' }, details) : null));
  });
  list.replaceChildren(...items);
  if (!list.querySelector(':checked')) list.querySelector('input').checked = true;
  $('#join-button').disabled = false;
  $('#join-button').textContent = session.pass?.status === 'ACTIVE' ? 'Continue: choose a date' : 'Join the line';
}
