import { describe, expect, it } from 'vitest';
import { auditRowsFor, lastAuditId, makeOrg, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';
import { uniqueBorough } from '../../../../test/considerations-helpers.js';

describe(`the administrator's organisations on ${TEST_ENGINE}`, () => {
  // Adds and changes organisations (partnership-wide settings): a database of its own.
  const t = useTestApp({ isolated: 'organisations' });

  async function world() {
    const boroughA = uniqueBorough();
    const boroughB = uniqueBorough();
    const homeA = await makeOrg(t.db, 'early_help', boroughA);
    const homeB = await makeOrg(t.db, 'early_help', boroughB);
    const partnershipOf = async (borough: string) => (await t.db.selectFrom('partnership_area').select('partnership_id').where('borough', '=', borough).executeTakeFirstOrThrow()).partnership_id;
    const adminA = await makeUser(t.db, { organisationId: homeA.id, roles: ['partnership_admin'] });
    const practitionerA = await makeUser(t.db, { organisationId: homeA.id });
    return { boroughA, boroughB, homeA, homeB, A: await partnershipOf(boroughA), B: await partnershipOf(boroughB), adminA, practitionerA };
  }
  const post = (s: { cookie: string; csrf: string }, url: string, fields: Record<string, string>) => t.app.inject({
    method: 'POST', url, headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ _csrf: s.csrf, ...fields }).toString(),
  });
  const get = (s: { cookie: string } | null, url: string) => t.app.inject({ method: 'GET', url, headers: s ? { cookie: s.cookie } : {} });

  it('lists, adds (into the administrator\'s partnership) and changes organisations with their codes; bad input is explained', async () => {
    const w = await world();
    const a = await signIn(t.app, w.adminA.email);
    const code = `RX${Date.now().toString(36)}`;
    const bad = await post(a, '/partnership/organisations', { code: 'X 1', name: '', kind: 'bank', borough: w.boroughA });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('The code must be 1 to 40 letters');
    expect(bad.body).toContain('Enter the organisation&#39;s name');

    const added = await post(a, '/partnership/organisations', { code, name: 'Synthetic Community Health', kind: 'community_health', borough: w.boroughA });
    expect([added.statusCode, added.headers.location]).toEqual([303, '/partnership/organisations']);
    const org = await t.db.selectFrom('organisation').select(['id', 'code']).where('code', '=', code).executeTakeFirstOrThrow();
    const member = await t.db.selectFrom('organisation_partnership').select('partnership_id').where('organisation_id', '=', org.id).execute();
    expect(member.map((m) => m.partnership_id)).toEqual([w.A]);
    expect(await t.db.selectFrom('app_user').select('id').where('organisation_id', '=', org.id).execute()).toEqual([]);

    const taken = await post(a, '/partnership/organisations', { code: code.toLowerCase(), name: 'Again', kind: 'gp', borough: w.boroughA });
    expect(taken.statusCode).toBe(400);
    expect(taken.body).toContain(`Another organisation has the code &quot;${code.toLowerCase()}&quot;`);

    const list = await get(a, '/partnership/organisations');
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain(code);
    expect(list.body).toContain('Synthetic Community Health');
    expect(list.body).not.toContain(w.homeB.name);

    const before = await lastAuditId(t.db);
    expect((await get(a, `/partnership/organisations/${org.id}`)).statusCode).toBe(200);
    const changed = await post(a, `/partnership/organisations/${org.id}`, { code, name: 'Synthetic Community Health NHS Trust', kind: 'community_health', borough: w.boroughA });
    expect(changed.statusCode).toBe(303);
    expect((await t.db.selectFrom('organisation').select('name').where('id', '=', org.id).executeTakeFirstOrThrow()).name).toBe('Synthetic Community Health NHS Trust');
    expect((await auditRowsFor(t.db, { since: before, userId: w.adminA.id })).map((r) => [r.action, r.outcome])).toEqual([['partnership.configure', 'allowed']]);
  });

  it('refuses, as not found with a denied row, another partnership\'s organisation; refuses other roles; asks who you are when not signed in', async () => {
    const w = await world();
    const a = await signIn(t.app, w.adminA.email);
    const before = await lastAuditId(t.db);
    expect((await get(a, `/partnership/organisations/${w.homeB.id}`)).statusCode).toBe(404);
    expect((await post(a, `/partnership/organisations/${w.homeB.id}`, { code: 'STOLEN1', name: 'Taken over', kind: 'early_help', borough: w.boroughB })).statusCode).toBe(404);
    expect((await t.db.selectFrom('organisation').select(['name', 'code']).where('id', '=', w.homeB.id).executeTakeFirstOrThrow())).toEqual({ name: w.homeB.name, code: null });
    const denied = (await auditRowsFor(t.db, { since: before, userId: w.adminA.id })).filter((r) => r.outcome === 'denied');
    expect(denied.map((r) => [r.action, (r.detail as { reason?: string }).reason])).toEqual([['partnership.configure', 'record'], ['partnership.configure', 'record']]);

    const p = await signIn(t.app, w.practitionerA.email);
    expect((await get(p, '/partnership/organisations')).statusCode).toBe(404);
    expect((await post(p, '/partnership/organisations', { code: 'NOPE1', name: 'Nope', kind: 'gp', borough: w.boroughA })).statusCode).toBe(404);
    expect(await t.db.selectFrom('organisation').select('id').where('code', '=', 'NOPE1').execute()).toEqual([]);
    expect((await get(null, '/partnership/organisations')).statusCode).toBe(401);
  });
});
