// The fan's state that survives a reload of the tab (sessionStorage, so it ends with the tab):
// access token, username, queue pass, the chosen concert and the hold being paid for.

const PREFIX = 'boxoffice.';

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

/**
 * session.accessToken, session.username, session.pass ({token, initialPosition, status,
 * activeUntil, opensAt}), session.concert ({id, title}), session.reservation (the open hold).
 */
export const session = Object.defineProperties({}, {
  accessToken: field('accessToken'),
  username: field('username'),
  pass: field('pass'),
  concert: field('concert'),
  reservation: field('reservation'),
});

/** Merge fields into the stored pass (it is a JSON copy, so it must be written back). */
export function updatePass(fields) {
  session.pass = { ...(session.pass || {}), ...fields };
}

export function forgetPass() {
  session.pass = null;
}

export function forgetEverything() {
  for (const name of ['accessToken', 'username', 'pass', 'concert', 'reservation']) write(name, null);
}

/** Options for api.request carrying the account (and, when asked, the queue pass). */
export function credentials({ withPass = false } = {}) {
  const options = { accessToken: session.accessToken };
  if (withPass) options.passToken = session.pass?.token;
  return options;
}
