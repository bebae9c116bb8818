// Entry point of the fan's page: wires the screens together (the `go` table every module uses to
// move on), maps error follow-ups to screens, and resumes where the tab was after a reload.

import { initAuth, sessionEnded, showAuth } from './js/auth.js';
import { initConcerts, showConcerts } from './js/concerts.js';
import { initConfirmation, showConfirmation } from './js/confirmation.js';
import { initDates, knownSchedule, showDates } from './js/dates.js';
import { $, isAbort } from './js/dom.js';
import { setActionHandlers, showError } from './js/feedback.js';
import { initHold, showHold } from './js/hold.js';
import { initQueue, joinLine, showQueue } from './js/queue.js';
import { showAccount } from './js/account.js';
import { currentScreen, go } from './js/screens.js';
import { currentSchedule, initSeats, showSeats } from './js/seats.js';
import { session } from './js/session.js';
import { initWalletPanel, refreshWallet, suggestTopUp } from './js/wallet.js';

Object.assign(go, {
  afterLogin,
  concerts: showConcerts,
  join: joinLine,
  queue: showQueue,
  dates: showDates,
  seats: showSeats,
  hold: showHold,
  confirmation: showConfirmation,
  account: showAccount,
});

setActionHandlers({
  login: sessionEnded,
  join: () => go.join(),
  'join-concert': () => go.join(),
  queue: () => go.queue(),
  concerts: () => go.concerts(),
  dates: () => go.dates(),
  seats: backToSeats,
  tickets: () => go.account(),
  topup: showTopUp,
}, { immediate: ['login'] });

function backToSeats() {
  const kept = session.reservation;
  const schedule = currentSchedule() ?? (kept && (knownSchedule(kept.schedule_id) ?? kept.schedule));
  if (schedule) go.seats(schedule);
  else go.dates();
}

function showTopUp() {
  if (currentScreen() === 'hold' || currentScreen() === 'account') suggestTopUp(0);
  else go.account({ focusWallet: true });
}

async function afterLogin() {
  $('#nav').hidden = false;
  $('#whoami').textContent = `Signed in as ${session.username ?? 'you'}`;
  try {
    await refreshWallet();
  } catch (error) {
    showError(error);
    if (error.code === 'UNAUTHENTICATED') return;
  }
  resume();
}

// After a reload: an open hold first, then a place in line, else the concert list. The hold screen
// asks the server where a kept hold stands (it may have been paid, or have run out, meanwhile).
function resume() {
  const reservation = session.reservation;
  if (reservation) go.hold(reservation);
  else if (session.pass?.token) go.queue();
  else go.concerts();
}

function wireNavigation() {
  $('#nav-concerts').addEventListener('click', () => go.concerts());
  $('#nav-tickets').addEventListener('click', () => go.account());
  $('#nav-wallet').addEventListener('click', () => go.account({ focusWallet: true }));
}

// A promise nobody awaited failed: say so on the page rather than only in the console.
window.addEventListener('unhandledrejection', (event) => {
  event.preventDefault();
  if (!isAbort(event.reason)) showError(event.reason);
});

initAuth();
initConcerts();
initQueue();
initDates();
initSeats();
initHold();
initConfirmation();
initWalletPanel();
wireNavigation();
if (session.accessToken) afterLogin();
else showAuth();
