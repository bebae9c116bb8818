// Admin: read an admin endpoint every few seconds while the page is shown and not paused, render
// each answer, and say so in `status` when an update failed but will be tried again.

import { isTransient, request } from './api.js';
import { isAbort, repeat } from './dom.js';
import { showError } from './feedback.js';

/**
 * Every `everyMs` until `signal` aborts: GET `path` with the admin key (`key()`) and `render` it,
 * unless `paused()` or the page is hidden. A transient error (the network, a limit, a 5xx) is
 * told in `status` and tried again; any other ends the watch with the error shown.
 */
export function watchAdmin(path, { everyMs, signal, key, paused, render, status }) {
  repeat(everyMs, signal, async () => {
    if (paused() || document.hidden) return true;
    try {
      render(await request(path, { adminKey: key(), signal, retries: 0 }));
      return true;
    } catch (error) {
      if (isAbort(error)) return false;
      if (isTransient(error)) {
        status.textContent = `Could not update (${error.code}); trying again.`;
        return true;
      }
      showError(error);
      return false;
    }
  });
}
