import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { lastAuditId, makeOrg, makePerson, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';

describe(`user management on ${TEST_ENGINE}`, () => {
  const t = useTestApp();
  const post = (s: { cookie: string; csrf: string }, url: string, fields: Record<string, string | string[]>) => {
    const p = new URLSearchParams({ _csrf: s.csrf });
    for (const [k, v] of Object.entries(fields)) for (const x of [v].flat()) p.append(k, x);
    return t.app.inject({ method: 'POST', url, headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: p.toString() });
  };
  const get = (s: { cookie: string }, url: string) => t.app.inject({ method: 'GET', url, headers: { cookie: s.cookie } });
  const deniedSince = (since: number, route: string) =>
    t.db.selectFrom('access_log').select(['action', 'outcome', 'user_id', 'detail']).where('id', '>', since).where('route', '=', route).where('outcome', '=', 'denied').orderBy('id').execute();
  const address = (label: string) => `${label}-${Date.now()}-${Math.random().toString(36).slice(2, 7)}@test.jigsaw.test`;

  it('lets the administrator add a user and deactivate one; nobody else, each refusal a 404 with its denied row', async () => {
    const org = await makeOrg(t.db);
    const admin = await makeUser(t.db, { organisationId: org.id, roles: ['partnership_admin'] });
    const worker = await makeUser(t.db, { organisationId: org.id });
    const me = await signIn(t.app, admin.email);
    const ok = await post(me, '/admin/users', { name: 'New Worker', email: address('nw'), organisation: org.id, roles: ['practitioner'] });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe('/admin/users?invited=1');
    const list = await get(me, '/admin/users?invited=1');
    expect(list.body).toContain('An invitation is on its way');
    expect(list.body).toContain('Invited: has not set a password yet');
    expect(list.body).not.toMatch(/type="password"/);

    const w = await signIn(t.app, worker.email);
    const since = await lastAuditId(t.db);
    expect((await get(w, '/admin/users')).statusCode).toBe(404);
    const sneaky = address('sneaky');
    expect((await post(w, '/admin/users', { name: 'Sneaky', email: sneaky, organisation: org.id, roles: 'practitioner' })).statusCode).toBe(404);
    expect((await post(w, `/admin/users/${worker.id}/roles`, { roles: 'partnership_admin' })).statusCode).toBe(404);
    expect(await t.db.selectFrom('app_user').select('id').where('email', '=', sneaky).execute()).toHaveLength(0);
    expect((await t.db.selectFrom('app_user').select('roles').where('id', '=', worker.id).executeTakeFirstOrThrow()).roles).toEqual(['practitioner']);
    for (const route of ['GET /admin/users', 'POST /admin/users', 'POST /admin/users/:id/roles']) {
      expect(await deniedSince(since, route), route).toEqual([expect.objectContaining({ action: 'users.manage', user_id: worker.id, detail: expect.objectContaining({ reason: 'role' }) })]);
    }

    const off = await post(me, `/admin/users/${worker.id}/deactivate`, {});
    expect(off.statusCode).toBe(303);
    expect((await t.app.inject({ method: 'GET', url: '/', headers: { cookie: w.cookie } })).statusCode).toBe(401);
  });

  it('never lets one person hold a role that sees records and one that oversees access, on the form or in the database', async () => {
    const org = await makeOrg(t.db);
    const admin = await makeUser(t.db, { organisationId: org.id, roles: ['partnership_admin'] });
    const analyst = await makeUser(t.db, { organisationId: org.id, roles: ['analyst'] });
    const me = await signIn(t.app, admin.email);
    const email = address('mixed');
    for (const roles of [['practitioner', 'data_protection_officer'], ['designated_safeguarding_lead', 'partnership_admin'], ['team_manager', 'panel_coordinator', 'data_protection_officer']]) {
      const res = await post(me, '/admin/users', { name: 'Mixed Roles', email, organisation: org.id, roles });
      expect(res.statusCode, roles.join('+')).toBe(400);
      expect(res.body).toContain('roles that see children’s records and roles that oversee access are held by different people');
      expect(res.body).toMatch(/href="#roles"/);
    }
    expect(await t.db.selectFrom('app_user').select('id').where('email', '=', email).execute()).toHaveLength(0);

    // Changing an existing account's roles is held to the same rule.
    const edit = await get(me, `/admin/users/${analyst.id}`);
    expect(edit.statusCode).toBe(200);
    expect(edit.body).toContain(`action="/admin/users/${analyst.id}/roles"`);
    const change = await post(me, `/admin/users/${analyst.id}/roles`, { roles: ['practitioner', 'data_protection_officer'] });
    expect(change.statusCode).toBe(400);
    expect(change.body).toContain('A person cannot be both practitioner and data protection officer');
    expect((await t.db.selectFrom('app_user').select('roles').where('id', '=', analyst.id).executeTakeFirstOrThrow()).roles).toEqual(['analyst']);
    // An administrator cannot change their own roles (their account is not one of the records here).
    const since = await lastAuditId(t.db);
    expect((await post(me, `/admin/users/${admin.id}/roles`, { roles: ['partnership_admin', 'analyst'] })).statusCode).toBe(404);
    expect(await deniedSince(since, 'POST /admin/users/:id/roles')).toEqual([expect.objectContaining({ action: 'users.manage', detail: expect.objectContaining({ reason: 'record' }) })]);

    // The database refuses the combination whatever writes it.
    await expect(t.db.insertInto('app_user').values({ email: address('db'), name: 'Direct', organisation_id: org.id, roles: ['practitioner', 'partnership_admin'] }).execute())
      .rejects.toThrow(/app_user_case_and_oversight_roles_apart/);
    await expect(t.db.updateTable('app_user').set({ roles: ['analyst', 'team_manager', 'data_protection_officer'] }).where('id', '=', analyst.id).execute())
      .rejects.toThrow(/app_user_case_and_oversight_roles_apart/);
    // Analysts see no records: they may hold either kind.
    expect((await post(me, `/admin/users/${analyst.id}/roles`, { roles: ['analyst', 'partnership_admin'] })).statusCode).toBe(303);
  });

  it('shows the data protection officer every grant of a role that sees records or oversees access; nobody else', async () => {
    const org = await makeOrg(t.db);
    const elsewhere = await makeOrg(t.db, 'school');
    const admin = await makeUser(t.db, { organisationId: org.id, roles: ['partnership_admin'] });
    const dpo = await makeUser(t.db, { organisationId: org.id, roles: ['data_protection_officer'] });
    const analyst = await makeUser(t.db, { organisationId: elsewhere.id, roles: ['analyst'] });
    const me = await signIn(t.app, admin.email);
    const email = address('granted');
    expect((await post(me, '/admin/users', { name: 'Gran Ted', email, organisation: elsewhere.id, roles: 'designated_safeguarding_lead' })).statusCode).toBe(303);
    expect((await post(me, `/admin/users/${analyst.id}/roles`, { roles: ['practitioner'] })).statusCode).toBe(303);
    const created = await t.db.selectFrom('app_user').select('id').where('email', '=', email).executeTakeFirstOrThrow();

    const grants = await t.db.selectFrom('access_log').select(['user_id', 'detail']).where('action', '=', 'user.role_grant')
      .where(sql<string>`detail->>'userId'`, 'in', [created.id, analyst.id]).orderBy('id').execute();
    expect(grants).toEqual([
      { user_id: admin.id, detail: { userId: created.id, userOrganisationId: elsewhere.id, granted: ['designated_safeguarding_lead'], via: 'created' } },
      { user_id: admin.id, detail: { userId: analyst.id, userOrganisationId: elsewhere.id, granted: ['practitioner'], via: 'changed' } },
    ]);

    const officer = await signIn(t.app, dpo.email);
    const page = await get(officer, '/admin/role-grants');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Gran Ted');
    expect(page.body).toContain(email);
    expect(page.body).toContain('designated safeguarding lead (new account)');
    expect(page.body).toContain(analyst.name);
    // The page is offered in the officer's navigation, under More.
    expect((await get(officer, '/sections')).body).toContain('href="/admin/role-grants"');
    const read = await t.db.selectFrom('access_log').select('action').where('user_id', '=', dpo.id).where('action', '=', 'user.role_grants.read').execute();
    expect(read).toHaveLength(1);

    // The administrator who made the grants, and anyone else but the DPO, is told the page does not exist.
    const since = await lastAuditId(t.db);
    expect((await get(me, '/admin/role-grants')).statusCode).toBe(404);
    const practitioner = await signIn(t.app, analyst.email);
    expect((await get(practitioner, '/admin/role-grants')).statusCode).toBe(404);
    expect(await deniedSince(since, 'GET /admin/role-grants')).toEqual([
      expect.objectContaining({ action: 'user.role_grants.read', user_id: admin.id, detail: expect.objectContaining({ reason: 'role' }) }),
      expect.objectContaining({ action: 'user.role_grants.read', user_id: analyst.id, detail: expect.objectContaining({ reason: 'role' }) }),
    ]);
  });

  it('lets nobody review their own use of emergency access, in the review policy and in the database', async () => {
    const org = await makeOrg(t.db);
    const admin = await makeUser(t.db, { organisationId: org.id, roles: ['partnership_admin'] });
    const user = await makeUser(t.db, { organisationId: org.id, roles: ['practitioner'] });
    const otherDpo = await makeUser(t.db, { organisationId: org.id, roles: ['data_protection_officer'] });
    const person = await makePerson(t.db);
    // The practitioner broke the glass; later the administrator made them the data protection officer.
    const use = await t.db.insertInto('break_glass')
      .values({ user_id: user.id, person_id: person.id, reason: 'Police called about a missing child tonight', expires_at: sql<Date>`now() + interval '2 hours'` as never })
      .returning('id').executeTakeFirstOrThrow();
    const me = await signIn(t.app, admin.email);
    expect((await post(me, `/admin/users/${user.id}/roles`, { roles: ['data_protection_officer'] })).statusCode).toBe(303);

    const self = await signIn(t.app, user.email);
    const list = await get(self, '/admin/break-glass');
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain('Your own use: another data protection officer reviews it');
    expect(list.body).not.toContain(`action="/admin/break-glass/${use.id}/review"`);
    const since = await lastAuditId(t.db);
    const review = await post(self, `/admin/break-glass/${use.id}/review`, { note: 'Looks fine to me' });
    expect(review.statusCode).toBe(404);
    expect(await deniedSince(since, 'POST /admin/break-glass/:id/review')).toEqual([
      expect.objectContaining({ action: 'break_glass.review', user_id: user.id, detail: expect.objectContaining({ reason: 'record', breakGlassId: use.id, ownUse: true }) }),
    ]);
    expect(await t.db.selectFrom('break_glass_review').select('reviewed_by').where('break_glass_id', '=', use.id).execute()).toHaveLength(0);
    await expect(t.db.insertInto('break_glass_review').values({ break_glass_id: use.id, reviewed_by: user.id }).execute())
      .rejects.toThrow(/cannot be reviewed by the person who used it/);

    // Another data protection officer reviews it.
    const other = await signIn(t.app, otherDpo.email);
    expect((await post(other, `/admin/break-glass/${use.id}/review`, { note: 'Checked with the police' })).statusCode).toBe(303);
    expect(await t.db.selectFrom('break_glass_review').select('reviewed_by').where('break_glass_id', '=', use.id).execute()).toEqual([{ reviewed_by: otherDpo.id }]);
  });

  it('lets the administrator mark a user of their own partnership as a senior manager, in the access log; nobody else, and no one elsewhere', async () => {
    const tag = Math.random().toString(36).slice(2, 8);
    const org = await makeOrg(t.db, 'childrens_social_care', `Seniorvale ${tag}`);
    const elsewhere = await makeOrg(t.db, 'childrens_social_care', `Otherdale ${tag}`);
    const admin = await makeUser(t.db, { organisationId: org.id, roles: ['partnership_admin'] });
    const head = await makeUser(t.db, { organisationId: org.id, roles: ['team_manager'] });
    const dpo = await makeUser(t.db, { organisationId: org.id, roles: ['data_protection_officer'] });
    const worker = await makeUser(t.db, { organisationId: org.id });
    const farHead = await makeUser(t.db, { organisationId: elsewhere.id, roles: ['team_manager'] });
    const seniorOf = async (id: string) => (await t.db.selectFrom('app_user').select('senior_manager').where('id', '=', id).executeTakeFirstOrThrow()).senior_manager;
    const url = (id: string) => `/admin/users/${id}/senior-manager`;
    const me = await signIn(t.app, admin.email);
    expect((await get(me, `/admin/users/${head.id}`)).body).toContain(`action="${url(head.id)}"`);
    expect((await get(me, `/admin/users/${farHead.id}`)).body).not.toContain(`action="${url(farHead.id)}"`);

    const none = await post(me, url(head.id), {});
    expect(none.statusCode).toBe(400);
    expect(none.body).toContain('href="#seniorManager"');
    const notCaseHolding = await post(me, url(dpo.id), { seniorManager: 'yes' });
    expect(notCaseHolding.statusCode).toBe(400);
    expect(notCaseHolding.body).toContain('Only someone with a role that sees children’s records can be a senior manager');
    expect(await seniorOf(dpo.id)).toBe(false);

    const since = await lastAuditId(t.db);
    expect((await post(me, url(head.id), { seniorManager: 'yes' })).statusCode).toBe(303);
    expect(await seniorOf(head.id)).toBe(true);
    expect((await get(me, `/admin/users/${head.id}`)).body).toMatch(/value="yes" checked/);
    expect((await post(me, url(head.id), { seniorManager: 'no' })).statusCode).toBe(303);
    expect(await seniorOf(head.id)).toBe(false);
    const logged = await t.db.selectFrom('access_log').select(['action', 'outcome', 'user_id', 'detail']).where('id', '>', since).where('route', '=', 'POST /admin/users/:id/senior-manager').orderBy('id').execute();
    expect(logged).toEqual([
      { action: 'users.manage', outcome: 'allowed', user_id: admin.id, detail: { userId: head.id, seniorManagerBefore: false, seniorManagerAfter: true } },
      { action: 'users.manage', outcome: 'allowed', user_id: admin.id, detail: { userId: head.id, seniorManagerBefore: true, seniorManagerAfter: false } },
    ]);

    // A user of another partnership is not the administrator's to mark; a practitioner marks nobody: 404 and a denied row each.
    const sinceDenied = await lastAuditId(t.db);
    expect((await post(me, url(farHead.id), { seniorManager: 'yes' })).statusCode).toBe(404);
    const w = await signIn(t.app, worker.email);
    expect((await post(w, url(head.id), { seniorManager: 'yes' })).statusCode).toBe(404);
    expect(await deniedSince(sinceDenied, 'POST /admin/users/:id/senior-manager')).toEqual([
      expect.objectContaining({ action: 'users.manage', user_id: admin.id, detail: expect.objectContaining({ reason: 'record', userId: farHead.id }) }),
      expect.objectContaining({ action: 'users.manage', user_id: worker.id, detail: expect.objectContaining({ reason: 'role' }) }),
    ]);
    expect(await seniorOf(farHead.id)).toBe(false);
    expect(await seniorOf(head.id)).toBe(false);
  });
});
