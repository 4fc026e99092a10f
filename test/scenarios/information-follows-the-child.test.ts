import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/server/modules/api/api-key.js';
import { drainOutbox } from '../drain-outbox.js';
import { makeOrg, makePerson, makeTeam, makeUser, signIn, TEST_ENGINE, useTestApp } from '../helpers.js';

// Information follows the child (issue: partnerships, allocation and alerts), end to end on one
// database with three borough partnerships. A child lives in borough A, with a social worker there
// and a youth justice worker in borough B. A police force based in borough C records an arrest
// through its API over a real socket: both workers are alerted, each seeing only what they may of the
// entry. A's administrator cannot see or change B's configuration. A's manager allocates a new worker
// through the page, and the next alert reaches them.

describe(`information follows the child on ${TEST_ENGINE}`, () => {
  const t = useTestApp({ isolated: 'follows' });
  let base = '';
  const tag = randomUUID().slice(0, 6);
  const [A, B, C] = [`Ashmoor ${tag}`, `Brookfell ${tag}`, `Carrowby ${tag}`];

  beforeAll(async () => {
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    // Only the agreements made here are in force.
    await sql`UPDATE sharing_agreement SET valid_from = '2000-01-01', valid_to = '2000-01-02'`.execute(t.db);
  });
  afterAll(async () => { await t.app.close(); });

  const form = (cookie: string, url: string, fields: Record<string, string>) => t.app.inject({
    method: 'POST', url, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString(),
  });
  const alertsOf = (userId: string) => t.db.selectFrom('alert').select(['event_id', 'kind']).where('recipient_user_id', '=', userId).execute();
  const partnershipOf = async (borough: string) => (await t.db.selectFrom('partnership_area').select('partnership_id').where('borough', '=', borough).executeTakeFirstOrThrow()).partnership_id;

  it('alerts workers in two boroughs about a third borough\'s arrest, keeps each administrator to their own partnership, and reaches a newly allocated worker', async () => {
    const csc = await makeOrg(t.db, 'childrens_social_care', A);
    const cscTeam = await makeTeam(t.db, csc.id);
    const worker = await makeUser(t.db, { organisationId: csc.id, teamId: cscTeam.id });
    const newWorker = await makeUser(t.db, { organisationId: csc.id, teamId: cscTeam.id });
    const manager = await makeUser(t.db, { organisationId: csc.id, teamId: cscTeam.id, roles: ['team_manager'] });
    const adminA = await makeUser(t.db, { organisationId: csc.id, roles: ['partnership_admin'] });
    const yjs = await makeOrg(t.db, 'youth_justice', B);
    const yjWorker = await makeUser(t.db, { organisationId: yjs.id });
    const adminB = await makeUser(t.db, { organisationId: yjs.id, roles: ['partnership_admin'] });
    const police = await makeOrg(t.db, 'police', C);
    const child = await makePerson(t.db, { given: 'Follow', family: `Child${tag}` });
    await t.db.insertInto('person_address').values({ person_id: child.id, line1: '3 Synthetic Walk', borough: A, valid_from: '2021-01-01' }).execute();
    await t.db.insertInto('involvement').values([
      { person_id: child.id, organisation_id: csc.id, user_id: worker.id, role: 'lead_professional', started_on: '2024-01-01' },
      { person_id: child.id, organisation_id: yjs.id, user_id: yjWorker.id, role: 'key_worker', started_on: '2024-02-01' },
      { person_id: child.id, organisation_id: police.id, role: 'other', started_on: '2024-03-01' },
    ]).execute();
    await t.db.insertInto('sharing_agreement').values({ name: `Police to ${A} CSC`, provider_organisation_id: police.id, recipient_organisation_id: csc.id, categories: [], purpose: 'Safeguarding', valid_from: '2020-01-01' }).execute();
    const { key } = await createApiKey(t.db, police.id, 'Police case system');

    // The police force in borough C records an arrest through its API, over a real socket.
    const arrest = async (ref: string) => {
      const res = await fetch(`${base}/api/v1/people/${child.id}/events`, {
        method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ eventTypeCode: 'arrest', occurredAt: new Date(Date.now() - 2 * 3_600_000).toISOString(), occurredPrecision: 'time', summary: `Synthetic arrest ${ref} after a fight in the park`, sourceSystem: 'PoliceCaseSystem', sourceRecordId: ref }),
      });
      expect(res.status).toBe(201);
      return ((await res.json()) as { id: string }).id;
    };
    const first = await arrest(`ARR-${tag}-1`);
    await drainOutbox(t.db);
    expect(await alertsOf(worker.id)).toEqual([{ event_id: first, kind: 'significant_entry' }]);
    expect(await alertsOf(yjWorker.id)).toEqual([{ event_id: first, kind: 'significant_entry' }]);

    // Each sees only what they may: the social worker (police information is shared with them) reads
    // the arrest; the youth justice worker in borough B learns that something significant was recorded and whom to ask.
    const cscSession = await signIn(t.app, worker.email);
    const cscAlerts = await (await fetch(`${base}/alerts`, { headers: { cookie: cscSession.cookie } })).text();
    expect(cscAlerts).toContain(`Synthetic arrest ARR-${tag}-1`);
    const yjSession = await signIn(t.app, yjWorker.email);
    const yjAlerts = await (await fetch(`${base}/alerts`, { headers: { cookie: yjSession.cookie } })).text();
    expect(yjAlerts).not.toContain('Synthetic arrest');
    expect(yjAlerts).toContain(`A significant entry was recorded by ${police.name}`);

    // A's administrator sees and changes only A's configuration.
    const [pA, pB] = [await partnershipOf(A), await partnershipOf(B)];
    const a = await signIn(t.app, adminA.email);
    const settings = await t.app.inject({ method: 'GET', url: '/partnership', headers: { cookie: a.cookie } });
    expect(settings.statusCode).toBe(200);
    expect(settings.body).toContain(A);
    expect(settings.body).not.toContain(B);
    const stolenDoor = await form(a.cookie, '/partnership/front-door', { _csrf: a.csrf, organisation: yjs.id });
    expect(stolenDoor.statusCode).toBe(404);
    expect(await t.db.selectFrom('partnership_front_door').selectAll().where('partnership_id', 'in', [pA, pB]).execute()).toEqual([]);
    const denied = await t.db.selectFrom('access_log').select(['outcome']).where('user_id', '=', adminA.id).where('outcome', '=', 'denied').execute();
    expect(denied.length).toBeGreaterThan(0);
    expect((await form(a.cookie, '/partnership/alert-escalation', { _csrf: a.csrf, minutes: '90' })).statusCode).toBe(303);
    const minutes = await t.db.selectFrom('partnership').select(['id', 'alert_escalation_minutes']).where('id', 'in', [pA, pB]).execute();
    expect(new Map(minutes.map((m) => [m.id, m.alert_escalation_minutes]))).toEqual(new Map([[pA, 90], [pB, 240]]));
    const b = await signIn(t.app, adminB.email);
    const bSettings = await t.app.inject({ method: 'GET', url: '/partnership', headers: { cookie: b.cookie } });
    expect(bSettings.body).toContain(B);
    expect(bSettings.body).not.toContain(A);

    // A's manager allocates a new worker through the page; the next arrest reaches them.
    const m = await signIn(t.app, manager.email);
    const page = await t.app.inject({ method: 'GET', url: `/people/${child.id}/involvements/new`, headers: { cookie: m.cookie } });
    expect(page.statusCode).toBe(200);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const today = new Date();
    const allocated = await form(m.cookie, `/people/${child.id}/involvements`, {
      _csrf: csrf, userId: newWorker.id, role: 'allocated_worker', note: 'Allocated to share the work with the lead professional during the court process.',
      'startedOn-day': String(today.getUTCDate()), 'startedOn-month': String(today.getUTCMonth() + 1), 'startedOn-year': String(today.getUTCFullYear()),
    });
    expect(allocated.statusCode).toBe(303);
    expect(await alertsOf(newWorker.id)).toEqual([]);
    const second = await arrest(`ARR-${tag}-2`);
    await drainOutbox(t.db);
    expect(await alertsOf(newWorker.id)).toEqual([{ event_id: second, kind: 'significant_entry' }]);
    expect((await alertsOf(worker.id)).map((x) => x.event_id).sort()).toEqual([first, second].sort());
  });
});
