import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { drainOutbox } from '../../../../test/drain-outbox.js';
import { auditRowsFor, makeOrg, makePerson, makeTeam, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';
import { threeMonthsAfter } from './relocation.commands.js';

// Relocation for safety: the move cannot be recorded as planned until a senior manager has signed off
// its risk assessment (the page and the database both refuse); planning it tells the receiving front
// door; the review three months after the move shows on the manager's home page.

describe(`relocation for safety on ${TEST_ENGINE}`, () => {
  const t = useTestApp({ isolated: 'relocation' });
  const tag = randomUUID().slice(0, 6);
  const [A, B] = [`Ashcombe ${tag}`, `Birchley ${tag}`];

  const form = (cookie: string, url: string, fields: Record<string, string>) => t.app.inject({
    method: 'POST', url, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString(),
  });
  const get = (cookie: string, url: string) => t.app.inject({ method: 'GET', url, headers: { cookie } });
  const lastId = async () => Number((await t.db.selectFrom('access_log').select(sql<string>`coalesce(max(id), 0)`.as('m')).executeTakeFirstOrThrow()).m);
  const deniedSince = async (userId: string, since: number) => (await auditRowsFor(t.db, { userId, since })).filter((r) => r.outcome === 'denied');
  const dateFields = (prefix: string, d: Date) => ({ [`${prefix}-day`]: String(d.getUTCDate()), [`${prefix}-month`]: String(d.getUTCMonth() + 1), [`${prefix}-year`]: String(d.getUTCFullYear()) });

  it('needs a senior manager\'s sign-off before the move is planned, tells the receiving front door, and puts the three-month review on the manager\'s home page', async () => {
    const csc = await makeOrg(t.db, 'childrens_social_care', A);
    const team = await makeTeam(t.db, csc.id);
    const worker = await makeUser(t.db, { organisationId: csc.id, teamId: team.id });
    const manager = await makeUser(t.db, { organisationId: csc.id, teamId: team.id, roles: ['team_manager'] });
    const head = await makeUser(t.db, { organisationId: csc.id, teamId: team.id, roles: ['team_manager'] });
    await t.db.updateTable('app_user').set({ senior_manager: true }).where('id', '=', head.id).execute();
    const outsiderOrg = await makeOrg(t.db, 'childrens_social_care', A);
    const outsider = await makeUser(t.db, { organisationId: outsiderOrg.id, roles: ['team_manager'] });
    await t.db.updateTable('app_user').set({ senior_manager: true }).where('id', '=', outsider.id).execute();
    const cscB = await makeOrg(t.db, 'childrens_social_care', B);
    const managerB = await makeUser(t.db, { organisationId: cscB.id, roles: ['team_manager'] });
    const pB = (await t.db.selectFrom('partnership_area').select('partnership_id').where('borough', '=', B).executeTakeFirstOrThrow()).partnership_id;
    await t.db.insertInto('partnership_front_door').values({ partnership_id: pB, organisation_id: cscB.id }).execute();

    const child = await makePerson(t.db, { given: 'Wren', family: `Relocated${tag}` });
    await t.db.insertInto('person_address').values({ person_id: child.id, line1: '6 Synthetic Lane', borough: A, valid_from: '2019-01-01' }).execute();
    await t.db.insertInto('involvement').values({ person_id: child.id, organisation_id: csc.id, user_id: worker.id, role: 'lead_professional', started_on: '2024-01-01' }).execute();

    // Each person signs in once. (A team manager signs in with a second factor whose code is accepted once:
    // signing the same manager in again and again would wait for the authenticator's next 30-second step.)
    const [w, m, h, o, b] = await Promise.all([
      signIn(t.app, worker.email), signIn(t.app, manager.email), signIn(t.app, head.email), signIn(t.app, outsider.email), signIn(t.app, managerB.email),
    ]);

    // The worker writes the relocation risk assessment; every part is needed.
    expect((await get(w.cookie, `/people/${child.id}/relocations/new`)).statusCode).toBe(200);
    const empty = await form(w.cookie, `/people/${child.id}/relocations`, { _csrf: w.csrf, toBorough: B });
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('Enter risks in the new area');
    expect(empty.body).toContain('Enter the child&#39;s and the family&#39;s views');
    const created = await form(w.cookie, `/people/${child.id}/relocations`, {
      _csrf: w.csrf, toBorough: B, risksNewArea: 'A county line runs through the estate next to the new address',
      tiesOldArea: 'Friends at the youth centre; grandmother nearby', networkLost: 'Youth worker and the school counsellor',
      familyPosition: 'Temporary accommodation; rent arrears', views: 'He wants to move; his mother is worried about the school',
    });
    expect(created.statusCode).toBe(303);
    const relocationId = /\/relocations\/([0-9a-f-]+)$/.exec(created.headers.location as string)![1]!;

    // Not planned without the sign-off: the page refuses, and so does the database.
    const tooSoon = await form(w.cookie, `/relocations/${relocationId}/plan`, { _csrf: w.csrf, ...dateFields('plannedOn', new Date(Date.now() + 14 * 86_400_000)) });
    expect(tooSoon.statusCode).toBe(400);
    expect(tooSoon.body).toContain('A senior manager must sign off the relocation risk assessment before the move is planned');
    await expect(t.db.updateTable('relocation').set({ status: 'planned', planned_move_on: '2030-01-01' }).where('id', '=', relocationId).execute()).rejects.toThrow();
    await expect(t.db.updateTable('relocation').set({ signed_off_at: new Date(), signed_off_by_user_id: manager.id }).where('id', '=', relocationId).execute()).rejects.toThrow(/senior manager/);
    await expect(t.db.updateTable('relocation').set({ signed_off_at: new Date(), signed_off_by_user_id: worker.id }).where('id', '=', relocationId).execute()).rejects.toThrow(/senior manager/);
    expect((await t.db.selectFrom('relocation').select(['status', 'signed_off_at']).where('id', '=', relocationId).executeTakeFirstOrThrow())).toEqual({ status: 'assessing', signed_off_at: null });

    // A team manager who is not a senior manager, and a senior manager who may not see the child, are refused as not found.
    for (const [who, s] of [[manager, m], [outsider, o]] as const) {
      const since = await lastId();
      expect((await form(s.cookie, `/relocations/${relocationId}/sign-off`, { _csrf: s.csrf })).statusCode).toBe(404);
      expect((await deniedSince(who.id, since)).map((r) => r.action)).toEqual(['relocation.sign_off']);
    }
    expect((await get(m.cookie, `/relocations/${relocationId}`)).body).not.toContain('Sign off the relocation risk assessment');
    expect((await get(h.cookie, `/relocations/${relocationId}`)).body).toContain('Sign off the relocation risk assessment');
    expect((await form(h.cookie, `/relocations/${relocationId}/sign-off`, { _csrf: h.csrf })).statusCode).toBe(303);

    // Now the move can be planned; the receiving partnership's front door is told before it.
    expect((await form(w.cookie, `/relocations/${relocationId}/plan`, { _csrf: w.csrf, ...dateFields('plannedOn', new Date(Date.now() + 14 * 86_400_000)) })).statusCode).toBe(303);
    const transfer = await t.db.selectFrom('transfer').selectAll().where('relocation_id', '=', relocationId).executeTakeFirstOrThrow();
    expect(transfer).toMatchObject({ person_id: child.id, to_partnership_id: pB, status: 'pre_move' });
    expect(await t.db.selectFrom('transfer_notice').select(['recipient_user_id', 'kind']).where('transfer_id', '=', transfer.id).execute()).toEqual([{ recipient_user_id: managerB.id, kind: 'pre_move' }]);
    const bList = await get(b.cookie, '/transfers');
    expect(bList.body).toContain('A child is planned to move to your area');
    expect(bList.body).toContain(`/transfers/${transfer.id}`);

    // The move happened 100 days ago: its review (three months on) is due, on the managers' home page.
    const movedOn = new Date(Date.now() - 100 * 86_400_000);
    expect((await form(w.cookie, `/relocations/${relocationId}/moved`, { _csrf: w.csrf, ...dateFields('movedOn', movedOn) })).statusCode).toBe(303);
    const moved = await t.db.selectFrom('relocation').select(['status', 'review_due_on']).where('id', '=', relocationId).executeTakeFirstOrThrow();
    expect(moved).toEqual({ status: 'moved', review_due_on: threeMonthsAfter(movedOn.toISOString().slice(0, 10)) });
    const home = await get(m.cookie, '/');
    expect(home.body).toContain('Relocation reviews due');
    expect(home.body).toContain(`/relocations/${relocationId}`);
    expect(home.body).toContain('Wren');
    expect((await get(o.cookie, '/')).body).not.toContain(`/relocations/${relocationId}`);

    // The address moves into B: the pre-move transfer becomes the one waiting (not a second one).
    await t.db.insertInto('person_address').values({ person_id: child.id, line1: '7 Synthetic Road', borough: B, valid_from: sql<string>`current_date` }).execute();
    await drainOutbox(t.db);
    const transfers = await t.db.selectFrom('transfer').select(['id', 'status']).where('person_id', '=', child.id).execute();
    expect(transfers).toEqual([{ id: transfer.id, status: 'waiting' }]);

    // The review asks whether risk fell and whether ties continued; then it leaves the home page.
    const incomplete = await form(m.cookie, `/relocations/${relocationId}/review`, { _csrf: m.csrf, notes: 'Seen at the old youth centre twice' });
    expect(incomplete.statusCode).toBe(400);
    expect(incomplete.body).toContain('Select whether the risk fell after the move');
    expect((await form(m.cookie, `/relocations/${relocationId}/review`, { _csrf: m.csrf, riskFell: 'no', tiesContinued: 'yes', notes: 'Seen at the old youth centre twice' })).statusCode).toBe(303);
    expect(await t.db.selectFrom('relocation').select(['status', 'review_risk_fell', 'review_ties_continued']).where('id', '=', relocationId).executeTakeFirst())
      .toEqual({ status: 'reviewed', review_risk_fell: false, review_ties_continued: true });
    expect((await get(m.cookie, '/')).body).not.toContain(`/relocations/${relocationId}`);

    // Someone who may not see the child: every relocation page is not found, with a denied row.
    const since = await lastId();
    expect((await get(o.cookie, `/relocations/${relocationId}`)).statusCode).toBe(404);
    expect((await get(o.cookie, `/people/${child.id}/relocations/new`)).statusCode).toBe(404);
    expect((await form(o.cookie, `/people/${child.id}/relocations`, { _csrf: o.csrf, toBorough: B })).statusCode).toBe(404);
    expect((await form(o.cookie, `/relocations/${relocationId}/plan`, { _csrf: o.csrf })).statusCode).toBe(404);
    expect((await form(o.cookie, `/relocations/${relocationId}/moved`, { _csrf: o.csrf })).statusCode).toBe(404);
    expect((await form(o.cookie, `/relocations/${relocationId}/review`, { _csrf: o.csrf })).statusCode).toBe(404);
    expect((await get(o.cookie, `/relocations/${randomUUID()}`)).statusCode).toBe(404);
    expect((await deniedSince(outsider.id, since)).length).toBe(7);
  });
});
