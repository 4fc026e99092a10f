import { describe, expect, it } from 'vitest';
import { ageBand, fairnessRows, relativeRate, suppressed } from './fairness.js';

describe('fairness measures', () => {
  it('computes the relative rate with the Katz log interval', () => {
    // 30 of 1,000 against 60 of 4,000: RR = 0.03 / 0.015 = 2.
    const r = relativeRate(30, 1000, 60, 4000);
    expect(r.ratio).toBeCloseTo(2, 10);
    const se = Math.sqrt(1 / 30 - 1 / 1000 + 1 / 60 - 1 / 4000);
    expect(r.low).toBeCloseTo(2 * Math.exp(-1.959963984540054 * se), 10);
    expect(r.high).toBeCloseTo(2 * Math.exp(1.959963984540054 * se), 10);
    expect(r.low!).toBeGreaterThan(1.25);
    expect(r.ratePer1000).toBe(30);
  });

  it('explains when a rate cannot be computed', () => {
    expect(relativeRate(0, 100, 5, 100).note).toBe('too few children considered to compare');
    expect(relativeRate(5, 0, 5, 100).note).toBe('no baseline for this group');
    expect(relativeRate(50, 10, 5, 100).note).toMatch(/check the baseline/);
  });

  it('suppresses small counts and withholds their rates', () => {
    expect(suppressed(0)).toBe('0');
    expect(suppressed(3)).toBe('fewer than 5');
    expect(suppressed(5)).toBe('5');
    const rows = fairnessRows(['female', 'male', 'not_known'], new Map([['female', 40], ['male', 80], ['not_known', 2]]), new Map([['female', 5000], ['male', 5000], ['not_known', 100]]));
    expect(rows.map((r) => r.considered)).toEqual(['40', '80', 'fewer than 5']);
    expect(rows[2]!.rate).toBeNull();
    expect(rows[1]!.signal).toBe('higher');
    expect(rows[0]!.signal).toBe('lower');
  });

  it('bands ages at the moment considered', () => {
    const on = new Date('2026-11-01T00:00:00Z');
    expect(ageBand('2012-11-02', on)).toBe('10 to 14'); // 13, birthday tomorrow
    expect(ageBand('2011-11-01', on)).toBe('15 to 17');
    expect(ageBand('2008-10-31', on)).toBeNull(); // 18
    expect(ageBand(null, on)).toBeNull();
  });
});
