// What every error code of the API contract means to a person, in words that say what to do next,
// plus the follow-up action the page offers (a button) for it.

export const ACTION_LABELS = {
  login: 'Log in',
  join: 'Join the line again',
  'join-concert': "Join this concert's line",
  queue: 'Back to the line',
  concerts: 'Choose a concert',
  dates: 'Choose another date',
  seats: 'Back to the seat map',
  tickets: 'Open My tickets',
  topup: 'Top up now',
  reload: 'Reload the page',
  retry: 'Try again',
  'admin-key': 'Enter the admin key',
};

const MESSAGES = {
  UNAUTHENTICATED: ['You are not logged in, or your session has ended. Log in again to continue.', 'login'],
  BAD_CREDENTIALS: ['That username and password do not match. Check them and try again, or sign up.'],
  USERNAME_TAKEN: ['That username is already taken. Choose another one, or log in if it is yours.'],
  QUEUE_TOKEN_INVALID: ['Your place in line was not recognised. Join the line again.', 'join'],
  QUEUE_TOKEN_NOT_ACTIVE: [
    "It isn't your turn yet: you are still in line. Wait on the line screen; it moves you on by itself.",
    'queue',
  ],
  QUEUE_TOKEN_EXPIRED: [
    'Your turn has ended (it ran out of time or was used by a payment). Join the line again to buy more tickets.',
    'join',
  ],
  QUEUE_TOKEN_FORBIDDEN: [
    "This place in line does not open this concert: it is for another line (or another account's). "
      + "Join this concert's line.",
    'join-concert',
  ],
  IDEMPOTENCY_KEY_REUSED: [
    'This request clashed with an earlier, different one. Reload the page and try again.',
    'reload',
  ],
  CONCERT_NOT_FOUND: ['This concert is no longer listed. Choose another concert.', 'concerts'],
  SCHEDULE_NOT_FOUND: ['This date is no longer listed. Choose another date.', 'dates'],
  RESERVATION_NOT_FOUND: ['That reservation could not be found. Check My tickets.', 'tickets'],
  PAYMENT_NOT_FOUND: ['That payment could not be found. Check My tickets.', 'tickets'],
  RESERVATION_NOT_CANCELLABLE: [
    'This reservation can no longer be cancelled: it expired, was cancelled already, or its date '
      + 'has started. My tickets shows where it stands now.',
    'tickets',
  ],
  INTERNAL_ERROR: [
    'Something went wrong on our side and your request was not completed. Try again in a moment.',
    'retry',
  ],
  HOLD_LIMIT_EXCEEDED: [
    'You already hold as many seats as one person may hold at once. '
      + 'Pay for or release the seats you hold, then pick again.',
    'tickets',
  ],
  SECTION_NOT_FOUND: ['This date has no such section any more. Choose another section.', null],
  SCHEDULE_CLOSED: ['This date is no longer on sale. Choose another date.', 'dates'],
  HOLD_EXPIRED: [
    'Your hold ran out before the payment, and the seats were released. Pick your seats again.',
    'seats',
  ],
  RESERVATION_NOT_PAYABLE: [
    'This reservation can no longer be paid: it was already paid, released or it expired. Check My tickets.',
    'tickets',
  ],
  INSUFFICIENT_BALANCE: ['Your balance is too low: top up your wallet and pay again.', 'topup'],
  BALANCE_LIMIT_EXCEEDED: [
    'That top-up would take your balance over the wallet limit. Top up a smaller amount.',
    'topup',
  ],
  ADMIN_UNAUTHORIZED: ['The admin key was refused. Enter the right admin key.', 'admin-key'],
  RATE_LIMITED: ['Too many requests at the moment, and retrying did not help. Wait a minute, then try again.', 'retry'],
  BUSY: ['The service is very busy, and retrying did not help. Wait a minute, then try again.', 'retry'],
  SERVICE_UNAVAILABLE: [
    'The service could not answer just now, so this may or may not have gone through. Try again in a '
      + 'moment: trying again never charges you twice.',
    'retry',
  ],
  NETWORK_ERROR: ['Cannot reach boxoffice. Check your connection, then try again.', 'retry'],
};

/** A VALIDATION_ERROR found before sending: invalid({ amount: 'enter an amount' }). */
export function invalid(messages) {
  const errors = Object.entries(messages).map(([field, message]) => ({ field, message }));
  return { name: 'ApiError', code: 'VALIDATION_ERROR', status: 422, problem: { errors } };
}

/** Words for a notice while an automatic retry is pending. */
export function retryNotice(error, seconds) {
  const why = error.code === 'RATE_LIMITED'
    ? 'Too many requests at the moment.'
    : 'The service is busy.';
  return `${why} Trying again automatically in ${seconds} s…`;
}

/**
 * Describe an error for the page: {message, action, fields}. `fields` lists the
 * VALIDATION_ERROR entries as {field, message}.
 */
export function describeError(error) {
  const code = error?.code;
  if (code === 'VALIDATION_ERROR') return describeValidation(error);
  if (code === 'SEAT_UNAVAILABLE' && seatNumbersOf(error).length === 0 && error.problem?.detail) {
    // Best available seats: too few free. The server says how many and where.
    return { message: error.problem.detail, action: null, fields: [] };
  }
  if (code === 'SEAT_UNAVAILABLE') return describeSeats(error, 'Someone else just took', 'Pick another seat.');
  if (code === 'SEAT_NOT_FOUND') {
    return describeSeats(error, 'This date has no', 'The map has been refreshed: pick again.');
  }
  const known = MESSAGES[code];
  if (known) return { message: known[0], action: known[1] ?? null, fields: [] };
  return describeUnknown(error);
}

function describeUnknown(error) {
  if (!(typeof error === 'object' && error !== null && 'status' in error)) {
    const message = `Something went wrong in this page: ${error?.message ?? error}. Reload the page.`;
    return { message, action: 'reload', fields: [] };
  }
  const problem = error.problem || {};
  const title = problem.title || `Error ${error.status}`;
  const detail = problem.detail ? ` ${problem.detail}` : '';
  return {
    message: `Something went wrong (${title}).${detail} Try again; if it keeps happening, reload the page.`,
    action: 'retry',
    fields: [],
  };
}

function describeValidation(error) {
  const entries = Array.isArray(error.problem?.errors) ? error.problem.errors : [];
  const fields = entries.map((entry) => ({ field: fieldName(entry), message: fieldMessage(entry) }));
  const names = fields.map((f) => f.field).filter(Boolean);
  const which = names.length ? `: ${[...new Set(names)].join(', ')}` : '';
  return { message: `Some values need fixing${which}. Correct them and try again.`, action: null, fields };
}

// Entries may look like FastAPI's {loc, msg} or like {field, message}: accept both.
function fieldName(entry) {
  if (typeof entry === 'string') return '';
  if (entry.field || entry.name) return String(entry.field || entry.name);
  const loc = Array.isArray(entry.loc) ? entry.loc : [];
  return loc.filter((part) => !['body', 'query', 'path', 'header'].includes(part)).join('.');
}

function fieldMessage(entry) {
  if (typeof entry === 'string') return entry;
  return entry.message || entry.msg || entry.detail || 'is not valid';
}

export function seatNumbersOf(error) {
  const seats = error.problem?.seats ?? error.problem?.seat_numbers ?? [];
  return (Array.isArray(seats) ? seats : [seats])
    .map((seat) => (typeof seat === 'object' && seat !== null ? seat.number : seat))
    .filter((n) => n !== undefined && n !== null);
}

function describeSeats(error, lead, tail) {
  const numbers = seatNumbersOf(error);
  const named = numbers.length === 0
    ? (lead.startsWith('Someone') ? 'one of those seats' : 'such seat')
    : `${numbers.length === 1 ? 'seat' : 'seats'} ${joinWords(numbers)}`;
  return { message: `${lead} ${named}. ${tail}`, action: null, fields: [] };
}

export function joinWords(items) {
  const list = items.map(String);
  if (list.length <= 1) return list.join('');
  return `${list.slice(0, -1).join(', ')} and ${list[list.length - 1]}`;
}
