// The waiting room's event stream, used only where the server offers one. Whether it does is read
// from /openapi.json first (a probe of the stream itself would log a 404 in the console); and when
// the stream fails or falls silent, listen() resolves 'failed' so the caller polls instead.
//
// An EventSource sends no headers, so its credential is in the URL, which proxies log: it carries
// a stream ticket (good for this pass's stream only, for seconds), never the access token. Each
// connection takes a fresh ticket, so this module connects again by itself rather than letting
// the EventSource retry the same URL, whose ticket may have expired by then.

import { API_BASE, isTransient } from './api.js';
import { isAbort } from './dom.js';

const STREAM_PATH = '/queue/stream';
export const TICKET_PATH = '/queue/stream-tickets';
const SILENCE_LIMIT_MS = 45_000;
const ERRORS_BEFORE_GIVING_UP = 3;
const AGAIN_AFTER_ERROR_MS = 1_000;

let offered = null;

/** Does the server document a queue stream opened with tickets? Asked once per page. */
export function streamOffered() {
  offered ??= fetch('/openapi.json', { headers: { Accept: 'application/json' } })
    .then((response) => (response.ok ? response.json() : null))
    .then((doc) => Boolean(doc?.paths?.[API_BASE + STREAM_PATH] && doc.paths[API_BASE + TICKET_PATH]))
    .catch(() => false);
  return offered;
}

/**
 * Listen to the stream until the signal aborts. `newTicket()` resolves a stream ticket (or
 * rejects with an ApiError); `onUpdate(data)` gets each parsed event (a queue status, or a
 * problem document) and returns 'done' to stop. Resolves 'done', 'stopped' or 'failed' (then the
 * caller polls: also when another window of the same pass took the stream over).
 */
export function listen({ passToken, newTicket, signal, onUpdate }) {
  return new Promise((resolve) => {
    let source = null;
    let finished = false;
    let errorsInARow = 0;
    let silence = null;
    let again = null;

    function finish(outcome) {
      if (finished) return;
      finished = true;
      clearTimeout(silence);
      clearTimeout(again);
      source?.close();
      resolve(outcome);
    }

    function expectMore() {
      clearTimeout(silence);
      silence = setTimeout(() => finish('failed'), SILENCE_LIMIT_MS);
    }

    function connectAgain(afterMs) {
      source?.close();
      source = null;
      clearTimeout(again);
      again = setTimeout(connect, afterMs);
    }

    function failedOnce() {
      errorsInARow += 1;
      if (errorsInARow >= ERRORS_BEFORE_GIVING_UP) finish('failed');
      else connectAgain(AGAIN_AFTER_ERROR_MS * errorsInARow);
    }

    async function connect() {
      let ticket;
      try {
        ticket = await newTicket();
      } catch (error) {
        if (finished) return;
        if (isAbort(error)) finish('stopped');
        else if (error.problem?.code && !isTransient(error)) {
          // The pass or the session is gone: the caller says so, as for a problem event.
          onUpdate({ ...error.problem, status: error.status });
          finish('done');
        } else failedOnce();
        return;
      }
      if (finished) return;
      const query = new URLSearchParams({ token: passToken, ticket });
      source = new EventSource(`${API_BASE}${STREAM_PATH}?${query}`);
      for (const type of ['message', 'status', 'update', 'queue', 'heartbeat', 'ping']) {
        source.addEventListener(type, onEvent);
      }
      source.addEventListener('error', onError);
      source.addEventListener('reconnect', onReconnect);
      source.addEventListener('replaced', () => finish('failed'));
      expectMore();
    }

    function onEvent(event) {
      if (finished) return;
      errorsInARow = 0;
      expectMore();
      let data;
      try {
        data = JSON.parse(event.data);
      } catch {
        return; // a heartbeat or comment: it only proves the stream is alive
      }
      if (onUpdate(data) === 'done') finish('done');
    }

    // The server is restarting: connect again when it says, with a new ticket, through the load
    // balancer to an instance that serves on. Not an error: the place in line is kept.
    function onReconnect(event) {
      if (finished) return;
      let waitMs = AGAIN_AFTER_ERROR_MS;
      try {
        waitMs = Number(JSON.parse(event.data).retry_ms) || waitMs;
      } catch {
        // no hint: the default wait
      }
      connectAgain(waitMs);
    }

    function onError(event) {
      if (finished) return;
      if (event.data) {
        onEvent(event); // a server-sent "event: error" carrying a problem document
        return;
      }
      failedOnce(); // a refused or broken connection: a new one needs a new ticket
    }

    signal.addEventListener('abort', () => finish('stopped'), { once: true });
    connect();
  });
}
