// The confirmation after paying: what was bought, and a way back into the line for more tickets
// (the payment used the queue pass up).

import { $, busy, el } from './dom.js';
import { dateTime, money } from './format.js';
import { go, showScreen } from './screens.js';
import { currentBalance } from './wallet.js';

export function initConfirmation() {
  $('#join-again-button').addEventListener('click', () => busy($('#join-again-button'), () => go.join()));
  $('#view-tickets-button').addEventListener('click', () => go.account());
}

export function showConfirmation({ payment, reservation, schedule }) {
  showScreen('confirmation');
  document.title = 'Tickets confirmed — boxoffice';
  const rows = [
    ['Concert', schedule?.concertTitle],
    ['Date', schedule?.starts_at ? dateTime(schedule.starts_at) : null],
    ['Seats', reservation.seats.map((s) => s.number).join(', ')],
    ['Paid', money(payment.amount)],
    ['Paid at', dateTime(payment.paid_at)],
    ['Payment', String(payment.id)],
    ['Reservation', String(payment.reservation_id)],
    ['Balance left', currentBalance() === null ? null : money(currentBalance())],
  ].filter(([, value]) => value);
  $('#confirmation-details').replaceChildren(...rows.flatMap(([term, value]) => [
    el('dt', {}, term),
    el('dd', { 'data-field': term.toLowerCase().replace(/\s+/g, '-') }, value),
  ]));
}
