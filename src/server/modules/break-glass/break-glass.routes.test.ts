import { afterEach, describe, expect, it, vi } from 'vitest';
import { auditRowsFor, lastAuditId, makeEvent, makeOrg, makePerson, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

describe(`break-glass access on ${TEST_ENGINE}`, () => {
  const t = useTestApp();
  const post = (cookie: string, url: string, payload: string) =>
    t.app.inject({ method: 'POST', url, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload });

  it('opens a record for a limited time with a stated reason, and puts the use on the DPO review list until reviewed', async () => {
    const org = await makeOrg(t.db, 'acute_hospital');
    const nurse = await makeUser(t.db, { organisationId: org.id });
    const dpo = await makeUser(t.db, { organisationId: org.id, roles: ['data_protection_officer'] });
    const child = await makePerson(t.db, { given: 'Idris', family: 'Pemberton-Hale' });
    await makeEvent(t.db, { personId: child.id, organisationId: org.id, summary: 'Attended with a stab wound' });
    const me = await signIn(t.app, nurse.email);
    expect((await t.app.inject({ method: 'GET', url: `/people/${child.id}`, headers: { cookie: me.cookie } })).statusCode).toBe(404);

    const short = await post(me.cookie, '/break-glass', form({ _csrf: me.csrf, person: child.id, reason: 'urgent' }));
    expect(short.statusCode).toBe(400);
    expect(short.body).toContain('Explain why you need this record now, in at least 40 characters');

    const before = await lastAuditId(t.db);
    const open = await post(me.cookie, '/break-glass', form({ _csrf: me.csrf, person: child.id, reason: 'Child in resus with a stab wound, need history of previous injuries' }));
    expect(open.statusCode).toBe(303);
    const page = await t.app.inject({ method: 'GET', url: `/people/${child.id}`, headers: { cookie: me.cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('You have emergency access to this record until');
    const rows = await auditRowsFor(t.db, { since: before });
    expect(rows.map((r) => [r.action, r.outcome, r.person_id])).toEqual([['break_glass.open', 'allowed', child.id], ['chronology.read', 'allowed', child.id]]);

    // Only the DPO sees the review list.
    expect((await t.app.inject({ method: 'GET', url: '/admin/break-glass', headers: { cookie: me.cookie } })).statusCode).toBe(404);
    const reviewer = await signIn(t.app, dpo.email);
    const list = await t.app.inject({ method: 'GET', url: '/admin/break-glass', headers: { cookie: reviewer.cookie } });
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain('Child in resus with a stab wound, need history of previous injuries');
    expect(list.body).toMatch(/[1-9]\d* uses? of emergency access not yet reviewed/);
    const id = (await t.db.selectFrom('break_glass').select('id').where('person_id', '=', child.id).executeTakeFirstOrThrow()).id;
    expect((await post(me.cookie, `/admin/break-glass/${id}/review`, form({ _csrf: me.csrf }))).statusCode).toBe(404);
    const reviewed = await post(reviewer.cookie, `/admin/break-glass/${id}/review`, form({ _csrf: reviewer.csrf, note: 'Justified: ED attendance' }));
    expect(reviewed.statusCode).toBe(303);
    const after = await t.app.inject({ method: 'GET', url: '/admin/break-glass', headers: { cookie: reviewer.cookie } });
    expect(after.body).toContain('Justified: ED attendance');
  });

  it('is refused to roles that do not work with children, and expires', async () => {
    const org = await makeOrg(t.db);
    const analyst = await makeUser(t.db, { organisationId: org.id, roles: ['analyst'] });
    const child = await makePerson(t.db);
    const me = await signIn(t.app, analyst.email);
    expect((await t.app.inject({ method: 'GET', url: '/break-glass', headers: { cookie: me.cookie } })).statusCode).toBe(404);
    expect((await post(me.cookie, '/break-glass', form({ _csrf: me.csrf, person: child.id, reason: 'I would like to see this record please, it is for a report' }))).statusCode).toBe(404);

    const worker = await makeUser(t.db, { organisationId: org.id });
    await t.db.insertInto('break_glass').values({ user_id: worker.id, person_id: child.id, reason: 'Earlier emergency, now over and reviewed', started_at: new Date(Date.now() - 4 * 3_600_000), expires_at: new Date(Date.now() - 2 * 3_600_000) }).execute();
    const w = await signIn(t.app, worker.email);
    expect((await t.app.inject({ method: 'GET', url: `/people/${child.id}`, headers: { cookie: w.cookie } })).statusCode).toBe(404);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('refuses reasons without substance, each with a clear message, and opens nothing', async () => {
    const org = await makeOrg(t.db);
    const worker = await makeUser(t.db, { organisationId: org.id });
    const child = await makePerson(t.db);
    const me = await signIn(t.app, worker.email);
    const cases: [string, string][] = [
      ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'without repeating a character'],
      ['x'.repeat(20) + ' emergency now please!!', 'without repeating a character'],
      ['Emergency-emergency-emergency-emergency-now', 'in at least 6 words'],
      ['urgent urgent urgent urgent urgent urgent urgent', 'not the same words repeated'],
      ['need it now', 'in at least 40 characters'],
    ];
    for (const [reason, message] of cases) {
      const res = await post(me.cookie, '/break-glass', form({ _csrf: me.csrf, person: child.id, reason }));
      expect(res.statusCode, reason).toBe(400);
      expect(res.body).toContain(message);
    }
    expect(await t.db.selectFrom('break_glass').select('id').where('user_id', '=', worker.id).execute()).toHaveLength(0);
  });

  it('answers a reference with no record exactly as one with a record, and logs the attempt as refused', async () => {
    const org = await makeOrg(t.db);
    const worker = await makeUser(t.db, { organisationId: org.id });
    const child = await makePerson(t.db);
    const missing = '7f3c2b1a-0d4e-4f5a-8b6c-9d0e1f2a3b4c';
    const reason = 'Police called about a missing child seen with older men, need contacts and history';
    const me = await signIn(t.app, worker.email);
    const since = await lastAuditId(t.db);
    const real = await post(me.cookie, '/break-glass', form({ _csrf: me.csrf, person: child.id, reason }));
    const fake = await post(me.cookie, '/break-glass', form({ _csrf: me.csrf, person: missing, reason }));
    const same = (r: typeof real, id: string) => ({ status: r.statusCode, location: String(r.headers.location).replace(id, 'ID'), body: r.body.replaceAll(id, 'ID'), type: r.headers['content-type'] });
    expect(same(fake, missing)).toEqual(same(real, child.id));
    expect(real.statusCode).toBe(303);
    const rows = await auditRowsFor(t.db, { since, userId: worker.id });
    expect(rows.map((r) => [r.action, r.outcome, r.person_id, (r.detail as { reason?: string } | null)?.reason ?? null])).toEqual([
      ['break_glass.open', 'allowed', child.id, null], ['break_glass.open', 'denied', missing, 'record'],
    ]);
    expect(await t.db.selectFrom('break_glass').select('person_id').where('user_id', '=', worker.id).execute()).toEqual([{ person_id: child.id }]);
  });

  it('allows one user three uses in 24 hours, then refuses with a clear message until the window has passed', async () => {
    const org = await makeOrg(t.db, 'acute_hospital');
    const nurse = await makeUser(t.db, { organisationId: org.id });
    const children = [await makePerson(t.db), await makePerson(t.db), await makePerson(t.db), await makePerson(t.db)];
    const reason = 'Child brought in unconscious by ambulance, need allergies and previous admissions';
    let me = await signIn(t.app, nurse.email);
    // A reference with no record counts as a use, so the limit cannot tell whether a child exists.
    for (const person of [children[0]!.id, children[1]!.id, '7f3c2b1a-0d4e-4f5a-8b6c-9d0e1f2a3b4d']) {
      expect((await post(me.cookie, '/break-glass', form({ _csrf: me.csrf, person, reason }))).statusCode).toBe(303);
    }
    for (const person of [children[2]!.id, '7f3c2b1a-0d4e-4f5a-8b6c-9d0e1f2a3b4e']) {
      const refused = await post(me.cookie, '/break-glass', form({ _csrf: me.csrf, person, reason }));
      expect(refused.statusCode).toBe(429);
      expect(refused.body).toContain('You have used emergency access 3 times in the last 24 hours, the most allowed');
    }
    expect(await t.db.selectFrom('break_glass').select('person_id').where('user_id', '=', nurse.id).execute()).toHaveLength(2);
    expect((await t.app.inject({ method: 'GET', url: `/people/${children[2]!.id}`, headers: { cookie: me.cookie } })).statusCode).toBe(404);

    // The clock moves on 23 hours: still refused. Past 24 hours: allowed again.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 23 * 3_600_000 });
    me = await signIn(t.app, nurse.email);
    expect((await post(me.cookie, '/break-glass', form({ _csrf: me.csrf, person: children[2]!.id, reason }))).statusCode).toBe(429);
    vi.setSystemTime(Date.now() + 3_600_000 + 60_000);
    me = await signIn(t.app, nurse.email);
    expect((await post(me.cookie, '/break-glass', form({ _csrf: me.csrf, person: children[3]!.id, reason }))).statusCode).toBe(303);
    expect(await t.db.selectFrom('break_glass').select('person_id').where('user_id', '=', nurse.id).execute()).toHaveLength(3);
  });
});
