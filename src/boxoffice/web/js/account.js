// "My tickets": the fan's reservations (newest first) with pay / release / cancel-and-refund,
// their payments, the wallet panel and the wallet's history.

import { asList, newIdempotencyKey, request, serverNow } from './api.js';
import { $, busy, doneLoading, el, isAbort, showLoading } from './dom.js';
import { clearError, showError, showNotice } from './feedback.js';
import { dateTime, money } from './format.js';
import { knownSchedule } from './dates.js';
import { go, placeWalletPanel, showScreen } from './screens.js';
import { credentials, session } from './session.js';
import { refreshWallet } from './wallet.js';

// The lists come a page at a time, newest first (the server's default page sizes): a full page
// may have older items behind it, fetched on request with the last id seen.
const PAGE_SIZES = { reservations: 100, payments: 100, transactions: 50 };
const PATHS = { reservations: '/reservations', payments: '/payments', transactions: '/wallet/transactions' };

const STATUS_WORDS = { HELD: 'Held, not paid yet', CONFIRMED: 'Confirmed', EXPIRED: 'Expired', CANCELLED: 'Cancelled' };
const KIND_WORDS = { CHARGE: 'Top-up', PAYMENT: 'Payment', REFUND: 'Refund' };

export async function showAccount({ focusWallet = false } = {}) {
  const signal = showScreen('account', { focus: !focusWallet });
  document.title = 'My tickets — boxoffice';
  placeWalletPanel('account-wallet-slot');
  if (focusWallet) $('#topup-amount').focus();
  await loadAll(signal);
}

async function loadAll(signal) {
  const lists = {
    reservations: $('#reservation-list'), payments: $('#payment-list'), transactions: $('#transaction-list'),
  };
  for (const list of Object.values(lists)) showLoading(list);
  const options = { ...credentials(), signal };
  const results = await Promise.allSettled([
    request('/reservations', options),
    request('/payments', options),
    request('/wallet/transactions', options),
    refreshWallet(),
  ]);
  if (signal.aborted) return;
  for (const list of Object.values(lists)) doneLoading(list);
  const [reservations, payments, transactions] = results
    .map((r) => (r.status === 'fulfilled' ? asList(r.value) : null));
  render(lists.reservations, reservations, reservationItem, 'You have no reservations yet.');
  render(lists.payments, payments, paymentItem, 'You have made no payments yet.');
  render(lists.transactions, transactions, transactionItem, 'No wallet activity yet.');
  offerOlder(lists.reservations, 'reservations', reservations, reservationItem);
  offerOlder(lists.payments, 'payments', payments, paymentItem);
  offerOlder(lists.transactions, 'transactions', transactions, transactionItem);
  const failure = results.find((r) => r.status === 'rejected' && !isAbort(r.reason));
  if (failure) showError(failure.reason, { retry: () => go.account() });
}

/** After a full page of `kind`, a button that appends the next (older) page to `list`. */
function offerOlder(list, kind, items, toItem) {
  if (!items || items.length < PAGE_SIZES[kind]) return;
  const button = el('button', { type: 'button', class: 'secondary' }, 'Show older');
  const row = el('li', {}, button);
  list.append(row);
  button.addEventListener('click', () => busy(button, async () => {
    const query = new URLSearchParams({ limit: PAGE_SIZES[kind], before_id: items[items.length - 1].id });
    let older;
    try {
      older = asList(await request(`${PATHS[kind]}?${query}`, credentials()));
    } catch (error) {
      showError(error, { retry: () => button.click() });
      return;
    }
    row.remove();
    list.append(...older.map(toItem));
    offerOlder(list, kind, older, toItem);
  }));
}

function render(list, items, toItem, emptyText) {
  if (items === null) list.replaceChildren(el('li', { class: 'muted' }, 'Could not be loaded.'));
  else if (items.length === 0) list.replaceChildren(el('li', { class: 'muted' }, emptyText));
  else list.replaceChildren(...items.map(toItem));
}

function reservationItem(reservation) {
  const schedule = knownSchedule(reservation.schedule_id);
  const when = schedule
    ? `${schedule.concertTitle ?? ''} · ${dateTime(schedule.starts_at)}`
    : `Date ${reservation.schedule_id}`;
  const heldUntil = new Date(reservation.held_until).toLocaleTimeString();
  const seats = reservation.seats.map((s) => s.number).join(', ');
  const live = reservation.status === 'HELD' && Date.parse(reservation.held_until) > serverNow();
  const status = reservation.status === 'HELD' && !live ? 'EXPIRED' : reservation.status;
  return el('li', { id: `reservation-${reservation.id}`, class: 'item', 'data-status': status },
    el('div', { class: 'item-main' },
      el('strong', {}, when),
      el('span', {}, `Seats ${seats} · ${money(reservation.amount)}`),
      el('span', { class: `badge ${status.toLowerCase()}` }, STATUS_WORDS[status] ?? status),
      live ? el('span', { class: 'hint' }, `Held until ${heldUntil}`) : null),
    el('div', { class: 'item-actions' }, reservationActions(reservation, status)));
}

function reservationActions(reservation, status) {
  if (status === 'HELD') {
    return [
      el('button', {
        type: 'button', id: `pay-reservation-${reservation.id}`, onclick: () => go.hold(reservation),
      }, 'Pay'),
      el('button', {
        type: 'button', class: 'secondary', id: `cancel-${reservation.id}`,
        onclick: (event) => busy(event.currentTarget, () => cancel(reservation, 'Your seats were released.')),
      }, 'Release seats'),
    ];
  }
  if (status !== 'CONFIRMED') return [];
  // Cancelling a paid reservation gives the tickets up: ask once more, inline (no blocking dialog).
  const refundedText = `Cancelled. ${money(reservation.amount)} went back to your wallet.`;
  const confirmButton = el('button', {
    type: 'button', class: 'danger', id: `cancel-confirm-${reservation.id}`, hidden: true,
    onclick: (event) => busy(event.currentTarget, () => cancel(reservation, refundedText)),
  }, `Yes, cancel and refund ${money(reservation.amount)}`);
  const askButton = el('button', {
    type: 'button', class: 'secondary', id: `cancel-${reservation.id}`, 'aria-expanded': 'false',
    onclick: (event) => {
      confirmButton.hidden = false;
      event.currentTarget.setAttribute('aria-expanded', 'true');
      confirmButton.focus();
    },
  }, 'Cancel and refund');
  return [askButton, confirmButton];
}

// One Idempotency-Key per cancel, sent again by its retry: a cancel whose answer was lost is
// answered again as it was (refunded), not "already cancelled".
async function cancel(reservation, doneText, key = newIdempotencyKey()) {
  clearError();
  try {
    await request(`/reservations/${encodeURIComponent(reservation.id)}/cancel`, {
      ...credentials(), method: 'POST', idempotencyKey: key,
    });
  } catch (error) {
    showError(error, { retry: () => cancel(reservation, doneText, key) });
    return;
  }
  // Released here, the hold is no longer the one a reload takes the fan back to.
  if (session.reservation?.id === reservation.id) session.reservation = null;
  showNotice(doneText);
  await go.account();
}

function paymentItem(payment) {
  return el('li', { id: `payment-${payment.id}`, class: 'item' },
    el('div', { class: 'item-main' },
      el('strong', {}, `${money(payment.amount)} · ${payment.status}`),
      el('span', {}, `Reservation ${payment.reservation_id} · paid ${dateTime(payment.paid_at)}`)));
}

function transactionItem(entry) {
  const amount = Number(entry.amount);
  const outgoing = entry.kind === 'PAYMENT';
  const signed = outgoing ? -Math.abs(amount) : Math.abs(amount);
  return el('li', { id: `transaction-${entry.id}`, class: 'item' },
    el('div', { class: 'item-main' },
      el('strong', {}, `${KIND_WORDS[entry.kind] ?? entry.kind} ${signed < 0 ? '−' : '+'}${money(Math.abs(signed))}`),
      el('span', {}, `Balance after: ${money(entry.balance_after)} · ${dateTime(entry.created_at)}`)));
}
