import { describe, expect, it } from 'vitest';
import { makeOrg, TEST_ENGINE, useTestDb } from '../../../../test/helpers.js';
import { incomingPerson, uniqueSurname } from '../../../../test/identity-helpers.js';
import { resolvePerson } from './resolve-person.js';

/**
 * An agency that knows a child's birth only to the month sends it as the month's first day with its
 * precision. The matcher must read it so: its day is a placeholder, which agrees with no one's and
 * disagrees with no one's.
 */
describe(`an agency's record with a date of birth known only to its month, on ${TEST_ENGINE}`, () => {
  const t = useTestDb();

  it('is linked to the child at its address, not to another child of the same name born on the 1st of that month', async () => {
    const school = await makeOrg(t.db, 'school');
    const gp = await makeOrg(t.db, 'gp');
    const familyName = uniqueSurname();
    const resolve = (p: ReturnType<typeof incomingPerson>) => t.db.transaction().execute((trx) => resolvePerson(trx, p));
    const child = incomingPerson(school.id, { givenNames: 'Mila', familyName, sex: 'female', dateOfBirth: '2011-05-14', postcode: 'SE15 4AB', addressLine: '12 Example Road' });
    const other = incomingPerson(school.id, { givenNames: 'Mila', familyName, sex: 'female', dateOfBirth: '2011-05-01', postcode: 'N1 2CD', addressLine: '4 Other Street' });
    const a = await resolve(child);
    const b = await resolve(other);
    expect(b.personId).not.toBe(a.personId);

    // The GP's record: the child's name and address, born "May 2011".
    const monthOnly = await resolve({ ...child, organisationId: gp.id, sourceSystem: 'EMIS', sourceRecordId: 'gp-1', dateOfBirth: '2011-05-01', dateOfBirthPrecision: 'month' });
    expect(monthOnly).toMatchObject({ outcome: 'linked', personId: a.personId });
    // Read as a full date, "1 May 2011" would have differed from the child's 14 May outright.
    expect(monthOnly.explanation!.fields.find((f) => f.field === 'date_of_birth')?.level).not.toBe('different');

    // Another year is still a disagreement.
    const otherYear = await resolve({ ...other, organisationId: gp.id, sourceSystem: 'EMIS', sourceRecordId: 'gp-2', dateOfBirth: '2013-05-01', dateOfBirthPrecision: 'month' });
    expect(otherYear.explanation!.fields.find((f) => f.field === 'date_of_birth')).toMatchObject({ level: 'different' });
  });
});
