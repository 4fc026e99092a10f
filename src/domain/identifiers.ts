/**
 * Check-digit rules for the national identifiers that agencies use for a child
 * (NHS number, Unique Pupil Number), and deterministic generators for synthetic
 * ones. Record linkage treats a valid identifier as strong evidence and an invalid
 * one as a probable typing error, so these rules must match the published specs.
 */

/** A source of integers in [0, maxExclusive); the synthetic generator passes a seeded one. */
export type NextInt = (maxExclusive: number) => number;

// NHS number: weights 10..2 over the first nine digits (NHS Data Dictionary).
const NHS_WEIGHTS = [10, 9, 8, 7, 6, 5, 4, 3, 2] as const;

/** Strips spaces from an NHS number as typed; returns the 10 digits, or null if it is not 10 digits. */
export function normaliseNhsNumber(value: string): string | null {
  // People write NHS numbers as "943 476 5919"; only whitespace is tolerated so that
  // other punctuation (likely a different identifier pasted in) is not silently accepted.
  const compact = value.replace(/\s+/g, '');
  return /^\d{10}$/.test(compact) ? compact : null;
}

/** Modulus-11 check digit for the first nine digits of an NHS number; null when the remainder gives 10 (no valid number exists). */
export function nhsCheckDigit(first9: string): number | null {
  if (!/^\d{9}$/.test(first9)) {
    throw new Error('nhsCheckDigit expects exactly nine digits');
  }
  let sum = 0;
  for (let i = 0; i < 9; i += 1) {
    sum += (first9.charCodeAt(i) - 48) * NHS_WEIGHTS[i]!;
  }
  const check = 11 - (sum % 11);
  if (check === 11) return 0;
  // A check digit of 10 is never issued: those nine-digit stems are simply unused.
  if (check === 10) return null;
  return check;
}

/** True when the value (spaces allowed) is ten digits with a correct modulus-11 check digit. */
export function isValidNhsNumber(value: string): boolean {
  const digits = normaliseNhsNumber(value);
  if (digits === null) return false;
  const check = nhsCheckDigit(digits.slice(0, 9));
  return check !== null && check === digits.charCodeAt(9) - 48;
}

/** Deterministic synthetic NHS number in the 999 test range (never issued to a real person). */
export function makeNhsNumber(nextInt: NextInt): string {
  // The 999 prefix is the range NHS England reserves for test data, so a synthetic
  // record can never be confused with, or linked to, a real patient.
  for (;;) {
    let stem = '999';
    for (let i = 0; i < 6; i += 1) stem += String(nextInt(10));
    const check = nhsCheckDigit(stem);
    if (check !== null) return stem + String(check);
    // About 1 stem in 11 has no valid check digit; draw again rather than bias a digit.
  }
}

// UPN check letter table: 23 letters, I, O and S omitted to avoid confusion with 1, 0 and 5.
const UPN_LETTERS = 'ABCDEFGHJKLMNPQRTUVWXYZ';

/** The letter table used for UPN check letters and temporary-UPN final characters. */
export const UPN_CHECK_LETTERS: string = UPN_LETTERS;

function upnCharValue(ch: string, position: number): number {
  // Characters 2-12 are digits. Character 13 is a digit (permanent UPN) or a letter
  // (temporary UPN) whose value is its index in the check letter table.
  if (ch >= '0' && ch <= '9') return ch.charCodeAt(0) - 48;
  if (position === 13) {
    const index = UPN_LETTERS.indexOf(ch);
    if (index >= 0) return index;
  }
  return -1;
}

/** Check letter for characters 2 to 13 of a UPN (DfE spec: weights 2..13, sum mod 23, letter table). */
export function upnCheckLetter(last12: string): string {
  if (last12.length !== 12) {
    throw new Error('upnCheckLetter expects the 12 characters after the check letter');
  }
  let sum = 0;
  for (let i = 0; i < 12; i += 1) {
    const position = i + 2;
    const value = upnCharValue(last12[i]!, position);
    if (value < 0) {
      throw new Error(`UPN character ${position} is not valid`);
    }
    sum += value * position;
  }
  return UPN_LETTERS[sum % 23]!;
}

/** True when the value is a 13-character UPN (permanent or temporary) with the correct check letter. */
export function isValidUpn(value: string): boolean {
  // The CIN schema accepts lower case; case carries no meaning, so compare in upper case.
  const upn = value.trim().toUpperCase();
  if (!/^[A-Z]\d{11}[0-9A-Z]$/.test(upn)) return false;
  const last12 = upn.slice(1);
  if (upnCharValue(last12[11]!, 13) < 0) return false;
  return upnCheckLetter(last12) === upn[0];
}

function digitsOf(value: string | number, width: number, name: string): string {
  const text = typeof value === 'number' ? String(value).padStart(width, '0') : value;
  if (!new RegExp(`^\\d{${width}}$`).test(text)) {
    throw new Error(`${name} must be ${width} digits`);
  }
  return text;
}

/** Deterministic synthetic permanent UPN: LA code, establishment, two-digit year of allocation, three-digit serial (drawn when omitted). */
export function makeUpn(
  nextInt: NextInt,
  laCode: string,
  establishment: string,
  yearTwoDigits: string | number,
  serial?: number,
): string {
  // Layout from the DfE UPN guidance: 2-4 LA number, 5-8 DfE establishment number,
  // 9-10 year of allocation, 11-13 serial within that school and year.
  const body =
    digitsOf(laCode, 3, 'laCode') +
    digitsOf(establishment, 4, 'establishment') +
    digitsOf(yearTwoDigits, 2, 'yearTwoDigits') +
    digitsOf(serial ?? nextInt(1000), 3, 'serial');
  return upnCheckLetter(body) + body;
}

/** Deterministic synthetic temporary UPN: as makeUpn but a two-digit serial and a final letter, as schools issue while a permanent UPN is awaited. */
export function makeTemporaryUpn(
  nextInt: NextInt,
  laCode: string,
  establishment: string,
  yearTwoDigits: string | number,
  serial?: number,
): string {
  const body =
    digitsOf(laCode, 3, 'laCode') +
    digitsOf(establishment, 4, 'establishment') +
    digitsOf(yearTwoDigits, 2, 'yearTwoDigits') +
    digitsOf(serial ?? nextInt(100), 2, 'serial') +
    UPN_LETTERS[nextInt(UPN_LETTERS.length)]!;
  return upnCheckLetter(body) + body;
}
