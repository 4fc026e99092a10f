import { describe, expect, it } from 'vitest';
import { involve, makeEvent, makeOrg, makePerson, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';

describe(`information sharing agreements on ${TEST_ENGINE}`, () => {
  // Ends the partnership-wide agreement: a database of its own.
  const t = useTestApp({ isolated: 'sharing' });

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

  it('shares under the partnership-wide agreement; once it ends, only under agreements that cover the category', async () => {
    const school = await makeOrg(t.db, 'school');
    const police = await makeOrg(t.db, 'police');
    const teacher = await makeUser(t.db, { organisationId: school.id, roles: ['designated_safeguarding_lead'] });
    const admin = await makeUser(t.db, { organisationId: school.id, roles: ['partnership_admin'] });
    const child = await makePerson(t.db);
    await involve(t.db, { personId: child.id, organisationId: school.id, userId: teacher.id });
    await makeEvent(t.db, { personId: child.id, organisationId: police.id, type: 'stop_and_search', summary: 'Searched at the bus station' });
    const me = await signIn(t.app, teacher.email);
    const page = () => t.app.inject({ method: 'GET', url: `/people/${child.id}`, headers: { cookie: me.cookie } });
    expect((await page()).body).toContain('Searched at the bus station');
    // The administrator narrows sharing: the police share health entries only, and the partnership-wide agreement ends.
    const a = await signIn(t.app, admin.email);
    const form = (url: string, fields: Record<string, string>) => t.app.inject({
      method: 'POST', url, headers: { cookie: a.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ _csrf: a.csrf, ...fields }).toString(),
    });
    expect((await form('/admin/sharing-agreements', { name: 'Police health', purpose: 'Safeguarding', provider: police.id, categories: 'health' })).statusCode).toBe(303);
    const wide = await t.db.selectFrom('sharing_agreement').select('id').where('provider_organisation_id', 'is', null).where('recipient_organisation_id', 'is', null).executeTakeFirstOrThrow();
    expect((await form(`/admin/sharing-agreements/${wide.id}/end`, {})).statusCode).toBe(303);
    const narrowed = (await page()).body;
    expect(narrowed).not.toContain('Searched at the bus station');
    expect(narrowed).toContain('Entry not shared with your organisation');
  });
});
