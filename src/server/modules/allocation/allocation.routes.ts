/**
 * Continuity and allocation pages: a team manager or designated safeguarding lead allocates a worker
 * of their organisation to a child (or names the lead professional, or replaces a worker with a
 * handover note), ends an involvement with a handover note, and everyone who may see the child reads
 * "Workers and handovers". A practitioner who works with the child records a trusted adult the child
 * names. Who may allocate is one rule (allocation.policy.ts), used by these routes and by the links.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CASE_HOLDING_ROLES, refuseRecord } from '../../access.js';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { parseDateParts } from '../../forms.js';
import { isUuid, routeOf, userOf } from '../../request.js';
import { authorizePerson } from '../people/people.policy.js';
import { displayNames } from '../people/people.queries.js';
import { allocate, endInvolvement, NOTE_MAX, NOTE_MIN, recordTrustedAdult, type FieldProblem } from './allocation.commands.js';
import { ALLOCATING_ROLES, isActive, mayAllocate, mayEnd } from './allocation.policy.js';
import { ALLOCATION_ROLES, allocatableWorkers, INVOLVEMENT_ROLE_LABELS, involvementHistory } from './allocation.queries.js';

const personParams = z.object({ personId: z.string().max(64) });
const idParams = z.object({ id: z.string().max(64) });
const dateFields = (prefix: string) => ({
  [`${prefix}-day`]: z.string().max(10).default(''),
  [`${prefix}-month`]: z.string().max(10).default(''),
  [`${prefix}-year`]: z.string().max(10).default(''),
});
const allocateBody = z.object({
  _csrf: z.string().optional(),
  userId: z.string().max(64).default(''),
  role: z.string().max(64).default(''),
  replaces: z.string().max(64).default(''),
  note: z.string().max(NOTE_MAX + 1000).default(''),
  ...dateFields('startedOn'),
});
const endBody = z.object({ _csrf: z.string().optional(), note: z.string().max(NOTE_MAX + 1000).default('') });
const trustedBody = z.object({
  _csrf: z.string().optional(),
  name: z.string().max(400).default(''),
  relationship: z.string().max(600).default(''),
  ...dateFields('startedOn'),
});

type FormError = { href: string; text: string; field: string };
const HREF: Record<string, string> = { userId: '#userId', role: '#role', replaces: '#replaces', note: '#note', startedOn: '#startedOn-day', name: '#name', relationship: '#relationship' };
const toErrors = (problems: FieldProblem[]): FormError[] => problems.map((p) => ({ field: p.field, href: HREF[p.field] ?? '#', text: p.message }));
const fieldErrorsOf = (errors: FormError[]) => Object.fromEntries(errors.map((e) => [e.field, { text: e.text }]));
const today = () => new Date().toISOString().slice(0, 10);

/** Reads a GOV.UK date input that must be a real date, today or earlier. */
function startDate(values: Record<string, string>, what: string): { date: string | null; problem: FieldProblem | null } {
  const d = parseDateParts(values['startedOn-day'], values['startedOn-month'], values['startedOn-year'], { requireDay: true });
  if (!d.ok) return { date: null, problem: { field: 'startedOn', message: `${what} ${d.error}` } };
  if (d.date > today()) return { date: null, problem: { field: 'startedOn', message: `${what} must be today or in the past` } };
  return { date: d.date, problem: null };
}

export async function allocationRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const allocateAccess = { kind: 'record', roles: ALLOCATING_ROLES, action: 'involvement.allocate' } as const;
  const endAccess = { kind: 'record', roles: ALLOCATING_ROLES, action: 'involvement.end' } as const;

  /** The child, when the actor may allocate to them; otherwise the same 404 as a missing record, with its denied row. */
  async function allocatable(request: FastifyRequest, personId: string) {
    const actor = userOf(request);
    if (!(await mayAllocate(ctx.db, actor, personId))) return refuseRecord(ctx, request, { personId: isUuid(personId) ? personId : null });
    const person = await ctx.db.selectFrom('person').select(['id', 'date_of_birth']).where('id', '=', personId).executeTakeFirstOrThrow();
    return { id: person.id, dateOfBirth: person.date_of_birth, name: (await displayNames(ctx.db, [person.id])).get(person.id) ?? '' };
  }

  async function renderAllocate(request: FastifyRequest, reply: FastifyReply, child: { id: string; name: string; dateOfBirth: string | null }, values: Record<string, string>, errors: FormError[]) {
    const actor = userOf(request);
    const [workers, history] = await Promise.all([allocatableWorkers(ctx.db, actor.organisationId, actor.teamId), involvementHistory(ctx.db, child.id)]);
    const own = history.involvements.filter((i) => i.organisationId === actor.organisationId && isActive({ started_on: i.startedOn, ended_on: i.endedOn }));
    const lead = history.involvements.find((i) => i.role === 'lead_professional' && isActive({ started_on: i.startedOn, ended_on: i.endedOn }));
    // Reading the form shows the child's name and date of birth to someone who may not yet see their record: logged.
    await recordAccess(ctx.db, { actor, action: 'involvement.read', personId: child.id, route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { form: 'allocate' } });
    reply.status(errors.length ? 400 : 200);
    return reply.view('allocation/views/allocate.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'find', child, values, errors, fieldErrors: fieldErrorsOf(errors),
      workers: [{ value: '', text: 'Choose a worker' }, ...workers.map((w) => ({ value: w.id, text: `${w.name}${w.team_name ? `, ${w.team_name}` : ''}${w.job_title ? ` (${w.job_title})` : ''}`, selected: values.userId === w.id }))],
      roles: Object.entries(ALLOCATION_ROLES).map(([value, text]) => ({ value, text, checked: values.role === value })),
      replaceItems: [{ value: '', text: 'No one', checked: !values.replaces }, ...own.map((i) => ({
        value: i.id, text: `${i.userName ?? i.teamName ?? i.organisationName}, ${INVOLVEMENT_ROLE_LABELS[i.role] ?? i.role}`, checked: values.replaces === i.id,
      }))],
      lead: lead ? { name: lead.userName ?? lead.teamName ?? lead.organisationName, organisation: lead.organisationName } : null,
      noteMin: NOTE_MIN, noteMax: NOTE_MAX,
    });
  }

  r.get('/people/:personId/involvements/new', {
    schema: { params: personParams, querystring: z.object({ role: z.string().max(64).optional(), replaces: z.string().max(64).optional() }) },
    config: { access: allocateAccess },
  }, async (request, reply) => {
    const child = await allocatable(request, request.params.personId);
    const d = new Date();
    return renderAllocate(request, reply, child, {
      role: request.query.role ?? '', replaces: request.query.replaces ?? '',
      'startedOn-day': String(d.getUTCDate()), 'startedOn-month': String(d.getUTCMonth() + 1), 'startedOn-year': String(d.getUTCFullYear()),
    }, []);
  });

  r.post('/people/:personId/involvements', { schema: { params: personParams, body: allocateBody }, config: { access: allocateAccess } }, async (request, reply) => {
    const actor = userOf(request);
    const child = await allocatable(request, request.params.personId);
    const values = request.body as Record<string, string>;
    const started = startDate(values, 'The date the work starts');
    const replaces = values.replaces?.trim() ?? '';
    const result = await ctx.db.transaction().execute(async (trx) => {
      const out = await allocate(trx, actor, {
        personId: child.id, userId: values.userId ?? '', role: values.role ?? '', startedOn: started.date ?? today(),
        replacesInvolvementId: replaces ? (isUuid(replaces) ? replaces : '00000000-0000-0000-0000-000000000000') : null, note: values.note ?? '',
      }, { route: routeOf(request), requestId: request.id });
      // A wrong date is reported with the command's own checks; nothing is written.
      if (out.ok && started.problem) throw new DateProblem();
      return out;
    }).catch((e: unknown) => {
      if (e instanceof DateProblem) return { ok: false as const, problems: [] };
      throw e;
    });
    const problems = [...(started.problem ? [started.problem] : []), ...(result.ok ? [] : result.problems)];
    if (problems.length || !result.ok) return renderAllocate(request, reply, child, values, toErrors(problems));
    // A manager may allocate a worker of another team (or at the front door) without seeing the child themselves.
    if (await authorizePerson(ctx.db, actor, 'involvement.read', child.id)) return reply.redirect(`/people/${child.id}/involvements`, 303);
    return reply.view('allocation/views/allocated.njk', { user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'find', child: { name: child.name } });
  });

  r.get('/people/:personId/involvements', {
    schema: { params: personParams },
    config: { access: { kind: 'person', action: 'involvement.read' } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const personId = request.params.personId;
    const [history, names, allocating] = await Promise.all([
      involvementHistory(ctx.db, personId), displayNames(ctx.db, [personId]), mayAllocate(ctx.db, actor, personId),
    ]);
    await recordAccess(ctx.db, { actor, action: 'involvement.read', personId, route: routeOf(request), outcome: 'allowed', requestId: request.id });
    const label = (i: { userName: string | null; teamName: string | null; organisationName: string }) => i.userName ?? i.teamName ?? i.organisationName;
    const byId = new Map(history.involvements.map((i) => [i.id, i]));
    return reply.view('allocation/views/history.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'find',
      child: { id: personId, name: names.get(personId) ?? '' }, mayAllocate: allocating,
      involvements: history.involvements.map((i) => ({
        ...i, who: label(i), roleLabel: INVOLVEMENT_ROLE_LABELS[i.role] ?? i.role, active: isActive({ started_on: i.startedOn, ended_on: i.endedOn }),
        // Ending before it started: withdrawn the day it was made.
        withdrawn: i.endedOn !== null && i.endedOn < i.startedOn,
        mayEnd: mayEnd(actor, { organisation_id: i.organisationId, started_on: i.startedOn, ended_on: i.endedOn }),
      })),
      changes: history.changes.map((c) => {
        const inv = byId.get(c.involvementId);
        const rel = c.relatedInvolvementId ? byId.get(c.relatedInvolvementId) : undefined;
        return { ...c, who: inv ? label(inv) : '', roleLabel: inv ? INVOLVEMENT_ROLE_LABELS[inv.role] ?? inv.role : '', other: rel ? label(rel) : null };
      }),
      trustedAdults: history.trustedAdults,
    });
  });

  async function endable(request: FastifyRequest, id: string) {
    const actor = userOf(request);
    const inv = isUuid(id)
      ? await ctx.db.selectFrom('involvement as i').innerJoin('organisation as o', 'o.id', 'i.organisation_id').leftJoin('app_user as u', 'u.id', 'i.user_id').leftJoin('team as t', 't.id', 'i.team_id')
        .select(['i.id', 'i.person_id', 'i.organisation_id', 'i.role', 'i.started_on', 'i.ended_on', 'u.name as user_name', 't.name as team_name', 'o.name as organisation_name'])
        .where('i.id', '=', id).executeTakeFirst()
      : undefined;
    // Another organisation's involvement, one already ended, or none: the same 404 with its denied row.
    if (!inv || !mayEnd(actor, inv)) return refuseRecord(ctx, request, { personId: inv?.person_id ?? null, detail: { involvementId: isUuid(id) ? id : null } });
    return inv;
  }

  async function renderEnd(request: FastifyRequest, reply: FastifyReply, inv: Awaited<ReturnType<typeof endable>>, values: { note?: string }, errors: FormError[]) {
    const actor = userOf(request);
    const name = (await displayNames(ctx.db, [inv.person_id])).get(inv.person_id) ?? '';
    reply.status(errors.length ? 400 : 200);
    return reply.view('allocation/views/end.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'find', values, errors, fieldErrors: fieldErrorsOf(errors),
      child: { id: inv.person_id, name },
      involvement: { id: inv.id, who: inv.user_name ?? inv.team_name ?? inv.organisation_name, roleLabel: INVOLVEMENT_ROLE_LABELS[inv.role] ?? inv.role, startedOn: inv.started_on },
      noteMin: NOTE_MIN, noteMax: NOTE_MAX,
    });
  }

  r.get('/involvements/:id/end', { schema: { params: idParams }, config: { access: endAccess } }, async (request, reply) => {
    const inv = await endable(request, request.params.id);
    return renderEnd(request, reply, inv, {}, []);
  });

  r.post('/involvements/:id/end', { schema: { params: idParams, body: endBody }, config: { access: endAccess } }, async (request, reply) => {
    const actor = userOf(request);
    const inv = await endable(request, request.params.id);
    const result = await ctx.db.transaction().execute((trx) => endInvolvement(trx, actor, inv.id, request.body.note, { route: routeOf(request), requestId: request.id }));
    if (!result.ok) return renderEnd(request, reply, inv, request.body, toErrors(result.problems));
    // Ending their own organisation's involvement may end the manager's own access: go to what they can still open.
    return reply.redirect(`/involvements/${inv.id}/ended`, 303);
  });

  r.get('/involvements/:id/ended', { schema: { params: idParams }, config: { access: endAccess } }, async (request, reply) => {
    const actor = userOf(request);
    const id = request.params.id;
    const inv = isUuid(id) ? await ctx.db.selectFrom('involvement').select(['id', 'person_id', 'organisation_id', 'ended_on']).where('id', '=', id).executeTakeFirst() : undefined;
    if (!inv || inv.organisation_id !== actor.organisationId || inv.ended_on === null || inv.ended_on >= today()) {
      return refuseRecord(ctx, request, { personId: inv?.person_id ?? null, detail: { involvementId: isUuid(id) ? id : null } });
    }
    return reply.view('allocation/views/ended.njk', { user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'find', personId: inv.person_id });
  });

  const trustedAccess = { kind: 'person', action: 'trusted_adult.record', roles: CASE_HOLDING_ROLES } as const;

  async function renderTrusted(request: FastifyRequest, reply: FastifyReply, personId: string, values: Record<string, string>, errors: FormError[]) {
    const name = (await displayNames(ctx.db, [personId])).get(personId) ?? '';
    reply.status(errors.length ? 400 : 200);
    return reply.view('allocation/views/trusted-adult.njk', {
      user: userOf(request), csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'find', child: { id: personId, name }, values, errors, fieldErrors: fieldErrorsOf(errors),
    });
  }

  r.get('/people/:personId/trusted-adults/new', { schema: { params: personParams }, config: { access: trustedAccess } }, async (request, reply) =>
    renderTrusted(request, reply, request.params.personId, {}, []));

  r.post('/people/:personId/trusted-adults', { schema: { params: personParams, body: trustedBody }, config: { access: trustedAccess } }, async (request, reply) => {
    const actor = userOf(request);
    const values = request.body as Record<string, string>;
    const name = (values.name ?? '').trim();
    const relationship = (values.relationship ?? '').trim();
    const problems: FieldProblem[] = [];
    if (name.length < 2 || name.length > 200) problems.push({ field: 'name', message: 'Enter the trusted adult\'s name, 2 to 200 characters' });
    if (relationship.length < 2 || relationship.length > 300) problems.push({ field: 'relationship', message: 'Enter how the child knows them, for example "youth worker at the Hub", 2 to 300 characters' });
    const started = startDate(values, 'The date the child named them');
    if (started.problem) problems.push(started.problem);
    if (problems.length || !started.date) return renderTrusted(request, reply, request.params.personId, values, toErrors(problems));
    const startedOn = started.date;
    await ctx.db.transaction().execute((trx) => recordTrustedAdult(trx, actor, { personId: request.params.personId, name, relationship, startedOn }, { route: routeOf(request), requestId: request.id }));
    return reply.redirect(`/people/${request.params.personId}`, 303);
  });
}

class DateProblem extends Error {}
