// The fan's state that survives a reload of the tab (sessionStorage, so it ends with the tab):
// access token, username, the chosen concert, the queue pass for it and those kept for other
// concerts, the hold being paid for, and the Idempotency-Keys of a payment and a top-up whose
// outcome is unknown (a reload must send the same key again, or a retry would charge twice).
//
// Each concert may have a line of its own, and a pass opens only the concerts its line covers, so
// a pass is kept per concert. The chosen concert's pass is stored as `pass` (as before there were
// lines: a tab from then resumes with it, and the pass stays the first concert's chosen); the
// others wait in `otherPasses` until their concert is chosen again. Concerts in the same line
// (the house line) share one pass, kept under each of them.

const PREFIX = 'boxoffice.';
const NAMES = [
  'accessToken', 'username', 'pass', 'otherPasses', 'concert', 'reservation', 'pendingPayment', 'pendingTopUp',
];

function read(name) {
  try {
    return JSON.parse(sessionStorage.getItem(PREFIX + name));
  } catch {
    return null;
  }
}

function write(name, value) {
  if (value === null || value === undefined) sessionStorage.removeItem(PREFIX + name);
  else sessionStorage.setItem(PREFIX + name, JSON.stringify(value));
}

function field(name) {
  return {
    get: () => read(name),
    set: (value) => write(name, value),
    enumerable: true,
  };
}

function readOthers() {
  return read('otherPasses') ?? {};
}

function writeOthers(others) {
  write('otherPasses', Object.keys(others).length ? others : null);
}

/**
 * session.accessToken, session.username, session.concert ({id, title}: the concert chosen, set
 * with chooseConcert), session.pass (the chosen concert's pass: {token, line, initialPosition,
 * status, activeUntil, opensAt}; `line` is the concert whose own line it is, null for the house
 * line), session.passes (every pass kept, by concert id, read only), session.reservation (the
 * open hold, with the concert it was held for), session.pendingPayment ({reservationId, key}) and
 * session.pendingTopUp ({key, amount}) while no clear answer to them has come.
 */
export const session = Object.defineProperties({}, {
  accessToken: field('accessToken'),
  username: field('username'),
  concert: { get: () => read('concert'), enumerable: true },
  pass: {
    get: () => read('pass'),
    set: (value) => keepPass(value),
    enumerable: true,
  },
  passes: {
    get: () => {
      const concert = read('concert');
      const pass = read('pass');
      return concert && pass ? { ...readOthers(), [concert.id]: pass } : readOthers();
    },
    enumerable: true,
  },
  reservation: field('reservation'),
  pendingPayment: field('pendingPayment'),
  pendingTopUp: field('pendingTopUp'),
});

/** Make `concert` ({id, title}) the chosen one: its pass (if one is kept) becomes session.pass. */
export function chooseConcert(concert) {
  const previous = read('concert');
  if (previous && String(previous.id) === String(concert.id)) {
    write('concert', concert);
    return;
  }
  const others = readOthers();
  const pass = read('pass');
  // A pass taken before any concert was chosen (a tab from before lines) stays in use.
  let next = previous ? null : pass;
  if (previous && pass) others[previous.id] = pass;
  if (others[concert.id]) {
    next = others[concert.id];
    delete others[concert.id];
  }
  writeOthers(others);
  write('pass', next);
  write('concert', concert);
}

// The chosen concert's pass is `value`; the same pass kept for other concerts of its line is
// brought up to date with it.
function keepPass(value) {
  write('pass', value);
  if (!value?.token) return;
  const others = readOthers();
  for (const [id, kept] of Object.entries(others)) {
    if (kept.token === value.token) others[id] = value;
  }
  writeOthers(others);
}

/** The pass is gone (expired, used up by a payment, given up): forget it for every concert. */
export function forgetPass() {
  const token = read('pass')?.token;
  write('pass', null);
  if (!token) return;
  const others = readOthers();
  for (const [id, kept] of Object.entries(others)) {
    if (kept.token === token) delete others[id];
  }
  writeOthers(others);
}

/**
 * The pass does not open the chosen concert (it is for another line): stop using it for this
 * concert only; the other concerts it opens keep it.
 */
export function forgetPassForConcert() {
  write('pass', null);
}

export function forgetEverything() {
  for (const name of NAMES) write(name, null);
}

/**
 * The log-in ended (its token ran out, an hour by default): forget the token only. The place in
 * line, the passes and an open hold stay for whoever logs in next, if it is the same fan
 * (`keepFor`); a fan waiting a long time would otherwise lose sight of their place.
 */
export function forgetAccess() {
  write('accessToken', null);
}

/** Before `username`'s log-in: what the page kept of another fan's is forgotten. */
export function keepFor(username) {
  if (session.username && session.username !== username) forgetEverything();
}

/** Options for api.request carrying the account (and, when asked, the chosen concert's pass). */
export function credentials({ withPass = false } = {}) {
  const options = { accessToken: session.accessToken };
  if (withPass) options.passToken = session.pass?.token;
  return options;
}
