// The concert list (public) and the "Join the line" button that starts the waiting room for the
// concert chosen. Each concert says whether the fan already has a place in its line or a turn.

import { asList, request } from './api.js';
import { $, busy, doneLoading, el, showLoading } from './dom.js';
import { invalid } from './errors.js';
import { clearError, showError } from './feedback.js';
import { go, showScreen } from './screens.js';
import { chooseConcert, session } from './session.js';

let concerts = [];

export function initConcerts() {
  $('#join-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const concert = chosenConcert();
    if (!concert) {
      showError(invalid({ concert: 'choose a concert first' }));
      return;
    }
    clearError();
    chooseConcert({ id: concert.id, title: concert.title });
    busy($('#join-button'), () => go.join());
  });
  $('#concert-list').addEventListener('change', nameJoinButton);
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

function chosenConcert() {
  const chosen = $('#join-form').querySelector('input[name="concert"]:checked');
  return concerts.find((c) => String(c.id) === chosen?.value);
}

// Where the fan stands in a concert's line, in words (null: no place in it).
function passWords(pass) {
  if (!pass?.token) return null;
  if (pass.status === 'ACTIVE') return "It's your turn for this concert.";
  return typeof pass.position === 'number'
    ? `You're in its line: number ${pass.position}.`
    : "You're in its line.";
}

function renderConcerts(list) {
  if (concerts.length === 0) {
    list.replaceChildren(el('p', { id: 'no-concerts' }, 'No concerts are on sale right now. Come back later.'));
    return;
  }
  const passes = session.passes;
  const chosenId = String(session.concert?.id ?? concerts[0].id);
  const items = concerts.map((concert) => {
    const id = `concert-${concert.id}`;
    const details = [concert.venue, concert.description].filter(Boolean).join(' — ');
    const standing = passWords(passes[concert.id]);
    return el('div', { class: 'choice' },
      el('input', {
        type: 'radio', name: 'concert', id, value: String(concert.id), checked: String(concert.id) === chosenId,
      }),
      el('label', { for: id },
        el('span', { class: 'choice-title' }, concert.title),
        details ? el('span', { class: 'choice-detail' }, details) : null,
        standing ? el('span', { class: 'choice-detail', id: `${id}-pass` }, standing) : null));
  });
  list.replaceChildren(...items);
  if (!list.querySelector(':checked')) list.querySelector('input').checked = true;
  $('#join-button').disabled = false;
  nameJoinButton();
}

// The button says what it does for the concert chosen: carry on with a turn, go back to one's
// place in its line, or join it.
function nameJoinButton() {
  const concert = chosenConcert();
  const pass = concert ? session.passes[concert.id] : null;
  let text = 'Join the line';
  if (pass?.status === 'ACTIVE') text = 'Continue: choose a date';
  else if (pass?.token) text = 'Back to my place in line';
  $('#join-button').textContent = text;
}
