import { describe, expect, it } from 'vitest';
import { auditRowsFor, buildTestApp, lastAuditId, makeOrg, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { drainOutbox } from '../../../../test/drain-outbox.js';
import { DFE_SAMPLES, policeRecord, postIntake, syntheticPerson, tableCounts, toJsonl } from '../../../../test/intake-helpers.js';
import { createApiKey } from '../api/api-key.js';

describe(`POST /api/v1/intake on ${TEST_ENGINE}`, () => {
  const t = useTestApp();

  async function world() {
    const police = await makeOrg(t.db, 'police');
    const other = await makeOrg(t.db, 'housing');
    const key = (await createApiKey(t.db, police.id, 'Niche')).key;
    const secondKey = (await createApiKey(t.db, police.id, 'Another police system')).key;
    const otherKey = (await createApiKey(t.db, other.id, 'Housing')).key;
    const rowsSince = async (since: number) => (await auditRowsFor(t.db, { since })).filter((r) => r.organisation_id === police.id || r.organisation_id === other.id);
    return {
      police, other, rowsSince,
      auth: { authorization: `Bearer ${key}` }, secondAuth: { authorization: `Bearer ${secondKey}` }, otherAuth: { authorization: `Bearer ${otherKey}` },
    };
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
    const report = await postIntake(t.app, t.db, w.auth, { records });
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
      ['intake.report.read', 'allowed', w.police.id, true, null],
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
    const send = (payload: string) => postIntake(t.app, t.db, w.auth, payload, { query: 'sourceSystem=ignored-for-jsonl' });
    const first = await send(lines);
    expect(first).toMatchObject({ received: 2, accepted: 2, outcomes: { new: 2 } });
    const before = await tableCounts(t.db, w.police.id);
    const since = await lastAuditId(t.db);
    const again = await send(lines);
    expect(again).toMatchObject({ received: 2, accepted: 2, rejected: 0, outcomes: { new: 0, updated: 0, unchanged: 2 } });
    expect(await tableCounts(t.db, w.police.id)).toEqual(before);
    expect((await w.rowsSince(since)).map((r) => r.action)).toEqual(['intake.import', 'intake.report.read']);

    const changed = { ...s2, event: { code: 'stop_and_search', occurredAt: '2026-03-01T21:15:00Z', summary: 'Stopped and searched; a knife was found' } };
    const third = await send(toJsonl([s1, changed]));
    expect(third).toMatchObject({ outcomes: { new: 0, updated: 1, unchanged: 1 } });
    const versions = await t.db.selectFrom('event').select(['id', 'summary', 'supersedes', 'correction_reason']).where('organisation_id', '=', w.police.id).where('source_record_id', '=', 'S-2').orderBy('recorded_at').execute();
    expect(versions).toHaveLength(2);
    expect(versions[1]).toMatchObject({ summary: 'Stopped and searched; a knife was found', supersedes: versions[0]!.id, correction_reason: 'Updated by source system' });
  });

  it('answers 202 at once with the batch\'s address; the import runs as outbox work; only the sending key reads the batch (anyone else: 404 and a denied row)', async () => {
    const w = await world();
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/intake', headers: { ...w.auth, 'content-type': 'application/x-ndjson' }, payload: toJsonl([policeRecord(w.police.id, 'R-1')]) });
    expect(res.statusCode).toBe(202);
    const { batchId, statusUrl, reportUrl } = res.json() as { batchId: string; statusUrl: string; reportUrl: string };
    expect(res.headers.location).toBe(statusUrl);
    expect(statusUrl).toBe(`/api/v1/intake/batches/${batchId}`);
    // Nothing is imported yet: the request did not wait for it.
    expect(await t.db.selectFrom('event').select('id').where('organisation_id', '=', w.police.id).execute()).toEqual([]);
    const since = await lastAuditId(t.db);
    const queued = await t.app.inject({ method: 'GET', url: statusUrl, headers: w.auth });
    expect(queued.statusCode).toBe(200);
    expect(queued.json()).toMatchObject({ batchId, status: 'queued', recordsRead: 0, report: null, reportUrl });
    expect((await t.app.inject({ method: 'GET', url: reportUrl, headers: w.auth })).statusCode).toBe(409);

    // Another organisation's key, another key of the same organisation, and a batch that does not exist: the same 404.
    const refusals = [];
    for (const [auth, url] of [[w.otherAuth, statusUrl], [w.secondAuth, statusUrl], [w.secondAuth, reportUrl], [w.otherAuth, '/api/v1/intake/batches/00000000-0000-4000-8000-000000000000']] as const) {
      const got = await t.app.inject({ method: 'GET', url, headers: auth });
      expect(got.statusCode, url).toBe(404);
      refusals.push(got.json().error.code);
    }
    expect(new Set(refusals).size).toBe(1);

    await drainOutbox(t.db);
    const done = await t.app.inject({ method: 'GET', url: statusUrl, headers: w.auth });
    expect(done.json()).toMatchObject({ batchId, status: 'completed', recordsRead: 1, report: { batchId, received: 1, accepted: 1 } });
    expect(done.json().finishedAt).not.toBeNull();
    const report = await t.app.inject({ method: 'GET', url: reportUrl, headers: w.auth });
    expect(report.statusCode).toBe(200);
    expect(report.json()).toEqual(done.json().report);
    const rows = await w.rowsSince(since);
    expect(rows.map((r) => [r.action, r.outcome, r.organisation_id, r.api_key_id !== null])).toEqual([
      // The status read and the report read while it was queued (409) are both logged.
      ['intake.report.read', 'allowed', w.police.id, true], ['intake.report.read', 'allowed', w.police.id, true], ['intake.report.read', 'denied', w.other.id, true],
      ['intake.report.read', 'denied', w.police.id, true], ['intake.report.read', 'denied', w.police.id, true], ['intake.report.read', 'denied', w.other.id, true],
      ['event.record', 'allowed', w.police.id, true], ['intake.import', 'allowed', w.police.id, true],
      ['intake.report.read', 'allowed', w.police.id, true], ['intake.report.read', 'allowed', w.police.id, true],
    ]);
  });

  it('documents the contract in OpenAPI: 202 with the batch\'s address, and the batch\'s status', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json() as { paths: Record<string, Record<string, { responses: Record<string, unknown>; description?: string }>> };
    const post = doc.paths['/api/v1/intake']!.post!;
    expect(Object.keys(post.responses)).toContain('202');
    expect(Object.keys(post.responses)).not.toContain('201');
    expect(post.description).toContain('/api/v1/intake/batches/{batchId}');
    expect(Object.keys(doc.paths['/api/v1/intake/batches/{batchId}']!.get!.responses)).toEqual(expect.arrayContaining(['200', '404']));
  });

  it('takes every documented content type through inject() too: a CIN census (application/xml) and an SSDA903 table (text/csv)', async () => {
    const cin = await makeOrg(t.db, 'childrens_social_care');
    const auth = { authorization: `Bearer ${(await createApiKey(t.db, cin.id, 'CIN system')).key}` };
    const xml = readFileSync(`${DFE_SAMPLES}cin-2022.xml`, 'utf8');
    const census = await postIntake(t.app, t.db, auth, xml, { contentType: 'application/xml', query: 'fileName=cin-2022.xml' });
    expect(census).toMatchObject({ status: 'completed', files: ['cin-2022.xml'], fileErrors: [] });
    expect(census.accepted).toBeGreaterThan(0);
    const header = readFileSync(`${DFE_SAMPLES}ssda903/header.csv`, 'utf8').split(/\r?\n/).slice(0, 3).join('\n');
    const table = await postIntake(t.app, t.db, auth, `${header}\n`, { contentType: 'text/csv', query: 'fileName=header.csv' });
    expect(table).toMatchObject({ status: 'completed', received: 2, accepted: 2, rejected: 0 });
  });

  it('refuses a record naming another organisation, and an unsupported content type', async () => {
    const w = await world();
    const report = await postIntake(t.app, t.db, w.auth, { records: [policeRecord(w.other.id, 'X-1')] });
    expect(report).toMatchObject({ accepted: 0, rejected: 1 });
    expect(report.rejections[0]!.errors[0]!.field).toBe('organisation');
    const pdf = await t.app.inject({ method: 'POST', url: '/api/v1/intake', headers: { ...w.auth, 'content-type': 'application/pdf' }, payload: '%PDF' });
    expect(pdf.statusCode).toBe(415);
  });

  it('refuses a body declared larger than the configured limit, or streamed past it, with 413 without storing anything', async () => {
    const w = await world();
    // A server configured with a limit of 0.01 MB, on the same database.
    const small = await buildTestApp(t.d, { INTAKE_MAX_MB: '0.01' });
    try {
      const before = await tableCounts(t.db, w.police.id);
      const payload = toJsonl(Array.from({ length: 40 }, (_, i) => policeRecord(w.police.id, `L-${i}`)));
      const res = await small.inject({ method: 'POST', url: '/api/v1/intake', headers: { ...w.auth, 'content-type': 'application/x-ndjson' }, payload });
      expect(res.statusCode).toBe(413);
      expect(res.json().error).toMatchObject({ code: 'file_too_large', message: 'The upload is larger than the limit of 10.2 KB: send it in smaller batches' });
      // A stream with no Content-Length is refused as soon as it passes the limit.
      const streamed = await small.inject({ method: 'POST', url: '/api/v1/intake', headers: { ...w.auth, 'content-type': 'application/x-ndjson' }, payload: Readable.from([Buffer.from(payload)]) });
      expect(streamed.statusCode).toBe(413);
      expect(await tableCounts(t.db, w.police.id)).toEqual(before);
      expect(await t.db.selectFrom('intake_batch').select('id').where('organisation_id', '=', w.police.id).execute()).toEqual([]);
    } finally {
      await small.close();
    }
  });
});
