/**
 * Missing episodes and return home interviews: recording an episode (a chronology entry and its
 * structured record, in one transaction), completing it, the return home interview, the child's
 * missing profile (Philomena protocol) and the partnership's timeliness page.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Role } from '../../actor.js';
import { refuseRecord } from '../../access.js';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { parseDateParts } from '../../forms.js';
import { isUuid, routeOf, userOf } from '../../request.js';
import { appendEntry } from '../chronology/commands/append-entry.js';
import { displayNames } from '../people/people.queries.js';
import {
  interviewState, missingProfile, partnershipTimeliness, PULL_FACTORS, PUSH_FACTORS, recordInterviewOutcome, RISK_GRADINGS, startInterviewClock, visibleEpisode,
  type RiskGrading, type VisibleEpisode,
} from './missing.queries.js';

/** Who records episodes, interviews and the description: those who work with children and can see the child. */
export const MISSING_RECORDERS: readonly Role[] = ['practitioner', 'designated_safeguarding_lead', 'team_manager'];
/** Who reads a partnership's timeliness. */
export const TIMELINESS_ROLES: readonly Role[] = ['analyst', 'team_manager'];

type FormError = { href: string; text: string; field: string };
const text = (max: number) => z.string().max(max).default('');
const dateTimeFields = (name: string) => ({
  [`${name}-day`]: text(10), [`${name}-month`]: text(10), [`${name}-year`]: text(10), [`${name}-time`]: text(10),
});

/** A GOV.UK date input and a time (HH:MM, 24-hour) read as one moment (UTC, as times are stored and shown). Empty: null. */
function readMoment(v: Record<string, string | string[] | undefined>, name: string, label: string, errors: FormError[], opts: { required?: boolean; now: Date }): Date | null {
  const s = (k: string) => String(v[`${name}-${k}`] ?? '').trim();
  if (!s('day') && !s('month') && !s('year') && !s('time')) {
    if (opts.required) errors.push({ field: name, href: `#${name}-day`, text: `Enter ${label}` });
    return null;
  }
  const d = parseDateParts(s('day'), s('month'), s('year'), { requireDay: true });
  if (!d.ok) {
    errors.push({ field: name, href: `#${name}-${d.field}`, text: `${label[0]!.toUpperCase()}${label.slice(1)} ${d.error}` });
    return null;
  }
  const t = s('time') || '00:00';
  const m = /^(\d{1,2})[:.](\d{2})$/.exec(t);
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) {
    errors.push({ field: name, href: `#${name}-time`, text: `Enter the time of ${label} as hours and minutes, like 14:30` });
    return null;
  }
  const at = new Date(`${d.date}T${m[1]!.padStart(2, '0')}:${m[2]}:00.000Z`);
  if (at.getTime() > opts.now.getTime() + 60_000) {
    errors.push({ field: name, href: `#${name}-day`, text: `${label[0]!.toUpperCase()}${label.slice(1)} must be now or in the past` });
    return null;
  }
  return at;
}

/** The date and time fields of a moment, to fill a form. */
function momentValues(name: string, at: Date | null): Record<string, string> {
  if (!at) return {};
  return {
    [`${name}-day`]: String(at.getUTCDate()), [`${name}-month`]: String(at.getUTCMonth() + 1), [`${name}-year`]: String(at.getUTCFullYear()),
    [`${name}-time`]: `${String(at.getUTCHours()).padStart(2, '0')}:${String(at.getUTCMinutes()).padStart(2, '0')}`,
  };
}

const listOf = (v: string | string[] | undefined) => (Array.isArray(v) ? v : v ? [v] : []);
const orNull = (s: string) => (s.trim() ? s.trim() : null);
const params = z.object({ personId: z.string().max(64) });
const episodeParams = z.object({ personId: z.string().max(64), episodeId: z.string().max(64) });

const episodeBody = z.object({
  _csrf: z.string().optional(),
  ...dateTimeFields('reported'), ...dateTimeFields('returned'),
  whereFound: text(300), whoWith: text(300), policeReference: text(60), riskGrading: text(40),
});
type EpisodeValues = Record<string, string>;

const interviewBody = z.object({
  _csrf: z.string().optional(),
  ...dateTimeFields('offered'), offeredBy: text(200), outcome: text(20), ...dateTimeFields('answered'), declinedReason: text(2000),
  ...dateTimeFields('completed'), completedByKind: text(40), completedByName: text(200),
  whereChildWas: text(300), whoWith: text(300),
  pushFactors: z.union([z.string().max(60), z.array(z.string().max(60)).max(20)]).optional(),
  pullFactors: z.union([z.string().max(60), z.array(z.string().max(60)).max(20)]).optional(),
  findings: text(8000),
});

const descriptionBody = z.object({ _csrf: z.string().optional(), height: text(60), build: text(100), distinguishingFeatures: text(2000), phones: text(500) });

/** Checks an episode's fields; returns the values to store, or errors. */
function readEpisode(v: EpisodeValues, errors: FormError[], now: Date) {
  const reported = readMoment(v, 'reported', 'when the child was reported missing', errors, { required: true, now });
  const returned = readMoment(v, 'returned', 'when the child was found or returned', errors, { now });
  if (reported && returned && returned.getTime() < reported.getTime()) {
    errors.push({ field: 'returned', href: '#returned-day', text: 'When the child was found or returned must be after they were reported missing' });
  }
  if (v.riskGrading && !(v.riskGrading in RISK_GRADINGS)) errors.push({ field: 'riskGrading', href: '#riskGrading', text: 'Choose the risk grading the police gave' });
  return {
    reported, returned, whereFound: orNull(v.whereFound ?? ''), whoWith: orNull(v.whoWith ?? ''), policeReference: orNull(v.policeReference ?? ''),
    riskGrading: (v.riskGrading && v.riskGrading in RISK_GRADINGS ? v.riskGrading : null) as RiskGrading | null,
  };
}

/** Missing episodes, return home interviews, the missing profile and timeliness. */
export async function missingRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  async function childOf(personId: string) {
    const person = await ctx.db.selectFrom('person').select(['id', 'date_of_birth']).where('id', '=', personId).executeTakeFirstOrThrow();
    return { id: person.id, dateOfBirth: person.date_of_birth, name: (await displayNames(ctx.db, [person.id])).get(person.id) ?? '' };
  }

  /** The episode of this child the viewer may see whole; anything else is refused as not found. */
  async function episodeFor(request: FastifyRequest, personId: string, episodeId: string): Promise<VisibleEpisode> {
    const found = isUuid(episodeId) ? await visibleEpisode(ctx.db, userOf(request), personId, episodeId) : undefined;
    if (!found) return refuseRecord(ctx, request, { personId, detail: { episodeId: isUuid(episodeId) ? episodeId : null } });
    return found;
  }

  const gradings = (selected: string | null | undefined) => [{ value: '', text: 'Not graded yet' }, ...Object.entries(RISK_GRADINGS).map(([value, t]) => ({ value, text: t, selected: value === selected }))];
  const fieldErrors = (errors: FormError[]) => Object.fromEntries(errors.map((e) => [e.field, { text: e.text }]));

  async function renderNew(request: FastifyRequest, reply: FastifyReply, personId: string, values: EpisodeValues, errors: FormError[]) {
    reply.status(errors.length ? 400 : 200);
    return reply.view('missing/views/episode-new.njk', {
      user: userOf(request), csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'find',
      child: await childOf(personId), values, errors, fieldErrors: fieldErrors(errors), gradings: gradings(values.riskGrading),
    });
  }

  const recordAccessRule = { kind: 'person', action: 'missing.record', roles: MISSING_RECORDERS } as const;

  r.get('/people/:personId/missing-episodes/new', { schema: { params }, config: { access: recordAccessRule } }, async (request, reply) => {
    return renderNew(request, reply, request.params.personId, {}, []);
  });

  r.post('/people/:personId/missing-episodes', { schema: { params, body: episodeBody }, config: { access: recordAccessRule } }, async (request, reply) => {
    const actor = userOf(request);
    const { personId } = request.params;
    const values = request.body as EpisodeValues;
    const errors: FormError[] = [];
    const e = readEpisode(values, errors, new Date());
    if (errors.length || !e.reported) return renderNew(request, reply, personId, values, errors);
    const reported = e.reported;
    const episodeId = await ctx.db.transaction().execute(async (trx) => {
      // The episode is an entry first: the rules and alerts see it, readers see it through the scope.
      const entry = await appendEntry(trx, actor, {
        personId, eventTypeCode: 'missing_episode', occurredAt: reported, occurredPrecision: 'time',
        summary: e.returned ? 'Reported missing; found or returned' : 'Reported missing', place: e.whereFound,
        narrative: [e.policeReference ? `Police reference: ${e.policeReference}` : '', e.riskGrading ? `Police risk grading: ${RISK_GRADINGS[e.riskGrading]}` : '']
          .filter(Boolean).join('\n') || null,
        sourceSystem: 'jigsaw', sourceRecordId: null,
      }, { via: 'form', route: routeOf(request), requestId: request.id });
      const row = await trx.insertInto('missing_episode').values({
        person_id: personId, event_id: entry.id, organisation_id: actor.organisationId, source: 'form', reported_missing_at: reported,
        returned_at: e.returned, returned_precision: e.returned ? 'time' : null, where_found: e.whereFound, who_with: e.whoWith,
        police_reference: e.policeReference, risk_grading: e.riskGrading, recorded_by_user_id: actor.userId, updated_by_user_id: actor.userId,
      }).returning(['id', 'person_id', 'returned_at']).executeTakeFirstOrThrow();
      await startInterviewClock(trx, row);
      await recordAccess(trx, {
        actor, action: 'missing.record', personId, route: routeOf(request), outcome: 'allowed', requestId: request.id,
        detail: { episodeId: row.id, eventId: entry.id, returned: e.returned !== null },
      });
      return row.id;
    });
    return reply.redirect(`/people/${personId}/missing-episodes/${episodeId}`, 303);
  });

  async function renderEpisode(request: FastifyRequest, reply: FastifyReply, personId: string, ep: VisibleEpisode, values: EpisodeValues | null, errors: FormError[]) {
    const actor = userOf(request);
    reply.status(errors.length ? 400 : 200);
    const filled: EpisodeValues = values ?? {
      ...momentValues('reported', ep.reported_missing_at), ...momentValues('returned', ep.returned_at),
      whereFound: ep.where_found ?? '', whoWith: ep.who_with ?? '', policeReference: ep.police_reference ?? '', riskGrading: ep.risk_grading ?? '',
    };
    return reply.view('missing/views/episode.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'find',
      child: await childOf(personId), episode: ep, values: filled, errors, fieldErrors: fieldErrors(errors), gradings: gradings(filled.riskGrading),
      gradingLabel: ep.risk_grading ? RISK_GRADINGS[ep.risk_grading] : null, state: interviewState(ep, new Date()),
      mayRecord: actor.roles.some((x) => MISSING_RECORDERS.includes(x)),
    });
  }

  r.get('/people/:personId/missing-episodes/:episodeId', {
    schema: { params: episodeParams }, config: { access: { kind: 'person', action: 'missing.read' } },
  }, async (request, reply) => {
    const { personId, episodeId } = request.params;
    const ep = await episodeFor(request, personId, episodeId);
    await recordAccess(ctx.db, { actor: userOf(request), action: 'missing.read', personId, route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { episodeId: ep.id } });
    return renderEpisode(request, reply, personId, ep, null, []);
  });

  r.post('/people/:personId/missing-episodes/:episodeId', {
    schema: { params: episodeParams, body: episodeBody }, config: { access: recordAccessRule },
  }, async (request, reply) => {
    const actor = userOf(request);
    const { personId, episodeId } = request.params;
    const ep = await episodeFor(request, personId, episodeId);
    const values = request.body as EpisodeValues;
    const errors: FormError[] = [];
    const e = readEpisode(values, errors, new Date());
    if (errors.length || !e.reported) return renderEpisode(request, reply, personId, ep, values, errors);
    await ctx.db.transaction().execute(async (trx) => {
      const sameReturn = e.returned?.getTime() === ep.returned_at?.getTime();
      const row = await trx.updateTable('missing_episode').set({
        reported_missing_at: e.reported!, returned_at: e.returned,
        returned_precision: e.returned ? (sameReturn ? ep.returned_precision : 'time') : null,
        where_found: e.whereFound, who_with: e.whoWith, police_reference: e.policeReference, risk_grading: e.riskGrading,
        updated_at: new Date(), updated_by_user_id: actor.userId,
      }).where('id', '=', ep.id).returning(['id', 'person_id', 'returned_at']).executeTakeFirstOrThrow();
      // A return now known starts the clock; a corrected return moves it.
      await startInterviewClock(trx, row);
      await recordAccess(trx, {
        actor, action: 'missing.record', personId: ep.person_id, route: routeOf(request), outcome: 'allowed', requestId: request.id,
        detail: { episodeId: ep.id, returned: e.returned !== null },
      });
    });
    return reply.redirect(`/people/${personId}/missing-episodes/${ep.id}`, 303);
  });

  const interviewRule = { kind: 'person', action: 'missing.interview.record', roles: MISSING_RECORDERS } as const;

  async function renderInterview(request: FastifyRequest, reply: FastifyReply, personId: string, ep: VisibleEpisode, values: Record<string, unknown> | null, errors: FormError[]) {
    reply.status(errors.length ? 400 : 200);
    const filled = values ?? {
      ...momentValues('offered', ep.offered_at), offeredBy: ep.offered_by ?? '', outcome: ep.outcome ?? '', ...momentValues('answered', ep.outcome_at),
      declinedReason: ep.declined_reason ?? '',
      ...momentValues('completed', ep.completed_at), completedByKind: ep.completed_by_kind ?? '', completedByName: ep.completed_by_name ?? '',
      whereChildWas: ep.where_child_was ?? '', whoWith: ep.interview_who_with ?? '', pushFactors: ep.push_factors ?? [], pullFactors: ep.pull_factors ?? [],
      findings: ep.findings ?? '',
    };
    const chosen = (v: unknown) => listOf(v as string | string[] | undefined);
    return reply.view('missing/views/interview.njk', {
      user: userOf(request), csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'find',
      child: await childOf(personId), episode: ep, values: filled, errors, fieldErrors: fieldErrors(errors),
      pushItems: Object.entries(PUSH_FACTORS).map(([value, t]) => ({ value, text: t, checked: chosen(filled.pushFactors).includes(value) })),
      pullItems: Object.entries(PULL_FACTORS).map(([value, t]) => ({ value, text: t, checked: chosen(filled.pullFactors).includes(value) })),
      state: interviewState(ep, new Date()),
    });
  }

  r.get('/people/:personId/missing-episodes/:episodeId/interview', { schema: { params: episodeParams }, config: { access: interviewRule } }, async (request, reply) => {
    const { personId, episodeId } = request.params;
    const ep = await episodeFor(request, personId, episodeId);
    await recordAccess(ctx.db, { actor: userOf(request), action: 'missing.read', personId, route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { episodeId: ep.id, interview: true } });
    return renderInterview(request, reply, personId, ep, null, []);
  });

  r.post('/people/:personId/missing-episodes/:episodeId/interview', {
    schema: { params: episodeParams, body: interviewBody }, config: { access: interviewRule },
  }, async (request, reply) => {
    const actor = userOf(request);
    const { personId, episodeId } = request.params;
    const ep = await episodeFor(request, personId, episodeId);
    const v = request.body;
    const errors: FormError[] = [];
    const now = new Date();
    if (!ep.interview_id || !ep.returned_at) {
      errors.push({ field: 'offered', href: '#offered-day', text: 'Record when the child was found or returned before the return home interview' });
      return renderInterview(request, reply, personId, ep, v, errors);
    }
    const raw = v as unknown as Record<string, string>;
    const offered = readMoment(raw, 'offered', 'when the interview was offered', errors, { now });
    const completed = readMoment(raw, 'completed', 'when the interview was completed', errors, { now });
    const answered = readMoment(raw, 'answered', 'when the child accepted or declined', errors, { now });
    if (offered && !v.offeredBy.trim()) errors.push({ field: 'offeredBy', href: '#offeredBy', text: 'Enter who offered the interview' });
    if (v.outcome && !['accepted', 'declined'].includes(v.outcome)) errors.push({ field: 'outcome', href: '#outcome', text: 'Choose whether the child accepted or declined' });
    if ((v.outcome || completed) && !offered) errors.push({ field: 'offered', href: '#offered-day', text: 'Enter when the interview was offered' });
    if (v.outcome === 'declined' && v.declinedReason.trim().length < 5) errors.push({ field: 'declinedReason', href: '#declinedReason', text: 'Enter why the child declined the interview' });
    if (completed && v.outcome === 'declined') errors.push({ field: 'completed', href: '#completed-day', text: 'A declined interview cannot be completed: choose accepted, or leave the completion empty' });
    if (completed && !['allocated_worker', 'independent'].includes(v.completedByKind)) errors.push({ field: 'completedByKind', href: '#completedByKind', text: 'Choose who completed the interview' });
    if (completed && !v.completedByName.trim()) errors.push({ field: 'completedByName', href: '#completedByName', text: 'Enter the name of who completed the interview' });
    if (offered && offered.getTime() < ep.returned_at.getTime()) errors.push({ field: 'offered', href: '#offered-day', text: 'The interview must be offered after the child returned' });
    if (completed && offered && completed.getTime() < offered.getTime()) errors.push({ field: 'completed', href: '#completed-day', text: 'The interview must be completed after it was offered' });
    const outcome = (completed ? 'accepted' : v.outcome || null) as 'accepted' | 'declined' | null;
    // When the child answered: as entered; else the time already recorded for the same answer; else when it was offered.
    const answeredAt = outcome ? answered ?? (outcome === ep.outcome ? ep.outcome_at : null) ?? offered : null;
    if (answered && !outcome) errors.push({ field: 'answered', href: '#answered-day', text: 'Choose whether the child accepted or declined, or leave when they answered empty' });
    if (answered && offered && answered.getTime() < offered.getTime()) errors.push({ field: 'answered', href: '#answered-day', text: 'The child must answer after the interview was offered' });
    if (answered && completed && answered.getTime() > completed.getTime()) errors.push({ field: 'answered', href: '#answered-day', text: 'The child must accept before the interview was completed' });
    const push = listOf(v.pushFactors).filter((f) => f in PUSH_FACTORS);
    const pull = listOf(v.pullFactors).filter((f) => f in PULL_FACTORS);
    if (errors.length) return renderInterview(request, reply, personId, ep, v, errors);
    await ctx.db.transaction().execute(async (trx) => {
      await trx.updateTable('return_interview').set({
        offered_at: offered, offered_by: offered ? v.offeredBy.trim() : null,
        outcome, outcome_at: answeredAt,
        declined_reason: v.outcome === 'declined' ? v.declinedReason.trim() : null,
        completed_at: completed, completed_by_kind: completed ? v.completedByKind as 'allocated_worker' | 'independent' : null,
        completed_by_name: completed ? v.completedByName.trim() : null,
        where_child_was: orNull(v.whereChildWas), who_with: orNull(v.whoWith), push_factors: push, pull_factors: pull, findings: orNull(v.findings),
        updated_at: now, updated_by_user_id: actor.userId,
      }).where('id', '=', ep.interview_id!).execute();
      await recordInterviewOutcome(trx, { id: ep.interview_id!, person_id: ep.person_id, outcome: ep.outcome, outcome_at: ep.outcome_at }, { outcome, at: answeredAt }, actor.userId, now);
      await recordAccess(trx, {
        actor, action: 'missing.interview.record', personId: ep.person_id, route: routeOf(request), outcome: 'allowed', requestId: request.id,
        detail: { episodeId: ep.id, interviewId: ep.interview_id, offered: offered !== null, outcome, completed: completed !== null },
      });
    });
    return reply.redirect(`/people/${personId}/missing-episodes/${ep.id}`, 303);
  });

  async function renderProfile(request: FastifyRequest, reply: FastifyReply, personId: string, values: Record<string, string> | null, errors: FormError[]) {
    const actor = userOf(request);
    const profile = await missingProfile(ctx.db, actor, personId);
    await recordAccess(ctx.db, {
      actor, action: 'missing.profile.read', personId, route: routeOf(request), outcome: 'allowed', requestId: request.id,
      detail: { entryIds: profile.episodes.map((e) => e.entryId) },
    });
    const d = profile.description;
    reply.status(errors.length ? 400 : 200);
    return reply.view('missing/views/profile.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'find', child: await childOf(personId), profile,
      values: values ?? { height: d?.height ?? '', build: d?.build ?? '', distinguishingFeatures: d?.distinguishing_features ?? '', phones: d?.phones ?? '' },
      errors, fieldErrors: fieldErrors(errors), mayRecord: actor.roles.some((x) => MISSING_RECORDERS.includes(x)), printedAt: new Date(),
    });
  }

  r.get('/people/:personId/missing-profile', { schema: { params }, config: { access: { kind: 'person', action: 'missing.profile.read' } } }, async (request, reply) => {
    return renderProfile(request, reply, request.params.personId, null, []);
  });

  r.post('/people/:personId/missing-profile/description', {
    schema: { params, body: descriptionBody }, config: { access: { kind: 'person', action: 'missing.profile.record', roles: MISSING_RECORDERS } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const { personId } = request.params;
    const v = request.body;
    const values = { height: orNull(v.height), build: orNull(v.build), distinguishing_features: orNull(v.distinguishingFeatures), phones: orNull(v.phones) };
    if (!Object.values(values).some(Boolean)) {
      return renderProfile(request, reply, personId, v, [{ field: 'height', href: '#height', text: 'Enter at least one part of the description' }]);
    }
    await ctx.db.transaction().execute(async (trx) => {
      await trx.insertInto('missing_description').values({ person_id: personId, ...values, updated_by_user_id: actor.userId })
        .onConflict((oc) => oc.column('person_id').doUpdateSet({ ...values, updated_at: new Date(), updated_by_user_id: actor.userId })).execute();
      await recordAccess(trx, { actor, action: 'missing.profile.record', personId, route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { fields: Object.keys(values).filter((k) => values[k as keyof typeof values]) } });
    });
    return reply.redirect(`/people/${personId}/missing-profile#description`, 303);
  });

  const periodQuery = z.object({ from: z.string().max(10).optional(), to: z.string().max(10).optional(), asOf: z.string().max(16).optional() });
  r.get('/missing/timeliness', {
    schema: { querystring: periodQuery },
    config: {
      access: { kind: 'roles', roles: TIMELINESS_ROLES, action: 'missing.timeliness.read' },
      nav: { text: 'Return interviews', key: 'missing-timeliness', order: 75, group: 'Oversight and figures', hint: 'Return home interviews against the 72-hour expectation' },
    },
  }, async (request, reply) => {
    const actor = userOf(request);
    const today = new Date();
    const iso = (d: Date) => d.toISOString().slice(0, 10);
    const valid = (s: string | undefined) => (s && /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(new Date(`${s}T00:00:00Z`).getTime()) ? s : null);
    const errors: FormError[] = [];
    if (request.query.from && !valid(request.query.from)) errors.push({ field: 'from', href: '#from', text: 'Enter the start of the period as a date, like 2026-01-31' });
    if (request.query.to && !valid(request.query.to)) errors.push({ field: 'to', href: '#to', text: 'Enter the end of the period as a date, like 2026-03-31' });
    const from = valid(request.query.from) ?? iso(new Date(today.getTime() - 90 * 86400_000));
    const to = valid(request.query.to) ?? iso(today);
    // As of a moment: a date (the end of that day, UTC) or a date and time; now when not given.
    let asOf = today;
    const asked = request.query.asOf?.trim();
    if (asked) {
      const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}))?$/.exec(asked);
      const at = m && valid(m[1]) ? new Date(m[2] ? `${m[1]}T${m[2]}:00.000Z` : `${m[1]}T23:59:59.999Z`) : null;
      if (!at || Number.isNaN(at.getTime())) errors.push({ field: 'asOf', href: '#asOf', text: 'Enter the moment as a date, like 2026-03-31, or a date and time, like 2026-03-31T17:00' });
      else if (at.getTime() > today.getTime() + 86400_000) errors.push({ field: 'asOf', href: '#asOf', text: 'The moment must be today or in the past' });
      else asOf = at.getTime() > today.getTime() ? today : at;
    }
    const counts = await partnershipTimeliness(ctx.db, actor.partnershipId, from, to, asOf);
    const pct = (n: number) => (counts.returns ? `${Math.round((100 * n) / counts.returns)}%` : '–');
    await recordAccess(ctx.db, { actor, action: 'missing.timeliness.read', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { partnershipId: actor.partnershipId, from, to, asOf: asOf.toISOString() } });
    const partnership = await ctx.db.selectFrom('partnership').select('name').where('id', '=', actor.partnershipId).executeTakeFirst();
    return reply.view('missing/views/timeliness.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'missing-timeliness', errors, fieldErrors: fieldErrors(errors),
      partnershipName: partnership?.name ?? '', from, to, counts, asOf, asOfValue: asked && !errors.some((e) => e.field === 'asOf') ? asked : '',
      rows: [
        { label: 'Missing episodes reported', n: counts.episodes, pct: '' },
        { label: 'Returns (found or came back)', n: counts.returns, pct: '' },
        { label: 'Interview offered', n: counts.offered, pct: pct(counts.offered) },
        { label: 'Interview offered within 72 hours of the return', n: counts.offeredWithin72h, pct: pct(counts.offeredWithin72h) },
        { label: 'Interview accepted', n: counts.accepted, pct: pct(counts.accepted) },
        { label: 'Interview completed', n: counts.completed, pct: pct(counts.completed) },
        { label: 'Interview completed within 72 hours of the return', n: counts.completedWithin72h, pct: pct(counts.completedWithin72h) },
        { label: 'Interview declined', n: counts.declined, pct: pct(counts.declined) },
        { label: 'Open past 72 hours (overdue)', n: counts.overdue, pct: pct(counts.overdue) },
        { label: 'Open and still within 72 hours', n: counts.stillWithin72h, pct: pct(counts.stillWithin72h) },
      ],
    });
  });
}
