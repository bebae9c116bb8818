// The waiting room: join the line, then follow the pass (event stream where offered, polling
// otherwise, waiting poll_after_seconds between polls) until it turns ACTIVE, showing the place in
// line, the estimated wait, progress since joining, and the countdown to the sale's opening.

import { ApiError, isTransient, request, serverNow, sleep } from './api.js';
import { $, busy, everySecond, isAbort } from './dom.js';
import { clearError, showError, showNotice } from './feedback.js';
import { clock, roughDuration, secondsUntil } from './format.js';
import { currentScreen, go, showScreen } from './screens.js';
import { credentials, forgetPass, forgetPassForConcert, session } from './session.js';
import { TICKET_PATH, listen, streamOffered } from './stream.js';

const PASS_ERRORS = new Set(['QUEUE_TOKEN_EXPIRED', 'QUEUE_TOKEN_INVALID', 'QUEUE_TOKEN_FORBIDDEN']);
const ANNOUNCE_EVERY_MS = 15_000;
let lastAnnounced = { text: '', at: 0 };

export function initQueue() {
  $('#leave-queue-button').addEventListener('click', () => busy($('#leave-queue-button'), leaveLine));
}

/**
 * Join the line that covers the chosen concert (its own, or the house line), or get back one's
 * place in it: joining again never loses it, and a fan whose turn is on there goes straight in.
 */
export async function joinLine() {
  const concert = session.concert;
  if (!concert) {
    go.concerts();
    return;
  }
  clearError();
  try {
    const pass = await request('/queue/tokens', {
      ...credentials(), method: 'POST', json: { concert_id: concert.id },
    });
    rememberPass(pass);
  } catch (error) {
    showError(error, { retry: joinLine });
    return;
  }
  go.queue();
}

/** Is this error about the pass (gone, foreign or forged), so that the fan must join again? */
export function isPassLost(error) {
  return PASS_ERRORS.has(error?.code);
}

/**
 * Forget a pass the server no longer accepts and say what to do: join the chosen concert's line.
 * A pass for another line is forgotten for this concert only: it still opens that line's concerts.
 * The dates and the seat map need the pass: the fan is taken off them to the concert list, which
 * stops their refreshes (sent on without a pass, they were answered "not recognised", which
 * replaced the message saying what happened, and Hold stayed on).
 */
export function passLost(error) {
  $('#pass-banner').hidden = true;
  if (['dates', 'seats'].includes(currentScreen())) go.concerts();
  const title = session.concert?.title;
  if (error.code === 'QUEUE_TOKEN_FORBIDDEN') {
    forgetPassForConcert();
    showError(error, title ? {
      message: `This place in line does not open ${title}: it is for another line (each concert may `
        + `have a line of its own). Join the line for ${title}; your places in other lines are kept.`,
    } : {});
    return;
  }
  forgetPass();
  showError(error, title && error.code === 'QUEUE_TOKEN_EXPIRED' ? {
    message: `Your turn for ${title} has ended (it ran out of time or was used by a payment). `
      + `Join the line for ${title} again to buy more tickets.`,
  } : {});
}

/** Ask the server where the pass stands now; returns the status (or throws ApiError). */
export async function refreshPass(signal) {
  const status = await request('/queue/status', { ...credentials({ withPass: true }), signal });
  rememberPass(status);
  return status;
}

export function showQueue() {
  if (!session.pass?.token) {
    go.concerts();
    return;
  }
  const signal = showScreen('queue');
  document.title = 'In line — boxoffice';
  $('#queue-concert').textContent = session.concert?.title ?? 'the sale';
  $('#queue-line').textContent = lineWords(session.pass.line);
  render(session.pass);
  if (session.pass.status === 'ACTIVE') {
    go.dates();
    return;
  }
  everySecond(signal, renderOpening);
  follow(signal);
}

// Which line the pass is for, in words (nothing when the server does not say: a v1 server).
function lineWords(line) {
  if (line === undefined) return '';
  return line === null
    ? 'This concert is sold through the shared line of every concert without a line of its own.'
    : 'This concert has a line of its own: your place in it is for this concert only.';
}

function rememberPass(status) {
  const previous = session.pass;
  const sameToken = !status.token || previous?.token === status.token;
  let initialPosition = sameToken ? previous?.initialPosition ?? null : null;
  if (initialPosition === null && typeof status.position === 'number') initialPosition = status.position;
  session.pass = {
    token: status.token ?? previous?.token,
    line: 'concert_id' in status ? status.concert_id : (sameToken ? previous?.line : undefined),
    status: status.status,
    position: status.position ?? null,
    estimatedWait: status.estimated_wait_seconds ?? null,
    activeUntil: status.active_until ?? null,
    opensAt: status.opens_at ?? null,
    pollAfter: status.poll_after_seconds ?? null,
    initialPosition,
  };
}

async function follow(signal) {
  if (await streamOffered() && !signal.aborted) {
    setMode('Live updates: this page changes as soon as the line moves.');
    const pass = session.pass;
    const newTicket = async () => {
      const options = { ...credentials({ withPass: true }), method: 'POST', signal, retries: 0 };
      return (await request(TICKET_PATH, options)).ticket;
    };
    const outcome = await listen({ passToken: pass.token, newTicket, signal, onUpdate: onStreamUpdate });
    if (outcome !== 'failed') return;
  }
  poll(signal);
}

function onStreamUpdate(data) {
  if (data.code) {
    lost(new ApiError(data.status ?? 401, data));
    return 'done';
  }
  if (!data.status) return undefined;
  return apply(data) ? 'done' : undefined;
}

async function poll(signal) {
  let failures = 0;
  while (!signal.aborted) {
    let waitSeconds;
    try {
      const status = await refreshPass(signal);
      failures = 0;
      if (apply(status, { remembered: true })) return;
      waitSeconds = pollDelay(status);
      setMode(`Checking your place every ${waitSeconds} s. Keep this page open.`);
    } catch (error) {
      if (isAbort(error)) return;
      if (!isTransient(error)) {
        lost(error);
        return;
      }
      failures += 1;
      waitSeconds = Math.min(30, 2 ** failures);
      showNotice(`Lost contact with the line; your place is kept. Checking again in ${waitSeconds} s…`, waitSeconds);
    }
    try {
      await sleep(waitSeconds * 1000, signal);
    } catch {
      return;
    }
  }
}

// Before the opening, ask again right after it (with a little jitter so that every waiting fan
// does not ask in the same second); otherwise wait what the server asked for.
function pollDelay(status) {
  const asked = Math.min(60, Math.max(1, Number(status.poll_after_seconds) || 2));
  if (status.position === null && status.opens_at) {
    const untilOpening = secondsUntil(status.opens_at, serverNow());
    if (untilOpening > 0) return Math.min(asked, Math.ceil(untilOpening + Math.random() * 2));
  }
  return asked;
}

/** Take a new status in; returns true when the pass is ACTIVE and the fan was moved on. */
function apply(status, { remembered = false } = {}) {
  if (!remembered) rememberPass(status);
  render(session.pass);
  if (status.status !== 'ACTIVE') return false;
  announce("It's your turn! Choose a date and seats now.", true);
  document.title = "It's your turn — boxoffice";
  go.dates();
  return true;
}

function lost(error) {
  if (isPassLost(error)) passLost(error);
  else showError(error, { retry: () => go.queue() });
  setMode('');
}

async function leaveLine() {
  try {
    await request('/queue/tokens/current', { ...credentials({ withPass: true }), method: 'DELETE' });
  } catch (error) {
    if (!isPassLost(error)) {
      showError(error, { retry: leaveLine });
      return;
    }
  }
  forgetPass();
  showNotice('You left the line. You can join again at any time, at the back of the line.');
  go.concerts();
}

function render(pass) {
  const preQueue = pass.status === 'WAITING' && pass.position === null && Boolean(pass.opensAt);
  $('#prequeue').hidden = !preQueue;
  $('#inline-queue').hidden = preQueue;
  if (preQueue) {
    renderOpening();
    $('#queue-next').textContent = 'At the opening, everyone waiting is put in line in an order drawn '
      + 'at random, once; after that the line moves in that order. This page shows your place then, '
      + 'and moves you on by itself when your turn comes.';
    announce('You are in the pre-queue. The order will be drawn at random when the sale opens.');
    return;
  }
  renderPlace(pass);
}

function renderPlace(pass) {
  const { position, initialPosition } = pass;
  $('#queue-position').textContent = position === null ? '–' : String(position);
  if (position !== null) document.title = `#${position} in line — boxoffice`; // seen from other tabs
  $('#queue-wait').textContent = roughDuration(pass.estimatedWait);
  const progress = $('#queue-progress');
  const done = initialPosition && position ? initialPosition - position : 0;
  // The bar and its words count the same thing: the people who were ahead on joining.
  const ahead = initialPosition > 1 ? initialPosition - 1 : 0;
  progress.value = pass.status === 'ACTIVE' ? 100 : (ahead && Math.round((100 * done) / ahead));
  $('#queue-progress-label').textContent = initialPosition > 1
    ? `Progress since you joined: ${done} of the ${initialPosition - 1} people ahead of you have gone in`
    : 'Progress since you joined';
  $('#queue-next').textContent = position === 1
    ? "You're next. This page takes you to the dates by itself when your turn comes; then you have "
      + 'a few minutes to choose seats and pay.'
    : 'When your turn comes this page takes you to the dates by itself; then you have a few minutes to '
      + 'choose seats and pay. Keep this page open; leaving it does not lose your place.';
  if (position !== null) {
    announce(`You are number ${position} in line. Estimated wait: ${roughDuration(pass.estimatedWait)}.`);
  }
}

function renderOpening() {
  const opensAt = session.pass?.opensAt;
  if (!opensAt || $('#prequeue').hidden) return true;
  const left = secondsUntil(opensAt, serverNow());
  $('#opens-countdown').textContent = left > 0 ? clock(left) : 'now — drawing the order…';
  return true;
}

function setMode(text) {
  $('#queue-mode').textContent = text;
}

// The live region speaks on changes, not every poll, and not more often than every 15 s.
function announce(text, urgent = false) {
  const now = Date.now();
  if (text === lastAnnounced.text) return;
  if (!urgent && now - lastAnnounced.at < ANNOUNCE_EVERY_MS) return;
  lastAnnounced = { text, at: now };
  $('#queue-live').textContent = text;
}
