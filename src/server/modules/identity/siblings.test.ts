import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Database } from '../../../db/database.js';
import { makeOrg, TEST_ENGINE, useTestDb } from '../../../../test/helpers.js';
import { incomingPerson } from '../../../../test/identity-helpers.js';
import { defaultModel } from '../../../domain/matching/model.js';
import type { MatchRecord } from '../../../domain/matching/types.js';
import { decide } from './identity.decide.js';
import { resolvePerson, type Resolution } from './resolve-person.js';

/**
 * A record held back by one of decide's guards: sent to review as a provisional person of its own, above
 * the link threshold on weight alone, with the field that differs outright, the reason given, and the
 * review item offering the person it was held back from.
 */
async function expectHeldBack(db: Kysely<Database>, res: Resolution, heldFrom: string, field: string, reason: RegExp): Promise<void> {
  expect(res.outcome).toBe('review');
  expect(res.personId).not.toBe(heldFrom);
  expect(res.explanation!.total).toBeGreaterThan(res.explanation!.linkThreshold);
  expect(res.explanation!.fields.find((f) => f.field === field)).toMatchObject({ level: 'different' });
  expect(res.explanation!.heldForReview).toMatch(reason);
  const review = await db.selectFrom('identity_review_item').select(['candidate_person_id']).where('id', '=', res.reviewItemId!).executeTakeFirstOrThrow();
  expect(review.candidate_person_id).toBe(heldFrom);
}

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

describe(`twins on ${TEST_ENGINE}`, () => {
  const t = useTestDb();

  it('never links twins automatically: forenames that differ outright with no shared identifier go to a person, who is told why', async () => {
    const school = await makeOrg(t.db, 'school');
    const health = await makeOrg(t.db, 'gp');
    // One twin as the school holds them; the other twin as the GP holds them: same surname, date of birth, sex and address.
    const first = incomingPerson(school.id, { givenNames: 'Idris', sex: 'male' });
    const a = await t.db.transaction().execute((trx) => resolvePerson(trx, first));
    const twin = { ...first, organisationId: health.id, sourceRecordId: 'gp-twin', givenNames: 'Kofi' };
    const b = await t.db.transaction().execute((trx) => resolvePerson(trx, twin));
    // Above the link threshold on weight alone; held back by the forenames.
    await expectHeldBack(t.db, b, a.personId, 'forename', /forenames differ.*twins/i);

    // The same child with a mistyped forename still links, and so does a different forename when an NHS number agrees.
    const mistyped = { ...first, organisationId: health.id, sourceRecordId: 'gp-mistyped', givenNames: 'Idriss' };
    expect(await t.db.transaction().execute((trx) => resolvePerson(trx, mistyped))).toMatchObject({ outcome: 'linked', personId: a.personId });
    const withNhs = incomingPerson(school.id, { givenNames: 'Ngozi', sex: 'female', identifiers: [{ scheme: 'nhs_number', value: '9434765919' }] });
    const c = await t.db.transaction().execute((trx) => resolvePerson(trx, withNhs));
    const known = { ...withNhs, organisationId: health.id, sourceRecordId: 'gp-known-as', givenNames: 'Bisola' };
    expect(await t.db.transaction().execute((trx) => resolvePerson(trx, known))).toMatchObject({ outcome: 'linked', personId: c.personId });
  });
});

describe(`a parent and child of the same name on ${TEST_ENGINE}`, () => {
  const t = useTestDb();

  it('never links records a generation apart automatically: the same name at the same address, born 22 years apart, goes to a person, who is told why', async () => {
    const school = await makeOrg(t.db, 'school');
    const police = await makeOrg(t.db, 'police');
    // The child as the school holds them; then the police's record of the child's mother, named after her, at the same address.
    const child = incomingPerson(school.id, { givenNames: 'Maia', sex: 'female', dateOfBirth: '2012-07-02' });
    const a = await t.db.transaction().execute((trx) => resolvePerson(trx, child));
    const mother = { ...child, organisationId: police.id, sourceRecordId: 'police-parent', dateOfBirth: '1990-03-14' };
    const b = await t.db.transaction().execute((trx) => resolvePerson(trx, mother));
    // Above the link threshold on weight alone; held back by the dates of birth.
    await expectHeldBack(t.db, b, a.personId, 'date_of_birth', /12 or more years apart.*parent and child/);

    // The child with the year mistyped (one digit) still links.
    const mistyped = { ...child, organisationId: police.id, sourceRecordId: 'police-child', dateOfBirth: '2013-07-02' };
    expect(await t.db.transaction().execute((trx) => resolvePerson(trx, mistyped))).toMatchObject({ outcome: 'linked', personId: a.personId });
    // Where a generation begins: 12 years between the years of birth; 11 is left to the weights (which link here).
    const record = (dateOfBirth: string): MatchRecord => ({ givenNames: 'Maia', familyName: 'Okonkwo', otherNames: [], dateOfBirth, sex: 'female', postcode: 'SE2 2BB', addressLine: '8 Second Street', identifiers: [] });
    const held = [{ personId: 'held', record: record('2012-07-02') }];
    expect(decide(defaultModel(), record('2000-03-14'), held).band).toBe('review');
    expect(decide(defaultModel(), record('2001-03-14'), held).band).toBe('link');
    // A parent who shares the child's birthday (the same day and month, another year) is held back too;
    // a year mistyped in two digits, a few years out, is left to the weights.
    const birthday = decide(defaultModel(), record('1990-07-02'), held);
    expect(birthday.band).toBe('review');
    expect(birthday.best?.explanation.fields.find((f) => f.field === 'date_of_birth')).toMatchObject({ level: 'year_differs' });
    expect(birthday.best?.explanation.heldForReview).toMatch(/12 or more years apart.*parent and child/);
    expect(decide(defaultModel(), record('2009-07-02'), held).band).toBe('link');
    // A parent whose date of birth is one typing error from the child's, a generation out: the same day, born
    // 2002 against 2022 (one digit) or 2002 against 2020 (two digits swapped), is held back too.
    const young = [{ personId: 'held', record: record('2022-07-02') }];
    for (const [parentBorn, childBorn] of [['2002-07-02', '2022-07-02'], ['2002-07-02', '2020-07-02']] as const) {
      const parent = decide(defaultModel(), record(parentBorn), [{ personId: 'held', record: record(childBorn) }]);
      expect(parent.band).toBe('review');
      expect(parent.best?.explanation.fields.find((f) => f.field === 'date_of_birth')).toMatchObject({ level: 'one_digit' });
      expect(parent.best?.explanation.heldForReview).toMatch(/12 or more years apart.*parent and child/);
    }
    // The same child with the year mistyped a few years out (one digit) still links.
    expect(decide(defaultModel(), record('2023-07-02'), young).band).toBe('link');
    expect(decide(defaultModel(), record('2022-07-12'), young).band).toBe('link');
    // A shared identifier that agrees decides it: the same child, whatever the dates say.
    const nhs = [{ scheme: 'nhs_number' as const, value: '9434765919' }];
    expect(decide(defaultModel(), { ...record('1990-03-14'), identifiers: nhs }, [{ personId: 'held', record: { ...record('2012-07-02'), identifiers: nhs } }]).band).toBe('link');
  });
});
