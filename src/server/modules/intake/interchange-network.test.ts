import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { importText, policeRecord, syntheticPerson, toJsonl } from '../../../../test/intake-helpers.js';
import { involve, makeOrg, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';
import type { Actor } from '../../actor.js';
import { networkOf } from '../networks/networks.queries.js';

// The interchange format carries where an entry happened, relationships between its people and their
// online handles. Each is stored with the entry as its source, so it is seen exactly by those who see
// the entry whole: a relationship from a restricted police entry gives another agency's worker no edge.
describe(`places, relationships and online handles in the interchange format on ${TEST_ENGINE}`, () => {
  const t = useTestApp();

  it('stores them with the entry as source, keeps a record whose relationship kind is unknown, and grants nothing beyond the entry', async () => {
    const borough = `Placeford ${randomUUID().slice(0, 6)}`;
    const police = await makeOrg(t.db, 'police', borough);
    const school = await makeOrg(t.db, 'school', borough);
    const csc = await makeOrg(t.db, 'childrens_social_care', borough);
    const worker = await makeUser(t.db, { organisationId: csc.id });
    const elsewhere = await makeUser(t.db, { organisationId: (await makeOrg(t.db, 'childrens_social_care', `Otherfield ${randomUUID().slice(0, 6)}`)).id });
    const kai = syntheticPerson('NOM-KAI');
    const pete = syntheticPerson('NOM-PETE');
    const rio = syntheticPerson('NOM-RIO');
    const park = { kind: 'park', name: 'Sample Park', postcode: 'zz1 1zz', ward: 'Riverside', borough };
    const records = [
      policeRecord(police.id, 'R-1', {
        person: { ...kai, onlineHandles: [{ platform: 'Snapchat', handle: '@kai_test' }, { platform: 'snapchat', handle: '@KAI_TEST' }] },
        otherPeople: [{ role: 'associate', person: pete }],
        place: park,
        relationships: [{ from: 'NOM-KAI', to: 'NOM-PETE', kind: 'friend', grading: '2b', validFrom: '2025-06-01' }],
      }),
      policeRecord(police.id, 'R-2', {
        person: kai, otherPeople: [{ role: 'suspect', person: rio }],
        event: { code: 'criminal_exploitation_concern', occurredAt: '2026-03-02T20:00:00Z', summary: 'Intelligence of a dispute', sensitivity: 'restricted' },
        relationships: [{ from: 'NOM-KAI', to: 'NOM-RIO', kind: 'rival', grading: '2B' }],
      }),
      policeRecord(police.id, 'R-3', {
        person: kai, otherPeople: [{ role: 'witness', person: pete }],
        place: { kind: 'spaceship', name: 'Nowhere' },
        relationships: [
          { from: 'NOM-KAI', to: 'NOM-PETE', kind: 'best_mate' },
          { from: 'NOM-KAI', to: 'NOM-NOBODY', kind: 'associate' },
          { from: 'NOM-KAI', to: 'NOM-PETE', kind: 'associate', grading: '9Z', validFrom: '2025-02-30' },
        ],
      }),
    ];
    const report = await importText(t.db, police.id, 'jsonl', 'network.jsonl', toJsonl(records));
    expect(report).toMatchObject({ accepted: 3, rejected: 0 });
    const rows = await t.db.selectFrom('intake_row').select(['row_number', 'warnings', 'person_id', 'event_id']).where('batch_id', '=', report.batchId).orderBy('seq').execute();
    expect(rows[2]!.warnings).toEqual([
      { field: 'place.kind', reason: '"spaceship" is not a kind of place (school, youth_centre, estate, park, transport_hub, shop, address, online, other), so the place was left out' },
      { field: 'relationships.0.kind', reason: '"best_mate" is not a kind of relationship (parent, carer, sibling, other_family, friend, associate, partner, rival, co_accused, co_victim, suspected_exploiter, classmate), so the relationship was left out' },
      { field: 'relationships.1.to', reason: 'names no person of this record (give the recordId of the person or one of otherPeople), so the relationship was left out' },
      { field: 'relationships.2.grading', reason: 'is not a 3x5x2 grading (source 1 to 3 then intelligence A to E, such as 2B), so it was left out' },
      { field: 'relationships.2.validFrom', reason: 'is not a real date, so it was left out' },
    ]);
    const [r1, r2, r3] = rows.map((r) => r.event_id!);
    const kaiId = rows[0]!.person_id!;

    const relationships = await t.db.selectFrom('person_relationship').select(['person_id', 'kind', 'grading', 'valid_from', 'source_event_id', 'recorded_by_organisation_id'])
      .where('source_event_id', 'in', [r1!, r2!, r3!]).orderBy('kind').execute();
    expect(relationships.map((r) => [r.kind, r.grading, r.valid_from ? String(r.valid_from).slice(0, 10) : null, r.source_event_id])).toEqual([
      ['associate', null, null, r3], ['friend', '2B', '2025-06-01', r1], ['rival', '2B', null, r2],
    ]);
    expect(relationships.every((r) => r.person_id === kaiId && r.recorded_by_organisation_id === police.id)).toBe(true);
    const places = await t.db.selectFrom('event_place as ep').innerJoin('place as p', 'p.id', 'ep.place_id')
      .select(['ep.event_id', 'p.id', 'p.kind', 'p.name', 'p.postcode', 'p.ward']).where('ep.event_id', 'in', [r1!, r2!, r3!]).execute();
    expect(places).toMatchObject([{ event_id: r1, kind: 'park', name: 'Sample Park', postcode: 'ZZ1 1ZZ', ward: 'Riverside' }]);
    // The handle written twice in another case is one online space, the person a member of it through the entry.
    const handles = await t.db.selectFrom('person_place as pp').innerJoin('place as p', 'p.id', 'pp.place_id')
      .select(['pp.person_id', 'pp.kind', 'pp.source_event_id', 'p.kind as place_kind', 'p.platform', 'p.handle']).where('pp.source_event_id', 'in', [r1!, r2!, r3!]).execute();
    expect(handles).toEqual([{ person_id: kaiId, kind: 'member', source_event_id: r1, place_kind: 'online', platform: 'Snapchat', handle: '@kai_test' }]);

    // Another agency of the partnership names the same park (written differently): one place.
    const schoolReport = await importText(t.db, school.id, 'jsonl', 'school.jsonl', toJsonl([{
      ...policeRecord(school.id, 'S-1', { sourceSystem: 'SchoolMIS', place: { kind: 'park', name: 'sample  park', postcode: 'ZZ11ZZ' } }),
    }]));
    expect(schoolReport).toMatchObject({ accepted: 1, rejected: 0 });
    const schoolEntry = (await t.db.selectFrom('intake_row').select('event_id').where('batch_id', '=', schoolReport.batchId).executeTakeFirstOrThrow()).event_id!;
    expect((await t.db.selectFrom('event_place').select('place_id').where('event_id', '=', schoolEntry).executeTakeFirstOrThrow()).place_id).toBe(places[0]!.id);

    // The same file again changes nothing.
    const again = await importText(t.db, police.id, 'jsonl', 'network.jsonl', toJsonl(records));
    expect(again).toMatchObject({ accepted: 3, rejected: 0 });
    expect(Number((await t.db.selectFrom('person_relationship').select((eb) => eb.fn.countAll().as('n')).where('person_id', '=', kaiId).executeTakeFirstOrThrow()).n)).toBe(3);

    // The police's own system sees the rival; the children's services worker, who works with Kai but
    // may not see the restricted entry, gets no edge from it (and no sign of Rio).
    const rioId = (await t.db.selectFrom('source_record').select('person_id').where('organisation_id', '=', police.id).where('source_record_id', '=', 'NOM-RIO').executeTakeFirstOrThrow()).person_id;
    const peteId = (await t.db.selectFrom('source_record').select('person_id').where('organisation_id', '=', police.id).where('source_record_id', '=', 'NOM-PETE').executeTakeFirstOrThrow()).person_id;
    const policeSystem: Actor = { kind: 'system', apiKeyId: '', organisationId: police.id, organisationName: police.name };
    const own = await networkOf(t.db, policeSystem, kaiId, 1);
    expect(own.first.filter((e) => e.kind === 'rival').map((e) => e.b)).toEqual([rioId]);
    await involve(t.db, { personId: kaiId, organisationId: csc.id, userId: worker.id });
    const workerActor: Actor = { kind: 'user', userId: worker.id, name: worker.name, email: worker.email, organisationId: csc.id, organisationName: csc.name, teamId: null, roles: ['practitioner'], partnershipId: '00000000-0000-4000-8000-000000000000' };
    const theirs = await networkOf(t.db, workerActor, kaiId, 2);
    expect(theirs.first.filter((e) => e.kind === 'friend').map((e) => [e.b, e.grading])).toEqual([[peteId, '2B']]);
    expect(theirs.first.some((e) => e.kind === 'rival')).toBe(false);
    expect(theirs.people).not.toContain(rioId);

    // The network page says the same; a worker of another partnership is answered "not found".
    const page = await t.app.inject({ method: 'GET', url: `/people/${kaiId}/network`, headers: { cookie: (await signIn(t.app, worker.email)).cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Friend');
    expect(page.body).not.toContain(rioId);
    expect(page.body).not.toContain(String(rio.familyName));
    // Nor does the person page's list of relationships, which holds family recorded as such, not what entries carry.
    const person = await t.app.inject({ method: 'GET', url: `/people/${kaiId}`, headers: { cookie: (await signIn(t.app, worker.email)).cookie } });
    expect(person.statusCode).toBe(200);
    expect(person.body).not.toContain(String(rio.familyName));
    const denied = await t.app.inject({ method: 'GET', url: `/people/${kaiId}/network`, headers: { cookie: (await signIn(t.app, elsewhere.email)).cookie } });
    expect(denied.statusCode).toBe(404);
  });
});
