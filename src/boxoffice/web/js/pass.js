// The banner shown while the fan's turn lasts (dates, seats, hold): a countdown to active_until.
// The server is the judge of the pass, so at zero the banner asks it before saying the turn ended.

import { serverNow } from './api.js';
import { $, everySecond, isAbort } from './dom.js';
import { showError } from './feedback.js';
import { clock, secondsUntil } from './format.js';
import { isPassLost, passLost, refreshPass } from './queue.js';
import { go } from './screens.js';
import { session } from './session.js';

/**
 * Check the pass once (so active_until is fresh) and keep the banner counting until the screen is
 * left. Resolves false, after saying what to do, when there is no usable pass.
 */
export async function watchPass(signal) {
  if (!session.pass?.token) {
    showError({ code: 'QUEUE_TOKEN_INVALID', status: 401, problem: {} });
    return false;
  }
  signal.addEventListener('abort', () => {
    $('#pass-banner').hidden = true;
  }, { once: true });
  if (!(await checkPass(signal))) return false;
  everySecond(signal, () => tick(signal));
  return true;
}

async function checkPass(signal) {
  try {
    const status = await refreshPass(signal);
    if (status.status === 'ACTIVE') return true;
    $('#pass-banner').hidden = true;
    go.queue(); // still waiting: back to the line, which moves on by itself
    return false;
  } catch (error) {
    if (isAbort(error)) return false;
    if (isPassLost(error)) {
      passLost(error);
      return false;
    }
    if (error.code === 'UNAUTHENTICATED') {
      showError(error);
      return false;
    }
    return true; // a network blip: carry on, the next request will tell
  }
}

// After a check at zero, wait before asking again: the server may still see the pass as live for
// a moment, and asking every second would only add load.
const RECHECK_AFTER_MS = 10_000;
let nextCheckAt = 0;

function tick(signal) {
  const until = session.pass?.activeUntil;
  const banner = $('#pass-banner');
  if (!until) {
    banner.hidden = true;
    return true;
  }
  const left = secondsUntil(until, serverNow());
  banner.hidden = false;
  $('#active-countdown').textContent = clock(left);
  banner.classList.toggle('urgent', left < 60);
  if (left <= 0 && Date.now() >= nextCheckAt) {
    nextCheckAt = Date.now() + RECHECK_AFTER_MS;
    checkPass(signal);
  }
  return true;
}
