/**
 * Intake never grants more than the sender already had (issue 10, C1 and H1): a record naming an
 * existing child links the sender's entry to the child but gives the sender no access to the child;
 * reports name no one the reader cannot see; access comes only from a relationship a person confirms,
 * with a reason, logged and reviewed; and people named in a record join an existing child's record
 * only with strong identifier agreement or when the sender could already see them.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { makeNhsNumber } from '../../../domain/identifiers.js';
import { auditRowsFor, involve, lastAuditId, makeOrg, makeTeam, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';
import { followBatch, importText, toJsonl } from '../../../../test/intake-helpers.js';
import { createApiKey } from '../api/api-key.js';
import { ENTRIES_RECORDED } from '../chronology/commands/append-entry.js';

const random = (n: number) => Math.floor(Math.random() * n);
const word = () => String.fromCharCode(65 + random(26)) + Array.from({ length: 8 }, () => String.fromCharCode(97 + random(26))).join('');

/** A child as an agency sends them, with fixed details so a second agency can name the same child. */
function childData(recordId: string, child: { given: string; family: string; dob: string; nhs?: string }) {
  return {
    recordId, givenNames: child.given, familyName: child.family, dateOfBirth: child.dob, sex: 'female', ethnicity: 'MWBC',
    identifiers: child.nhs ? [{ scheme: 'nhs_number', value: child.nhs }] : [], address: { postcode: 'ZZ9 9ZZ', borough: 'Testborough' },
  };
}

function record(organisationId: string, sourceSystem: string, recordId: string, person: unknown, extra: Record<string, unknown> = {}) {
  return {
    format: 'jigsaw-interchange/1', organisation: organisationId, sourceSystem, recordId, person,
    event: { code: 'stop_and_search', occurredAt: '2026-03-01T21:15:00Z', summary: `Entry ${recordId} ${randomUUID().slice(0, 8)}` },
    ...extra,
  };
}

describe(`intake grants nothing by assertion on ${TEST_ENGINE}`, () => {
  const t = useTestApp();

  /** A child known to children's social care (imported there, so identity resolution can find them), with an involved worker. */
  async function knownChild() {
    const care = await makeOrg(t.db, 'childrens_social_care');
    const worker = await makeUser(t.db, { organisationId: care.id, roles: ['practitioner'] });
    const child = { given: 'Amarachi', family: word(), dob: `20${10 + random(5)}-0${1 + random(9)}-1${random(9)}`, nhs: makeNhsNumber(random) };
    await importText(t.db, care.id, 'jsonl', 'care.jsonl', toJsonl([record(care.id, 'Mosaic', `CARE-${randomUUID()}`, childData(`MOS-${randomUUID()}`, child))]));
    const held = await t.db.selectFrom('source_record').select('person_id').where('organisation_id', '=', care.id).executeTakeFirstOrThrow();
    await involve(t.db, { personId: held.person_id, organisationId: care.id, userId: worker.id });
    return { care, worker, child, childId: held.person_id };
  }

  async function school() {
    const org = await makeOrg(t.db, 'school');
    const team = await makeTeam(t.db, org.id);
    const dsl = await makeUser(t.db, { organisationId: org.id, roles: ['designated_safeguarding_lead'], teamId: team.id });
    const key = (await createApiKey(t.db, org.id, 'SIMS')).key;
    return { org, dsl, auth: { authorization: `Bearer ${key}` } };
  }

  const detailOf = (r: { detail: unknown }) => (typeof r.detail === 'string' ? JSON.parse(r.detail) : r.detail) as Record<string, unknown>;

  it('a key that sends an existing child\'s name and date of birth (even misspelt) cannot read the child, and no report names the child', async () => {
    const k = await knownChild();
    const s = await school();
    const records = [
      record(s.org.id, 'SIMS', 'EXACT-1', childData('PUPIL-1', { ...k.child, nhs: undefined as never })),
      record(s.org.id, 'SIMS', 'MISSPELT-1', childData('PUPIL-2', { ...k.child, family: `${k.child.family.slice(0, -1)}x`, nhs: undefined as never })),
      record(s.org.id, 'SIMS', 'NEW-1', childData('PUPIL-3', { given: 'Tobias', family: word(), dob: '2013-02-03' })),
    ];
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/intake', headers: s.auth, payload: { records } });
    const report = await followBatch(t.app, t.db, res, s.auth);
    // The attack is real: the exact record was linked to the existing child.
    const rows = await t.db.selectFrom('intake_row').select(['seq', 'person_id', 'person_outcome', 'outcome']).where('batch_id', '=', report.batchId).orderBy('seq').execute();
    expect(rows[0]).toMatchObject({ person_id: k.childId, person_outcome: 'linked' });
    expect(rows[2]!.person_outcome).toBe('new');

    // The answer and the stored report: every record accepted alike, no people counts, no person id.
    expect(report).toMatchObject({ received: 3, accepted: 3, rejected: 0, outcomes: { new: 3, updated: 0, unchanged: 0 } });
    expect(report).not.toHaveProperty('people');
    const stored = await t.app.inject({ method: 'GET', url: `/api/v1/intake/${report.batchId}`, headers: s.auth });
    expect(stored.statusCode).toBe(200);
    const status = await t.app.inject({ method: 'GET', url: `/api/v1/intake/batches/${report.batchId}`, headers: s.auth });
    expect(status.statusCode).toBe(200);
    for (const body of [res.body, stored.body, status.body]) {
      for (const r of rows) expect(body).not.toContain(r.person_id!);
      expect(body).not.toMatch(/linked|review/);
    }
    // Sending records gives the school no relationship with anyone.
    expect(await t.db.selectFrom('involvement').select('id').where('organisation_id', '=', s.org.id).execute()).toEqual([]);

    // The key cannot read the child: the person and the chronology are 404, each with its denied row.
    const since = await lastAuditId(t.db);
    const person = await t.app.inject({ method: 'GET', url: `/api/v1/people/${k.childId}`, headers: s.auth });
    const chronology = await t.app.inject({ method: 'GET', url: `/api/v1/people/${k.childId}/chronology`, headers: s.auth });
    const missing = await t.app.inject({ method: 'GET', url: `/api/v1/people/${randomUUID()}`, headers: s.auth });
    expect([person.statusCode, chronology.statusCode]).toEqual([404, 404]);
    expect([person.json().error.code, person.json().error.message]).toEqual([missing.json().error.code, missing.json().error.message]);
    const denied = (await auditRowsFor(t.db, { since, personId: k.childId })).filter((r) => r.organisation_id === s.org.id);
    expect(denied.map((r) => [r.action, r.outcome])).toEqual([['person.read', 'denied'], ['chronology.read', 'denied']]);

    // Nor can the school's designated safeguarding lead, on the pages.
    const dsl = await signIn(t.app, s.dsl.email);
    const page = await t.app.inject({ method: 'GET', url: `/people/${k.childId}`, headers: { cookie: dsl.cookie } });
    expect(page.statusCode).toBe(404);
    expect((await auditRowsFor(t.db, { since, userId: s.dsl.id, personId: k.childId })).map((r) => [r.outcome, detailOf(r).reason])).toEqual([['denied', 'relationship']]);

    // The batch page and the CSV download: the three records look the same, and none names a person.
    const batchPage = await t.app.inject({ method: 'GET', url: `/intake/batches/${report.batchId}`, headers: { cookie: dsl.cookie } });
    expect(batchPage.statusCode).toBe(200);
    for (const r of rows) expect(batchPage.body).not.toContain(r.person_id!);
    expect(batchPage.body.match(/Accepted \(new\)/g)).toHaveLength(3);
    expect(batchPage.body.match(/Confirm that you work with this child/g)!.length).toBeGreaterThanOrEqual(3);
    expect(batchPage.body).not.toMatch(/Linked to existing|New people|Sent for review/);
    const csv = await t.app.inject({ method: 'GET', url: `/intake/batches/${report.batchId}/report.csv`, headers: { cookie: dsl.cookie } });
    expect(csv.statusCode).toBe(200);
    for (const r of rows) expect(csv.body).not.toContain(r.person_id!);
    const lines = csv.body.trim().split('\r\n').slice(1).map((l) => l.split(','));
    expect(lines.map((l) => [l[6], l[7]])).toEqual([['new', ''], ['new', ''], ['new', '']]);
  });

  it('a person in the sending organisation confirms a relationship with a reason: logged, on the DPO\'s list and on "who has seen this record"', async () => {
    const k = await knownChild();
    const s = await school();
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/intake', headers: s.auth, payload: { records: [record(s.org.id, 'SIMS', 'EXACT-2', childData('PUPIL-9', { ...k.child, nhs: undefined as never }))] } });
    const { batchId } = await followBatch(t.app, t.db, res, s.auth);
    const linked = await t.db.selectFrom('intake_row').select('person_id').where('batch_id', '=', batchId).where('seq', '=', 0).executeTakeFirstOrThrow();
    expect(linked.person_id).toBe(k.childId);
    const dsl = await signIn(t.app, s.dsl.email);
    const url = `/intake/batches/${batchId}/records/0/relationship`;
    const post = (session: { cookie: string; csrf: string }, fields: Record<string, string>, at = url) => t.app.inject({
      method: 'POST', url: at, headers: { cookie: session.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: session.csrf, ...fields }).toString(),
    });

    const form = await t.app.inject({ method: 'GET', url, headers: { cookie: dsl.cookie } });
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('Confirm that you work with this child');
    expect(form.body).not.toContain(k.childId);

    // A short reason, a date in the future and no role: each field says what is wrong, and nothing is granted.
    const nextYear = new Date().getUTCFullYear() + 1;
    const bad = await post(dsl, { role: '', 'startedOn-day': '1', 'startedOn-month': '2', 'startedOn-year': String(nextYear), reason: 'I know them' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Choose your role with the child');
    expect(bad.body).toContain('The date you started working with the child must be today or in the past');
    expect(bad.body).toContain('in at least 20 characters');
    const impossible = await post(dsl, { role: 'key_worker', 'startedOn-day': '31', 'startedOn-month': '2', 'startedOn-year': '2025', reason: 'Pastoral lead for this pupil since she joined the school' });
    expect(impossible.statusCode).toBe(400);
    expect(impossible.body).toContain('The date you started working with the child must be a real date');
    expect(await t.db.selectFrom('involvement').select('id').where('organisation_id', '=', s.org.id).execute()).toEqual([]);
    expect((await t.app.inject({ method: 'GET', url: `/people/${k.childId}`, headers: { cookie: dsl.cookie } })).statusCode).toBe(404);

    // Another organisation's person cannot confirm on this record: 404, as for a record that does not exist, with a denied row.
    const other = await school();
    const otherDsl = await signIn(t.app, other.dsl.email);
    const since = await lastAuditId(t.db);
    const theirs = await t.app.inject({ method: 'GET', url, headers: { cookie: otherDsl.cookie } });
    const theirsPost = await post(otherDsl, { role: 'key_worker', 'startedOn-day': '1', 'startedOn-month': '9', 'startedOn-year': '2025', reason: 'Pastoral lead for this pupil since she joined the school' });
    const nowhere = await t.app.inject({ method: 'GET', url: `/intake/batches/${randomUUID()}/records/0/relationship`, headers: { cookie: otherDsl.cookie } });
    expect([theirs.statusCode, theirsPost.statusCode, nowhere.statusCode]).toEqual([404, 404, 404]);
    const refusals = await auditRowsFor(t.db, { since, userId: other.dsl.id });
    expect(refusals.map((r) => [r.action, r.outcome, detailOf(r).reason])).toEqual([
      ['relationship.confirm', 'denied', 'record'], ['relationship.confirm', 'denied', 'record'], ['relationship.confirm', 'denied', 'record'],
    ]);
    expect(await t.db.selectFrom('involvement').select('id').where('organisation_id', '=', other.org.id).execute()).toEqual([]);

    // An organisation's system cannot confirm (a person must), and a role that holds no cases is refused.
    const byKey = await t.app.inject({
      method: 'POST', url, headers: { ...s.auth, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ role: 'key_worker', 'startedOn-day': '1', 'startedOn-month': '9', 'startedOn-year': '2025', reason: 'Pastoral lead for this pupil since she joined the school' }).toString(),
    });
    expect(byKey.statusCode).toBe(401);
    const analystUser = await makeUser(t.db, { organisationId: s.org.id, roles: ['analyst'] });
    const analyst = await signIn(t.app, analystUser.email);
    const beforeAnalyst = await lastAuditId(t.db);
    const byAnalyst = await post(analyst, { role: 'key_worker', 'startedOn-day': '1', 'startedOn-month': '9', 'startedOn-year': '2025', reason: 'Pastoral lead for this pupil since she joined the school' });
    expect(byAnalyst.statusCode).toBe(404);
    expect((await auditRowsFor(t.db, { since: beforeAnalyst, userId: analystUser.id })).map((r) => [r.action, r.outcome, detailOf(r).reason])).toEqual([['relationship.confirm', 'denied', 'role']]);
    expect(await t.db.selectFrom('involvement').select('id').where('organisation_id', '=', s.org.id).execute()).toEqual([]);

    // The school's DSL confirms, with a reason: now they see the child.
    const reason = 'Designated safeguarding lead at her school; she has been on our child protection register since September';
    const ok = await post(dsl, { role: 'designated_safeguarding_lead', 'startedOn-day': '1', 'startedOn-month': '9', 'startedOn-year': '2025', reason });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe(`/people/${k.childId}`);
    expect((await t.app.inject({ method: 'GET', url: `/people/${k.childId}`, headers: { cookie: dsl.cookie } })).statusCode).toBe(200);
    const involvement = await t.db.selectFrom('involvement').select(['person_id', 'user_id', 'role', 'started_on']).where('organisation_id', '=', s.org.id).execute();
    expect(involvement).toHaveLength(1);
    expect(involvement[0]).toMatchObject({ person_id: k.childId, user_id: s.dsl.id, role: 'designated_safeguarding_lead' });
    // From now on the school is involved with the child through a person who confirmed it, so, as for any
    // involvement, its system sees the child too (before the confirmation it did not: the first test).
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/people/${k.childId}`, headers: s.auth })).statusCode).toBe(200);

    // The grant is in the access log, with the reason and the record it came from.
    const grant = (await auditRowsFor(t.db, { since, userId: s.dsl.id, personId: k.childId })).find((r) => r.action === 'relationship.confirm');
    expect(grant).toMatchObject({ outcome: 'allowed', organisation_id: s.org.id });
    expect(detailOf(grant!)).toMatchObject({ reason, role: 'designated_safeguarding_lead', startedOn: '2025-09-01', intakeRecord: { batchId, seq: 0, recordId: 'EXACT-2' } });

    // The batch page now gives the DSL the child's record, and the download names the child for them.
    const batchPage = await t.app.inject({ method: 'GET', url: `/intake/batches/${batchId}`, headers: { cookie: dsl.cookie } });
    expect(batchPage.body).toContain(`/people/${k.childId}`);

    // The DPO sees it on their review list, and marks it reviewed; it is on "who has seen this record".
    const dpoUser = await makeUser(t.db, { organisationId: k.care.id, roles: ['data_protection_officer'] });
    const dpo = await signIn(t.app, dpoUser.email);
    const list = await t.app.inject({ method: 'GET', url: '/admin/relationships', headers: { cookie: dpo.cookie } });
    expect(list.statusCode).toBe(200);
    const confirmation = await t.db.selectFrom('relationship_confirmation').selectAll().where('user_id', '=', s.dsl.id).executeTakeFirstOrThrow();
    const item = list.body.slice(list.body.indexOf(`/admin/relationships/${confirmation.id}/review`) - 3000, list.body.indexOf(`/admin/relationships/${confirmation.id}/review`));
    expect(item).toContain(s.dsl.name);
    expect(item).toContain(`Amarachi ${k.child.family}`);
    expect(item).toContain('Designated safeguarding lead, from 1 September 2025');
    expect(item).toContain('on our child protection register since September');
    const reviewed = await post(dpo, { note: 'Checked with the school' }, `/admin/relationships/${confirmation.id}/review`);
    expect(reviewed.statusCode).toBe(303);
    const after = await t.app.inject({ method: 'GET', url: '/admin/relationships', headers: { cookie: dpo.cookie } });
    expect(after.body).toContain(`Reviewed by ${dpoUser.name}`);
    const history = await t.app.inject({ method: 'GET', url: `/admin/access-log?person=${k.childId}`, headers: { cookie: dpo.cookie } });
    expect(history.statusCode).toBe(200);
    expect(history.body).toContain('relationship.confirm');
    expect(history.body).toContain(s.dsl.name);
  });

  it('H1: a person named in a record joins a child it cannot see only on an exact NHS number; otherwise identity review, and the child is untouched', async () => {
    const k = await knownChild();
    const s = await school();
    const careKey = (await createApiKey(t.db, k.care.id, 'Mosaic')).key;
    const worker = await signIn(t.app, k.worker.email);
    const subject = () => childData(`PUPIL-${randomUUID()}`, { given: 'Femi', family: word(), dob: '2012-06-07' });

    // The school names the child as a suspect, with the right name and date of birth but no NHS number.
    const weak = await t.app.inject({ method: 'POST', url: '/api/v1/intake', headers: s.auth, payload: { records: [
      record(s.org.id, 'SIMS', 'WEAPON-1', subject(), { otherPeople: [{ role: 'suspect', person: childData('SUSPECT-1', { ...k.child, nhs: undefined as never }) }] }),
    ] } });
    const weakReport = await followBatch(t.app, t.db, weak, s.auth);
    const weakEvent = await t.db.selectFrom('event').select('id').where('organisation_id', '=', s.org.id).where('source_record_id', '=', 'WEAPON-1').executeTakeFirstOrThrow();
    const weakPeople = await t.db.selectFrom('event_person').select(['person_id', 'role']).where('event_id', '=', weakEvent.id).execute();
    expect(weakPeople.map((p) => p.person_id)).not.toContain(k.childId);
    const provisional = weakPeople.find((p) => p.role === 'suspect')!.person_id;
    // The possible match is held for a person to decide, not linked.
    const review = await t.db.selectFrom('identity_review_item').select(['person_id', 'candidate_person_id']).where('person_id', '=', provisional).executeTakeFirstOrThrow();
    expect(review.candidate_person_id).toBe(k.childId);
    // The record's report line says so, without naming anyone.
    const row = await t.db.selectFrom('intake_row').select(['warnings']).where('batch_id', '=', weakReport.batchId).executeTakeFirstOrThrow();
    const notes = (typeof row.warnings === 'string' ? JSON.parse(row.warnings) : row.warnings) as { field: string; reason: string }[];
    expect(notes).toEqual([{ field: 'otherPeople.0', reason: 'the suspect was not linked to an existing person\'s record: identity review decides whether they are someone already known' }]);
    expect(JSON.stringify(notes)).not.toContain(k.childId);
    // The child's practitioners do not see it, and the rules run for no one but the people it names.
    const chronology = await t.app.inject({ method: 'GET', url: `/api/v1/people/${k.childId}/chronology`, headers: { authorization: `Bearer ${careKey}` } });
    expect(chronology.statusCode).toBe(200);
    expect(JSON.stringify(chronology.json())).not.toContain(weakEvent.id);
    const childPage = await t.app.inject({ method: 'GET', url: `/people/${k.childId}`, headers: { cookie: worker.cookie } });
    expect(childPage.statusCode).toBe(200);
    expect(childPage.body).not.toContain('WEAPON-1');
    const announced = await t.db.selectFrom('outbox').select('payload').where('kind', '=', ENTRIES_RECORDED).execute();
    const weakAnnouncement = announced.map((o) => (typeof o.payload === 'string' ? JSON.parse(o.payload) : o.payload) as { eventIds: string[]; personIds: string[] })
      .find((p) => p.eventIds.includes(weakEvent.id))!;
    expect(weakAnnouncement.personIds).not.toContain(k.childId);
    expect(weakAnnouncement.personIds).toContain(provisional);
    expect(await t.db.selectFrom('access_log').select('id').where('person_id', '=', k.childId).where('action', '=', 'event.record').where('organisation_id', '=', s.org.id).execute()).toEqual([]);

    // With the child's exact NHS number, the entry is linked, and the child's access log has the write.
    const since = await lastAuditId(t.db);
    const strong = await t.app.inject({ method: 'POST', url: '/api/v1/intake', headers: s.auth, payload: { records: [
      record(s.org.id, 'SIMS', 'WEAPON-2', subject(), { otherPeople: [{ role: 'suspect', person: childData('SUSPECT-2', k.child) }] }),
    ] } });
    const strongReport = await followBatch(t.app, t.db, strong, s.auth);
    expect(strong.body).not.toContain(k.childId);
    expect(JSON.stringify(strongReport)).not.toContain(k.childId);
    const strongEvent = await t.db.selectFrom('event').select('id').where('organisation_id', '=', s.org.id).where('source_record_id', '=', 'WEAPON-2').executeTakeFirstOrThrow();
    const strongPeople = await t.db.selectFrom('event_person').select(['person_id', 'role']).where('event_id', '=', strongEvent.id).execute();
    expect(strongPeople).toContainEqual({ person_id: k.childId, role: 'suspect' });
    const written = await auditRowsFor(t.db, { since, personId: k.childId });
    expect(written.map((r) => [r.action, r.outcome, r.organisation_id, detailOf(r).eventId])).toEqual([['event.record', 'allowed', s.org.id, strongEvent.id]]);
    // The child's practitioners now see that an entry names the child (the same reader that did not before).
    const nowListed = await t.app.inject({ method: 'GET', url: `/api/v1/people/${k.childId}/chronology`, headers: { authorization: `Bearer ${careKey}` } });
    expect(JSON.stringify(nowListed.json())).toContain(strongEvent.id);
    // Linking the suspect gave the school no access to the child.
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/people/${k.childId}`, headers: s.auth })).statusCode).toBe(404);
    // The write is on the child's "who has seen this record".
    const dpoUser = await makeUser(t.db, { organisationId: k.care.id, roles: ['data_protection_officer'] });
    const dpo = await signIn(t.app, dpoUser.email);
    const history = await t.app.inject({ method: 'GET', url: `/admin/access-log?person=${k.childId}`, headers: { cookie: dpo.cookie } });
    expect(history.body).toContain('event.record');
  });

  it('every writer puts an entry on the access log of each person it names: the API, as intake', async () => {
    const care = await makeOrg(t.db, 'childrens_social_care');
    const worker = await makeUser(t.db, { organisationId: care.id, roles: ['practitioner'] });
    const key = (await createApiKey(t.db, care.id, 'Mosaic')).key;
    const ids: string[] = [];
    for (const c of [{ given: 'Ruby', family: word(), dob: '2011-04-05' }, { given: 'Oskar', family: word(), dob: '2012-05-06' }]) {
      await importText(t.db, care.id, 'jsonl', 'care.jsonl', toJsonl([record(care.id, 'Mosaic', `CARE-${randomUUID()}`, childData(`MOS-${randomUUID()}`, c))]));
    }
    for (const r of await t.db.selectFrom('source_record').select('person_id').where('organisation_id', '=', care.id).execute()) {
      ids.push(r.person_id);
      await involve(t.db, { personId: r.person_id, organisationId: care.id, userId: worker.id });
    }
    const since = await lastAuditId(t.db);
    const res = await t.app.inject({
      method: 'POST', url: `/api/v1/people/${ids[0]}/events`, headers: { authorization: `Bearer ${key}` },
      payload: { eventTypeCode: 'missing_episode', occurredAt: '2026-03-01', occurredPrecision: 'date', summary: 'Missing overnight with a friend', sourceSystem: 'Mosaic', otherPeople: [{ personId: ids[1], role: 'associate' }] },
    });
    expect(res.statusCode).toBe(201);
    const rows = (await auditRowsFor(t.db, { since })).filter((r) => r.organisation_id === care.id && r.action === 'event.record');
    expect(rows.map((r) => r.person_id)).toEqual([ids[0], ids[1]]);
    expect(new Set(rows.map((r) => detailOf(r).eventId)).size).toBe(1);
  });
});
