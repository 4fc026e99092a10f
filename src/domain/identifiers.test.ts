import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  isValidNhsNumber,
  normaliseNhsNumber,
  nhsCheckDigit,
  makeNhsNumber,
  isValidUpn,
  upnCheckLetter,
  makeUpn,
  makeTemporaryUpn,
  UPN_CHECK_LETTERS,
  type NextInt,
} from './identifiers.js';

/** A small seeded generator (mulberry32) so the tests exercise the generators deterministically. */
function seeded(seed: number): NextInt {
  let state = seed >>> 0;
  return (maxExclusive: number) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const r = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return Math.floor(r * maxExclusive);
  };
}

describe('NHS number', () => {
  it('accepts the worked example from the NHS Data Dictionary, with or without spaces', () => {
    expect(isValidNhsNumber('9434765919')).toBe(true);
    expect(isValidNhsNumber('943 476 5919')).toBe(true);
    expect(isValidNhsNumber(' 943 476 5919 ')).toBe(true);
  });

  it('rejects a wrong check digit, wrong length and non-digits', () => {
    expect(isValidNhsNumber('9434765918')).toBe(false);
    expect(isValidNhsNumber('943476591')).toBe(false);
    expect(isValidNhsNumber('94347659190')).toBe(false);
    expect(isValidNhsNumber('943-476-5919')).toBe(false);
    expect(isValidNhsNumber('')).toBe(false);
  });

  it('computes check digits, including 11 -> 0 and 10 -> no valid number', () => {
    expect(nhsCheckDigit('943476591')).toBe(9);
    // Weighted sum 0: 11 - 0 = 11, which is written as 0.
    expect(nhsCheckDigit('000000000')).toBe(0);
    // Weighted sum 2 (last weight is 2): 11 - 2 = 9.
    expect(nhsCheckDigit('000000001')).toBe(9);
    // Weighted sum 10: 11 - 10 = 1.
    expect(nhsCheckDigit('000000005')).toBe(1);
    // Weighted sum 12, remainder 1: 11 - 1 = 10, so no valid number has this stem.
    expect(nhsCheckDigit('000000006')).toBeNull();
    expect(isValidNhsNumber('0000000060')).toBe(false);
    expect(() => nhsCheckDigit('12345678')).toThrow();
  });

  it('normalises only whitespace', () => {
    expect(normaliseNhsNumber('999 123 4567')).toBe('9991234567');
    expect(normaliseNhsNumber('999-123-4567')).toBeNull();
  });

  it('every generated number is valid and in the 999 test range', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
        const n = makeNhsNumber(seeded(seed));
        return /^999\d{7}$/.test(n) && isValidNhsNumber(n);
      }),
    );
  });

  it('is deterministic for a given seed', () => {
    expect(makeNhsNumber(seeded(42))).toBe(makeNhsNumber(seeded(42)));
  });

  it('changing any one digit gives an invalid number unless the check digit function says otherwise', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.integer({ min: 0, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        (seed, position, delta) => {
          const n = makeNhsNumber(seeded(seed));
          const digit = (Number(n[position]) + delta) % 10;
          const changed = n.slice(0, position) + String(digit) + n.slice(position + 1);
          const expected = nhsCheckDigit(changed.slice(0, 9)) === Number(changed[9]);
          expect(isValidNhsNumber(changed)).toBe(expected);
          // Modulus 11 with distinct weights detects every single-digit error.
          expect(expected).toBe(false);
        },
      ),
    );
  });
});

describe('Unique Pupil Number', () => {
  it('accepts the permanent and temporary examples from the DfE UPN guidance', () => {
    expect(isValidUpn('H801200001001')).toBe(true);
    expect(isValidUpn('G80120000101A')).toBe(true);
    expect(isValidUpn('h801200001001')).toBe(true);
  });

  it('rejects a wrong check letter', () => {
    expect(isValidUpn('Z801200001001')).toBe(false);
    // The placeholder UPN in the CIN census sample files is not a real UPN: its check letter would be P.
    expect(isValidUpn('A123456789123')).toBe(false);
    expect(upnCheckLetter('123456789123')).toBe('P');
    expect(isValidUpn('P123456789123')).toBe(true);
    // The sample FormerUPN X98765432123B would need check letter F.
    expect(upnCheckLetter('98765432123B')).toBe('F');
  });

  it('rejects bad shapes and letters excluded from the table', () => {
    expect(isValidUpn('H80120000100')).toBe(false);
    expect(isValidUpn('H8012000010011')).toBe(false);
    expect(isValidUpn('H8012000A1001')).toBe(false);
    expect(isValidUpn('180120000100A')).toBe(false);
    // I, O and S are never used, so a temporary UPN ending in them is invalid whatever the first letter.
    for (const last of ['I', 'O', 'S']) {
      for (const first of UPN_CHECK_LETTERS) {
        expect(isValidUpn(`${first}80120000101${last}`)).toBe(false);
      }
    }
    expect(() => upnCheckLetter('80120000101')).toThrow();
    expect(() => upnCheckLetter('8012000010I1')).toThrow();
  });

  it('builds UPNs in the DfE layout', () => {
    const upn = makeUpn(seeded(1), '801', '2000', '01', 1);
    expect(upn).toBe('H801200001001');
    const temp = makeTemporaryUpn(() => 0, '801', '2000', 1, 1);
    expect(temp).toBe('G80120000101A');
    expect(() => makeUpn(seeded(1), '80', '2000', '01', 1)).toThrow();
    expect(() => makeUpn(seeded(1), '801', '2000', '01', 1000)).toThrow();
  });

  it('every generated UPN (permanent or temporary) validates', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.integer({ min: 200, max: 999 }),
        fc.integer({ min: 1000, max: 7999 }),
        fc.integer({ min: 0, max: 99 }),
        (seed, la, est, year) => {
          const next = seeded(seed);
          const upn = makeUpn(next, String(la), String(est), year);
          const temp = makeTemporaryUpn(next, String(la), String(est), year);
          return isValidUpn(upn) && isValidUpn(temp) && upn.slice(1, 10) === `${la}${est}${String(year).padStart(2, '0')}`;
        },
      ),
    );
  });

  it('changing any one of characters 2-12 is detected by the check letter', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.integer({ min: 1, max: 11 }),
        fc.integer({ min: 1, max: 9 }),
        (seed, index, delta) => {
          const upn = makeUpn(seeded(seed), '202', '4001', '25');
          const digit = (Number(upn[index]) + delta) % 10;
          const changed = upn.slice(0, index) + String(digit) + upn.slice(index + 1);
          // Weights 2..12 and differences 1..9 are all below 23, which is prime, so the sum always moves mod 23.
          return !isValidUpn(changed) && upnCheckLetter(changed.slice(1)) !== changed[0];
        },
      ),
    );
  });
});
