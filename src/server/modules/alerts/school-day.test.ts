import { describe, expect, it } from 'vitest';
import { nextSchoolDayStart } from './school-day.js';

// England and Wales bank holidays around Christmas 2026 and Easter 2026 (as the bank_holiday table holds them).
const HOLIDAYS = new Set(['2026-04-03', '2026-04-06', '2026-12-25', '2026-12-28', '2027-01-01']);

describe('the next school day (Operation Encompass)', () => {
  it('skips weekends and bank holidays: over Christmas (GMT) and over Easter (BST)', () => {
    // Christmas Eve evening: Christmas Day, the weekend and Boxing Day's substitute Monday are skipped.
    expect(nextSchoolDayStart(new Date('2026-12-24T18:00:00Z'), HOLIDAYS).toISOString()).toBe('2026-12-29T08:30:00.000Z');
    // New Year's Eve: New Year's Day and the weekend are skipped.
    expect(nextSchoolDayStart(new Date('2026-12-31T12:00:00Z'), HOLIDAYS).toISOString()).toBe('2027-01-04T08:30:00.000Z');
    // The evening before Good Friday: Easter Monday is skipped too; 08:30 in London is 07:30 UTC in summer time.
    expect(nextSchoolDayStart(new Date('2026-04-02T19:00:00Z'), HOLIDAYS).toISOString()).toBe('2026-04-07T07:30:00.000Z');
    // Early on Easter Monday, before 08:30: not a school day, so Tuesday.
    expect(nextSchoolDayStart(new Date('2026-04-06T05:00:00Z'), HOLIDAYS).toISOString()).toBe('2026-04-07T07:30:00.000Z');
  });

  it('is today\'s start before 08:30 on a school day, and the next weekday without holidays', () => {
    expect(nextSchoolDayStart(new Date('2026-12-29T07:00:00Z'), HOLIDAYS).toISOString()).toBe('2026-12-29T08:30:00.000Z');
    expect(nextSchoolDayStart(new Date('2026-12-24T18:00:00Z')).toISOString()).toBe('2026-12-25T08:30:00.000Z');
  });
});
