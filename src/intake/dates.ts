/**
 * Dates as agencies send them: ISO 8601 in the interchange format and the CIN census, day/month/year
 * in the SSDA903 tables. Each parser says what is wrong in words a data officer can act on:
 * "is not a real date" (30 February), "is in the future", "is before 1900".
 */

/** A parsed date, or why it could not be. */
export type DateResult = { ok: true; date: string } | { ok: false; reason: string };

function realDate(y: number, m: number, d: number): boolean {
  const probe = new Date(Date.UTC(y, m - 1, d));
  return probe.getUTCFullYear() === y && probe.getUTCMonth() === m - 1 && probe.getUTCDate() === d;
}

function checkRange(iso: string, today: string): DateResult {
  if (iso < '1900-01-01') return { ok: false, reason: 'is before 1900' };
  if (iso > today) return { ok: false, reason: 'is in the future' };
  return { ok: true, date: iso };
}

/** Today's date as YYYY-MM-DD (UTC), the upper bound for anything that has happened. */
export function todayIso(now = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/** Parses YYYY-MM-DD, refusing impossible and future dates. */
export function parseIsoDate(value: string, today = todayIso()): DateResult {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value.trim());
  if (!m) return { ok: false, reason: 'must be a date written YYYY-MM-DD' };
  if (!realDate(Number(m[1]), Number(m[2]), Number(m[3]))) return { ok: false, reason: 'is not a real date' };
  return checkRange(`${m[1]}-${m[2]}-${m[3]}`, today);
}

/** A date of birth as known: a full date, or only its month or year (then `date` is the first day of it). */
export type DateOfBirthResult = { ok: true; date: string; precision: 'day' | 'month' | 'year' } | { ok: false; reason: string };

/**
 * Parses a date of birth written YYYY-MM-DD, or YYYY-MM or YYYY when only the month or year is known,
 * refusing impossible and future dates (a month or year is in the future when its first day is).
 */
export function parseDateOfBirth(value: string, today = todayIso()): DateOfBirthResult {
  const v = value.trim();
  const month = /^(\d{4})-(\d{2})$/.exec(v);
  if (month) {
    if (Number(month[2]) < 1 || Number(month[2]) > 12) return { ok: false, reason: 'is not a real month' };
    const d = checkRange(`${month[1]}-${month[2]}-01`, today);
    return d.ok ? { ok: true, date: d.date, precision: 'month' } : d;
  }
  if (/^\d{4}$/.test(v)) {
    const d = checkRange(`${v}-01-01`, today);
    return d.ok ? { ok: true, date: d.date, precision: 'year' } : d;
  }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) return { ok: false, reason: 'must be a date written YYYY-MM-DD (or YYYY-MM, or YYYY, when only the month or year is known)' };
  const d = parseIsoDate(v, today);
  return d.ok ? { ok: true, date: d.date, precision: 'day' } : d;
}

/**
 * A date of birth known only to its month or year in a day/month/year layout ("05/2011", "5/2011",
 * "2011"), written as the interchange format writes it ("2011-05", "2011"); null for anything else.
 */
export function partialUkDateOfBirth(value: string): string | null {
  const v = value.trim();
  const m = /^(\d{1,2})\/(\d{4})$/.exec(v);
  if (m) return `${m[2]}-${m[1]!.padStart(2, '0')}`;
  return /^\d{4}$/.test(v) ? v : null;
}

/**
 * A date of birth in the day/month/year layout (the SSDA903 DOB): DD/MM/YYYY, or MM/YYYY or YYYY when only
 * the month or year is known, rewritten as the interchange format writes it and read by `parseDateOfBirth`.
 */
export function parseUkDateOfBirth(value: string, today = todayIso()): DateOfBirthResult {
  const v = value.trim();
  const full = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(v);
  const iso = full ? `${full[3]}-${full[2]!.padStart(2, '0')}-${full[1]!.padStart(2, '0')}` : partialUkDateOfBirth(v);
  if (!iso) return { ok: false, reason: 'must be a date written DD/MM/YYYY (or MM/YYYY, or YYYY, when only the month or year is known)' };
  return parseDateOfBirth(iso, today);
}

/** Parses DD/MM/YYYY (the SSDA903 layout), refusing impossible and future dates. */
export function parseUkDate(value: string, today = todayIso()): DateResult {
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(value.trim());
  if (!m) return { ok: false, reason: 'must be a date written DD/MM/YYYY' };
  const [d, mo, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (!realDate(y, mo, d)) return { ok: false, reason: 'is not a real date' };
  return checkRange(`${m[3]}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`, today);
}

/** Parses YYYYMMDD (digits only, as many exports write dates), refusing impossible and future dates. */
export function parseCompactDate(value: string, today = todayIso()): DateResult {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(value.trim());
  if (!m) return { ok: false, reason: 'must be a date written YYYYMMDD' };
  return parseIsoDate(`${m[1]}-${m[2]}-${m[3]}`, today);
}

/** Parses a date in the layout a column mapping file names. */
export function parseDateAs(value: string, layout: 'YYYY-MM-DD' | 'DD/MM/YYYY' | 'YYYYMMDD', today = todayIso()): DateResult {
  if (layout === 'DD/MM/YYYY') return parseUkDate(value, today);
  if (layout === 'YYYYMMDD') return parseCompactDate(value, today);
  return parseIsoDate(value, today);
}

/** A moment an event happened: a date, or a date-time with a time zone. Returns an ISO instant and its precision. */
export function parseOccurredAt(value: string, now = new Date()): { ok: true; at: string; precision: 'date' | 'time' } | { ok: false; reason: string } {
  const v = value.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) {
    const d = parseIsoDate(v, todayIso(now));
    return d.ok ? { ok: true, at: `${d.date}T00:00:00.000Z`, precision: 'date' } : d;
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.exec(v);
  if (!m) return { ok: false, reason: 'must be a date (2026-03-01) or a date and time with a time zone (2026-03-01T14:30:00Z)' };
  if (!realDate(Number(m[1]), Number(m[2]), Number(m[3])) || Number(m[4]) > 23 || Number(m[5]) > 59) return { ok: false, reason: 'is not a real date and time' };
  const at = new Date(v);
  if (Number.isNaN(at.getTime())) return { ok: false, reason: 'is not a real date and time' };
  if (at.getTime() > now.getTime() + 5 * 60_000) return { ok: false, reason: 'is in the future' };
  if (at.getUTCFullYear() < 1900) return { ok: false, reason: 'is before 1900' };
  return { ok: true, at: at.toISOString(), precision: 'time' };
}

/** True when an event date falls more than a year before a date of birth (a pre-birth referral is possible; earlier is not). */
export function beforeBirth(eventDate: string, dateOfBirth: string | null): boolean {
  if (!dateOfBirth) return false;
  const dob = new Date(`${dateOfBirth}T00:00:00Z`);
  dob.setUTCFullYear(dob.getUTCFullYear() - 1);
  return new Date(eventDate.length === 10 ? `${eventDate}T00:00:00Z` : eventDate).getTime() < dob.getTime();
}
