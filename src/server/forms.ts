/** The result of reading a GOV.UK date input. */
export type DateParts =
  | { ok: true; date: string; precision: 'date' | 'month' }
  | { ok: false; error: string; field: 'day' | 'month' | 'year' };

/**
 * Reads day, month and year fields into 'YYYY-MM-DD', with a GOV.UK-style message saying what
 * is wrong. Without `requireDay`, a missing day gives a month-precision date (the 1st).
 */
export function parseDateParts(day?: string, month?: string, year?: string, opts: { requireDay?: boolean } = {}): DateParts {
  const d = (day ?? '').trim();
  const m = (month ?? '').trim();
  const y = (year ?? '').trim();
  if (!y) return { ok: false, error: 'must include a year', field: 'year' };
  if (!m) return { ok: false, error: 'must include a month', field: 'month' };
  if (!d && opts.requireDay) return { ok: false, error: 'must include a day', field: 'day' };
  if (!/^\d{4}$/.test(y)) return { ok: false, error: 'year must be 4 numbers', field: 'year' };
  if (!/^\d{1,2}$/.test(m) || Number(m) < 1 || Number(m) > 12) return { ok: false, error: 'must be a real date', field: 'month' };
  const yearN = Number(y);
  const monthN = Number(m);
  if (yearN < 1900) return { ok: false, error: 'year must be 1900 or later', field: 'year' };
  if (!d) return { ok: true, date: `${y}-${String(monthN).padStart(2, '0')}-01`, precision: 'month' };
  if (!/^\d{1,2}$/.test(d)) return { ok: false, error: 'must be a real date', field: 'day' };
  const dayN = Number(d);
  const probe = new Date(Date.UTC(yearN, monthN - 1, dayN));
  if (probe.getUTCMonth() !== monthN - 1 || dayN < 1) return { ok: false, error: 'must be a real date', field: 'day' };
  return { ok: true, date: `${y}-${String(monthN).padStart(2, '0')}-${String(dayN).padStart(2, '0')}`, precision: 'date' };
}
