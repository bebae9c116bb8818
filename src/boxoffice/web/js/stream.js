// The waiting room's event stream, used only where the server offers one. Whether it does is read
// from /openapi.json first (a probe of the stream itself would log a 404 in the console); and when
// the stream fails or falls silent, listen() resolves 'failed' so the caller polls instead.

import { API_BASE } from './api.js';

const STREAM_PATH = '/queue/stream';
const SILENCE_LIMIT_MS = 45_000;
const ERRORS_BEFORE_GIVING_UP = 3;

let offered = null;

/** Does the server document a queue stream? Asked once per page. */
export function streamOffered() {
  offered ??= fetch('/openapi.json', { headers: { Accept: 'application/json' } })
    .then((response) => (response.ok ? response.json() : null))
    .then((doc) => Boolean(doc?.paths?.[API_BASE + STREAM_PATH]))
    .catch(() => false);
  return offered;
}

/**
 * Listen to the stream until the signal aborts. `onUpdate(data)` gets each parsed event (a queue
 * status, or a problem document) and returns 'done' to stop. Resolves 'done', 'stopped' or
 * 'failed' (then the caller polls).
 */
export function listen({ passToken, accessToken, signal, onUpdate }) {
  const query = new URLSearchParams({ token: passToken, access_token: accessToken });
  const source = new EventSource(`${API_BASE}${STREAM_PATH}?${query}`);
  return new Promise((resolve) => {
    let finished = false;
    let errorsInARow = 0;
    let silence = null;

    function finish(outcome) {
      if (finished) return;
      finished = true;
      clearTimeout(silence);
      source.close();
      resolve(outcome);
    }

    function expectMore() {
      clearTimeout(silence);
      silence = setTimeout(() => finish('failed'), SILENCE_LIMIT_MS);
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

    function onError(event) {
      if (event.data) {
        onEvent(event); // a server-sent "event: error" carrying a problem document
        return;
      }
      errorsInARow += 1;
      if (source.readyState === EventSource.CLOSED || errorsInARow >= ERRORS_BEFORE_GIVING_UP) {
        finish('failed');
      }
    }

    for (const type of ['message', 'status', 'update', 'queue', 'heartbeat', 'ping']) {
      source.addEventListener(type, onEvent);
    }
    source.addEventListener('error', onError);
    signal.addEventListener('abort', () => finish('stopped'), { once: true });
    expectMore();
  });
}
