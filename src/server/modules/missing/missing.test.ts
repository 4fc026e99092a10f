import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { auditRowsFor, involve, lastAuditId, makeOrg, makePerson, makeTeam, makeUser, signIn, useTestApp } from '../../../../test/helpers.js';
import { drainOutbox } from '../../../../test/drain-outbox.js';
import { importText, policeRecord, silentLog, syntheticPerson, toJsonl } from '../../../../test/intake-helpers.js';
import { formatDate } from '../../format.js';
import { importBatch } from '../intake/commands/import-batch.js';
import { episodesFromEntries, partnershipTimeliness } from './missing.queries.js';

const HOUR = 3_600_000;
const u = () => randomUUID().slice(0, 6);

/** Form fields for a moment (date input and time), as the page sends them. */
function moment(name: string, at: Date): Record<string, string> {
  return {
    [`${name}-day`]: String(at.getUTCDate()), [`${name}-month`]: String(at.getUTCMonth() + 1), [`${name}-year`]: String(at.getUTCFullYear()),
    [`${name}-time`]: `${String(at.getUTCHours()).padStart(2, '0')}:${String(at.getUTCMinutes()).padStart(2, '0')}`,
  };
}
/** A moment rounded down to the minute (forms take hours and minutes). */
const minute = (ms: number) => new Date(Math.floor(ms / 60_000) * 60_000);
const ukDate = (d: Date) => `${String(d.getUTCDate()).padStart(2, '0')}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${d.getUTCFullYear()}`;

/**
 * Missing episodes and return home interviews: recorded by hand or imported (SSDA903, police), each
 * return starting a 72-hour clock that shows on the home pages and counts in the partnership's
 * timeliness; the child's missing profile; refusals as not found with a denied row.
 */
describe('missing episodes and return home interviews', () => {
  const t = useTestApp();

  async function world() {
    const borough = `Missington ${u()}`;
    const csc = await makeOrg(t.db, 'childrens_social_care', borough);
    const team = await makeTeam(t.db, csc.id);
    const worker = await makeUser(t.db, { organisationId: csc.id, teamId: team.id });
    const manager = await makeUser(t.db, { organisationId: csc.id, teamId: team.id, roles: ['team_manager'] });
    const analyst = await makeUser(t.db, { organisationId: csc.id, roles: ['analyst'] });
    const other = await makeOrg(t.db, 'childrens_social_care', `Elsewhere ${u()}`);
    const outsider = await makeUser(t.db, { organisationId: other.id });
    const child = await makePerson(t.db, { given: 'Mira', family: `Syntheta${u()}` });
    await t.db.insertInto('person_address').values({ person_id: child.id, line1: '2 Synthetic Row', town: 'Testtown', postcode: 'ZZ1 1ZZ', borough, valid_from: '2020-01-01', recorded_by_organisation_id: csc.id }).execute();
    await involve(t.db, { personId: child.id, organisationId: csc.id, userId: worker.id, teamId: team.id });
    const partnership = await t.db.selectFrom('person_partnership').select('partnership_id').where('person_id', '=', child.id).executeTakeFirstOrThrow();
    return { borough, csc, team, worker, manager, analyst, other, outsider, child, partnershipId: partnership.partnership_id };
  }

  async function post(session: { cookie: string; csrf: string }, url: string, fields: Record<string, string | string[]>) {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...fields, _csrf: session.csrf })) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
    return t.app.inject({ method: 'POST', url, headers: { cookie: session.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: body.toString() });
  }

  async function recordEpisode(session: { cookie: string; csrf: string }, personId: string, reported: Date, returned: Date | null, extra: Record<string, string> = {}) {
    const res = await post(session, `/people/${personId}/missing-episodes`, { ...moment('reported', reported), ...(returned ? moment('returned', returned) : {}), ...extra });
    expect(res.statusCode, res.body.slice(0, 400)).toBe(303);
    return String(res.headers.location).split('/').pop()!;
  }

  it('records an episode by hand as a chronology entry with its structured record; the return starts the 72-hour clock shown on the worker\'s and manager\'s home pages', async () => {
    const w = await world();
    const s = await signIn(t.app, w.worker.email);
    const reported = minute(Date.now() - 30 * HOUR);
    const returned = minute(Date.now() - 6 * HOUR);

    const form = await t.app.inject({ method: 'GET', url: `/people/${w.child.id}/missing-episodes/new`, headers: { cookie: s.cookie } });
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('<label class="govuk-label" for="reported-time">');
    // Errors are field by field.
    const bad = await post(s, `/people/${w.child.id}/missing-episodes`, { ...moment('returned', returned), riskGrading: 'extreme' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Enter when the child was reported missing');
    expect(bad.body).toContain('href="#reported-day"');
    expect(bad.body).toContain('Choose the risk grading the police gave');

    const since = await lastAuditId(t.db);
    const episodeId = await recordEpisode(s, w.child.id, reported, returned, { whereFound: 'Synthetic Park', whoWith: 'Older male, Friend A', policeReference: 'MP/0001/26', riskGrading: 'medium' });
    const ep = await t.db.selectFrom('missing_episode').selectAll().where('id', '=', episodeId).executeTakeFirstOrThrow();
    expect(ep).toMatchObject({ person_id: w.child.id, source: 'form', risk_grading: 'medium', where_found: 'Synthetic Park', police_reference: 'MP/0001/26' });
    expect(ep.returned_at?.getTime()).toBe(returned.getTime());
    const entry = await t.db.selectFrom('event').select(['event_type_code', 'occurred_at', 'place']).where('id', '=', ep.event_id).executeTakeFirstOrThrow();
    expect(entry).toMatchObject({ event_type_code: 'missing_episode', place: 'Synthetic Park' });
    expect(entry.occurred_at.getTime()).toBe(reported.getTime());
    const rhi = await t.db.selectFrom('return_interview').selectAll().where('episode_id', '=', episodeId).executeTakeFirstOrThrow();
    expect(rhi.due_at.getTime()).toBe(returned.getTime() + 72 * HOUR);
    const written = await auditRowsFor(t.db, { personId: w.child.id, since });
    expect(written.map((r) => r.action)).toEqual(expect.arrayContaining(['event.record', 'missing.record']));

    // The announcement of the entry finds its episode already made: nothing more.
    await drainOutbox(t.db);
    expect(await t.db.selectFrom('missing_episode').select('id').where('person_id', '=', w.child.id).execute()).toHaveLength(1);

    for (const who of [w.worker, w.manager]) {
      const session = who === w.worker ? s : await signIn(t.app, who.email);
      const home = await t.app.inject({ method: 'GET', url: '/', headers: { cookie: session.cookie } });
      expect(home.body).toContain('Return home interviews due');
      expect(home.body).toContain(`/people/${w.child.id}/missing-episodes/${episodeId}`);
      expect(home.body).toMatch(/govuk-tag--yellow">Due/);
    }
    const homeRead = await t.db.selectFrom('access_log').select('detail').where('user_id', '=', w.manager.id).where('action', '=', 'missing.read').execute();
    expect(homeRead.some((r) => JSON.stringify(r.detail).includes(w.child.id))).toBe(true);

    const episodePage = await t.app.inject({ method: 'GET', url: `/people/${w.child.id}/missing-episodes/${episodeId}`, headers: { cookie: s.cookie } });
    expect(episodePage.statusCode).toBe(200);
    expect(episodePage.body).toContain('MP/0001/26');
    expect(episodePage.body).toMatch(/Due by/);
    const interviewForm = await t.app.inject({ method: 'GET', url: `/people/${w.child.id}/missing-episodes/${episodeId}/interview`, headers: { cookie: s.cookie } });
    expect(interviewForm.statusCode).toBe(200);
    expect(interviewForm.body).toContain('name="pullFactors" type="checkbox" value="older_associates"');
    // The interview: offered, accepted, completed by the allocated worker, with what it found.
    const offered = minute(returned.getTime() + 2 * HOUR);
    const completed = minute(returned.getTime() + 4 * HOUR);
    const declinedNoReason = await post(s, `/people/${w.child.id}/missing-episodes/${episodeId}/interview`, { ...moment('offered', offered), offeredBy: 'Test worker', outcome: 'declined' });
    expect(declinedNoReason.statusCode).toBe(400);
    expect(declinedNoReason.body).toContain('Enter why the child declined the interview');
    const saved = await post(s, `/people/${w.child.id}/missing-episodes/${episodeId}/interview`, {
      ...moment('offered', offered), offeredBy: 'Test worker', outcome: 'accepted', ...moment('completed', completed), completedByKind: 'allocated_worker',
      completedByName: 'Test worker', whereChildWas: 'Synthetic Park, Flat above the shop', whoWith: 'Older male', pushFactors: ['conflict_at_home'],
      pullFactors: ['older_associates', 'money_or_gifts'], findings: 'Synthetic findings of the interview.',
    });
    expect(saved.statusCode, saved.body.slice(0, 400)).toBe(303);
    const done = await t.db.selectFrom('return_interview').selectAll().where('episode_id', '=', episodeId).executeTakeFirstOrThrow();
    expect(done).toMatchObject({ outcome: 'accepted', completed_by_kind: 'allocated_worker', push_factors: ['conflict_at_home'], pull_factors: ['older_associates', 'money_or_gifts'] });
    expect((await auditRowsFor(t.db, { personId: w.child.id, since })).some((r) => r.action === 'missing.interview.record')).toBe(true);
    const after = await t.app.inject({ method: 'GET', url: '/', headers: { cookie: s.cookie } });
    expect(after.body).not.toContain(`/missing-episodes/${episodeId}`);

    // An episode recorded while the child is still missing: no clock until the return is recorded on the episode page.
    const open = await recordEpisode(s, w.child.id, minute(Date.now() - 3 * HOUR), null);
    expect(await t.db.selectFrom('return_interview').select('id').where('episode_id', '=', open).execute()).toHaveLength(0);
    const back = minute(Date.now() - HOUR);
    const completedEp = await post(s, `/people/${w.child.id}/missing-episodes/${open}`, { ...moment('reported', minute(Date.now() - 3 * HOUR)), ...moment('returned', back), whereFound: 'Synthetic Station' });
    expect(completedEp.statusCode).toBe(303);
    const clock = await t.db.selectFrom('return_interview').select('due_at').where('episode_id', '=', open).executeTakeFirstOrThrow();
    expect(clock.due_at.getTime()).toBe(back.getTime() + 72 * HOUR);

    // Another organisation's restricted missing entry with a return: its interview is not shown to the worker, who may not see the entry.
    const police = await makeOrg(t.db, 'police', w.borough);
    const { writeEntry } = await import('../../../../test/entries.js');
    const hidden = await writeEntry(t.db, {
      organisationId: police.id, personId: w.child.id, eventTypeCode: 'missing_episode', occurredAt: new Date(Date.now() - 10 * HOUR).toISOString(),
      narrative: `Returned: ${new Date().toISOString().slice(0, 10)}`, sensitivity: 'restricted', restriction: { contact: 'Police public protection desk', reason: null },
    });
    await drainOutbox(t.db);
    const hiddenEp = await t.db.selectFrom('missing_episode').select('id').where('event_id', '=', hidden.id).executeTakeFirstOrThrow();
    expect(await t.db.selectFrom('return_interview').select('id').where('episode_id', '=', hiddenEp.id).execute()).toHaveLength(1);
    const withHidden = await t.app.inject({ method: 'GET', url: '/', headers: { cookie: s.cookie } });
    expect(withHidden.body).not.toContain(hiddenEp.id);
    const refusedEp = await t.app.inject({ method: 'GET', url: `/people/${w.child.id}/missing-episodes/${hiddenEp.id}`, headers: { cookie: s.cookie } });
    expect(refusedEp.statusCode).toBe(404);
  });

  it('counts a partnership\'s return home interview timeliness as of a moment: offered, accepted, completed within 72 hours, declined, overdue', async () => {
    const w = await world();
    const s = await signIn(t.app, w.worker.email);
    const T = minute(Date.now() - 10 * 24 * HOUR);
    const reported = new Date(T.getTime() - 12 * HOUR);
    // A: offered after 10 hours, completed after 50: on time. B: offered after 80 hours, declined. C: nothing yet.
    const a = await recordEpisode(s, w.child.id, reported, T);
    const b = await recordEpisode(s, w.child.id, reported, T);
    await recordEpisode(s, w.child.id, reported, T);
    await recordEpisode(s, w.child.id, new Date(T.getTime() - 6 * HOUR), null); // still missing: no return, no clock
    expect((await post(s, `/people/${w.child.id}/missing-episodes/${a}/interview`, {
      ...moment('offered', new Date(T.getTime() + 10 * HOUR)), offeredBy: 'Test worker', outcome: 'accepted',
      ...moment('completed', new Date(T.getTime() + 50 * HOUR)), completedByKind: 'independent', completedByName: 'Independent interviewer',
    })).statusCode).toBe(303);
    expect((await post(s, `/people/${w.child.id}/missing-episodes/${b}/interview`, {
      ...moment('offered', new Date(T.getTime() + 80 * HOUR)), offeredBy: 'Test worker', outcome: 'declined', declinedReason: 'Did not want to talk to anyone',
    })).statusCode).toBe(303);

    const day = (d: Date) => d.toISOString().slice(0, 10);
    const period = [day(new Date(T.getTime() - 2 * 24 * HOUR)), day(new Date(T.getTime() + 2 * 24 * HOUR))] as const;
    // A day after the returns: A offered in time, nothing completed yet, all three still within their 72 hours (B's refusal came later).
    const early = await partnershipTimeliness(t.db, w.partnershipId, ...period, new Date(T.getTime() + 24 * HOUR));
    expect(early).toMatchObject({ episodes: 4, returns: 3, offeredWithin72h: 1, declined: 0, completedWithin72h: 0, overdue: 0, stillWithin72h: 3 });
    // Past 72 hours: A completed in time, B offered late and declined, C overdue.
    const late = await partnershipTimeliness(t.db, w.partnershipId, ...period, new Date(T.getTime() + 100 * HOUR));
    expect(late).toMatchObject({ episodes: 4, returns: 3, offeredWithin72h: 1, accepted: 1, declined: 1, completedWithin72h: 1, overdue: 1, stillWithin72h: 0 });
    // Another partnership counts none of them.
    const elsewhere = await t.db.selectFrom('app_user').select('partnership_id').where('id', '=', w.outsider.id).executeTakeFirstOrThrow();
    expect(await partnershipTimeliness(t.db, elsewhere.partnership_id, ...period, new Date())).toMatchObject({ episodes: 0, returns: 0 });

    // The page: the analyst of the partnership sees the counts and percentages; a practitioner is refused.
    const an = await signIn(t.app, w.analyst.email);
    const page = await t.app.inject({ method: 'GET', url: `/missing/timeliness?from=${period[0]}&to=${period[1]}`, headers: { cookie: an.cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/Interview completed within 72 hours of the return<\/th><td[^>]*>1<\/td><td[^>]*>33%/);
    expect(page.body).toMatch(/Open past 72 hours \(overdue\)<\/th><td[^>]*>1</);
    expect(page.body).not.toContain(w.child.id);
    const since = await lastAuditId(t.db);
    const refused = await t.app.inject({ method: 'GET', url: '/missing/timeliness', headers: { cookie: s.cookie } });
    expect(refused.statusCode).toBe(404);
    expect((await auditRowsFor(t.db, { userId: w.worker.id, since })).map((r) => [r.action, r.outcome])).toEqual([['missing.timeliness.read', 'denied']]);
  });

  it('counts accepted and declined as of a moment from the interview\'s answers: a later change of mind, acceptance or completion is not counted earlier', async () => {
    const w = await world();
    const s = await signIn(t.app, w.worker.email);
    const T = minute(Date.now() - 10 * 24 * HOUR);
    const reported = new Date(T.getTime() - 12 * HOUR);
    const a = await recordEpisode(s, w.child.id, reported, T);
    const b = await recordEpisode(s, w.child.id, reported, T);
    const at = (h: number) => new Date(T.getTime() + h * HOUR);
    const interview = (id: string, fields: Record<string, string>) => post(s, `/people/${w.child.id}/missing-episodes/${id}/interview`, fields);
    // A: offered at 10 hours, accepted at 30, completed at 50.
    expect((await interview(a, { ...moment('offered', at(10)), offeredBy: 'Test worker', outcome: 'accepted', ...moment('answered', at(30)), ...moment('completed', at(50)), completedByKind: 'independent', completedByName: 'Independent interviewer' })).statusCode).toBe(303);
    // B: offered at 80 hours and declined then (no answer time: the offer's); at 120 the child changed their mind, completed at 130.
    expect((await interview(b, { ...moment('offered', at(80)), offeredBy: 'Test worker', outcome: 'declined', declinedReason: 'Did not want to talk to anyone' })).statusCode).toBe(303);
    const answeredTooEarly = await interview(b, { ...moment('offered', at(80)), offeredBy: 'Test worker', outcome: 'accepted', ...moment('answered', at(70)) });
    expect(answeredTooEarly.statusCode).toBe(400);
    expect(answeredTooEarly.body).toContain('The child must answer after the interview was offered');
    expect((await interview(b, { ...moment('offered', at(80)), offeredBy: 'Test worker', outcome: 'accepted', ...moment('answered', at(120)), ...moment('completed', at(130)), completedByKind: 'allocated_worker', completedByName: 'Test worker' })).statusCode).toBe(303);
    const history = await t.db.selectFrom('return_interview_outcome as h').innerJoin('return_interview as r', 'r.id', 'h.interview_id')
      .select(['h.outcome', 'h.outcome_at']).where('r.episode_id', '=', b).orderBy('h.id').execute();
    expect(history.map((h) => [h.outcome, h.outcome_at.getTime()])).toEqual([['declined', at(80).getTime()], ['accepted', at(120).getTime()]]);

    const day = (d: Date) => d.toISOString().slice(0, 10);
    const period = [day(new Date(T.getTime() - 2 * 24 * HOUR)), day(new Date(T.getTime() + 2 * 24 * HOUR))] as const;
    const asOf = (h: number) => partnershipTimeliness(t.db, w.partnershipId, ...period, at(h));
    expect(await asOf(20)).toMatchObject({ returns: 2, offered: 1, accepted: 0, declined: 0, completed: 0, overdue: 0, stillWithin72h: 2 });
    expect(await asOf(40)).toMatchObject({ offered: 1, accepted: 1, declined: 0, completed: 0 });
    expect(await asOf(100)).toMatchObject({ offered: 2, offeredWithin72h: 1, accepted: 1, declined: 1, completed: 1, completedWithin72h: 1, overdue: 0 });
    expect(await asOf(125)).toMatchObject({ accepted: 2, declined: 0, completed: 1, overdue: 1 });
    expect(await asOf(140)).toMatchObject({ accepted: 2, declined: 0, completed: 2, completedWithin72h: 1, overdue: 0 });
    // Before anyone went missing: nothing.
    expect(await asOf(-20)).toMatchObject({ episodes: 0, returns: 0, offered: 0 });

    // The page takes the moment; a malformed one is named.
    const an = await signIn(t.app, w.analyst.email);
    const asOfParam = at(100).toISOString().slice(0, 16);
    const page = await t.app.inject({ method: 'GET', url: `/missing/timeliness?from=${period[0]}&to=${period[1]}&asOf=${asOfParam}`, headers: { cookie: an.cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/Interview declined<\/th><td[^>]*>1<\/td>/);
    expect(page.body).toMatch(/Interview completed<\/th><td[^>]*>1<\/td>/);
    const bad = await t.app.inject({ method: 'GET', url: `/missing/timeliness?asOf=last-month`, headers: { cookie: an.cookie } });
    expect(bad.body).toContain('Enter the moment as a date');
    const read = await t.db.selectFrom('access_log').select('detail').where('user_id', '=', w.analyst.id).where('action', '=', 'missing.timeliness.read').orderBy('seq').execute();
    expect(read.some((r) => (r.detail as { asOf?: string }).asOf === at(100).toISOString())).toBe(true);
  });

  it('gives a missing episode imported from SSDA903 its structured record and the same 72-hour clock, shown as due; a police record gives an episode to complete', async () => {
    const w = await world();
    const childId = `MSS${u()}`;
    const missingFrom = new Date(Date.now() - 24 * HOUR);
    const back = new Date();
    const header = `CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n${childId},1,04/05/2011,WBRI,,,\n`;
    const missing = `CHILD,DOB,MISSING,MIS_START,MIS_END\n${childId},04/05/2011,M,${ukDate(missingFrom)},${ukDate(back)}\n`;
    const report = await importBatch(t.db, {
      organisationId: w.csc.id, format: 'ssda903', via: 'cli', actor: null, route: 'CLI import', maxBytes: 1024 * 1024, log: silentLog,
      sources: [{ name: 'header.csv', bytes: Readable.from([Buffer.from(header)]) }, { name: 'missing.csv', bytes: Readable.from([Buffer.from(missing)]) }],
    });
    expect(report.status, JSON.stringify(report.fileErrors)).not.toBe('failed');
    await drainOutbox(t.db);
    const entry = await t.db.selectFrom('event').select(['id']).where('source_record_id', '=', `${childId}/missing/${ukDate(missingFrom)}`).where('organisation_id', '=', w.csc.id).executeTakeFirstOrThrow();
    const ep = await t.db.selectFrom('missing_episode').selectAll().where('event_id', '=', entry.id).executeTakeFirstOrThrow();
    const returnDay = new Date(`${back.toISOString().slice(0, 10)}T00:00:00Z`);
    expect(ep).toMatchObject({ source: 'import', returned_precision: 'date', where_found: null, risk_grading: null });
    expect(ep.returned_at?.getTime()).toBe(returnDay.getTime());
    const rhi = await t.db.selectFrom('return_interview').selectAll().where('episode_id', '=', ep.id).executeTakeFirstOrThrow();
    expect(rhi.due_at.getTime()).toBe(returnDay.getTime() + 72 * HOUR);
    // A repeated delivery adds nothing.
    expect(await episodesFromEntries(t.db, [entry.id], [ep.person_id])).toBe(0);
    expect(await t.db.selectFrom('missing_episode').select('id').where('event_id', '=', entry.id).execute()).toHaveLength(1);

    // The return corrected in the next return: the same episode follows the correction, its clock moved.
    const corrected = `CHILD,DOB,MISSING,MIS_START,MIS_END\n${childId},04/05/2011,M,${ukDate(missingFrom)},${ukDate(missingFrom)}\n`;
    const again = await importBatch(t.db, {
      organisationId: w.csc.id, format: 'ssda903', via: 'cli', actor: null, route: 'CLI import', maxBytes: 1024 * 1024, log: silentLog,
      sources: [{ name: 'header.csv', bytes: Readable.from([Buffer.from(header)]) }, { name: 'missing.csv', bytes: Readable.from([Buffer.from(corrected)]) }],
    });
    expect(again.status).not.toBe('failed');
    await drainOutbox(t.db);
    const correction = await t.db.selectFrom('event').select('id').where('supersedes', '=', entry.id).executeTakeFirstOrThrow();
    const episodes = await t.db.selectFrom('missing_episode').selectAll().where('person_id', '=', ep.person_id).execute();
    expect(episodes).toHaveLength(1);
    expect(episodes[0]).toMatchObject({ id: ep.id, event_id: correction.id });
    const firstDay = new Date(`${missingFrom.toISOString().slice(0, 10)}T00:00:00Z`);
    expect(episodes[0]!.returned_at?.getTime()).toBe(firstDay.getTime());
    const moved = await t.db.selectFrom('return_interview').select('due_at').where('episode_id', '=', ep.id).executeTakeFirstOrThrow();
    expect(moved.due_at.getTime()).toBe(firstDay.getTime() + 72 * HOUR);

    // The worker who works with the imported child sees the interview due on their home page.
    await involve(t.db, { personId: ep.person_id, organisationId: w.csc.id, userId: w.worker.id });
    const s = await signIn(t.app, w.worker.email);
    const home = await t.app.inject({ method: 'GET', url: '/', headers: { cookie: s.cookie } });
    expect(home.body).toContain(`/people/${ep.person_id}/missing-episodes/${ep.id}`);
    expect(home.body).toMatch(/govuk-tag--yellow">Due/);
    const page = await t.app.inject({ method: 'GET', url: `/people/${ep.person_id}/missing-episodes/${ep.id}`, headers: { cookie: s.cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('(imported)');

    // A police interchange record of a missing episode: where found from its place, the return left to complete.
    const police = await makeOrg(t.db, 'police', w.borough);
    const rec = policeRecord(police.id, `MIS-${u()}`, { event: { code: 'missing_episode', occurredAt: new Date(Date.now() - 5 * HOUR).toISOString(), summary: 'Reported missing by carer', place: 'Synthetic Bus Station' } });
    const pr = await importText(t.db, police.id, 'jsonl', 'police.jsonl', toJsonl([rec]));
    expect(pr.status).not.toBe('failed');
    await drainOutbox(t.db);
    const policeEp = await t.db.selectFrom('missing_episode as m').innerJoin('event as e', 'e.id', 'm.event_id').select(['m.id', 'm.source', 'm.where_found', 'm.returned_at'])
      .where('e.organisation_id', '=', police.id).executeTakeFirstOrThrow();
    expect(policeEp).toMatchObject({ source: 'import', where_found: 'Synthetic Bus Station', returned_at: null });
    expect(await t.db.selectFrom('return_interview').select('id').where('episode_id', '=', policeEp.id).execute()).toHaveLength(0);
  });

  it('completes an imported police missing report from the police found report: one episode with its reported and found times, the clock from the found time', async () => {
    const w = await world();
    const police = await makeOrg(t.db, 'police', w.borough);
    const person = syntheticPerson(`NOM-${u()}`);
    const ref = `MP/${u()}/26`;
    const reported = new Date(minute(Date.now() - 30 * HOUR));
    const found = new Date(minute(Date.now() - 6 * HOUR));
    const missingReport = policeRecord(police.id, `MIS-${u()}`, { person, event: { code: 'missing_episode', occurredAt: reported.toISOString(), summary: 'Reported missing by carer', place: 'Synthetic High Street', missing: { policeReference: ref, riskGrading: 'medium' } } });
    expect((await importText(t.db, police.id, 'jsonl', 'missing.jsonl', toJsonl([missingReport]))).status).not.toBe('failed');
    await drainOutbox(t.db);
    const open = await t.db.selectFrom('missing_episode').selectAll().where('organisation_id', '=', police.id).executeTakeFirstOrThrow();
    expect(open).toMatchObject({ police_reference: ref, risk_grading: 'medium', returned_at: null });
    expect(await t.db.selectFrom('return_interview').select('id').where('episode_id', '=', open.id).execute()).toHaveLength(0);

    const foundReport = policeRecord(police.id, `FND-${u()}`, { person, event: {
      code: 'missing_episode', occurredAt: found.toISOString(), summary: 'Found by officers',
      missing: { foundAt: found.toISOString(), whereFound: 'Synthetic Park', whoWith: 'Friend A', policeReference: ref },
    } });
    expect((await importText(t.db, police.id, 'jsonl', 'found.jsonl', toJsonl([foundReport]))).status).not.toBe('failed');
    await drainOutbox(t.db);
    const episodes = await t.db.selectFrom('missing_episode').selectAll().where('person_id', '=', open.person_id).execute();
    expect(episodes).toHaveLength(1);
    expect(episodes[0]).toMatchObject({ id: open.id, where_found: 'Synthetic Park', who_with: 'Friend A', returned_precision: 'time', police_reference: ref });
    expect(episodes[0]!.reported_missing_at.getTime()).toBe(reported.getTime());
    expect(episodes[0]!.returned_at?.getTime()).toBe(found.getTime());
    const clock = await t.db.selectFrom('return_interview').select('due_at').where('episode_id', '=', open.id).executeTakeFirstOrThrow();
    expect(clock.due_at.getTime()).toBe(found.getTime() + 72 * HOUR);
    const link = await t.db.selectFrom('missing_episode_report as r').innerJoin('event as e', 'e.id', 'r.event_id').select(['r.episode_id', 'e.summary']).executeTakeFirstOrThrow();
    expect(link).toEqual({ episode_id: open.id, summary: 'Found by officers' });
    // A repeated delivery adds nothing.
    await drainOutbox(t.db);
    expect(await t.db.selectFrom('missing_episode').select('id').where('person_id', '=', open.person_id).execute()).toHaveLength(1);

    // The worker of the child sees one episode on the profile, returned; someone who cannot see the child is refused.
    await involve(t.db, { personId: open.person_id, organisationId: w.csc.id, userId: w.worker.id, teamId: w.team.id });
    const s = await signIn(t.app, w.worker.email);
    const profile = await t.app.inject({ method: 'GET', url: `/people/${open.person_id}/missing-profile`, headers: { cookie: s.cookie } });
    expect(profile.statusCode).toBe(200);
    expect(profile.body).toContain('1 episode, newest first');
    expect(profile.body).toMatch(/Synthetic Park<\/td><td[^>]*>1<\/td>/);
    const outsider = await signIn(t.app, w.outsider.email);
    const since = await lastAuditId(t.db);
    expect((await t.app.inject({ method: 'GET', url: `/people/${open.person_id}/missing-episodes/${open.id}`, headers: { cookie: outsider.cookie } })).statusCode).toBe(404);
    expect((await auditRowsFor(t.db, { userId: w.outsider.id, since })).map((r) => [r.action, r.outcome])).toEqual([['missing.read', 'denied']]);

    // A found report with another reference completes nothing: it is an episode of its own.
    const other = policeRecord(police.id, `FND-${u()}`, { person, event: { code: 'missing_episode', occurredAt: found.toISOString(), summary: 'Found', missing: { foundAt: found.toISOString(), policeReference: 'MP/OTHER/26' } } });
    expect((await importText(t.db, police.id, 'jsonl', 'other.jsonl', toJsonl([other]))).status).not.toBe('failed');
    await drainOutbox(t.db);
    expect(await t.db.selectFrom('missing_episode').select('id').where('person_id', '=', open.person_id).execute()).toHaveLength(2);
    // A restricted found report does not complete an episode others may read: it stays an episode of its own.
    const later = new Date(minute(Date.now() - 3 * HOUR));
    const again = policeRecord(police.id, `MIS-${u()}`, { person, event: { code: 'missing_episode', occurredAt: later.toISOString(), summary: 'Reported missing again' } });
    const restrictedFound = policeRecord(police.id, `FND-${u()}`, { person, event: { code: 'missing_episode', occurredAt: new Date(later.getTime() + HOUR).toISOString(), summary: 'Found', sensitivity: 'restricted', missing: { foundAt: new Date(later.getTime() + HOUR).toISOString(), whereFound: 'Withheld Synthetic Address' } } });
    expect((await importText(t.db, police.id, 'jsonl', 'again.jsonl', toJsonl([again, restrictedFound]))).status).not.toBe('failed');
    await drainOutbox(t.db);
    const reopened = await t.db.selectFrom('missing_episode as m').innerJoin('event as e', 'e.id', 'm.event_id').select(['m.returned_at', 'm.where_found']).where('e.summary', '=', 'Reported missing again').executeTakeFirstOrThrow();
    expect(reopened).toEqual({ returned_at: null, where_found: null });
    // A record of a whole episode (dated when the child went missing, found later, no reference) is an episode of its own.
    const whole = policeRecord(police.id, `WHL-${u()}`, { person, event: { code: 'missing_episode', occurredAt: new Date(later.getTime() + 30 * 60_000).toISOString(), summary: 'Missing and found', missing: { foundAt: new Date(later.getTime() + 2 * HOUR).toISOString() } } });
    expect((await importText(t.db, police.id, 'jsonl', 'whole.jsonl', toJsonl([whole]))).status).not.toBe('failed');
    await drainOutbox(t.db);
    const wholeEp = await t.db.selectFrom('missing_episode as m').innerJoin('event as e', 'e.id', 'm.event_id').select(['m.returned_at']).where('e.summary', '=', 'Missing and found').executeTakeFirstOrThrow();
    expect(wholeEp.returned_at?.getTime()).toBe(later.getTime() + 2 * HOUR);
    expect((await t.db.selectFrom('missing_episode as m').innerJoin('event as e', 'e.id', 'm.event_id').select('m.returned_at').where('e.summary', '=', 'Reported missing again').executeTakeFirstOrThrow()).returned_at).toBeNull();
  });

  it('completes an episode from its found report in the same file, among other children\'s missing reports written together, each once', async () => {
    const w = await world();
    const police = await makeOrg(t.db, 'police', w.borough);
    const reported = new Date(minute(Date.now() - 20 * HOUR));
    const found = new Date(minute(Date.now() - 4 * HOUR));
    const ref = `MP/${u()}/26`;
    const child = syntheticPerson(`NOM-${u()}`);
    // Other children's reports before and after the child's (each opens an episode and reads nothing), then the found report.
    const others = (n: number, at: Date) => Array.from({ length: n }, (_, i) => policeRecord(police.id, `MIS-${u()}`, {
      person: syntheticPerson(`NOM-${u()}`), event: { code: 'missing_episode', occurredAt: new Date(at.getTime() + i * 60_000).toISOString(), summary: 'Reported missing', missing: { policeReference: `MP/${u()}/26` } },
    }));
    const file = [
      ...others(30, new Date(reported.getTime() - 2 * HOUR)),
      policeRecord(police.id, `MIS-${u()}`, { person: child, event: { code: 'missing_episode', occurredAt: reported.toISOString(), summary: 'Child reported missing', missing: { policeReference: ref } } }),
      ...others(30, new Date(reported.getTime() + HOUR)),
      policeRecord(police.id, `FND-${u()}`, { person: child, event: { code: 'missing_episode', occurredAt: found.toISOString(), summary: 'Child found', missing: { foundAt: found.toISOString(), whereFound: 'Synthetic Library', policeReference: ref } } }),
    ];
    expect((await importText(t.db, police.id, 'jsonl', 'night.jsonl', toJsonl(file))).status).toBe('completed');
    // The file's entries given their episodes together (as one delivery of the processor gathers them), then the outbox's deliveries.
    const events = await t.db.selectFrom('event').select(['id']).where('organisation_id', '=', police.id).execute();
    const people = [...new Set((await t.db.selectFrom('event_person').select('person_id').where('event_id', 'in', events.map((e) => e.id)).execute()).map((p) => p.person_id))];
    // 61 episodes opened and one completed.
    expect(await episodesFromEntries(t.db, events.map((e) => e.id), people)).toBe(62);
    await drainOutbox(t.db);
    const episodes = await t.db.selectFrom('missing_episode').select(['event_id', 'returned_at', 'where_found', 'police_reference']).where('organisation_id', '=', police.id).execute();
    // 60 other children's episodes and the child's, completed by the found report (which makes none of its own).
    expect(episodes).toHaveLength(61);
    expect(new Set(episodes.map((e) => e.event_id)).size).toBe(61);
    const childs = episodes.filter((e) => e.police_reference === ref);
    expect(childs).toHaveLength(1);
    expect(childs[0]!.returned_at?.getTime()).toBe(found.getTime());
    expect(childs[0]!.where_found).toBe('Synthetic Library');
    expect(episodes.filter((e) => e.returned_at !== null)).toHaveLength(1);
    // Asked again for the same entries (a repeated delivery), nothing more is made.
    expect(await episodesFromEntries(t.db, events.map((e) => e.id), people)).toBe(0);
    expect(await t.db.selectFrom('missing_episode').select('id').where('organisation_id', '=', police.id).execute()).toHaveLength(61);
  });

  it('keeps a printable missing profile from the chronology as the viewer may see it, with places and associates counted across episodes', async () => {
    const w = await world();
    const s = await signIn(t.app, w.worker.email);
    const base = Date.now() - 20 * 24 * HOUR;
    await recordEpisode(s, w.child.id, minute(base), minute(base + 20 * HOUR), { whereFound: 'Synthetic Park', whoWith: 'Friend A, Older male' });
    await recordEpisode(s, w.child.id, minute(base + 5 * 24 * HOUR), minute(base + 5 * 24 * HOUR + 8 * HOUR), { whereFound: 'synthetic park', whoWith: 'Friend A' });
    await t.db.insertInto('person_name').values({ person_id: w.child.id, kind: 'online_handle', given_names: 'synthetic_handle_1', family_name: null }).execute();
    // Another organisation's restricted missing entry: its existence is counted, its place is not shown.
    const police = await makeOrg(t.db, 'police', w.borough);
    const { writeEntry } = await import('../../../../test/entries.js');
    await writeEntry(t.db, { organisationId: police.id, personId: w.child.id, eventTypeCode: 'missing_episode', place: 'Withheld Synthetic Place', sensitivity: 'restricted', restriction: { contact: 'Police public protection desk', reason: null } });
    expect((await post(s, `/people/${w.child.id}/missing-profile/description`, { height: '160 cm', build: 'Slim', distinguishingFeatures: 'Scar on left hand', phones: '07700 900000' })).statusCode).toBe(303);

    const personPage = await t.app.inject({ method: 'GET', url: `/people/${w.child.id}`, headers: { cookie: s.cookie } });
    expect(personPage.body).toContain(`href="/people/${w.child.id}/missing-profile"`);
    const since = await lastAuditId(t.db);
    const page = await t.app.inject({ method: 'GET', url: `/people/${w.child.id}/missing-profile`, headers: { cookie: s.cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('160 cm');
    expect(page.body).toContain('Scar on left hand');
    expect(page.body).toContain('synthetic_handle_1');
    expect(page.body).toMatch(/Synthetic Park<\/td><td[^>]*>2<\/td>/i);
    expect(page.body).toMatch(/Friend A<\/td><td[^>]*>2<\/td>/);
    expect(page.body).toMatch(/Older male<\/td><td[^>]*>1<\/td>/);
    // Patterns: each place and associate with its episodes and the first and last of them.
    const [first, last] = [formatDate(minute(base)), formatDate(minute(base + 5 * 24 * HOUR))];
    expect(page.body).toMatch(new RegExp(`Friend A</td><td[^>]*>2</td><td[^>]*>${first}</td><td[^>]*>${last}</td>`));
    expect(page.body).toMatch(new RegExp(`Older male</td><td[^>]*>1</td><td[^>]*>${first}</td><td[^>]*>${first}</td>`));
    expect(page.body).not.toContain('Withheld Synthetic Place');
    expect(page.body).toContain('withheld from you');
    const read = await auditRowsFor(t.db, { personId: w.child.id, since });
    expect(read.map((r) => [r.action, r.outcome])).toEqual([['missing.profile.read', 'allowed']]);
  });

  it('refuses someone who cannot see the child on the episode, interview and profile pages, as not found with a denied row', async () => {
    const w = await world();
    const s = await signIn(t.app, w.worker.email);
    const episodeId = await recordEpisode(s, w.child.id, minute(Date.now() - 10 * HOUR), minute(Date.now() - 2 * HOUR));
    const otherChild = await makePerson(t.db);
    await involve(t.db, { personId: otherChild.id, organisationId: w.csc.id, userId: w.worker.id });
    const outsider = await signIn(t.app, w.outsider.email);
    const analyst = await signIn(t.app, w.analyst.email);
    const cases: [typeof s, string, string, string][] = [
      [outsider, w.outsider.id, `/people/${w.child.id}/missing-episodes/${episodeId}`, 'missing.read'],
      [outsider, w.outsider.id, `/people/${w.child.id}/missing-episodes/${episodeId}/interview`, 'missing.interview.record'],
      [outsider, w.outsider.id, `/people/${w.child.id}/missing-profile`, 'missing.profile.read'],
      [analyst, w.analyst.id, `/people/${w.child.id}/missing-profile`, 'missing.profile.read'],
      // The worker's other child: the episode is not theirs (refused as a record).
      [s, w.worker.id, `/people/${otherChild.id}/missing-episodes/${episodeId}`, 'missing.read'],
    ];
    for (const [session, userId, url, action] of cases) {
      const since = await lastAuditId(t.db);
      const res = await t.app.inject({ method: 'GET', url, headers: { cookie: session.cookie } });
      expect(res.statusCode, url).toBe(404);
      expect(res.body).not.toContain(w.child.id);
      const rows = await auditRowsFor(t.db, { userId, since });
      expect(rows.map((r) => [r.action, r.outcome]), url).toEqual([[action, 'denied']]);
    }
    // Writes too: the outsider cannot record an episode or an interview.
    for (const url of [`/people/${w.child.id}/missing-episodes`, `/people/${w.child.id}/missing-episodes/${episodeId}/interview`]) {
      const res = await post(outsider, url, { ...moment('reported', minute(Date.now() - HOUR)) });
      expect(res.statusCode).toBe(404);
    }
    expect(await t.db.selectFrom('missing_episode').select('id').where('person_id', '=', w.child.id).execute()).toHaveLength(1);
  });
  it('erases a child\'s episodes, interviews and description with their record', async () => {
    const w = await world();
    const s = await signIn(t.app, w.worker.email);
    await recordEpisode(s, w.child.id, minute(Date.now() - 10 * HOUR), minute(Date.now() - 2 * HOUR));
    expect((await post(s, `/people/${w.child.id}/missing-profile/description`, { height: '150 cm' })).statusCode).toBe(303);
    await t.db.updateTable('person').set({ erased_at: new Date() }).where('id', '=', w.child.id).execute();
    expect(await t.db.selectFrom('missing_episode').select('id').where('person_id', '=', w.child.id).execute()).toEqual([]);
    expect(await t.db.selectFrom('return_interview').select('id').where('person_id', '=', w.child.id).execute()).toEqual([]);
    expect(await t.db.selectFrom('missing_description').select('person_id').where('person_id', '=', w.child.id).execute()).toEqual([]);
  });
});
