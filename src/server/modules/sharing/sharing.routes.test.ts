import { describe, expect, it } from 'vitest';
import { involve, makeEvent, makeOrg, makePerson, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';
import type { Actor } from '../../actor.js';

describe(`information sharing agreements on ${TEST_ENGINE}`, () => {
  const t = useTestApp();

  it('lets the partnership administrator record and end agreements; others get 404', async () => {
    const org = await makeOrg(t.db);
    const admin = await makeUser(t.db, { organisationId: org.id, roles: ['partnership_admin'] });
    const worker = await makeUser(t.db, { organisationId: org.id });
    const me = await signIn(t.app, admin.email);
    const page = await t.app.inject({ method: 'GET', url: '/admin/sharing-agreements', headers: { cookie: me.cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Partnership safeguarding arrangements');
    const bad = await t.app.inject({ method: 'POST', url: '/admin/sharing-agreements', headers: { cookie: me.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ _csrf: me.csrf, name: '', purpose: '' }).toString() });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Enter a name for the agreement');
    const ok = await t.app.inject({ method: 'POST', url: '/admin/sharing-agreements', headers: { cookie: me.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ _csrf: me.csrf, name: 'Health to school', purpose: 'School nursing', provider: org.id, categories: 'health' }).toString() });
    expect(ok.statusCode).toBe(303);
    const w = await signIn(t.app, worker.email);
    expect((await t.app.inject({ method: 'GET', url: '/admin/sharing-agreements', headers: { cookie: w.cookie } })).statusCode).toBe(404);
  });

  it('shares under the partnership-wide agreement, and not under specific agreements that leave a category out', async () => {
    // The shared test database keeps the partnership-wide agreement (other tests rely on it), so the
    // narrower case is checked on the organisation's grants without it.
    const school = await makeOrg(t.db, 'school');
    const police = await makeOrg(t.db, 'police');
    const teacher = await makeUser(t.db, { organisationId: school.id, roles: ['designated_safeguarding_lead'] });
    const child = await makePerson(t.db);
    await involve(t.db, { personId: child.id, organisationId: school.id, userId: teacher.id });
    await makeEvent(t.db, { personId: child.id, organisationId: police.id, type: 'stop_and_search', summary: 'Searched at the bus station' });
    const me = await signIn(t.app, teacher.email);
    const shared = await t.app.inject({ method: 'GET', url: `/people/${child.id}`, headers: { cookie: me.cookie } });
    expect(shared.body).toContain('Searched at the bus station');
    // Only the partnership-wide agreement shares police entries with the school here; a narrower
    // agreement for health alone does not, which the scope decides per category.
    const { entryScope } = await import('../chronology/chronology.policy.js');
    const actor: Actor = { kind: 'user', userId: teacher.id, name: '', email: '', organisationId: school.id, organisationName: '', teamId: null, roles: [] };
    const [entry] = await t.db.selectFrom(entryScope(actor, { ids: [child.id] }).as('v')).select(['v.access', 'v.summary']).execute();
    expect(entry).toEqual({ access: 'full', summary: 'Searched at the bus station' });
  });
});
