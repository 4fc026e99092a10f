import { describe, expect, it } from 'vitest';
import { auditRowsFor, involve, lastAuditId, makeOrg, makePerson, makeTeam, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';
import { mergePersons } from './identity.merges.js';

describe(`undoing a merge on ${TEST_ENGINE}`, () => {
  const t = useTestApp();
  const unmerge = (session: { cookie: string; csrf: string }, mergeId: string, fields: Record<string, string> = {}) => t.app.inject({
    method: 'POST', url: `/identity/merges/${mergeId}/unmerge`, headers: { cookie: session.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: session.csrf, reason: 'Different children after all', ...fields }).toString(),
  });

  /** A team manager who merged two records, a manager of the same team, the DPO, and others. */
  async function world() {
    const org = await makeOrg(t.db, 'police');
    const team = await makeTeam(t.db, org.id);
    const otherTeam = await makeTeam(t.db, org.id);
    const merger = await makeUser(t.db, { organisationId: org.id, roles: ['team_manager'], teamId: team.id });
    const theirManager = await makeUser(t.db, { organisationId: org.id, roles: ['team_manager'], teamId: team.id });
    const dpo = await makeUser(t.db, { organisationId: (await makeOrg(t.db, 'childrens_social_care')).id, roles: ['data_protection_officer'] });
    const otherManager = await makeUser(t.db, { organisationId: org.id, roles: ['team_manager'], teamId: otherTeam.id });
    const practitioner = await makeUser(t.db, { organisationId: org.id, roles: ['practitioner'], teamId: team.id });
    return { org, merger, theirManager, dpo, otherManager, practitioner };
  }

  async function merged(by: string) {
    const a = await makePerson(t.db, { given: 'Alma' });
    const b = await makePerson(t.db, { given: 'Alma' });
    const mergeId = await t.db.transaction().execute((trx) => mergePersons(trx, { survivorPersonId: a.id, mergedPersonId: b.id, reason: 'Same child', userId: by }));
    return { a, b, mergeId };
  }

  const undone = async (mergeId: string) => t.db.selectFrom('person_unmerge').select(['merge_id', 'decided_by_user_id']).where('merge_id', '=', mergeId).executeTakeFirst();

  it('lets the person who made the merge undo it without a case relationship with the child', async () => {
    const w = await world();
    const m = await merged(w.merger.id);
    const since = await lastAuditId(t.db);
    const res = await unmerge(await signIn(t.app, w.merger.email), m.mergeId);
    expect(res.statusCode).toBe(303);
    expect(await undone(m.mergeId)).toEqual({ merge_id: m.mergeId, decided_by_user_id: w.merger.id });
    const rows = await auditRowsFor(t.db, { since, userId: w.merger.id });
    expect(rows.filter((r) => r.action === 'identity.unmerge').map((r) => [r.outcome, r.person_id]).sort()).toEqual([['allowed', m.a.id], ['allowed', m.b.id]].sort());
  });

  it('lets a team manager of the merger\'s team undo it', async () => {
    const w = await world();
    const m = await merged(w.merger.id);
    expect((await unmerge(await signIn(t.app, w.theirManager.email), m.mergeId)).statusCode).toBe(303);
    expect(await undone(m.mergeId)).toMatchObject({ decided_by_user_id: w.theirManager.id });
  });

  it('lets the data protection officer undo any merge, including one made automatically', async () => {
    const w = await world();
    const m = await merged(w.merger.id);
    const dpo = await signIn(t.app, w.dpo.email);
    // The DPO reads no child's page: "who has seen this record" offers the undo.
    const log = await t.app.inject({ method: 'GET', url: `/admin/access-log?person=${m.b.id}`, headers: { cookie: dpo.cookie } });
    expect(log.body).toContain(`action="/identity/merges/${m.mergeId}/unmerge"`);
    const res = await unmerge(dpo, m.mergeId);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/admin/access-log?person=${m.a.id}`);
    expect(await undone(m.mergeId)).toMatchObject({ decided_by_user_id: w.dpo.id });
    const auto = await t.db.transaction().execute(async (trx) => {
      const [a, b] = [await makePerson(trx), await makePerson(trx)];
      return mergePersons(trx, { survivorPersonId: a.id, mergedPersonId: b.id, reason: 'Matched on identifiers', userId: null });
    });
    expect((await unmerge(dpo, auto)).statusCode).toBe(303);
    expect(await undone(auto)).toMatchObject({ decided_by_user_id: w.dpo.id });
    // Already undone: refused as not found.
    expect((await unmerge(dpo, auto)).statusCode).toBe(404);
  });

  it('refuses another team\'s manager even with a case relationship, and a practitioner, with denied rows; the merge stands', async () => {
    const w = await world();
    const m = await merged(w.merger.id);
    await involve(t.db, { personId: m.a.id, organisationId: w.org.id, userId: w.otherManager.id });
    const other = await signIn(t.app, w.otherManager.email);
    // Their view of the child's access log offers no undo.
    const log = await t.app.inject({ method: 'GET', url: `/admin/access-log?person=${m.a.id}`, headers: { cookie: other.cookie } });
    expect(log.statusCode).toBe(200);
    expect(log.body).not.toContain('/unmerge');
    // Nor does the child's page, which they may read.
    const page = await t.app.inject({ method: 'GET', url: `/people/${m.a.id}`, headers: { cookie: other.cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Same child');
    expect(page.body).not.toContain('Undo this join');
    const since = await lastAuditId(t.db);
    expect((await unmerge(other, m.mergeId, { personId: m.a.id })).statusCode).toBe(404);
    expect((await unmerge(await signIn(t.app, w.practitioner.email), m.mergeId)).statusCode).toBe(404);
    expect((await unmerge(other, '00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
    expect(await undone(m.mergeId)).toBeUndefined();
    const mine = new Set([w.otherManager.id, w.practitioner.id]);
    const denied = (await auditRowsFor(t.db, { since })).filter((r) => r.outcome === 'denied' && r.user_id !== null && mine.has(r.user_id));
    expect(denied.map((r) => [r.user_id, r.action, r.person_id, (r.detail as { reason: string }).reason])).toEqual([
      [w.otherManager.id, 'identity.unmerge', m.a.id, 'record'],
      [w.practitioner.id, 'identity.unmerge', null, 'role'],
      [w.otherManager.id, 'identity.unmerge', null, 'record'],
    ]);
  });
});
