import { randomInt, randomUUID } from 'node:crypto';
import type { IncomingPerson } from '../src/server/modules/identity/resolve-person.js';

const SURNAME_LETTERS = 'bcdfghjklmnpqrstvxz';

/**
 * A surname no other test will produce, so matches stay within the test on the shared database: six
 * letters drawn from nineteen between "Zed" and "wick". Two of them are not spelt alike (six letters
 * from a to f were: Jaro–Winkler 0.92 or more, so children of other tests at the same address linked).
 */
export function uniqueSurname(): string {
  let letters = '';
  for (let i = 0; i < 6; i += 1) letters += SURNAME_LETTERS[randomInt(SURNAME_LETTERS.length)];
  return `Zed${letters}wick`;
}

/** A synthetic agency record of a child (override any field). */
export function incomingPerson(organisationId: string, over: Partial<IncomingPerson> = {}): IncomingPerson {
  // Each call is a different child unless the test says otherwise: its own date of birth, postcode and house,
  // drawn apart (drawn from one number, two calls in 3,000 had the same date of birth, postcode and house number, and linked).
  const dob = new Date(Date.UTC(2008, 0, 1) + randomInt(3000) * 86_400_000).toISOString().slice(0, 10);
  return {
    organisationId, sourceSystem: 'TestMIS', sourceRecordId: randomUUID(), givenNames: 'Ashton', familyName: uniqueSurname(),
    otherNames: [], dateOfBirth: dob, sex: 'male', ethnicity: 'WBRI', identifiers: [], postcode: `SE${1 + randomInt(28)} ${randomInt(9)}AB`,
    addressLine: `${1 + randomInt(3000)} ${uniqueSurname()} Road`, borough: 'Testborough', ...over,
  };
}

/** A date of birth one digit away from the given one (a typical typing error), still a real date. */
export function oneDigitAway(d: string): string {
  if (d.slice(5) === '02-29') return `${d.slice(0, 8)}28`;
  const year = Number(d.slice(0, 4));
  const last = year % 10;
  return `${year - last + (last === 9 ? 8 : last + 1)}${d.slice(4)}`;
}
