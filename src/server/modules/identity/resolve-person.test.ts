import { describe, expect, it } from 'vitest';
import { makeOrg, TEST_ENGINE, useTestDb } from '../../../../test/helpers.js';
import { incomingPerson, oneDigitAway } from '../../../../test/identity-helpers.js';
import type { MatchRecord } from '../../../domain/matching/types.js';
import { loadMatchRecords } from './identity.candidates.js';
import { resolvePerson } from './resolve-person.js';

describe(`resolvePerson on ${TEST_ENGINE}`, () => {
  const t = useTestDb();

  it('makes a new person, and treats the same record again as already known', async () => {
    const org = await makeOrg(t.db, 'school');
    const rec = incomingPerson(org.id, { identifiers: [{ scheme: 'upn', value: 'A123456789012' }] });
    const first = await t.db.transaction().execute((trx) => resolvePerson(trx, rec));
    expect(first.outcome).toBe('new');
    expect(first.reviewItemId).toBeNull();
    const names = await t.db.selectFrom('person_name').select(['kind', 'given_names', 'family_name']).where('person_id', '=', first.personId).execute();
    expect(names).toEqual([{ kind: 'legal', given_names: 'Ashton', family_name: rec.familyName }]);
    const again = await t.db.transaction().execute((trx) => resolvePerson(trx, rec));
    expect(again).toMatchObject({ personId: first.personId, outcome: 'existing_source_record' });
    const versions = () => t.db.selectFrom('source_record_version as v').innerJoin('source_record as s', 's.id', 'v.source_record_ref')
      .select('v.content_hash').where('s.person_id', '=', first.personId).execute();
    expect(await versions()).toHaveLength(1);
    // Changed content of the same agency record: a new version is kept beside the old one.
    const changed = await t.db.transaction().execute((trx) => resolvePerson(trx, { ...rec, postcode: 'SE15 4AD' }));
    expect(changed).toMatchObject({ personId: first.personId, outcome: 'existing_source_record' });
    expect(await versions()).toHaveLength(2);
  });

  it('links another agency’s record of the same child, with the explanation of each field', async () => {
    const school = await makeOrg(t.db, 'school');
    const gp = await makeOrg(t.db, 'gp');
    const base = incomingPerson(school.id, { identifiers: [{ scheme: 'nhs_number', value: '9434765919' }] });
    const first = await t.db.transaction().execute((trx) => resolvePerson(trx, base));
    const health = incomingPerson(gp.id, {
      givenNames: 'Ashtun', familyName: base.familyName, dateOfBirth: base.dateOfBirth, postcode: base.postcode, addressLine: base.addressLine, identifiers: [{ scheme: 'nhs_number', value: '943 476 5919' }], sourceSystem: 'GPSystem',
    });
    const second = await t.db.transaction().execute((trx) => resolvePerson(trx, health));
    expect(second.outcome).toBe('linked');
    expect(second.personId).toBe(first.personId);
    const fields = Object.fromEntries(second.explanation!.fields.map((f) => [f.field, f.level]));
    expect(fields).toMatchObject({ forename: 'jaro_winkler_0.92', surname: 'exact', date_of_birth: 'exact', identifier: 'national_agrees' });
    const sum = second.explanation!.priorWeight + second.explanation!.fields.reduce((s, f) => s + f.weight, 0);
    expect(second.explanation!.total).toBeCloseTo(sum, 2);
    expect(second.matchWeight).toBe(second.explanation!.total);
    // The alias spelling joins the person's names; the link keeps its explanation.
    const names = await t.db.selectFrom('person_name').select(['kind', 'given_names']).where('person_id', '=', first.personId).orderBy('kind').execute();
    expect(names).toEqual([{ kind: 'alias', given_names: 'Ashtun' }, { kind: 'legal', given_names: 'Ashton' }]);
    const link = await t.db.selectFrom('source_record').select(['outcome', 'match_weight']).where('organisation_id', '=', gp.id).executeTakeFirstOrThrow();
    expect(link).toEqual({ outcome: 'linked', match_weight: second.matchWeight });
  });

  it('queues an uncertain match for review and keeps the record as a provisional person', async () => {
    const police = await makeOrg(t.db, 'police');
    const yjs = await makeOrg(t.db, 'youth_justice');
    const base = incomingPerson(police.id, { postcode: null, addressLine: null });
    const first = await t.db.transaction().execute((trx) => resolvePerson(trx, base));
    // Same names, date of birth one digit out, nothing else to go on.
    const doubtful = incomingPerson(yjs.id, { familyName: base.familyName, dateOfBirth: oneDigitAway(base.dateOfBirth!), postcode: null, addressLine: null });
    const res = await t.db.transaction().execute((trx) => resolvePerson(trx, doubtful));
    expect(res.outcome).toBe('review');
    expect(res.personId).not.toBe(first.personId);
    const item = await t.db.selectFrom('identity_review_item').selectAll().where('id', '=', res.reviewItemId!).executeTakeFirstOrThrow();
    expect(item).toMatchObject({ person_id: res.personId, candidate_person_id: first.personId, match_weight: res.matchWeight });
    expect(res.explanation!.band).toBe('review');
  });

  it('finds a person through the stored house key alone, and lets the comparison decide', async () => {
    const school = await makeOrg(t.db, 'school');
    const police = await makeOrg(t.db, 'police');
    const base = incomingPerson(school.id);
    const first = await t.db.transaction().execute((trx) => resolvePerson(trx, base));
    const keys = (await t.db.selectFrom('person_match_key').select('key').where('person_id', '=', first.personId).execute()).map((k) => k.key);
    expect(keys).toEqual(expect.arrayContaining([expect.stringMatching(/^ha:SE:\d+ zed[a-z]:a$/), expect.stringMatching(/^sn:SE\d+:zed/)]));
    // Another date of birth, the postcode's last two characters swapped, a typing error in each name and
    // the street's words run together: no key but the house (with the forename's initial) is shared.
    const pc = base.postcode!.replace(/ /g, '');
    const other = incomingPerson(police.id, {
      givenNames: 'Ashtun', familyName: base.familyName!.replace(/wick$/, 'wikc'), dateOfBirth: '2002-06-15',
      postcode: `${pc.slice(0, -2)}${pc.at(-1)}${pc.at(-2)}`, addressLine: base.addressLine!.replace(/ Road$/, 'road'),
    });
    const res = await t.db.transaction().execute((trx) => resolvePerson(trx, other));
    expect(res.outcome).toBe('review');
    const item = await t.db.selectFrom('identity_review_item').select('candidate_person_id').where('id', '=', res.reviewItemId!).executeTakeFirstOrThrow();
    expect(item.candidate_person_id).toBe(first.personId);
  });

  it('makes a new person when an identifier disagrees and little else agrees', async () => {
    const org = await makeOrg(t.db, 'school');
    const base = incomingPerson(org.id, { identifiers: [{ scheme: 'nhs_number', value: '9434765919' }], givenNames: 'Kemi' });
    const first = await t.db.transaction().execute((trx) => resolvePerson(trx, base));
    const other = incomingPerson(org.id, { givenNames: 'Kemi', familyName: base.familyName, identifiers: [{ scheme: 'nhs_number', value: '9999999998' }], postcode: 'N1 9GU', addressLine: '3 Other Street' });
    const res = await t.db.transaction().execute((trx) => resolvePerson(trx, other));
    expect(res.outcome).toBe('new');
    expect(res.personId).not.toBe(first.personId);
  });

  it('keeps the match profile equal to the person as held, as records arrive and add to them', async () => {
    const school = await makeOrg(t.db, 'school');
    const police = await makeOrg(t.db, 'police');
    const base = incomingPerson(school.id, { postcode: null, addressLine: null, identifiers: [{ scheme: 'upn', value: 'A123456789013' }] });
    const first = await t.db.transaction().execute((trx) => resolvePerson(trx, base));
    // The police know the child by a nickname too, hold an NHS number and an address the school did not.
    const more = { ...base, organisationId: police.id, sourceRecordId: 'pol-1', givenNames: 'Ashtun', postcode: 'SE15 4AB', addressLine: '12 Example Road',
      otherNames: [{ kind: 'nickname' as const, givenNames: 'Ash', familyName: null }], identifiers: [{ scheme: 'nhs_number' as const, value: '943 476 5919' }, ...base.identifiers] };
    const second = await t.db.transaction().execute((trx) => resolvePerson(trx, more));
    expect(second.personId).toBe(first.personId);
    const profile = (await t.db.selectFrom('person_match_profile').select('record').where('person_id', '=', first.personId).executeTakeFirstOrThrow()).record as MatchRecord;
    const held = (await loadMatchRecords(t.db, [first.personId])).get(first.personId)!;
    const sorted = (r: MatchRecord) => ({
      ...r,
      otherNames: [...r.otherNames].sort((a, b) => `${a.givenNames}|${a.familyName}`.localeCompare(`${b.givenNames}|${b.familyName}`)),
      identifiers: [...r.identifiers].sort((a, b) => `${a.scheme}:${a.value}`.localeCompare(`${b.scheme}:${b.value}`)),
    });
    expect(sorted(profile)).toEqual(sorted(held));
    expect(held.otherNames).toHaveLength(2);
    expect(held.identifiers).toHaveLength(2);
    expect(held.postcode).toBe('SE15 4AB');
  });
});
