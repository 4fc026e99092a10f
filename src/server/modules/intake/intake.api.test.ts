import { describe, expect, it } from 'vitest';
import { auditRowsFor, buildTestApp, lastAuditId, makeOrg, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';
import { policeRecord, syntheticPerson, tableCounts, toJsonl } from '../../../../test/intake-helpers.js';
import { createApiKey } from '../api/api-key.js';

describe(`POST /api/v1/intake on ${TEST_ENGINE}`, () => {
  const t = useTestApp();

  async function world() {
    const police = await makeOrg(t.db, 'police');
    const other = await makeOrg(t.db, 'housing');
    const key = (await createApiKey(t.db, police.id, 'Niche')).key;
    const otherKey = (await createApiKey(t.db, other.id, 'Housing')).key;
    const rowsSince = async (since: number) => (await auditRowsFor(t.db, { since })).filter((r) => r.organisation_id === police.id || r.organisation_id === other.id);
    return { police, other, rowsSince, auth: { authorization: `Bearer ${key}` }, otherAuth: { authorization: `Bearer ${otherKey}` } };
  }

  it('answers 401 without a key and with an unknown key, and stores nothing', async () => {
    const w = await world();
    const before = await tableCounts(t.db, w.police.id);
    for (const headers of [{}, { authorization: `Bearer jgs_00000000_${'a'.repeat(43)}` }]) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/intake', headers: { ...headers, 'content-type': 'application/x-ndjson' }, payload: toJsonl([policeRecord(w.police.id, 'NOKEY-1')]) });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('unauthenticated');
    }
    expect(await tableCounts(t.db, w.police.id)).toEqual(before);
  });

  it('imports a JSON batch without giving the sender any relationship with the people in it, and logs every write on each named person\'s log', async () => {
    const w = await world();
    const since = await lastAuditId(t.db);
    const witness = syntheticPerson('NOM-W1');
    const records = [
      policeRecord(w.police.id, 'API-1', { otherPeople: [{ role: 'witness', person: witness }] }),
      policeRecord(w.police.id, 'API-2', {
        event: { code: 'criminal_exploitation_concern', occurredAt: '2026-02-11', summary: 'Intelligence: seen collecting packages', sensitivity: 'restricted',
          grading: { system: '3x5x2', sourceEvaluation: '2', intelligenceEvaluation: 'B', handlingCode: 'C', handlingConditions: 'Not to be shared with the family' } },
      }),
      { ...policeRecord(w.police.id, 'API-3'), event: { code: 'no_such_type', occurredAt: '2026-01-01', summary: 'x' } },
    ];
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/intake', headers: w.auth, payload: { records } });
    expect(res.statusCode).toBe(201);
    const report = res.json();
    expect(res.headers.location).toBe(`/api/v1/intake/${report.batchId}`);
    expect(report).toMatchObject({ status: 'completed', received: 3, accepted: 2, rejected: 1, reconciled: true, outcomes: { new: 2, updated: 0, unchanged: 0 } });
    expect(report.rejections).toEqual([{ file: 'api-jsonl', table: 'records', row: 3, ref: null, recordId: 'API-3', errors: [{ field: 'event.code', reason: '"no_such_type" is not an event type in the vocabulary' }] }]);

    const events = await t.db.selectFrom('event').selectAll().where('organisation_id', '=', w.police.id).orderBy('source_record_id').execute();
    expect(events.map((e) => [e.source_record_id, e.event_type_code, e.recorded_via, e.sensitivity, e.api_key_id !== null])).toEqual([
      ['API-1', 'stop_and_search', 'import', 'standard', true], ['API-2', 'criminal_exploitation_concern', 'import', 'restricted', true],
    ]);
    const grading = await t.db.selectFrom('event_grading').selectAll().where('event_id', '=', events[1]!.id).executeTakeFirstOrThrow();
    expect(grading).toMatchObject({ grading_system: '3x5x2', source_evaluation: '2', intelligence_evaluation: 'B', handling_code: 'C', handling_conditions: 'Not to be shared with the family' });
    // The grading is as fixed as the entry it grades.
    await expect(t.db.updateTable('event_grading').set({ handling_code: 'P' }).where('event_id', '=', events[1]!.id).execute()).rejects.toThrow(/append-only/);
    await expect(t.db.deleteFrom('event_grading').where('event_id', '=', events[1]!.id).execute()).rejects.toThrow(/append-only/);
    const roles = await t.db.selectFrom('event_person').select('role').where('event_id', '=', events[0]!.id).orderBy('role').execute();
    expect(roles.map((r) => r.role)).toEqual(['subject', 'witness']);
    // Sending records gives no relationship: neither with the subjects nor with the people named.
    const involved = await t.db.selectFrom('involvement').select('person_id').where('organisation_id', '=', w.police.id).execute();
    expect(involved).toEqual([]);

    const named = await t.db.selectFrom('event_person').select(['event_id', 'person_id', 'role']).where('event_id', 'in', events.map((e) => e.id)).execute();
    const witnessId = named.find((p) => p.role === 'witness')!.person_id;
    const subjectOf = (eventId: string) => named.find((p) => p.event_id === eventId && p.role === 'subject')!.person_id;
    const rows = await w.rowsSince(since);
    // One row for each person an entry names: the witness has the write on their own log too.
    expect(rows.map((r) => [r.action, r.outcome, r.organisation_id, r.api_key_id !== null, r.person_id])).toEqual([
      ['event.record', 'allowed', w.police.id, true, subjectOf(events[0]!.id)], ['event.record', 'allowed', w.police.id, true, witnessId],
      ['event.record', 'allowed', w.police.id, true, subjectOf(events[1]!.id)], ['intake.import', 'allowed', w.police.id, true, null],
    ]);

    // The sending system does not see the child it reported: only a person who works with the child can confirm a relationship.
    const person = await t.app.inject({ method: 'GET', url: `/api/v1/people/${subjectOf(events[0]!.id)}`, headers: w.auth });
    expect(person.statusCode).toBe(404);
  });

  it('streams NDJSON; the same stream again changes nothing; a changed record supersedes its entry', async () => {
    const w = await world();
    const s1 = policeRecord(w.police.id, 'S-1');
    const s2 = policeRecord(w.police.id, 'S-2');
    const lines = toJsonl([s1, s2]);
    const send = (payload: string) => t.app.inject({ method: 'POST', url: '/api/v1/intake?sourceSystem=ignored-for-jsonl', headers: { ...w.auth, 'content-type': 'application/x-ndjson' }, payload });
    const first = await send(lines);
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ received: 2, accepted: 2, outcomes: { new: 2 } });
    const before = await tableCounts(t.db, w.police.id);
    const since = await lastAuditId(t.db);
    const again = await send(lines);
    expect(again.json()).toMatchObject({ received: 2, accepted: 2, rejected: 0, outcomes: { new: 0, updated: 0, unchanged: 2 } });
    expect(await tableCounts(t.db, w.police.id)).toEqual(before);
    expect((await w.rowsSince(since)).map((r) => r.action)).toEqual(['intake.import']);

    const changed = { ...s2, event: { code: 'stop_and_search', occurredAt: '2026-03-01T21:15:00Z', summary: 'Stopped and searched; a knife was found' } };
    const third = await send(toJsonl([s1, changed]));
    expect(third.json()).toMatchObject({ outcomes: { new: 0, updated: 1, unchanged: 1 } });
    const versions = await t.db.selectFrom('event').select(['id', 'summary', 'supersedes', 'correction_reason']).where('organisation_id', '=', w.police.id).where('source_record_id', '=', 'S-2').orderBy('recorded_at').execute();
    expect(versions).toHaveLength(2);
    expect(versions[1]).toMatchObject({ summary: 'Stopped and searched; a knife was found', supersedes: versions[0]!.id, correction_reason: 'Updated by source system' });
  });

  it('reads a batch report for its own organisation only; another organisation gets 404 and a denied row', async () => {
    const w = await world();
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/intake', headers: { ...w.auth, 'content-type': 'application/x-ndjson' }, payload: toJsonl([policeRecord(w.police.id, 'R-1')]) });
    const batchId = res.json().batchId as string;
    const since = await lastAuditId(t.db);
    const own = await t.app.inject({ method: 'GET', url: `/api/v1/intake/${batchId}`, headers: w.auth });
    expect(own.statusCode).toBe(200);
    expect(own.json()).toMatchObject({ batchId, received: 1, accepted: 1 });
    const theirs = await t.app.inject({ method: 'GET', url: `/api/v1/intake/${batchId}`, headers: w.otherAuth });
    const missing = await t.app.inject({ method: 'GET', url: '/api/v1/intake/00000000-0000-4000-8000-000000000000', headers: w.otherAuth });
    expect([theirs.statusCode, missing.statusCode]).toEqual([404, 404]);
    expect(theirs.json().error.code).toBe(missing.json().error.code);
    const rows = await w.rowsSince(since);
    expect(rows.map((r) => [r.action, r.outcome, r.organisation_id])).toEqual([
      ['intake.report.read', 'allowed', w.police.id], ['intake.report.read', 'denied', w.other.id], ['intake.report.read', 'denied', w.other.id],
    ]);
  });

  it('refuses a record naming another organisation, and an unsupported content type', async () => {
    const w = await world();
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/intake', headers: w.auth, payload: { records: [policeRecord(w.other.id, 'X-1')] } });
    expect(res.json()).toMatchObject({ accepted: 0, rejected: 1 });
    expect(res.json().rejections[0].errors[0].field).toBe('organisation');
    const pdf = await t.app.inject({ method: 'POST', url: '/api/v1/intake', headers: { ...w.auth, 'content-type': 'application/pdf' }, payload: '%PDF' });
    expect(pdf.statusCode).toBe(415);
  });

  it('refuses a body declared larger than the configured limit (413) without storing anything', async () => {
    const w = await world();
    // A server configured with a limit of 0.01 MB, on the same database.
    const small = await buildTestApp(t.d, { INTAKE_MAX_MB: '0.01' });
    try {
      const before = await tableCounts(t.db, w.police.id);
      const payload = toJsonl(Array.from({ length: 40 }, (_, i) => policeRecord(w.police.id, `L-${i}`)));
      const res = await small.inject({ method: 'POST', url: '/api/v1/intake', headers: { ...w.auth, 'content-type': 'application/x-ndjson' }, payload });
      expect(res.statusCode).toBe(413);
      expect(res.json().error).toMatchObject({ code: 'file_too_large', message: 'The upload is larger than the limit of 10.2 KB: send it in smaller batches' });
      expect(await tableCounts(t.db, w.police.id)).toEqual(before);
    } finally {
      await small.close();
    }
  });
});
