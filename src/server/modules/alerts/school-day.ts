/**
 * The start of the next school day in England (Europe/London), for Operation Encompass: a police
 * notification of domestic abuse involving a child reaches the school's designated safeguarding
 * lead before the child arrives. Weekdays that are not England and Wales bank holidays count as
 * school days; term dates are not known to Jigsaw, so a notice made on a Friday evening is due on
 * Monday morning even in a school holiday (earlier than needed, never later).
 */
export const SCHOOL_DAY_STARTS = { hour: 8, minute: 30 } as const;

const LONDON = 'Europe/London';

/** The wall-clock parts of an instant in London. */
function londonParts(at: Date): { year: number; month: number; day: number; hour: number; minute: number; weekday: number } {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: LONDON, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', weekday: 'short',
  }).formatToParts(at);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  const weekday = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(get('weekday'));
  return { year: Number(get('year')), month: Number(get('month')), day: Number(get('day')), hour: Number(get('hour')), minute: Number(get('minute')), weekday };
}

/** The instant when London's clocks show the given wall-clock time (London is UTC or UTC+1). */
function londonInstant(year: number, month: number, day: number, hour: number, minute: number): Date {
  const asUtc = Date.UTC(year, month - 1, day, hour, minute);
  for (const offsetHours of [0, 1]) {
    const candidate = new Date(asUtc - offsetHours * 3_600_000);
    const p = londonParts(candidate);
    if (p.hour === hour && p.minute === minute && p.day === day) return candidate;
  }
  return new Date(asUtc);
}

/**
 * When the next school day starts after `now`: today's start if it is a school day before the start,
 * else the next school day's. `holidays` are bank holidays as YYYY-MM-DD (`bankHolidays(db)`).
 */
export function nextSchoolDayStart(now: Date, holidays: ReadonlySet<string> = new Set()): Date {
  const p = londonParts(now);
  const beforeStart = p.hour < SCHOOL_DAY_STARTS.hour || (p.hour === SCHOOL_DAY_STARTS.hour && p.minute < SCHOOL_DAY_STARTS.minute);
  let date = new Date(Date.UTC(p.year, p.month - 1, p.day));
  let weekday = p.weekday;
  const closed = (w: number, d: Date) => w === 0 || w === 6 || holidays.has(d.toISOString().slice(0, 10));
  if (!beforeStart || closed(weekday, date)) {
    do {
      date = new Date(date.getTime() + 86_400_000);
      weekday = (weekday + 1) % 7;
    } while (closed(weekday, date));
  }
  return londonInstant(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), SCHOOL_DAY_STARTS.hour, SCHOOL_DAY_STARTS.minute);
}
