// How money, times and durations are written on the page. Money arrives as an integer count of the
// currency's smallest unit (KRW has none smaller than the won), so it is never computed as a float.

let currentCurrency = 'KRW';

export function setCurrency(currency) {
  if (currency) currentCurrency = currency;
}

export function currency() {
  return currentCurrency;
}

/** Digits after the decimal point for the currency (0 for KRW, 2 for EUR). */
export function fractionDigits(code = currentCurrency) {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency: code }).resolvedOptions()
      .maximumFractionDigits;
  } catch {
    return 0;
  }
}

/** An amount in the smallest unit, written for people: 50000 → "₩50,000". */
export function money(amount, code = currentCurrency) {
  const digits = fractionDigits(code);
  const major = Number(amount) / 10 ** digits;
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: code }).format(major);
  } catch {
    return `${major.toLocaleString()} ${code}`;
  }
}

/** A typed amount in major units ("12.5") to the smallest unit (1250), or NaN. */
export function toMinorUnits(text, code = currentCurrency) {
  const value = Number(String(text).replace(/[\s,]/g, ''));
  if (!Number.isFinite(value)) return Number.NaN;
  return Math.round(value * 10 ** fractionDigits(code));
}

export function fromMinorUnits(amount, code = currentCurrency) {
  return Number(amount) / 10 ** fractionDigits(code);
}

/** "Sat, 12 Dec 2026, 19:00" in the reader's time zone. */
export function dateTime(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return new Intl.DateTimeFormat(undefined, {
    weekday: 'short', year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit',
  }).format(date);
}

/** A countdown: 299 → "4:59", 3723 → "1:02:03". */
export function clock(totalSeconds) {
  const seconds = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** A wait as people say it: "less than a minute", "about 3 min", "about 1 h 20 min". */
export function roughDuration(totalSeconds) {
  if (totalSeconds === null || totalSeconds === undefined || Number.isNaN(Number(totalSeconds))) {
    return 'not known yet';
  }
  const seconds = Math.max(0, Number(totalSeconds));
  if (seconds < 60) return 'less than a minute';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `about ${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest ? `about ${hours} h ${rest} min` : `about ${hours} h`;
}

/** Seconds from the server's now until an ISO instant (negative once past). */
/** A date in words for a heading: "Concert · Sat, 1 May, 19:00", or "Date 17" when unknown. */
export function scheduleWords(schedule) {
  const parts = [schedule.concertTitle, schedule.starts_at ? dateTime(schedule.starts_at) : null];
  return parts.filter(Boolean).join(' · ') || `Date ${schedule.id}`;
}

export function secondsUntil(iso, nowMs) {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return Number.NaN;
  return (at - nowMs) / 1000;
}

/** An ISO instant as the value of a datetime-local input, in the reader's time zone. */
export function toLocalInput(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`
    + `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** A datetime-local value (local time, no offset) as an ISO instant in UTC. */
export function fromLocalInput(value) {
  return new Date(value).toISOString();
}
