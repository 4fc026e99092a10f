/**
 * A child's multi-agency risk management plan: the plan page (anyone who may see the child: every
 * involved agency), making the plan, adding actions, changing an action's status and reviewing the plan.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { PlanActionStatus } from '../../../db/database.js';
import { refuseRecord } from '../../access.js';
import type { Role } from '../../actor.js';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { formatDate, formatDateTime } from '../../format.js';
import { parseDateParts } from '../../forms.js';
import { isUuid, routeOf, userOf } from '../../request.js';
import { displayNames } from '../people/people.queries.js';
import { ACTION_STATUSES, COMPLETION_ENTRY_TYPES, addAction, addDays, changeActionStatus, createPlan, reviewPlan, updatePlan } from './plans.commands.js';
import { closedPlans, ownerChoices, planOf, type PlanView } from './plans.queries.js';

/** Who writes plans: those who work with children and can see the child. */
export const PLAN_WRITERS: readonly Role[] = ['practitioner', 'team_manager', 'designated_safeguarding_lead', 'panel_coordinator'];

type FormError = { href: string; text: string; field: string };
const text = (max: number) => z.string().max(max).default('');
const params = z.object({ personId: z.string().max(64) });
const actionParams = z.object({ personId: z.string().max(64), actionId: z.string().max(64) });
const fieldErrors = (errors: FormError[]) => Object.fromEntries(errors.map((e) => [e.field, { text: e.text }]));
const today = () => new Date().toISOString().slice(0, 10);

/** Reads a GOV.UK date input (day, month, year) into 'YYYY-MM-DD', or records an error. */
function readDate(v: Record<string, string>, name: string, label: string, errors: FormError[]): string | null {
  const d = parseDateParts(v[`${name}-day`], v[`${name}-month`], v[`${name}-year`], { requireDay: true });
  if (!d.ok) {
    errors.push({ field: name, href: `#${name}-${d.field}`, text: `${label} ${d.error}` });
    return null;
  }
  return d.date;
}
const dateFields = (name: string) => ({ [`${name}-day`]: text(10), [`${name}-month`]: text(10), [`${name}-year`]: text(10) });

/** Risk management plans and their actions. */
export async function planRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const writeRule = { kind: 'person', action: 'plan.record', roles: PLAN_WRITERS } as const;
  const updateRule = { kind: 'person', action: 'plan.action.update', roles: PLAN_WRITERS } as const;

  async function childOf(personId: string) {
    return { id: personId, name: (await displayNames(ctx.db, [personId])).get(personId) ?? 'Name not recorded' };
  }
  const base = (request: FastifyRequest) => ({ user: userOf(request), csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'find' });


  function presentPlan(plan: PlanView) {
    const now = today();
    return {
      ...plan,
      nextReview: formatDate(plan.nextReviewOn), reviewOverdue: plan.nextReviewOn < now, created: formatDateTime(plan.createdAt),
      reviews: plan.reviews.map((x) => ({ ...x, when: formatDateTime(x.at), next: formatDate(x.nextReviewOn) })),
      actions: plan.actions.map((a) => ({
        ...a, due: formatDate(a.dueOn), statusText: ACTION_STATUSES[a.status], overdue: a.dueOn < now && (a.status === 'not_started' || a.status === 'in_progress'),
        history: a.history.map((h) => ({ ...h, statusText: ACTION_STATUSES[h.status], when: formatDateTime(h.at) })),
      })),
    };
  }

  r.get('/people/:personId/plan', { schema: { params }, config: { access: { kind: 'person', action: 'plan.read' } } }, async (request, reply) => {
    const actor = userOf(request);
    const { personId } = request.params;
    const [plan, closed] = await Promise.all([planOf(ctx.db, personId), closedPlans(ctx.db, personId)]);
    await recordAccess(ctx.db, { actor, action: 'plan.read', personId, route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { plan: plan?.id ?? null } });
    return reply.view('plans/views/plan.njk', {
      ...base(request), child: await childOf(personId), plan: plan ? presentPlan(plan) : null,
      closed: closed.map((c) => ({ made: formatDate(c.created_at), closed: c.closed_at ? formatDate(c.closed_at) : '', organisation: c.organisation, actions: c.actions, done: c.done })),
      mayWrite: actor.roles.some((x) => PLAN_WRITERS.includes(x)), values: {}, errors: [], fieldErrors: {},
    });
  });

  async function renderNew(request: FastifyRequest, reply: FastifyReply, personId: string, values: Record<string, string>, errors: FormError[], editing = false) {
    reply.status(errors.length ? 400 : 200);
    return reply.view('plans/views/plan-new.njk', { ...base(request), child: await childOf(personId), values, errors, fieldErrors: fieldErrors(errors), editing });
  }

  /** Checks the plan's words and cadence. */
  function readPlan(v: { worries: string; goals: string; reviewEveryWeeks: string }, errors: FormError[]): number {
    if (!v.worries.trim()) errors.push({ field: 'worries', href: '#worries', text: 'Say what we are worried about, in plain words' });
    if (!v.goals.trim()) errors.push({ field: 'goals', href: '#goals', text: 'Say what we want to see instead, in plain words' });
    const weeks = Number(v.reviewEveryWeeks);
    if (!Number.isInteger(weeks) || weeks < 1 || weeks > 52) errors.push({ field: 'reviewEveryWeeks', href: '#reviewEveryWeeks', text: 'Enter how often the plan is reviewed, from 1 to 52 weeks' });
    return weeks;
  }
  const planBody = z.object({ _csrf: z.string().optional(), worries: text(10000), goals: text(10000), reviewEveryWeeks: text(5) });

  r.get('/people/:personId/plan/new', { schema: { params }, config: { access: writeRule } }, async (request, reply) => renderNew(request, reply, request.params.personId, { reviewEveryWeeks: '6' }, []));

  r.post('/people/:personId/plan', {
    schema: { params, body: planBody },
    config: { access: writeRule },
  }, async (request, reply) => {
    const { personId } = request.params;
    const v = request.body;
    const errors: FormError[] = [];
    const weeks = readPlan(v, errors);
    if (!errors.length && await planOf(ctx.db, personId)) errors.push({ field: 'worries', href: '#worries', text: 'This child already has a plan' });
    if (errors.length) return renderNew(request, reply, personId, v, errors);
    await ctx.db.transaction().execute((trx) => createPlan(trx, userOf(request), { personId, worries: v.worries.trim(), goals: v.goals.trim(), reviewEveryWeeks: weeks, today: today() }, { route: routeOf(request), requestId: request.id }));
    return reply.redirect(`/people/${personId}/plan`, 303);
  });

  r.get('/people/:personId/plan/edit', { schema: { params }, config: { access: writeRule } }, async (request, reply) => {
    const plan = await planOf(ctx.db, request.params.personId);
    if (!plan) return reply.redirect(`/people/${request.params.personId}/plan/new`, 303);
    return renderNew(request, reply, request.params.personId, { worries: plan.worries, goals: plan.goals, reviewEveryWeeks: String(plan.reviewEveryWeeks) }, [], true);
  });

  r.post('/people/:personId/plan/edit', { schema: { params, body: planBody }, config: { access: writeRule } }, async (request, reply) => {
    const { personId } = request.params;
    const plan = await planOf(ctx.db, personId);
    if (!plan) return reply.redirect(`/people/${personId}/plan/new`, 303);
    const v = request.body;
    const errors: FormError[] = [];
    const weeks = readPlan(v, errors);
    if (errors.length) return renderNew(request, reply, personId, v, errors, true);
    await ctx.db.transaction().execute((trx) => updatePlan(trx, userOf(request), { personId, planId: plan.id, worries: v.worries.trim(), goals: v.goals.trim(), reviewEveryWeeks: weeks }, { route: routeOf(request), requestId: request.id }));
    return reply.redirect(`/people/${personId}/plan`, 303);
  });

  async function renderActionNew(request: FastifyRequest, reply: FastifyReply, personId: string, values: Record<string, string>, errors: FormError[]) {
    reply.status(errors.length ? 400 : 200);
    const owners = await ownerChoices(ctx.db, personId, userOf(request).organisationId);
    return reply.view('plans/views/action-new.njk', {
      ...base(request), child: await childOf(personId), values, errors, fieldErrors: fieldErrors(errors),
      owners: [{ value: '', text: 'Choose the owner' }, ...owners.map((o) => ({ value: o.id, text: `${o.name} (${o.organisation})`, selected: o.id === values.ownerUserId }))],
    });
  }

  r.get('/people/:personId/plan/actions/new', { schema: { params }, config: { access: writeRule } }, async (request, reply) => {
    // No plan yet: the plan is made first.
    if (!await planOf(ctx.db, request.params.personId)) return reply.redirect(`/people/${request.params.personId}/plan/new`, 303);
    return renderActionNew(request, reply, request.params.personId, {}, []);
  });

  r.post('/people/:personId/plan/actions', {
    schema: { params, body: z.object({ _csrf: z.string().optional(), kind: text(20), description: text(2000), ownerUserId: text(64), ...dateFields('dueOn') }) },
    config: { access: writeRule },
  }, async (request, reply) => {
    const { personId } = request.params;
    const plan = await planOf(ctx.db, personId);
    if (!plan) return reply.redirect(`/people/${personId}/plan/new`, 303);
    const v = request.body as Record<string, string>;
    const errors: FormError[] = [];
    if (v.kind !== 'supportive' && v.kind !== 'disruptive') errors.push({ field: 'kind', href: '#kind', text: 'Choose whether the action supports the child or disrupts those who harm them' });
    if (!v.description?.trim()) errors.push({ field: 'description', href: '#description', text: 'Say who will do what' });
    const owners = await ownerChoices(ctx.db, personId, userOf(request).organisationId);
    if (!owners.some((o) => o.id === v.ownerUserId)) errors.push({ field: 'ownerUserId', href: '#ownerUserId', text: 'Choose who owns the action' });
    const dueOn = readDate(v, 'dueOn', 'The due date', errors);
    if (dueOn && dueOn < today()) errors.push({ field: 'dueOn', href: '#dueOn-day', text: 'The due date must be today or in the future' });
    if (errors.length || !dueOn) return renderActionNew(request, reply, personId, v, errors);
    await ctx.db.transaction().execute((trx) => addAction(trx, userOf(request), {
      personId, planId: plan.id, kind: v.kind as 'supportive' | 'disruptive', description: v.description!.trim(), ownerUserId: v.ownerUserId!, dueOn,
    }, { route: routeOf(request), requestId: request.id }));
    return reply.redirect(`/people/${personId}/plan`, 303);
  });

  async function actionOf(request: FastifyRequest, personId: string, actionId: string) {
    const plan = await planOf(ctx.db, personId);
    const action = isUuid(actionId) ? plan?.actions.find((a) => a.id === actionId) : undefined;
    if (!plan || !action) return refuseRecord(ctx, request, { personId, detail: { action: isUuid(actionId) ? actionId : null } });
    return { plan, action };
  }

  async function renderAction(request: FastifyRequest, reply: FastifyReply, personId: string, actionId: string, values: Record<string, string>, errors: FormError[]) {
    const { plan, action } = await actionOf(request, personId, actionId);
    const presented = presentPlan(plan).actions.find((a) => a.id === action.id)!;
    reply.status(errors.length ? 400 : 200);
    return reply.view('plans/views/action.njk', {
      ...base(request), child: await childOf(personId), action: presented, values, errors, fieldErrors: fieldErrors(errors),
      mayWrite: userOf(request).roles.some((x) => PLAN_WRITERS.includes(x)),
      statuses: Object.entries(ACTION_STATUSES).map(([value, t]) => ({ value, text: t, checked: value === (values.status ?? action.status) })),
      entryTypes: [{ value: '', text: 'Do not record an entry' }, ...COMPLETION_ENTRY_TYPES.map((c) => ({ value: c, text: c.replace(/_/g, ' ').replace(/^./, (x) => x.toUpperCase()), selected: c === values.entryType }))],
    });
  }

  r.get('/people/:personId/plan/actions/:actionId', { schema: { params: actionParams }, config: { access: { kind: 'person', action: 'plan.read' } } }, async (request, reply) => {
    const { personId, actionId } = request.params;
    await recordAccess(ctx.db, { actor: userOf(request), action: 'plan.read', personId, route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { action: isUuid(actionId) ? actionId : null } });
    return renderAction(request, reply, personId, actionId, {}, []);
  });

  r.post('/people/:personId/plan/actions/:actionId', {
    schema: { params: actionParams, body: z.object({ _csrf: z.string().optional(), status: text(20), reason: text(2000), entryType: text(60), entrySummary: text(500) }) },
    config: { access: updateRule },
  }, async (request, reply) => {
    const { personId, actionId } = request.params;
    const { action } = await actionOf(request, personId, actionId);
    const v = request.body;
    const errors: FormError[] = [];
    if (!(v.status in ACTION_STATUSES)) errors.push({ field: 'status', href: '#status', text: 'Choose the action\'s status' });
    const needsReason = v.status === 'not_possible' || v.status === 'not_done';
    if (needsReason && !v.reason.trim()) errors.push({ field: 'reason', href: '#reason', text: v.status === 'not_possible' ? 'Say what changed that made the action not possible' : 'Say why the action was not done' });
    if (v.entryType && !(COMPLETION_ENTRY_TYPES as readonly string[]).includes(v.entryType)) errors.push({ field: 'entryType', href: '#entryType', text: 'Choose an entry from the list' });
    if (v.entryType && v.status !== 'done') errors.push({ field: 'entryType', href: '#entryType', text: 'An entry is recorded when the action is done' });
    if (!errors.length && v.status === action.status && !needsReason) errors.push({ field: 'status', href: '#status', text: `The action is already ${ACTION_STATUSES[action.status].toLowerCase()}` });
    if (errors.length) return renderAction(request, reply, personId, actionId, v, errors);
    await ctx.db.transaction().execute((trx) => changeActionStatus(trx, userOf(request), {
      personId, actionId: action.id, status: v.status as PlanActionStatus, reason: v.reason.trim() || null,
      entry: v.entryType ? { eventTypeCode: v.entryType, summary: v.entrySummary.trim() || `Plan action done: ${action.description}`.slice(0, 500) } : null,
    }, { route: routeOf(request), requestId: request.id }));
    return reply.redirect(`/people/${personId}/plan`, 303);
  });

  r.post('/people/:personId/plan/review', {
    schema: { params, body: z.object({ _csrf: z.string().optional(), notes: text(10000), close: text(5), ...dateFields('nextReviewOn') }) },
    config: { access: writeRule },
  }, async (request, reply) => {
    const actor = userOf(request);
    const { personId } = request.params;
    const plan = await planOf(ctx.db, personId);
    if (!plan) return reply.redirect(`/people/${personId}/plan/new`, 303);
    const v = request.body as Record<string, string>;
    const errors: FormError[] = [];
    if (!v.notes?.trim()) errors.push({ field: 'notes', href: '#notes', text: 'Say what the review found' });
    const given = v['nextReviewOn-day'] || v['nextReviewOn-month'] || v['nextReviewOn-year'];
    const next = given ? readDate(v, 'nextReviewOn', 'The next review', errors) : addDays(today(), plan.reviewEveryWeeks * 7);
    if (next && next <= today()) errors.push({ field: 'nextReviewOn', href: '#nextReviewOn-day', text: 'The next review must be in the future' });
    if (errors.length || !next) {
      reply.status(400);
      return reply.view('plans/views/plan.njk', { ...base(request), child: await childOf(personId), plan: presentPlan(plan), mayWrite: true, values: v, errors, fieldErrors: fieldErrors(errors) });
    }
    await ctx.db.transaction().execute((trx) => reviewPlan(trx, actor, { personId, planId: plan.id, notes: v.notes!.trim(), nextReviewOn: next, close: v.close === 'yes' }, { route: routeOf(request), requestId: request.id }));
    return reply.redirect(`/people/${personId}/plan`, 303);
  });
}
