import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../../db/client.js';
import { buildTestApp, involve, makeEvent, makeOrg, makePerson, makeUser, openTestDb, signIn, TEST_ENGINE } from '../../../../test/helpers.js';
import type { Actor } from '../../actor.js';
import { isShared } from '../people/people.policy.js';

describe(`information sharing agreements on ${TEST_ENGINE}`, () => {
  let d: Db;
  let app: FastifyInstance;
  beforeAll(async () => {
    d = await openTestDb();
    app = await buildTestApp(d);
  });
  afterAll(async () => {
    await app.close();
    await d.close();
  });

  it('decides sharing by provider, recipient and category', () => {
    const actor: Actor = { kind: 'user', userId: 'u', name: '', email: '', organisationId: 'school', organisationName: '', teamId: null, roles: ['practitioner'] };
    expect(isShared(actor, 'school', 'health', [])).toBe(true); // its own entries
    expect(isShared(actor, 'gp', 'health', [])).toBe(false);
    expect(isShared(actor, 'gp', 'health', [{ providerOrganisationId: 'gp', categories: ['health'] }])).toBe(true);
    expect(isShared(actor, 'gp', 'family', [{ providerOrganisationId: 'gp', categories: ['health'] }])).toBe(false);
    expect(isShared(actor, 'police', 'family', [{ providerOrganisationId: null, categories: [] }])).toBe(true);
  });

  it('lets the partnership administrator record and end agreements; others get 404', async () => {
    const org = await makeOrg(d.db);
    const admin = await makeUser(d.db, { organisationId: org.id, roles: ['partnership_admin'] });
    const worker = await makeUser(d.db, { organisationId: org.id });
    const me = await signIn(app, admin.email);
    const page = await app.inject({ method: 'GET', url: '/admin/sharing-agreements', headers: { cookie: me.cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Partnership safeguarding arrangements');
    const bad = await app.inject({ method: 'POST', url: '/admin/sharing-agreements', headers: { cookie: me.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ _csrf: me.csrf, name: '', purpose: '' }).toString() });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Enter a name for the agreement');
    const ok = await app.inject({ method: 'POST', url: '/admin/sharing-agreements', headers: { cookie: me.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ _csrf: me.csrf, name: 'Health to school', purpose: 'School nursing', provider: org.id, categories: 'health' }).toString() });
    expect(ok.statusCode).toBe(303);
    const w = await signIn(app, worker.email);
    expect((await app.inject({ method: 'GET', url: '/admin/sharing-agreements', headers: { cookie: w.cookie } })).statusCode).toBe(404);
  });

  it('shares under the partnership-wide agreement, and not under specific agreements that leave a category out', async () => {
    // The shared test database keeps the partnership-wide agreement (other tests rely on it), so the
    // narrower case is checked on the organisation's grants without it.
    const school = await makeOrg(d.db, 'school');
    const police = await makeOrg(d.db, 'police');
    const teacher = await makeUser(d.db, { organisationId: school.id, roles: ['designated_safeguarding_lead'] });
    const child = await makePerson(d.db);
    await involve(d.db, { personId: child.id, organisationId: school.id, userId: teacher.id });
    await makeEvent(d.db, { personId: child.id, organisationId: police.id, type: 'stop_and_search', summary: 'Searched at the bus station' });
    const me = await signIn(app, teacher.email);
    const shared = await app.inject({ method: 'GET', url: `/people/${child.id}`, headers: { cookie: me.cookie } });
    expect(shared.body).toContain('Searched at the bus station');
    const grants = await (await import('../people/people.policy.js')).sharingGrants(d.db, school.id);
    expect(grants.length).toBeGreaterThan(0);
    expect(isShared({ kind: 'user', userId: teacher.id, name: '', email: '', organisationId: school.id, organisationName: '', teamId: null, roles: [] }, police.id, 'police_justice',
      grants.filter((g) => g.providerOrganisationId !== null))).toBe(false);
    const { presentEntry } = await import('../chronology/chronology.presenter.js');
    const { getChronology } = await import('../chronology/chronology.queries.js');
    const entry = (await getChronology(d.db, child.id, {})).entries[0]!;
    const actor = { kind: 'user' as const, userId: teacher.id, name: '', email: '', organisationId: school.id, organisationName: '', teamId: null, roles: [] };
    expect(presentEntry(entry, actor, [])).toMatchObject({ withheld: 'not_shared', summary: null, provenance: null, eventType: { code: 'not_shared' } });
    expect(presentEntry(entry, actor, grants)).toMatchObject({ withheld: null, summary: 'Searched at the bus station' });
  });
});
