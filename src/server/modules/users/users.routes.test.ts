import { describe, expect, it } from 'vitest';
import { makeOrg, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';

describe(`user management on ${TEST_ENGINE}`, () => {
  const t = useTestApp();
  const post = (s: { cookie: string; csrf: string }, url: string, fields: Record<string, string | string[]>) => {
    const p = new URLSearchParams({ _csrf: s.csrf });
    for (const [k, v] of Object.entries(fields)) for (const x of [v].flat()) p.append(k, x);
    return t.app.inject({ method: 'POST', url, headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: p.toString() });
  };

  it('lets the administrator add a user with a strong password and deactivate one; nobody else', async () => {
    const org = await makeOrg(t.db);
    const admin = await makeUser(t.db, { organisationId: org.id, roles: ['partnership_admin'] });
    const worker = await makeUser(t.db, { organisationId: org.id });
    const me = await signIn(t.app, admin.email);
    const weak = await post(me, '/admin/users', { name: 'New Worker', email: 'new.worker@test.jigsaw.test', organisation: org.id, roles: 'practitioner', password: 'password' });
    expect(weak.statusCode).toBe(400);
    expect(weak.body).toMatch(/must be 12 characters or more/);
    const ok = await post(me, '/admin/users', { name: 'New Worker', email: `nw-${Date.now()}@test.jigsaw.test`, organisation: org.id, roles: ['practitioner'], password: 'velvet-harbour-lantern-47' });
    expect(ok.statusCode).toBe(303);
    const w = await signIn(t.app, worker.email);
    expect((await t.app.inject({ method: 'GET', url: '/admin/users', headers: { cookie: w.cookie } })).statusCode).toBe(404);
    const off = await post(me, `/admin/users/${worker.id}/deactivate`, {});
    expect(off.statusCode).toBe(303);
    expect((await t.app.inject({ method: 'GET', url: '/', headers: { cookie: w.cookie } })).statusCode).toBe(401);
  });
});
