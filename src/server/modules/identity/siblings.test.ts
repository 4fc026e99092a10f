import { describe, expect, it } from 'vitest';
import { makeOrg, TEST_ENGINE, useTestDb } from '../../../../test/helpers.js';
import { incomingPerson } from '../../../../test/identity-helpers.js';
import { resolvePerson } from './resolve-person.js';

describe(`siblings with sequential case numbers on ${TEST_ENGINE}`, () => {
  const t = useTestDb();

  it('does not link a sibling whose local case number is one more than the child’s, and still links a mistyped one', async () => {
    const social = await makeOrg(t.db, 'childrens_social_care');
    const police = await makeOrg(t.db, 'police');
    // The child, as children's social care holds them, with no NHS number.
    const child = incomingPerson(social.id, { givenNames: 'Tobias', dateOfBirth: '2011-05-20', identifiers: [{ scheme: 'local_id', value: 'CS-40217' }] });
    const first = await t.db.transaction().execute((trx) => resolvePerson(trx, child));
    // A younger sibling, opened the next day at the same address: case number CS-40218.
    const sibling = { ...child, sourceRecordId: 'sibling', givenNames: 'Tomasz', dateOfBirth: '2012-09-02', identifiers: [{ scheme: 'local_id' as const, value: 'CS-40218' }] };
    const second = await t.db.transaction().execute((trx) => resolvePerson(trx, sibling));
    expect(second.outcome).not.toBe('linked');
    expect(second.personId).not.toBe(first.personId);
    expect(second.explanation?.fields.find((f) => f.field === 'identifier')).toMatchObject({ level: 'other_disagrees' });
    // The police's record of the child with two digits of the case number swapped is a typing error, and links.
    const mistyped = { ...child, organisationId: police.id, sourceRecordId: 'police-1', identifiers: [{ scheme: 'local_id' as const, value: 'CS-40271' }] };
    const third = await t.db.transaction().execute((trx) => resolvePerson(trx, mistyped));
    expect(third).toMatchObject({ outcome: 'linked', personId: first.personId });
    expect(third.explanation?.fields.find((f) => f.field === 'identifier')).toMatchObject({ level: 'one_character' });
  });
});
