import { describe, expect, it } from 'vitest';
import {
  auditRowsFor, involve, lastAuditId, makeEvent, makeOrg, makePerson, makeTeam, makeUser, signIn, TEST_ENGINE, useTestApp,
} from '../../../../test/helpers.js';

describe(`person pages on ${TEST_ENGINE}`, () => {
  const t = useTestApp();

  async function world() {
    const org = await makeOrg(t.db, 'childrens_social_care');
    const police = await makeOrg(t.db, 'police');
    const team = await makeTeam(t.db, org.id);
    const worker = await makeUser(t.db, { organisationId: org.id, teamId: team.id });
    const teammate = await makeUser(t.db, { organisationId: org.id, teamId: team.id });
    const stranger = await makeUser(t.db, { organisationId: org.id });
    const admin = await makeUser(t.db, { organisationId: org.id, roles: ['partnership_admin'] });
    const child = await makePerson(t.db, { given: 'Kairo', family: 'Whitfield-Osei' });
    await involve(t.db, { personId: child.id, organisationId: org.id, userId: worker.id, teamId: team.id });
    const event = await makeEvent(t.db, { personId: child.id, organisationId: police.id, type: 'stop_and_search', summary: 'Searched near the station; nothing found' });
    return { org, police, team, worker, teammate, stranger, admin, child, event };
  }

  it('answers 401 with the sign-in page when not signed in', async () => {
    const w = await world();
    const res = await t.app.inject({ method: 'GET', url: `/people/${w.child.id}` });
    expect(res.statusCode).toBe(401);
    expect(res.body).toContain('Sign in to Jigsaw');
    expect(res.body).not.toContain('Whitfield-Osei');
  });

  it('shows the chronology to an involved practitioner and writes exactly one access-log row', async () => {
    const w = await world();
    const { cookie } = await signIn(t.app, w.worker.email);
    const before = await lastAuditId(t.db);
    const res = await t.app.inject({ method: 'GET', url: `/people/${w.child.id}`, headers: { cookie } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toContain('Kairo Whitfield-Osei');
    expect(res.body).toContain('Searched near the station; nothing found');
    expect(res.body).toContain('<svg');
    expect(res.body).toContain('TestSystem'); // provenance is shown
    const rows = await auditRowsFor(t.db, { since: before });
    expect(rows.map((r) => [r.action, r.outcome, r.person_id, r.user_id, r.route])).toEqual([
      ['chronology.read', 'allowed', w.child.id, w.worker.id, 'GET /people/:personId'],
    ]);
  });

  it('lets a teammate see the child through the team involvement', async () => {
    const w = await world();
    const { cookie } = await signIn(t.app, w.teammate.email);
    const res = await t.app.inject({ method: 'GET', url: `/people/${w.child.id}`, headers: { cookie } });
    expect(res.statusCode).toBe(200);
  });

  it('answers 404 and writes a denied row for a practitioner with no involvement', async () => {
    const w = await world();
    const { cookie } = await signIn(t.app, w.stranger.email);
    const before = await lastAuditId(t.db);
    const res = await t.app.inject({ method: 'GET', url: `/people/${w.child.id}`, headers: { cookie } });
    expect(res.statusCode).toBe(404);
    expect(res.body).not.toContain('Whitfield-Osei');
    const missing = await t.app.inject({ method: 'GET', url: '/people/00000000-0000-4000-8000-000000000000', headers: { cookie } });
    expect(missing.statusCode).toBe(404);
    expect(missing.body).toBe(res.body.replace(/nonce="[^"]+"/g, missing.body.match(/nonce="[^"]+"/)![0])); // same page: nobody learns the record exists
    const rows = await auditRowsFor(t.db, { since: before, userId: w.stranger.id });
    expect(rows.map((r) => [r.action, r.outcome, r.person_id])).toEqual([
      ['chronology.read', 'denied', w.child.id],
      ['chronology.read', 'denied', '00000000-0000-4000-8000-000000000000'],
    ]);
  });

  it('refuses a practitioner whose involvement has ended', async () => {
    const w = await world();
    const former = await makeUser(t.db, { organisationId: w.org.id });
    await involve(t.db, { personId: w.child.id, organisationId: w.org.id, userId: former.id, endedOn: '2024-06-30' });
    const { cookie } = await signIn(t.app, former.email);
    const res = await t.app.inject({ method: 'GET', url: `/people/${w.child.id}`, headers: { cookie } });
    expect(res.statusCode).toBe(404);
  });

  it('does not let the partnership administrator read a child, but shows them who has', async () => {
    const w = await world();
    const worker = await signIn(t.app, w.worker.email);
    await t.app.inject({ method: 'GET', url: `/people/${w.child.id}`, headers: { cookie: worker.cookie } });
    const { cookie } = await signIn(t.app, w.admin.email);
    const res = await t.app.inject({ method: 'GET', url: `/people/${w.child.id}`, headers: { cookie } });
    expect(res.statusCode).toBe(404);
    const log = await t.app.inject({ method: 'GET', url: `/admin/access-log?person=${w.child.id}`, headers: { cookie } });
    expect(log.statusCode).toBe(200);
    expect(log.body).toContain(w.worker.name);
    expect(log.body).toContain(w.admin.name); // the administrator's own refused attempt is listed too
    expect(log.body).toContain('denied');
    expect(log.body).not.toContain('Searched near the station');
    const practitioner = await t.app.inject({ method: 'GET', url: `/admin/access-log?person=${w.child.id}`, headers: { cookie: worker.cookie } });
    expect(practitioner.statusCode).toBe(404);
  });

  it('withholds the content of another organisation\'s restricted entry but shows that it exists', async () => {
    const w = await world();
    await makeEvent(t.db, { personId: w.child.id, organisationId: w.police.id, type: 'arrest', summary: 'Operation detail not for sharing', sensitivity: 'restricted' });
    const { cookie } = await signIn(t.app, w.worker.email);
    const res = await t.app.inject({ method: 'GET', url: `/people/${w.child.id}`, headers: { cookie } });
    expect(res.body).not.toContain('Operation detail not for sharing');
    expect(res.body).toContain(`This entry is restricted. Ask ${w.police.name}`);
  });

  it('filters the chronology by category and date range', async () => {
    const w = await world();
    await makeEvent(t.db, { personId: w.child.id, organisationId: w.org.id, type: 'missing_episode', occurredAt: '2023-01-05T10:00:00Z', summary: 'Missing overnight in January' });
    const { cookie } = await signIn(t.app, w.worker.email);
    const education = await t.app.inject({ method: 'GET', url: `/people/${w.child.id}?category=social_care`, headers: { cookie } });
    expect(education.statusCode).toBe(200);
    const byDate = await t.app.inject({ method: 'GET', url: `/people/${w.child.id}?from=2023-01-01&to=2023-01-31`, headers: { cookie } });
    expect(byDate.body).toContain('Missing overnight in January');
    expect(byDate.body).not.toContain('Searched near the station');
    const bad = await t.app.inject({ method: 'GET', url: `/people/${w.child.id}?from=2023-02-30`, headers: { cookie } });
    expect(bad.statusCode).toBe(400);
  });

  it('finds a child by a misspelt name, date of birth or identifier, only among children the user may see', async () => {
    const w = await world();
    await t.db.insertInto('person_identifier').values({ person_id: w.child.id, scheme: 'nhs_number', value: '9434765919' }).execute();
    const { cookie } = await signIn(t.app, w.worker.email);
    const fuzzy = await t.app.inject({ method: 'GET', url: '/people?name=Kyro+Whitfeld', headers: { cookie } });
    expect(fuzzy.statusCode).toBe(200);
    expect(fuzzy.body).toContain(`/people/${w.child.id}`);
    const byId = await t.app.inject({ method: 'GET', url: '/people?identifier=943+476+5919', headers: { cookie } });
    expect(byId.body).toContain(`/people/${w.child.id}`);
    const byDob = await t.app.inject({ method: 'GET', url: '/people?dob-day=4&dob-month=5&dob-year=2010', headers: { cookie } });
    expect(byDob.body).toContain(`/people/${w.child.id}`);
    const badDob = await t.app.inject({ method: 'GET', url: '/people?dob-day=31&dob-month=2&dob-year=2010', headers: { cookie } });
    expect(badDob.statusCode).toBe(400);
    expect(badDob.body).toContain('Date of birth must be a real date');
    const stranger = await signIn(t.app, w.stranger.email);
    const hidden = await t.app.inject({ method: 'GET', url: '/people?name=Kairo+Whitfield-Osei', headers: { cookie: stranger.cookie } });
    expect(hidden.body).not.toContain(`/people/${w.child.id}`);
    expect(hidden.body).toContain('0 people found');
    const rows = await auditRowsFor(t.db, { userId: w.worker.id });
    const search = rows.filter((r) => r.action === 'person.search');
    expect(search.length).toBeGreaterThanOrEqual(3);
    expect((search[0]!.detail as { personIds: string[] }).personIds).toContain(w.child.id);
  });

  it('lists my children with their latest event on the home page', async () => {
    const w = await world();
    const { cookie } = await signIn(t.app, w.worker.email);
    const res = await t.app.inject({ method: 'GET', url: '/', headers: { cookie } });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Kairo Whitfield-Osei');
    expect(res.body).toContain('Stop and search');
    const stranger = await signIn(t.app, w.stranger.email);
    const empty = await t.app.inject({ method: 'GET', url: '/', headers: { cookie: stranger.cookie } });
    expect(empty.body).toContain('You have no current involvements');
  });
});
