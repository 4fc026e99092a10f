import { describe, expect, it } from 'vitest';
import { acceptanceRows, wilsonInterval } from './acceptance.js';

describe('acceptance of offers of help', () => {
  it('gives the Wilson score interval', () => {
    const ci = wilsonInterval(8, 10)!;
    expect(ci.low).toBeCloseTo(0.4902, 3);
    expect(ci.high).toBeCloseTo(0.9433, 3);
    expect(wilsonInterval(0, 0)).toBeNull();
    expect(wilsonInterval(0, 20)!.low).toBe(0);
  });

  it('suppresses small groups, counts and rate alike', () => {
    const rows = acceptanceRows(['phone', 'letter', 'digital'], new Map([['phone', { offers: 10, accepted: 8 }], ['letter', { offers: 3, accepted: 1 }], ['digital', { offers: 12, accepted: 2 }]]));
    expect(rows).toEqual([
      { category: 'phone', offers: '10', accepted: '8', rate: '80%', interval: '49% to 94%', suppressed: false },
      { category: 'letter', offers: 'fewer than 5', accepted: 'suppressed', rate: null, interval: null, suppressed: true },
      { category: 'digital', offers: '12', accepted: 'fewer than 5', rate: null, interval: null, suppressed: true },
    ]);
  });
});
