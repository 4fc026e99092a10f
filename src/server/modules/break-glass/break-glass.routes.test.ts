import { describe, expect, it } from 'vitest';
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
    expect(short.body).toContain('Explain why you need this record now, in at least 20 characters');
    const wrong = await post(me.cookie, '/break-glass', form({ _csrf: me.csrf, person: '00000000-0000-4000-8000-000000000000', reason: 'Child in resus with a stab wound, need history' }));
    expect(wrong.statusCode).toBe(400);

    const before = await lastAuditId(t.db);
    const open = await post(me.cookie, '/break-glass', form({ _csrf: me.csrf, person: child.id, reason: 'Child in resus with a stab wound, need history' }));
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
    expect(list.body).toContain('Child in resus with a stab wound, need history');
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
    expect((await post(me.cookie, '/break-glass', form({ _csrf: me.csrf, person: child.id, reason: 'I would like to see this record please' }))).statusCode).toBe(404);

    const worker = await makeUser(t.db, { organisationId: org.id });
    await t.db.insertInto('break_glass').values({ user_id: worker.id, person_id: child.id, reason: 'Earlier emergency, now over and reviewed', started_at: new Date(Date.now() - 4 * 3_600_000), expires_at: new Date(Date.now() - 2 * 3_600_000) }).execute();
    const w = await signIn(t.app, worker.email);
    expect((await t.app.inject({ method: 'GET', url: `/people/${child.id}`, headers: { cookie: w.cookie } })).statusCode).toBe(404);
  });
});
