import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { auditRowsFor, lastAuditId, makeEvent, makeOrg, makePerson, makeTeam, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';
import { recipientsFor } from '../considerations/run-rules.js';
import { workingSummary } from './allocation.queries.js';

const borough = () => `Allocvale ${randomUUID().slice(0, 8)}`;
const NOTE = 'Moving to another team; the child trusts the youth club staff, Thursdays work best.';
const isoDaysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
const today = () => new Date().toISOString().slice(0, 10);

describe(`allocation pages on ${TEST_ENGINE}`, () => {
  const t = useTestApp();

  /** A children's social care team whose organisation recorded entries about a child nobody is allocated to yet (as after an import). */
  async function world() {
    const b = borough();
    const care = await makeOrg(t.db, 'childrens_social_care', b);
    const team = await makeTeam(t.db, care.id);
    const manager = await makeUser(t.db, { organisationId: care.id, teamId: team.id, roles: ['team_manager'] });
    const worker = await makeUser(t.db, { organisationId: care.id, teamId: team.id });
    const worker2 = await makeUser(t.db, { organisationId: care.id, teamId: team.id });
    const analyst = await makeUser(t.db, { organisationId: care.id, roles: ['analyst'] });
    const school = await makeOrg(t.db, 'school', b);
    const schoolDsl = await makeUser(t.db, { organisationId: school.id, roles: ['designated_safeguarding_lead'] });
    const teacher = await makeUser(t.db, { organisationId: school.id });
    const child = await makePerson(t.db, { given: 'Alder', family: `Quint${randomUUID().slice(0, 4)}` });
    await makeEvent(t.db, { personId: child.id, organisationId: care.id, type: 'missing_episode', summary: 'Imported entry' });
    return { b, care, team, manager, worker, worker2, analyst, school, schoolDsl, teacher, child };
  }

  type Session = { cookie: string; csrf: string };
  const form = (s: Session, url: string, fields: Record<string, string>) => t.app.inject({
    method: 'POST', url, headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: s.csrf, ...fields }).toString(),
  });
  const get = (s: Session, url: string) => t.app.inject({ method: 'GET', url, headers: { cookie: s.cookie } });
  const started = (date: string) => {
    const [y, m, d] = date.split('-');
    return { 'startedOn-day': String(Number(d)), 'startedOn-month': String(Number(m)), 'startedOn-year': y! };
  };
  const allocateForm = (s: Session, childId: string, fields: Record<string, string>) =>
    form(s, `/people/${childId}/involvements`, { ...started(today()), ...fields });

  it('a team manager whose organisation recorded entries about the child allocates a worker, who can then open the child; it is an access grant', async () => {
    const w = await world();
    const manager = await signIn(t.app, w.manager.email);
    const worker = await signIn(t.app, w.worker.email);
    expect((await get(worker, `/people/${w.child.id}`)).statusCode).toBe(404);

    const page = await get(manager, `/people/${w.child.id}/involvements/new`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(w.worker.name);
    expect(page.body).not.toContain(w.teacher.name);

    const since = await lastAuditId(t.db);
    const res = await allocateForm(manager, w.child.id, { userId: w.worker.id, role: 'allocated_worker' });
    expect(res.statusCode, res.body.slice(0, 500)).toBe(303);
    expect(res.headers.location).toBe(`/people/${w.child.id}/involvements`);
    expect((await get(worker, `/people/${w.child.id}`)).statusCode).toBe(200);

    const rows = await t.db.selectFrom('involvement').selectAll().where('person_id', '=', w.child.id).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ organisation_id: w.care.id, team_id: null, user_id: w.worker.id, role: 'allocated_worker', started_on: today(), ended_on: null });
    const change = await t.db.selectFrom('involvement_change').selectAll().where('involvement_id', '=', rows[0]!.id).execute();
    expect(change).toMatchObject([{ kind: 'allocated', by_user_id: w.manager.id, api_key_id: null, note: null, organisation_id: w.care.id }]);
    const grant = (await auditRowsFor(t.db, { since, personId: w.child.id })).find((r) => r.action === 'involvement.allocate');
    expect(grant).toMatchObject({ user_id: w.manager.id, outcome: 'allowed' });
    expect(grant!.detail).toMatchObject({ involvementId: rows[0]!.id, workerUserId: w.worker.id, role: 'allocated_worker' });

    // "Who has seen this record" shows the grant.
    const dpo = await makeUser(t.db, { organisationId: w.care.id, roles: ['data_protection_officer'] });
    const log = await get(await signIn(t.app, dpo.email), `/admin/access-log?person=${w.child.id}`);
    expect(log.statusCode).toBe(200);
    expect(log.body).toContain('involvement.allocate');

    // The worker reads "Workers and handovers"; the read is logged.
    const before = await lastAuditId(t.db);
    const history = await get(worker, `/people/${w.child.id}/involvements`);
    expect(history.statusCode).toBe(200);
    expect(history.body).toContain(w.worker.name);
    expect(history.body).toContain(`by ${w.manager.name}`);
    expect((await auditRowsFor(t.db, { since: before, userId: w.worker.id })).map((r) => [r.action, r.outcome])).toContainEqual(['involvement.read', 'allowed']);
  });

  it('refuses a practitioner, an analyst and a manager of an organisation with nothing about the child: 404 with a denied row', async () => {
    const w = await world();
    const other = await makeOrg(t.db, 'childrens_social_care', borough());
    const otherManager = await makeUser(t.db, { organisationId: other.id, roles: ['team_manager'] });
    const otherWorker = await makeUser(t.db, { organisationId: other.id });
    for (const [user, reason] of [[w.worker, 'role'], [w.analyst, 'role'], [otherManager, 'record'], [w.schoolDsl, 'record']] as const) {
      const s = await signIn(t.app, user.email);
      for (const attempt of [
        () => get(s, `/people/${w.child.id}/involvements/new`),
        () => allocateForm(s, w.child.id, { userId: user === otherManager ? otherWorker.id : w.worker.id, role: 'allocated_worker' }),
      ]) {
        const since = await lastAuditId(t.db);
        const res = await attempt();
        expect(res.statusCode, `${user.name}`).toBe(404);
        const denied = (await auditRowsFor(t.db, { since, userId: user.id })).filter((r) => r.outcome === 'denied');
        expect(denied.map((r) => [r.action, (r.detail as { reason: string }).reason])).toEqual([['involvement.allocate', reason]]);
      }
    }
    expect(await t.db.selectFrom('involvement').select('id').where('person_id', '=', w.child.id).execute()).toEqual([]);
  });

  it('refuses a worker of another organisation, or one who holds no cases, with a field error and writes nothing', async () => {
    const w = await world();
    const manager = await signIn(t.app, w.manager.email);
    for (const userId of [w.teacher.id, w.analyst.id, randomUUID(), 'not-a-user']) {
      const res = await allocateForm(manager, w.child.id, { userId, role: 'key_worker' });
      expect(res.statusCode).toBe(400);
      expect(res.body).toContain('Choose a worker in your organisation who holds cases');
      expect(res.body).toContain('href="#userId"');
    }
    const missing = await form(manager, `/people/${w.child.id}/involvements`, { userId: w.worker.id, role: '' });
    expect(missing.statusCode).toBe(400);
    expect(missing.body).toContain('Choose the role the worker will have with the child');
    expect(missing.body).toContain('When the work starts must include a year'.replace('When the work starts', 'The date the work starts'));
    const future = await allocateForm(manager, w.child.id, { userId: w.worker.id, role: 'key_worker', ...started(isoDaysAgo(-3)) });
    expect(future.statusCode).toBe(400);
    expect(future.body).toContain('must be today or in the past');
    expect(await t.db.selectFrom('involvement').select('id').where('person_id', '=', w.child.id).execute()).toEqual([]);
  });

  it('replaces a worker with a handover note; ends an involvement with a note; the ended worker can no longer open the child', async () => {
    const w = await world();
    const manager = await signIn(t.app, w.manager.email);
    const worker = await signIn(t.app, w.worker.email);
    const worker2 = await signIn(t.app, w.worker2.email);
    expect((await allocateForm(manager, w.child.id, { userId: w.worker.id, role: 'key_worker', ...started(isoDaysAgo(30)) })).statusCode).toBe(303);
    const first = await t.db.selectFrom('involvement').selectAll().where('person_id', '=', w.child.id).executeTakeFirstOrThrow();

    // Replacing needs a handover note.
    const noNote = await allocateForm(manager, w.child.id, { userId: w.worker2.id, role: 'key_worker', replaces: first.id });
    expect(noNote.statusCode).toBe(400);
    expect(noNote.body).toContain('Enter a handover note of at least 20 characters');
    const replaced = await allocateForm(manager, w.child.id, { userId: w.worker2.id, role: 'key_worker', replaces: first.id, note: NOTE });
    expect(replaced.statusCode, replaced.body.slice(0, 300)).toBe(303);
    expect((await get(worker, `/people/${w.child.id}`)).statusCode).toBe(404);
    expect((await get(worker2, `/people/${w.child.id}`)).statusCode).toBe(200);
    const ended = await t.db.selectFrom('involvement').selectAll().where('id', '=', first.id).executeTakeFirstOrThrow();
    expect(ended.ended_on).toBe(isoDaysAgo(1));
    const history = await get(worker2, `/people/${w.child.id}/involvements`);
    expect(history.body).toContain(NOTE.replace(/'/g, '&#39;'));
    expect(history.body).toContain(`Taken over by ${w.worker2.name}`);
    expect(history.body).toContain(`Took over from ${w.worker.name}`);
    const top = (await get(worker2, `/people/${w.child.id}`)).body;
    expect(top.slice(top.indexOf('Working with this child'), top.indexOf('Working with this child') + 2500)).toContain(`${w.worker2.name}, ${w.care.name}, since`);

    // Another organisation's manager cannot end it; a short note is refused; then it ends.
    const second = await t.db.selectFrom('involvement').selectAll().where('person_id', '=', w.child.id).where('user_id', '=', w.worker2.id).executeTakeFirstOrThrow();
    const schoolDsl = await signIn(t.app, w.schoolDsl.email);
    for (const attempt of [() => get(schoolDsl, `/involvements/${second.id}/end`), () => form(schoolDsl, `/involvements/${second.id}/end`, { note: NOTE })]) {
      const since = await lastAuditId(t.db);
      expect((await attempt()).statusCode).toBe(404);
      expect((await auditRowsFor(t.db, { since, userId: w.schoolDsl.id })).map((r) => [r.action, r.outcome, (r.detail as { reason: string }).reason]))
        .toEqual([['involvement.end', 'denied', 'record']]);
    }
    // A practitioner (even the worker themself) does not end involvements.
    expect((await form(worker2, `/involvements/${second.id}/end`, { note: NOTE })).statusCode).toBe(404);
    const short = await form(manager, `/involvements/${second.id}/end`, { note: 'Too short' });
    expect(short.statusCode).toBe(400);
    expect(short.body).toContain('The handover note must be at least 20 characters');
    const since = await lastAuditId(t.db);
    const done = await form(manager, `/involvements/${second.id}/end`, { note: 'Case closed after the review; no further work planned with the family.' });
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe(`/involvements/${second.id}/ended`);
    expect((await get(manager, done.headers.location as string)).statusCode).toBe(200);
    expect((await get(worker2, `/people/${w.child.id}`)).statusCode).toBe(404);
    expect((await auditRowsFor(t.db, { since, personId: w.child.id })).map((r) => [r.action, r.outcome])).toContainEqual(['involvement.end', 'allowed']);
    // Ended (and started today): withdrawn, never counted again; the end cannot be repeated.
    expect((await form(manager, `/involvements/${second.id}/end`, { note: NOTE })).statusCode).toBe(404);
    const changes = await t.db.selectFrom('involvement_change').select(['kind', 'note']).where('person_id', '=', w.child.id).orderBy('at').orderBy('kind').execute();
    expect(changes.map((c) => c.kind).sort()).toEqual(['allocated', 'allocated', 'ended', 'replaced']);
  });

  it('names one lead professional across agencies: the previous lead continues as an allocated worker, and the next consideration goes to the new lead', async () => {
    const w = await world();
    const manager = await signIn(t.app, w.manager.email);
    // The school DSL's organisation is involved (a confirmed relationship): it may name its own lead.
    await t.db.insertInto('involvement').values({ person_id: w.child.id, organisation_id: w.school.id, user_id: w.teacher.id, role: 'lead_professional', started_on: isoDaysAgo(100) }).execute();
    const schoolLead = await t.db.selectFrom('involvement').select('id').where('person_id', '=', w.child.id).executeTakeFirstOrThrow();
    expect((await recipientsFor(t.db, [w.child.id])).get(w.child.id)).toMatchObject({ kind: 'lead_professional', userId: w.teacher.id });

    // The school's DSL may allocate too: their organisation has an active involvement with the child.
    expect((await get(await signIn(t.app, w.schoolDsl.email), `/people/${w.child.id}/involvements/new`)).statusCode).toBe(200);
    // An organisation whose only involvement has ended, and which recorded nothing, may not.
    const formerOrg = await makeOrg(t.db, 'housing', w.b);
    const formerManager = await makeUser(t.db, { organisationId: formerOrg.id, roles: ['team_manager'] });
    await t.db.insertInto('involvement').values({ person_id: w.child.id, organisation_id: formerOrg.id, user_id: formerManager.id, role: 'other', started_on: isoDaysAgo(300), ended_on: isoDaysAgo(10) }).execute();
    expect((await get(await signIn(t.app, formerManager.email), `/people/${w.child.id}/involvements/new`)).statusCode).toBe(404);

    const page = await get(manager, `/people/${w.child.id}/involvements/new?role=lead_professional`);
    expect(page.body).toContain(`The lead professional now is ${w.teacher.name}`);
    const noNote = await allocateForm(manager, w.child.id, { userId: w.worker.id, role: 'lead_professional' });
    expect(noNote.statusCode).toBe(400);
    expect(noNote.body).toContain('naming a new lead professional ends the current lead');
    const since = await lastAuditId(t.db);
    const named = await allocateForm(manager, w.child.id, { userId: w.worker.id, role: 'lead_professional', note: NOTE });
    expect(named.statusCode, named.body.slice(0, 300)).toBe(303);

    const active = await t.db.selectFrom('involvement').selectAll().where('person_id', '=', w.child.id)
      .where((eb) => eb.or([eb('ended_on', 'is', null), eb('ended_on', '>=', today())])).execute();
    expect(active.filter((i) => i.role === 'lead_professional').map((i) => i.user_id)).toEqual([w.worker.id]);
    expect(active.find((i) => i.user_id === w.teacher.id)).toMatchObject({ role: 'allocated_worker', organisation_id: w.school.id, started_on: today() });
    expect((await t.db.selectFrom('involvement').select('ended_on').where('id', '=', schoolLead.id).executeTakeFirstOrThrow()).ended_on).toBe(isoDaysAgo(1));
    // The teacher keeps seeing the child.
    expect((await get(await signIn(t.app, w.teacher.email), `/people/${w.child.id}`)).statusCode).toBe(200);
    const audit = (await auditRowsFor(t.db, { since, personId: w.child.id })).map((r) => r.action);
    expect(audit).toEqual(expect.arrayContaining(['involvement.lead', 'involvement.end']));

    // Naming the same lead again is refused; the next consideration goes to the new lead.
    expect((await allocateForm(manager, w.child.id, { userId: w.worker.id, role: 'lead_professional', note: NOTE })).body).toContain('This worker is already the lead professional');
    expect((await recipientsFor(t.db, [w.child.id])).get(w.child.id)).toMatchObject({ kind: 'lead_professional', userId: w.worker.id, organisationId: w.care.id });

    // The person page names the lead at the top, for everyone who sees the child.
    const person = await get(await signIn(t.app, w.worker.email), `/people/${w.child.id}`);
    const top = person.body.slice(person.body.indexOf('Working with this child'), person.body.indexOf('Working with this child') + 2500);
    expect(top).toContain(`${w.worker.name}, ${w.care.name}`);
  });

  it('two managers naming different leads at the same moment leave exactly one lead in force', async () => {
    const w = await world();
    const dsl = await makeUser(t.db, { organisationId: w.care.id, roles: ['designated_safeguarding_lead'] });
    const [a, b] = [await signIn(t.app, w.manager.email), await signIn(t.app, dsl.email)];
    const [ra, rb] = await Promise.all([
      allocateForm(a, w.child.id, { userId: w.worker.id, role: 'lead_professional', note: NOTE }),
      allocateForm(b, w.child.id, { userId: w.worker2.id, role: 'lead_professional', note: NOTE }),
    ]);
    expect([ra.statusCode, rb.statusCode].sort()).toEqual([303, 303]);
    const leads = await t.db.selectFrom('involvement').select(['user_id', 'ended_on']).where('person_id', '=', w.child.id).where('role', '=', 'lead_professional').execute();
    expect(leads).toHaveLength(2);
    expect(leads.filter((l) => l.ended_on === null)).toHaveLength(1);
    // The one named first continues as an allocated worker.
    const replaced = leads.find((l) => l.ended_on !== null)!;
    expect(await t.db.selectFrom('involvement').select('role').where('person_id', '=', w.child.id).where('user_id', '=', replaced.user_id).where('ended_on', 'is', null).execute())
      .toEqual([{ role: 'allocated_worker' }]);
  });

  it('a manager of the front door of the child\'s partnership may allocate without records; of another team at that door, not', async () => {
    const b = borough();
    const door = await makeOrg(t.db, 'early_help', b);
    const doorTeam = await makeTeam(t.db, door.id);
    const otherTeam = await makeTeam(t.db, door.id);
    const doorManager = await makeUser(t.db, { organisationId: door.id, teamId: doorTeam.id, roles: ['team_manager'] });
    const otherManager = await makeUser(t.db, { organisationId: door.id, teamId: otherTeam.id, roles: ['team_manager'] });
    const doorWorker = await makeUser(t.db, { organisationId: door.id, teamId: doorTeam.id });
    const child = await makePerson(t.db);
    await t.db.insertInto('person_address').values({ person_id: child.id, line1: '1 Synthetic Row', borough: b, valid_from: '2020-01-01' }).execute();
    const partnership = await t.db.selectFrom('partnership_area').select('partnership_id').where('borough', '=', b).executeTakeFirstOrThrow();
    await t.db.insertInto('partnership_front_door').values({ partnership_id: partnership.partnership_id, organisation_id: door.id, team_id: doorTeam.id })
      .onConflict((oc) => oc.column('partnership_id').doUpdateSet({ organisation_id: door.id, team_id: doorTeam.id })).execute();
    // Merged records are one child: allocating on the record the address is not on works too.
    const duplicate = await makePerson(t.db);
    await t.db.insertInto('person_merge').values({ survivor_person_id: child.id, merged_person_id: duplicate.id, reason: 'Synthetic duplicate' }).execute();

    const other = await signIn(t.app, otherManager.email);
    expect((await get(other, `/people/${duplicate.id}/involvements/new`)).statusCode).toBe(404);
    const manager = await signIn(t.app, doorManager.email);
    expect((await get(manager, `/people/${duplicate.id}/involvements/new`)).statusCode).toBe(200);
    // A worker of another team: allocated, but the manager still does not see the child.
    const otherWorker = await makeUser(t.db, { organisationId: door.id, teamId: otherTeam.id });
    const elsewhere = await allocateForm(manager, duplicate.id, { userId: otherWorker.id, role: 'allocated_worker' });
    expect(elsewhere.statusCode).toBe(200);
    expect(elsewhere.body).toContain('Worker allocated');
    expect((await get(manager, `/people/${child.id}`)).statusCode).toBe(404);
    expect((await get(await signIn(t.app, otherWorker.email), `/people/${child.id}`)).statusCode).toBe(200);
    const res = await allocateForm(manager, duplicate.id, { userId: doorWorker.id, role: 'allocated_worker' });
    expect(res.statusCode).toBe(303);
    expect((await get(manager, `/people/${child.id}`)).statusCode).toBe(200);
    expect((await get(await signIn(t.app, doorWorker.email), `/people/${child.id}`)).statusCode).toBe(200);
  });

  it('counts distinct workers over six and twelve months from the involvement dates, and prompts a team manager at three in six months', async () => {
    const w = await world();
    const users = await Promise.all([0, 1, 2, 3, 4].map(() => makeUser(t.db, { organisationId: w.care.id, teamId: w.team.id })));
    const inv = (userId: string, started_on: string, ended_on: string | null, role = 'allocated_worker') =>
      ({ person_id: w.child.id, organisation_id: w.care.id, team_id: w.team.id, user_id: userId, role, started_on, ended_on });
    await t.db.insertInto('involvement').values([
      inv(users[0]!.id, isoDaysAgo(800), isoDaysAgo(400)), // ended over a year ago: not counted
      inv(users[1]!.id, isoDaysAgo(500), isoDaysAgo(250)), // ended eight months ago: twelve months only
      inv(users[2]!.id, isoDaysAgo(250), isoDaysAgo(60)), // ended two months ago: both
      inv(users[2]!.id, isoDaysAgo(59), isoDaysAgo(30), 'key_worker'), // the same worker again: counted once
      inv(users[3]!.id, isoDaysAgo(60), null), // current: both
      inv(users[4]!.id, isoDaysAgo(20), null, 'trusted_adult'), // a trusted adult is not a change of worker
    ]).execute();
    const actor = { kind: 'user' as const, userId: w.manager.id, name: '', email: '', organisationId: w.care.id, organisationName: '', teamId: w.team.id, roles: ['team_manager' as const] };
    const summary = await workingSummary(t.db, actor as never, w.child.id);
    expect(summary).toMatchObject({ workers6: 2, workers12: 3, mayAllocate: true });
    expect(summary.trustedAdult).toMatchObject({ name: users[4]!.name, since: isoDaysAgo(20) });

    const manager = await signIn(t.app, w.manager.email);
    let page = await get(manager, `/people/${w.child.id}`);
    expect(page.body).toContain('2 in the last 6 months, 3 in the last 12 months');
    expect(page.body).not.toContain('consider continuity');
    expect(page.body).toContain(`href="/people/${w.child.id}/involvements/new"`);
    // A third worker in six months: the team manager is prompted; a practitioner is not, and is offered no allocation links.
    expect((await allocateForm(manager, w.child.id, { userId: w.worker.id, role: 'key_worker' })).statusCode).toBe(303);
    page = await get(manager, `/people/${w.child.id}`);
    expect(page.body).toContain('This child has had 3 workers in six months: consider continuity.');
    const practitioner = await get(await signIn(t.app, w.worker.email), `/people/${w.child.id}`);
    expect(practitioner.body).toContain('3 in the last 6 months, 4 in the last 12 months');
    expect(practitioner.body).not.toContain('consider continuity');
    expect(practitioner.body).not.toContain(`/people/${w.child.id}/involvements/new`);
  });

  it('records a trusted adult the child names, shown at the top of the person page', async () => {
    const w = await world();
    const manager = await signIn(t.app, w.manager.email);
    expect((await allocateForm(manager, w.child.id, { userId: w.worker.id, role: 'key_worker' })).statusCode).toBe(303);
    const worker = await signIn(t.app, w.worker.email);
    const bad = await form(worker, `/people/${w.child.id}/trusted-adults`, { name: '', relationship: '', ...started(today()) });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Enter the trusted adult&#39;s name');
    const since = await lastAuditId(t.db);
    const ok = await form(worker, `/people/${w.child.id}/trusted-adults`, { name: 'Rowan Synthetica', relationship: 'youth worker at the Hub', ...started(isoDaysAgo(3)) });
    expect(ok.statusCode).toBe(303);
    const page = await get(worker, `/people/${w.child.id}`);
    const top = page.body.slice(page.body.indexOf('Working with this child'), page.body.indexOf('Working with this child') + 2500);
    expect(top).toContain('Rowan Synthetica (youth worker at the Hub)');
    expect((await auditRowsFor(t.db, { since, personId: w.child.id })).map((r) => r.action)).toContain('trusted_adult.record');
    // Someone with no relationship with the child cannot.
    const stranger = await signIn(t.app, w.teacher.email);
    expect((await form(stranger, `/people/${w.child.id}/trusted-adults`, { name: 'Someone Else', relationship: 'neighbour', ...started(today()) })).statusCode).toBe(404);

    // Erasing the child's record (retention deletes their involvements, then marks the record erased) takes the
    // trusted adults and the change history with it.
    await t.db.deleteFrom('involvement').where('person_id', '=', w.child.id).execute();
    await t.db.updateTable('person').set({ erased_at: new Date() }).where('id', '=', w.child.id).execute();
    expect(await t.db.selectFrom('trusted_adult').select('id').where('person_id', '=', w.child.id).execute()).toEqual([]);
    expect(await t.db.selectFrom('involvement_change').select('id').where('person_id', '=', w.child.id).execute()).toEqual([]);
  });
});
