/**
 * The moment `days` working days after `from`: Monday to Friday (UTC calendar), skipping the given
 * bank holidays (YYYY-MM-DD; `bankHolidays(db)` reads England and Wales's), at the same time of day.
 */
export function addWorkingDays(from: Date, days: number, holidays: ReadonlySet<string>): Date {
  const d = new Date(from.getTime());
  let left = days;
  while (left > 0) {
    d.setUTCDate(d.getUTCDate() + 1);
    const wd = d.getUTCDay();
    if (wd !== 0 && wd !== 6 && !holidays.has(d.toISOString().slice(0, 10))) left -= 1;
  }
  return d;
}
