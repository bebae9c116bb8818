// Screen switching: one <section data-screen> is shown at a time. Entering a screen returns an
// AbortSignal that fires when the screen is left, so its timers, polls and streams stop with it.
// `go` is the table of journeys between screens, filled in by app.js to avoid import cycles.

let current = null;
let controller = null;

export const go = {};

/** Show the named screen, stop the previous one's work, and move focus to its heading. */
export function showScreen(name, { focus = true } = {}) {
  controller?.abort();
  controller = new AbortController();
  for (const section of document.querySelectorAll('[data-screen]')) {
    section.hidden = section.dataset.screen !== name;
  }
  current = name;
  if (focus) document.querySelector(`[data-screen="${name}"] h2`)?.focus({ preventScroll: false });
  window.scrollTo({ top: 0 });
  return controller.signal;
}

export function currentScreen() {
  return current;
}

/** Put the shared wallet panel (one copy, so its ids stay unique) into a slot of this screen. */
export function placeWalletPanel(slotId) {
  const panel = document.getElementById('wallet-panel');
  document.getElementById(slotId).append(panel);
  panel.hidden = false;
}
