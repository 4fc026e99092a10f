import { randomUUID } from 'node:crypto';
import type { IncomingPerson } from '../src/server/modules/identity/resolve-person.js';

/** A surname no other test will produce, so matches stay within the test on the shared database. */
export function uniqueSurname(): string {
  const letters = randomUUID().replace(/[^a-f]/g, '').slice(0, 6);
  return `Zed${letters}wick`;
}

/** A synthetic agency record of a child (override any field). */
export function incomingPerson(organisationId: string, over: Partial<IncomingPerson> = {}): IncomingPerson {
  // Each call is a different child unless the test says otherwise: its own date of birth and address.
  const n = Math.floor(Math.random() * 3000);
  const dob = new Date(Date.UTC(2008, 0, 1) + n * 86_400_000).toISOString().slice(0, 10);
  return {
    organisationId, sourceSystem: 'TestMIS', sourceRecordId: randomUUID(), givenNames: 'Ashton', familyName: uniqueSurname(),
    otherNames: [], dateOfBirth: dob, sex: 'male', ethnicity: 'WBRI', identifiers: [], postcode: `SE${1 + (n % 28)} ${n % 9}AB`,
    addressLine: `${n} ${uniqueSurname()} Road`, borough: 'Testborough', ...over,
  };
}

/** A date of birth one digit away from the given one (a typical typing error), still a real date. */
export function oneDigitAway(d: string): string {
  if (d.slice(5) === '02-29') return `${d.slice(0, 8)}28`;
  const year = Number(d.slice(0, 4));
  const last = year % 10;
  return `${year - last + (last === 9 ? 8 : last + 1)}${d.slice(4)}`;
}
