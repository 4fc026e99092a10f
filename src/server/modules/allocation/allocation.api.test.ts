import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditRowsFor, lastAuditId, makeEvent, makeOrg, makePerson, makeTeam, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';
import { createApiKey } from '../api/api-key.js';

const NOTE = 'The worker has left the service; the family prefer home visits after school.';
const today = () => new Date().toISOString().slice(0, 10);

describe(`allocation API on ${TEST_ENGINE}`, () => {
  const t = useTestApp();
  let base = '';

  beforeAll(async () => {
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });

  async function world() {
    const b = `Apivale ${randomUUID().slice(0, 8)}`;
    const care = await makeOrg(t.db, 'childrens_social_care', b);
    const team = await makeTeam(t.db, care.id);
    const worker = await makeUser(t.db, { organisationId: care.id, teamId: team.id });
    const worker2 = await makeUser(t.db, { organisationId: care.id, teamId: team.id });
    const police = await makeOrg(t.db, 'police', b);
    const officer = await makeUser(t.db, { organisationId: police.id });
    const child = await makePerson(t.db);
    await makeEvent(t.db, { personId: child.id, organisationId: care.id, summary: 'Imported by the system' });
    const careKey = (await createApiKey(t.db, care.id, 'Case system')).key;
    const policeKey = (await createApiKey(t.db, police.id, 'Niche')).key;
    return { care, team, worker, worker2, police, officer, child, care_auth: { authorization: `Bearer ${careKey}` }, police_auth: { authorization: `Bearer ${policeKey}` } };
  }

  const json = (method: string, url: string, headers: Record<string, string>, payload?: unknown) =>
    t.app.inject({ method: method as 'POST', url, headers: { ...headers, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}) });

  it('an organisation\'s system allocates its own user, lists involvements and ends one with a handover note (inject)', async () => {
    const w = await world();
    const since = await lastAuditId(t.db);
    const res = await json('POST', `/api/v1/people/${w.child.id}/involvements`, w.care_auth, { userId: w.worker.id, role: 'key_worker', startedOn: today() });
    expect(res.statusCode, res.body).toBe(201);
    const { id } = res.json() as { id: string };
    const change = await t.db.selectFrom('involvement_change').selectAll().where('involvement_id', '=', id).executeTakeFirstOrThrow();
    expect(change).toMatchObject({ kind: 'allocated', by_user_id: null, organisation_id: w.care.id });
    expect(change.api_key_id).not.toBeNull();
    const grant = (await auditRowsFor(t.db, { since, personId: w.child.id })).find((r) => r.action === 'involvement.allocate');
    expect(grant).toMatchObject({ outcome: 'allowed', user_id: null, organisation_id: w.care.id });

    // The worker can open the child now.
    expect((await t.app.inject({ method: 'GET', url: `/people/${w.child.id}`, headers: { cookie: (await signIn(t.app, w.worker.email)).cookie } })).statusCode).toBe(200);

    const list = await json('GET', `/api/v1/people/${w.child.id}/involvements`, w.care_auth);
    expect(list.statusCode).toBe(200);
    expect(list.json()).toMatchObject({ involvements: [{ id, worker: { id: w.worker.id, name: w.worker.name }, role: 'key_worker', active: true }], changes: [{ involvementId: id, kind: 'allocated' }] });

    // A short note is refused with its field; a good one ends the involvement.
    const short = await json('POST', `/api/v1/involvements/${id}/end`, w.care_auth, { handoverNote: 'short' });
    expect(short.statusCode).toBe(400);
    expect(JSON.stringify(short.json())).toContain('handoverNote');
    // Another organisation's system cannot end it: 404 with a denied row.
    const before = await lastAuditId(t.db);
    expect((await json('POST', `/api/v1/involvements/${id}/end`, w.police_auth, { handoverNote: NOTE })).statusCode).toBe(404);
    const denied = (await t.db.selectFrom('access_log').selectAll().where('id', '>', before).where('organisation_id', '=', w.police.id).execute());
    expect(denied.map((r) => [r.action, r.outcome, (r.detail as { reason: string }).reason])).toEqual([['involvement.end', 'denied', 'record']]);
    const ended = await json('POST', `/api/v1/involvements/${id}/end`, w.care_auth, { handoverNote: NOTE });
    expect(ended.statusCode, ended.body).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: `/people/${w.child.id}`, headers: { cookie: (await signIn(t.app, w.worker.email)).cookie } })).statusCode).toBe(404);
  });

  it('refuses a system whose organisation has nothing about the child (404, denied row), and another organisation\'s user (400 on userId)', async () => {
    const w = await world();
    const before = await lastAuditId(t.db);
    const refused = await json('POST', `/api/v1/people/${w.child.id}/involvements`, w.police_auth, { userId: w.officer.id, role: 'key_worker', startedOn: today() });
    expect(refused.statusCode).toBe(404);
    const rows = await t.db.selectFrom('access_log').selectAll().where('id', '>', before).where('organisation_id', '=', w.police.id).execute();
    expect(rows.map((r) => [r.action, r.outcome, r.person_id, (r.detail as { reason: string }).reason])).toEqual([['involvement.allocate', 'denied', w.child.id, 'record']]);
    // Reading the list needs the organisation's involvement.
    expect((await json('GET', `/api/v1/people/${w.child.id}/involvements`, w.police_auth)).statusCode).toBe(404);

    const wrongUser = await json('POST', `/api/v1/people/${w.child.id}/involvements`, w.care_auth, { userId: w.officer.id, role: 'key_worker', startedOn: today() });
    expect(wrongUser.statusCode).toBe(400);
    expect((wrongUser.json() as { error: { details: { field: string }[] } }).error.details.map((d) => d.field)).toEqual(['userId']);
    const unknownField = await json('POST', `/api/v1/people/${w.child.id}/involvements`, w.care_auth, { userId: w.worker.id, role: 'key_worker', startedOn: today(), teamId: randomUUID() });
    expect(unknownField.statusCode).toBe(400);
    expect(await t.db.selectFrom('involvement').select('id').where('person_id', '=', w.child.id).execute()).toEqual([]);
  });

  it('over a real socket with application/json: allocate, replace with a handover note, list, end', async () => {
    const w = await world();
    const post = (path: string, body: unknown, auth = w.care_auth) =>
      fetch(`${base}${path}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const first = await post(`/api/v1/people/${w.child.id}/involvements`, { userId: w.worker.id, role: 'lead_professional', startedOn: today() });
    expect(first.status).toBe(201);
    expect(first.headers.get('content-type')).toContain('application/json');
    const { id } = (await first.json()) as { id: string };
    const noNote = await post(`/api/v1/people/${w.child.id}/involvements`, { userId: w.worker2.id, role: 'lead_professional', startedOn: today(), replacesInvolvementId: id });
    expect(noNote.status).toBe(400);
    expect(JSON.stringify(await noNote.json())).toContain('handoverNote');
    const second = await post(`/api/v1/people/${w.child.id}/involvements`, { userId: w.worker2.id, role: 'lead_professional', startedOn: today(), replacesInvolvementId: id, handoverNote: NOTE });
    expect(second.status).toBe(201);
    const { id: id2, ended } = (await second.json()) as { id: string; ended: string[] };
    expect(ended).toEqual([id]);
    const list = await fetch(`${base}/api/v1/people/${w.child.id}/involvements`, { headers: w.care_auth });
    expect(list.status).toBe(200);
    const body = (await list.json()) as { involvements: { id: string; active: boolean; role: string }[]; changes: { kind: string; note: string | null }[] };
    expect(body.involvements.filter((i) => i.active && i.role === 'lead_professional').map((i) => i.id)).toEqual([id2]);
    expect(body.changes.filter((c) => c.note === NOTE).map((c) => c.kind).sort()).toEqual(['lead_named', 'replaced']);
    const end = await post(`/api/v1/involvements/${id2}/end`, { handoverNote: NOTE });
    expect(end.status).toBe(200);
    expect(await end.json()).toEqual({ id: id2, ended: true });
  });

  it('documents the three routes in the OpenAPI', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths['/api/v1/people/{personId}/involvements'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/api/v1/involvements/{id}/end'] ?? {})).toEqual(['post']);
  });
});
