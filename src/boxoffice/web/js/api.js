// HTTP client for the boxoffice API: adds the credentials, turns problem+json answers and network
// failures into ApiError, and retries by itself when the service answers RATE_LIMITED or BUSY, or
// SERVICE_UNAVAILABLE to a request with an Idempotency-Key (which the retry sends again, so it
// counts once), after the Retry-After seconds it names, telling a listener so the page can say so.

export const API_BASE = '/api/v1';
const MAX_AUTOMATIC_RETRIES = 5;
const DEFAULT_RETRY_SECONDS = 2;
const MAX_RETRY_SECONDS = 120;
// A request with no answer by then is given up as a network failure (the service answers within
// its deadline, 5 s, or says it could not): a stalled one would leave its button busy for good.
// A money-moving one is sent again with its Idempotency-Key, so the first can never count twice.
const REQUEST_TIMEOUT_MS = 15_000;

let clockOffsetMs = 0;
let retryListener = () => {};

export class ApiError extends Error {
  constructor(status, problem = {}, retryAfterSeconds = DEFAULT_RETRY_SECONDS) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = problem.code || (status === 0 ? 'NETWORK_ERROR' : `HTTP_${status}`);
    this.problem = problem;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Called with (error, seconds) before an automatic retry, and with (null) once it is sent. */
export function onAutomaticRetry(listener) {
  retryListener = listener;
}

/** Milliseconds since the epoch on the server's clock (learned from the Date header). */
export function serverNow() {
  return Date.now() + clockOffsetMs;
}

/** A fresh Idempotency-Key; crypto.randomUUID exists only on secure origins. */
export function newIdempotencyKey() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Lists may come bare or wrapped in a page object; either way return the items. */
export function asList(body) {
  if (Array.isArray(body)) return body;
  return body?.items ?? body?.results ?? body?.data ?? [];
}

export function isRetryable(error) {
  if (error.code === 'RATE_LIMITED' || error.code === 'BUSY') return true;
  return !error.problem?.code && (error.status === 429 || error.status === 503);
}

/**
 * Whether something the page keeps asking for (its place in line, the seat map, the admin's
 * figures) may be asked for again as it is after failing this way: the network, a limit, or a
 * server or proxy that could not answer (any 5xx: an outage, a restart, a deadline). Such a
 * loop never gives up on these; only an answer about the request itself ends it.
 */
export function isTransient(error) {
  return error.code === 'NETWORK_ERROR' || isRetryable(error) || error.status >= 500;
}

/**
 * Send one API request. Options: method, json, form (URL-encoded), accessToken, passToken,
 * adminKey, idempotencyKey, signal, retries.
 */
export async function request(path, options = {}) {
  const { method = 'GET', signal, retries = MAX_AUTOMATIC_RETRIES } = options;
  const init = { method, headers: buildHeaders(options), body: buildBody(options), signal };
  for (let attempt = 0; ; attempt += 1) {
    const response = await send(API_BASE + path, init);
    noteServerClock(response);
    if (response.ok) return readBody(response);
    const error = new ApiError(response.status, await readProblem(response), retryAfter(response));
    const keyed = error.code === 'SERVICE_UNAVAILABLE' && Boolean(options.idempotencyKey);
    if (!(isRetryable(error) || keyed) || attempt >= retries) throw error;
    retryListener(error, error.retryAfterSeconds);
    try {
      await sleep(error.retryAfterSeconds * 1000, signal);
    } finally {
      retryListener(null); // sent again, or given up with its screen: the notice goes either way
    }
  }
}

function buildHeaders({ json, accessToken, passToken, adminKey, idempotencyKey }) {
  const headers = { Accept: 'application/json, application/problem+json' };
  if (json !== undefined) headers['Content-Type'] = 'application/json';
  if (accessToken) headers.Authorization = `Bearer ${accessToken}`;
  if (passToken) headers['X-Queue-Token'] = passToken;
  if (adminKey) headers['X-Admin-Key'] = adminKey;
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
  return headers;
}

function buildBody({ json, form }) {
  if (json !== undefined) return JSON.stringify(json);
  if (form) return new URLSearchParams(form);
  return undefined;
}

// A controller of its own, aborted by the caller's signal or by the timeout (AbortSignal.any and
// AbortSignal.timeout would do it, but phones from before 2024 lack them). The timeout runs until
// the answer's headers arrive; a body of this API's size follows at once.
async function send(url, init) {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, REQUEST_TIMEOUT_MS);
  const caller = init.signal;
  const forward = () => controller.abort();
  if (caller?.aborted) forward();
  else caller?.addEventListener('abort', forward, { once: true });
  try {
    return await fetch(url, { ...init, signal: controller.signal });
  } catch (error) {
    if (timedOut) {
      throw new ApiError(0, {
        code: 'NETWORK_ERROR', detail: `No answer within ${REQUEST_TIMEOUT_MS / 1000} s.`,
      });
    }
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, { code: 'NETWORK_ERROR', detail: error.message });
  } finally {
    clearTimeout(timer);
    caller?.removeEventListener('abort', forward);
  }
}

async function readBody(response) {
  if (response.status === 204) return null;
  const type = response.headers.get('Content-Type') || '';
  if (type.includes('json')) return response.json();
  return response.text();
}

async function readProblem(response) {
  const text = await response.text().catch(() => '');
  try {
    const problem = JSON.parse(text);
    if (problem && typeof problem === 'object') return problem;
  } catch {
    // Not JSON (a proxy's error page, say): keep the start of the text as the detail.
  }
  return { title: response.statusText, status: response.status, detail: text.slice(0, 200) };
}

function retryAfter(response) {
  const header = response.headers.get('Retry-After');
  if (!header) return DEFAULT_RETRY_SECONDS;
  let seconds = Number(header);
  if (Number.isNaN(seconds)) seconds = (Date.parse(header) - serverNow()) / 1000;
  if (!Number.isFinite(seconds)) return DEFAULT_RETRY_SECONDS;
  return Math.min(MAX_RETRY_SECONDS, Math.max(1, Math.ceil(seconds)));
}

// Countdowns (holds, turns, the sale's opening) must follow the server's clock, not a phone's
// that may be minutes off. The Date header has one-second resolution, so small offsets are noise.
function noteServerClock(response) {
  const date = Date.parse(response.headers.get('Date') || '');
  if (Number.isNaN(date)) return;
  // The Date header is rounded down to the second: +500 ms is its expected true value, and a
  // slow answer must not pass for a skewed clock, so only a gap of several seconds counts.
  const offset = date + 500 - Date.now();
  clockOffsetMs = Math.abs(offset) > 3000 ? offset : 0;
}

/** Resolve after ms, or reject with AbortError when the signal fires first. */
export function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new DOMException('Aborted', 'AbortError'));
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    function onAbort() {
      clearTimeout(timer);
      reject(new DOMException('Aborted', 'AbortError'));
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
