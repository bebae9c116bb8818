// The hold screen: the held seats, a countdown to held_until (at zero the seats are released and the
// fan goes back to the seat map), the wallet panel, and paying. A payment is sent with an
// Idempotency-Key that is reused only when the previous try had no clear answer (kept in the tab's
// session, so a reload reuses it too). The server is asked where the hold stands before the page
// says it was released, and whenever the page may not know: after a reload, or when Pay is refused.

import { newIdempotencyKey, request, serverNow } from './api.js';
import { $, busy, el, everySecond, isAbort } from './dom.js';
import { clearError, showError, showNotice } from './feedback.js';
import { describeError, joinWords } from './errors.js';
import { clock, money, scheduleWords, secondsUntil } from './format.js';
import { knownSchedule } from './dates.js';
import { watchPass } from './pass.js';
import { isPassLost, passLost } from './queue.js';
import { go, placeWalletPanel, showScreen } from './screens.js';
import { chooseConcert, credentials, forgetPass, session } from './session.js';
import { currentBalance, onBalanceChange, refreshWallet, suggestTopUp } from './wallet.js';

let turnOverFor = null; // the reservation whose turn ended: Pay stays off for it

export function initHold() {
  $('#pay-button').addEventListener('click', () => alone($('#pay-button'), pay));
  $('#cancel-hold-button').addEventListener('click', () => alone($('#cancel-hold-button'), () => release()));
  onBalanceChange(renderPayHint);
}

/**
 * Run `work` behind `button` (busy) with the hold's other button disabled too: paying and
 * releasing exclude each other, or a release sent while a payment is under way would cancel
 * the seats it has just paid for (and refund them) while the page says "You're going!".
 */
async function alone(button, work) {
  const others = [$('#pay-button'), $('#cancel-hold-button')].filter((other) => other !== button);
  const were = others.map((other) => other.disabled);
  others.forEach((other) => { other.disabled = true; });
  try {
    return await busy(button, work);
  } finally {
    others.forEach((other, i) => { other.disabled = were[i]; });
    if (turnOverFor !== null && turnOverFor === session.reservation?.id) $('#pay-button').disabled = true;
  }
}

export async function showHold(reservation) {
  const signal = showScreen('hold');
  document.title = 'Pay for your seats — boxoffice';
  // Paying needs the pass of the reservation's concert: that concert becomes the chosen one.
  const concert = concertOf(reservation);
  if (concert) chooseConcert(concert);
  // The date goes with the kept hold: after a reload this page knows no dates.
  const held = { ...reservation, concert: concert ?? session.concert, schedule: scheduleOf(reservation) };
  session.reservation = held;
  placeWalletPanel('hold-wallet-slot');
  render(held);
  refreshWallet().catch((error) => showError(error));
  // Paid, released or run out since this page last looked (a payment whose answer was lost before
  // a reload, another tab, My tickets): the server says, before the hold is shown as payable.
  const now = await checking(signal, () => lookUp(held));
  if (signal.aborted || (now && settled(held, now))) return;
  everySecond(signal, () => tick(held, signal));
  await watchPass(signal);
}

// The concert a reservation was held for: from its date if seen on this page, else as kept with
// the open hold (after a reload); null when unknown (the chosen concert is then taken for it).
function concertOf(reservation) {
  const schedule = knownSchedule(reservation.schedule_id);
  if (schedule?.concert_id !== undefined) return { id: schedule.concert_id, title: schedule.concertTitle };
  const kept = session.reservation;
  return kept?.id === reservation.id && kept.concert ? kept.concert : null;
}

// The date of a reservation: as seen on this page, else as kept with the hold.
function scheduleOf(reservation) {
  const kept = session.reservation?.id === reservation.id ? session.reservation.schedule : null;
  return knownSchedule(reservation.schedule_id) ?? reservation.schedule ?? kept
    ?? { id: reservation.schedule_id };
}

function render(reservation) {
  $('#hold-date').textContent = scheduleWords(scheduleOf(reservation));
  const seats = reservation.seats.map((seat) => el('li', {}, `Seat ${seat.number} — ${money(seat.price)}`));
  $('#hold-seats').replaceChildren(...seats);
  $('#hold-amount').textContent = money(reservation.amount);
  $('#hold-countdown').textContent = clock(secondsUntil(reservation.held_until, serverNow()));
  $('#pay-button').textContent = `Pay ${money(reservation.amount)}`;
  turnOverFor = null;
  $('#pay-button').disabled = false; // a turn that ended disabled it for the hold before
  renderPayHint();
}

function renderPayHint() {
  const reservation = session.reservation;
  const balance = currentBalance();
  const hint = $('#pay-hint');
  if (!reservation || balance === null) {
    hint.textContent = '';
    return;
  }
  const missing = Number(reservation.amount) - balance;
  hint.textContent = missing > 0
    ? `Your balance (${money(balance)}) is ${money(missing)} short: top up first.`
    : `Your balance (${money(balance)}) covers this payment.`;
}

// Paying needs the hold and the turn both: the time left to pay is the sooner of their ends, and
// the page says when the turn is the one that ends first. The countdown goes on after the turn's
// end: the hold's end still has to be told (the seats released, or found paid after all).
function tick(reservation, signal) {
  const now = serverNow();
  const holdLeft = secondsUntil(reservation.held_until, now);
  const turnUntil = session.pass?.activeUntil;
  const turnLeft = turnUntil ? secondsUntil(turnUntil, now) : Infinity;
  const left = Math.min(holdLeft, turnLeft);
  $('#hold-countdown').textContent = clock(left);
  $('#hold-countdown').classList.toggle('urgent', left < 60);
  const ends = $('#hold-ends');
  ends.hidden = !(turnLeft < holdLeft);
  ends.textContent = ends.hidden ? '' : 'Your turn ends before the hold does: pay within your turn.';
  if (holdLeft <= 0) {
    holdExpired(reservation, signal);
    return false;
  }
  if (turnLeft <= 0 && turnOverFor !== reservation.id) turnEnded(reservation, signal);
  return true;
}

async function turnEnded(reservation, signal) {
  if (session.reservation?.id !== reservation.id) return;
  turnOverFor = reservation.id;
  $('#pay-button').disabled = true;
  // A payment with no answer yet may have gone through (here or in another tab), and used the
  // turn up with it.
  const now = await lookUp(reservation);
  if (signal.aborted || (now && settled(reservation, now))) return;
  const seats = reservation.seats.map((s) => s.number);
  const which = `${seats.length === 1 ? 'Seat' : 'Seats'} ${joinWords(seats)}`;
  showError({ code: 'QUEUE_TOKEN_EXPIRED', status: 401, problem: {} }, {
    message: `Your turn ended before you paid, so these seats can no longer be paid for. ${which} `
      + `will be released when the hold runs out. To buy, join the line again.`,
    action: null,
  });
}

// The hold's time is up. A payment whose answer never came, or one made in another tab, may have
// gone through: the server says before the seats are said to be released.
async function holdExpired(reservation, signal) {
  if (session.reservation?.id !== reservation.id) return;
  session.reservation = null; // a payment's late answer is then not told over this
  const ownPayment = session.pendingPayment?.reservationId === reservation.id;
  const now = await lookUp(reservation);
  if (signal.aborted) return;
  if (now?.status === 'CONFIRMED') {
    paid(reservation, { ownPayment });
  } else if (!now && ownPayment) {
    session.pendingPayment = null;
    showError({ code: 'HOLD_EXPIRED', status: 409, problem: {} }, {
      message: 'Your hold has run out, and whether your payment went through could not be checked. '
        + 'Open My tickets to see whether these seats are yours.',
      action: 'tickets',
    });
  } else {
    ended(reservation, now?.status === 'CANCELLED' ? 'released' : 'expired');
  }
}

// While the server is asked, the hold's buttons wait and the screen says it is busy.
async function checking(signal, work) {
  const screen = $('#screen-hold');
  const buttons = [$('#pay-button'), $('#cancel-hold-button')];
  screen.setAttribute('aria-busy', 'true');
  for (const button of buttons) button.disabled = true;
  try {
    return await work();
  } finally {
    if (!signal.aborted) {
      screen.removeAttribute('aria-busy');
      for (const button of buttons) button.disabled = false;
    }
  }
}

/** Where the reservation stands on the server now; null when that could not be learned. */
async function lookUp(reservation) {
  try {
    return await request(`/reservations/${encodeURIComponent(reservation.id)}`, credentials());
  } catch {
    return null;
  }
}

/**
 * The hold, as the server has it `now`, can no longer be paid: say what became of it and move on
 * (returns true); false while it is still held.
 */
function settled(reservation, now) {
  if (now.status === 'HELD' && Date.parse(now.held_until) > serverNow()) return false;
  if (now.status === 'CONFIRMED') {
    paid(reservation, { ownPayment: session.pendingPayment?.reservationId === reservation.id });
  } else {
    ended(reservation, now.status === 'CANCELLED' ? 'released' : 'expired');
  }
  return true;
}

// Paid by a payment whose answer never reached this page, or by another tab.
function paid(reservation, { ownPayment }) {
  if (ownPayment) forgetPass(); // used up by the payment (another tab's may have been another pass)
  forget(reservation);
  showNotice('Your payment went through: these seats are yours.');
  go.account();
}

// The hold ended unpaid: it ran out, or was released (from My tickets or another tab). The fan picks
// again while the turn lasts, or is sent back to the line.
function ended(reservation, how) {
  forget(reservation);
  const seats = reservation.seats.map((s) => s.number);
  const one = seats.length === 1;
  const which = `${one ? 'seat' : 'seats'} ${joinWords(seats)}`;
  const what = how === 'released'
    ? `Your hold was released: ${which} ${one ? 'is' : 'are'} no longer held for you.`
    : `Your hold expired and ${which} ${one ? 'was' : 'were'} released.`;
  const canPick = Boolean(session.pass?.token) && turnOverFor !== reservation.id;
  showError({ code: 'HOLD_EXPIRED', status: 409, problem: {} }, {
    message: `${what} ${canPick ? 'Pick your seats again.' : 'Join the line again to buy tickets.'}`,
    action: canPick ? null : 'join',
  });
  if (canPick) go.seats(scheduleOf(reservation));
  else go.concerts();
}

function forget(reservation) {
  if (session.reservation?.id === reservation.id) session.reservation = null;
  if (session.pendingPayment?.reservationId === reservation.id) session.pendingPayment = null;
}

async function pay() {
  const reservation = session.reservation;
  if (!reservation) return;
  clearError();
  if (session.pendingPayment?.reservationId !== reservation.id) {
    session.pendingPayment = { reservationId: reservation.id, key: newIdempotencyKey() };
  }
  let payment;
  try {
    payment = await request('/payments', {
      ...credentials({ withPass: true }),
      method: 'POST',
      json: { reservation_id: reservation.id },
      idempotencyKey: session.pendingPayment.key,
    });
  } catch (error) {
    // Settled meanwhile (found paid when the hold's time was up), or left: nothing to tell.
    if (session.reservation?.id !== reservation.id) return;
    if (error.status >= 400 && error.status < 500) session.pendingPayment = null;
    await payFailed(error, reservation);
    return;
  }
  session.pendingPayment = null;
  session.reservation = null;
  forgetPass(); // paying uses up the pass of this concert's line; passes of other lines are kept
  await refreshWallet().catch(() => {}); // the confirmation shows the balance left
  go.confirmation({ payment, reservation, schedule: scheduleOf(reservation) });
}

async function payFailed(error, reservation) {
  if (isAbort(error)) return;
  if (error.code === 'INSUFFICIENT_BALANCE') {
    await insufficientBalance(error, reservation);
  } else if (error.code === 'HOLD_EXPIRED') {
    session.reservation = null;
    showError(error, { action: null });
    go.seats(scheduleOf(reservation));
  } else if (error.code === 'RESERVATION_NOT_PAYABLE' || isPassLost(error)) {
    // Paid, or released, meanwhile (another tab; a payment whose answer was lost before a
    // reload): a payment uses the pass up too, so a refused pass may mean the seats are paid.
    const now = await lookUp(reservation);
    if (now && settled(reservation, now)) return;
    if (isPassLost(error)) {
      passLost(error);
      return;
    }
    session.reservation = null;
    showError(error);
  } else if (error.code === 'NETWORK_ERROR') {
    showError(error, {
      message: 'Cannot reach boxoffice, so your payment may or may not have gone through. Check your '
        + 'connection, then try again: you will not be charged twice.',
      retry: () => alone($('#pay-button'), pay),
    });
  } else {
    showError(error, { retry: () => alone($('#pay-button'), pay) });
  }
}

async function insufficientBalance(error, reservation) {
  let missing = 0;
  try {
    const wallet = await refreshWallet();
    missing = Number(reservation.amount) - Number(wallet.balance);
  } catch {
    // The balance could not be read again; the message below still says what to do.
  }
  const more = missing > 0 ? ` You need ${money(missing)} more.` : '';
  showError(error, { message: `${describeError(error).message}${more}`, action: null });
  suggestTopUp(missing);
}

// One Idempotency-Key per release, sent again by its retry: a cancel whose answer was lost is
// answered again as it was, not "already cancelled".
async function release(key = newIdempotencyKey()) {
  const reservation = session.reservation;
  if (!reservation) return;
  clearError();
  const path = `/reservations/${encodeURIComponent(reservation.id)}`;
  try {
    // Only a hold is released here: a payment whose answer was lost (or sent from another tab)
    // may have made it a booking, which is cancelled, and refunded, from My tickets only.
    const now = await request(path, credentials());
    if (now.status !== 'HELD') {
      session.reservation = null;
      if (now.status === 'CONFIRMED') {
        showNotice('These seats are already paid for: here they are (cancel here for a refund).');
        go.account();
      } else {
        showNotice('This hold has already ended.');
        go.seats(scheduleOf(reservation));
      }
      return;
    }
    await request(`${path}/cancel`, { ...credentials(), method: 'POST', idempotencyKey: key });
  } catch (error) {
    showError(error, { retry: () => alone($('#cancel-hold-button'), () => release(key)) });
    return;
  }
  session.reservation = null;
  showNotice('Your seats were released.');
  go.seats(scheduleOf(reservation));
}
