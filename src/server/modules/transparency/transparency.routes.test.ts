import { describe, expect, it } from 'vitest';
import { auditRowsFor, involve, lastAuditId, makeEvent, makeOrg, makePerson, makeTeam, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';

describe(`transparency on ${TEST_ENGINE}`, () => {
  const t = useTestApp();

  async function world() {
    const org = await makeOrg(t.db, 'childrens_social_care');
    const police = await makeOrg(t.db, 'police');
    const team = await makeTeam(t.db, org.id);
    const worker = await makeUser(t.db, { organisationId: org.id, teamId: team.id });
    const manager = await makeUser(t.db, { organisationId: org.id, teamId: team.id, roles: ['team_manager'] });
    const otherManager = await makeUser(t.db, { organisationId: org.id, teamId: (await makeTeam(t.db, org.id)).id, roles: ['team_manager'] });
    const dpo = await makeUser(t.db, { organisationId: org.id, roles: ['data_protection_officer'] });
    const child = await makePerson(t.db, { given: 'Saoirse', family: 'Adeyemi-Blake' });
    const sibling = await makePerson(t.db, { given: 'Cian', family: 'Adeyemi-Blake' });
    await t.db.insertInto('person_relationship').values({ person_id: child.id, related_person_id: sibling.id, kind: 'sibling' }).execute();
    await involve(t.db, { personId: child.id, organisationId: org.id, userId: worker.id });
    await makeEvent(t.db, { personId: child.id, organisationId: org.id, type: 'missing_episode', summary: 'Missing for two nights' });
    const restricted = await makeEvent(t.db, { personId: child.id, organisationId: police.id, type: 'arrest', summary: 'Detail of a live operation', sensitivity: 'restricted' });
    await t.db.insertInto('event_restriction').values({ event_id: restricted.id, contact: 'DI Example' }).execute();
    return { org, worker, manager, otherManager, dpo, child };
  }

  it('shows who has seen a record to the team manager of an involved practitioner, and not to other managers', async () => {
    const w = await world();
    const me = await signIn(t.app, w.worker.email);
    await t.app.inject({ method: 'GET', url: `/people/${w.child.id}`, headers: { cookie: me.cookie } });
    const mgr = await signIn(t.app, w.manager.email);
    const ok = await t.app.inject({ method: 'GET', url: `/admin/access-log?person=${w.child.id}`, headers: { cookie: mgr.cookie } });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain(w.worker.name);
    const other = await signIn(t.app, w.otherManager.email);
    const before = await lastAuditId(t.db);
    const no = await t.app.inject({ method: 'GET', url: `/admin/access-log?person=${w.child.id}`, headers: { cookie: other.cookie } });
    expect(no.statusCode).toBe(404);
    expect((await auditRowsFor(t.db, { since: before })).map((r) => [r.action, r.outcome])).toEqual([['access_log.read', 'denied']]);
  });

  it('exports everything held to the DPO with restricted and third-party items marked for review', async () => {
    const w = await world();
    const dpo = await signIn(t.app, w.dpo.email);
    const before = await lastAuditId(t.db);
    const json = await t.app.inject({ method: 'GET', url: `/admin/subject-access/${w.child.id}/export.json`, headers: { cookie: dpo.cookie } });
    expect(json.statusCode).toBe(200);
    const data = json.json();
    expect(data.chronology).toHaveLength(2);
    const arrest = data.chronology.find((e: { summary: string }) => e.summary === 'Detail of a live operation');
    expect(arrest.forReview).toMatch(/Restricted by .*ask DI Example/);
    expect(data.relationships[0]).toMatchObject({ kind: 'sibling', name: 'Cian Adeyemi-Blake', forReview: expect.stringMatching(/Third-party/) });
    expect(data.chronology[0].sourceSystem).toBe('TestSystem');
    const doc = await t.app.inject({ method: 'GET', url: `/admin/subject-access/${w.child.id}/document`, headers: { cookie: dpo.cookie } });
    expect(doc.statusCode).toBe(200);
    expect(doc.body).toContain('For review');
    expect(doc.body).toContain('Missing for two nights');
    const rows = await auditRowsFor(t.db, { since: before });
    expect(rows.map((r) => [r.action, r.outcome, r.person_id])).toEqual([
      ['subject_access.export', 'allowed', w.child.id],
      ['subject_access.export', 'allowed', w.child.id],
    ]);
    const worker = await signIn(t.app, w.worker.email);
    const denied = await t.app.inject({ method: 'GET', url: `/admin/subject-access/${w.child.id}/export.json`, headers: { cookie: worker.cookie } });
    expect(denied.statusCode).toBe(404);
  });

  it('gives an involved practitioner a plain "what we hold and why" that leaves restricted entries out', async () => {
    const w = await world();
    const me = await signIn(t.app, w.worker.email);
    const res = await t.app.inject({ method: 'GET', url: `/people/${w.child.id}/what-we-hold`, headers: { cookie: me.cookie } });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('What we hold about Saoirse Adeyemi-Blake, and why');
    expect(res.body).toContain(w.org.name);
    expect(res.body).not.toContain('Detail of a live operation');
    expect(res.body).toContain('1 restricted entries are left out');
    expect(res.body).toContain('reaches 25');
    const dpo = await signIn(t.app, w.dpo.email);
    expect((await t.app.inject({ method: 'GET', url: `/people/${w.child.id}/what-we-hold`, headers: { cookie: dpo.cookie } })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: `/people/${w.child.id}/what-we-hold` })).statusCode).toBe(401);
  });
});
