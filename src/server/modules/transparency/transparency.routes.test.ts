import { describe, expect, it } from 'vitest';
import { drainOutbox } from '../../../../test/drain-outbox.js';
import { writeEntry } from '../../../../test/entries.js';
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
    return { org, police, worker, manager, otherManager, dpo, child };
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

  it('holds missing episodes and return home interviews in the subject access export (restricted ones marked for review) and in "what we hold" (restricted ones left out)', async () => {
    const w = await world();
    await writeEntry(t.db, {
      organisationId: w.police.id, personId: w.child.id, eventTypeCode: 'missing_episode', occurredAt: '2025-04-01T20:00:00Z', summary: 'Police missing report',
      narrative: 'Found: 2025-04-02 08:00 UTC\nWho with: Withheld Synthetic Associate', sensitivity: 'restricted', restriction: { contact: 'DI Example', reason: null },
    });
    await drainOutbox(t.db);
    const episodes = await t.db.selectFrom('missing_episode').select(['id', 'returned_at', 'organisation_id']).where('person_id', '=', w.child.id).orderBy('reported_missing_at').execute();
    expect(episodes.map((e) => e.organisation_id)).toEqual([w.org.id, w.police.id]);
    // The social care episode: returned, the interview offered, accepted and completed.
    const returned = new Date('2025-03-02T09:00:00Z');
    await t.db.updateTable('missing_episode').set({ returned_at: returned, returned_precision: 'time', who_with: 'Friend A' }).where('id', '=', episodes[0]!.id).execute();
    await t.db.insertInto('return_interview').values({
      episode_id: episodes[0]!.id, person_id: w.child.id, due_at: new Date(returned.getTime() + 72 * 3600_000), offered_at: new Date('2025-03-02T12:00:00Z'), offered_by: 'Test worker',
      outcome: 'accepted', outcome_at: new Date('2025-03-02T12:00:00Z'), completed_at: new Date('2025-03-03T10:00:00Z'), completed_by_kind: 'independent',
      completed_by_name: 'Independent interviewer', findings: 'Synthetic interview findings', pull_factors: ['friends'],
    }).execute();

    const dpo = await signIn(t.app, w.dpo.email);
    const json = (await t.app.inject({ method: 'GET', url: `/admin/subject-access/${w.child.id}/export.json`, headers: { cookie: dpo.cookie } })).json();
    expect(json.missingEpisodes).toHaveLength(2);
    const [ours, theirs] = json.missingEpisodes;
    expect(ours).toMatchObject({ organisation: w.org.name, whoWith: 'Friend A', forReview: expect.stringMatching(/third-party/) });
    expect(ours.returnInterview).toMatchObject({ outcome: 'accepted', completedBy: 'independent', findings: 'Synthetic interview findings', pullFactors: ['friends'] });
    expect(theirs).toMatchObject({ whoWith: 'Withheld Synthetic Associate', returnedAt: '2025-04-02T08:00:00.000Z', forReview: expect.stringMatching(/Restricted by .*ask DI Example/) });
    expect(json.itemsForReview).toBeGreaterThanOrEqual(json.chronology.filter((e: { forReview: string | null }) => e.forReview).length + 2);
    const doc = await t.app.inject({ method: 'GET', url: `/admin/subject-access/${w.child.id}/document`, headers: { cookie: dpo.cookie } });
    expect(doc.body).toContain('Missing episodes and return home interviews (2)');
    expect(doc.body).toContain('Synthetic interview findings');

    const me = await signIn(t.app, w.worker.email);
    const held = await t.app.inject({ method: 'GET', url: `/people/${w.child.id}/what-we-hold`, headers: { cookie: me.cookie } });
    expect(held.statusCode).toBe(200);
    expect(held.body).toMatch(/We hold 1 time Saoirse Adeyemi-Blake was reported missing, on 1 March 2025/);
    expect(held.body).toContain('Offered 1 time; 1 took place');
    expect(held.body).not.toContain('Withheld Synthetic Associate');
    expect(held.body).toContain('2 restricted entries are left out');
    // Someone who does not work with the child is refused, as not found, with a denied row.
    const other = await signIn(t.app, w.otherManager.email);
    const since = await lastAuditId(t.db);
    expect((await t.app.inject({ method: 'GET', url: `/people/${w.child.id}/what-we-hold`, headers: { cookie: other.cookie } })).statusCode).toBe(404);
    expect((await auditRowsFor(t.db, { userId: w.otherManager.id, since })).map((r) => [r.action, r.outcome])).toEqual([['person.read', 'denied']]);
  });
});
