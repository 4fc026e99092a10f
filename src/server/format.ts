const MONTHS = [
  'January', 'February', 'March', 'April', 'May', 'June',
  'July', 'August', 'September', 'October', 'November', 'December',
];

function parts(value: string | Date): { y: number; m: number; d: number } {
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const [y, m, d] = value.split('-').map(Number) as [number, number, number];
    return { y, m, d };
  }
  const date = value instanceof Date ? value : new Date(value);
  return { y: date.getUTCFullYear(), m: date.getUTCMonth() + 1, d: date.getUTCDate() };
}

/** '3 March 2024', the GOV.UK date style. */
export function formatDate(value: string | Date): string {
  const { y, m, d } = parts(value);
  return `${d} ${MONTHS[m - 1]} ${y}`;
}

/** '3 March 2024 at 14:05' (UTC, as stored). */
export function formatDateTime(input: Date | string): string {
  const value = input instanceof Date ? input : new Date(input);
  const hh = String(value.getUTCHours()).padStart(2, '0');
  const mm = String(value.getUTCMinutes()).padStart(2, '0');
  return `${formatDate(value)} at ${hh}:${mm}`;
}

/** An event's date shown only as precisely as it is known. */
export function formatEventDate(input: Date | string, precision: string): string {
  const value = input instanceof Date ? input : new Date(input);
  const { y, m } = parts(value);
  switch (precision) {
    case 'time':
      return formatDateTime(value);
    case 'month':
      return `${MONTHS[m - 1]} ${y}`;
    case 'approximate':
      return `around ${MONTHS[m - 1]} ${y}`;
    default:
      return formatDate(value);
  }
}

/** A date of birth shown as precisely as it is known: '14 May 2011', 'May 2011', '2011', or '14 May 2011 (estimated)'. */
export function formatDateOfBirth(value: string | Date, accuracy: string): string {
  const { y, m } = parts(value);
  if (accuracy === 'month') return `${MONTHS[m - 1]} ${y}`;
  if (accuracy === 'year') return String(y);
  if (accuracy === 'estimated') return `${formatDate(value)} (estimated)`;
  return formatDate(value);
}

/** Whole years between a date of birth and a day. */
export function ageOn(dateOfBirth: string, on: Date = new Date()): number {
  const { y, m, d } = parts(dateOfBirth);
  const now = parts(on);
  return now.y - y - (now.m < m || (now.m === m && now.d < d) ? 1 : 0);
}
