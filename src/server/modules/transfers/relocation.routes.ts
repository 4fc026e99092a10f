/**
 * Relocation pages: record the relocation risk assessment (anyone who may see the child), the
 * relocation page (its assessment, sign-off by a senior manager, the planned move, the move and the
 * three-month review). Every route declares its access; the relocation's own policy (may see the
 * child; signing off: a senior manager other than the author) refuses through refuseRecord.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CASE_HOLDING_ROLES, refuseRecord } from '../../access.js';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { parseDateParts } from '../../forms.js';
import { isUuid, routeOf, userOf } from '../../request.js';
import type { FieldProblem } from '../allocation/allocation.commands.js';
import { authorizePerson } from '../people/people.policy.js';
import { displayNames } from '../people/people.queries.js';
import { recordMoveOfAddress } from './address.commands.js';
import {
  isSeniorManager, planRelocation, recordMove, recordRelocation, RELOCATION_FIELDS, reviewRelocation, signOffRelocation, type RelocationField,
} from './relocation.commands.js';

const personParams = z.object({ personId: z.string().max(64) });
const params = z.object({ relocationId: z.string().max(64) });
const text = z.string().max(12_000).default('');
const newBody = z.object({ _csrf: z.string().optional(), toBorough: z.string().max(200).default(''), risksNewArea: text, tiesOldArea: text, networkLost: text, familyPosition: text, views: text });
const dateBody = (prefix: string) => z.object({ _csrf: z.string().optional(), [`${prefix}-day`]: z.string().max(10).default(''), [`${prefix}-month`]: z.string().max(10).default(''), [`${prefix}-year`]: z.string().max(10).default('') });
const reviewBody = z.object({ _csrf: z.string().optional(), riskFell: z.string().max(10).default(''), tiesContinued: z.string().max(10).default(''), notes: text });

const STATUS_LABELS: Record<string, string> = { assessing: 'Assessment not yet signed off', planned: 'Move planned', moved: 'Moved: review due', reviewed: 'Reviewed', withdrawn: 'Withdrawn' };

type FormError = { field: string; href: string; text: string };
const toErrors = (problems: FieldProblem[]): FormError[] => problems.map((p) => ({ field: p.field, href: p.field === 'status' ? '#main-content' : `#${p.field}${['plannedOn', 'movedOn'].includes(p.field) ? '-day' : ''}`, text: p.message }));

function dateOf(values: Record<string, string>, prefix: string): string | null {
  const d = parseDateParts(values[`${prefix}-day`], values[`${prefix}-month`], values[`${prefix}-year`], { requireDay: true });
  return d.ok ? d.date : null;
}

export async function relocationRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const meta = (request: FastifyRequest) => ({ route: routeOf(request), requestId: request.id });
  const recordAccessRule = { kind: 'person', action: 'relocation.record', roles: CASE_HOLDING_ROLES } as const;

  function renderNew(request: FastifyRequest, reply: FastifyReply, personId: string, name: string, values: Record<string, string>, errors: FormError[]) {
    reply.status(errors.length ? 400 : 200);
    return reply.view('transfers/views/relocation-new.njk', {
      user: userOf(request), csrfToken: request.csrfToken, cspNonce: request.cspNonce, personId, childName: name,
      fields: Object.entries(RELOCATION_FIELDS).map(([id, label]) => ({ id, label, value: values[id] ?? '' })),
      values, errors, fieldErrors: Object.fromEntries(errors.map((e) => [e.field, { text: e.text }])),
    });
  }

  r.get('/people/:personId/relocations/new', { schema: { params: personParams }, config: { access: recordAccessRule } }, async (request, reply) => {
    const names = await displayNames(ctx.db, [request.params.personId]);
    return renderNew(request, reply, request.params.personId, names.get(request.params.personId) ?? 'Name not recorded', {}, []);
  });

  r.post('/people/:personId/relocations', { schema: { params: personParams, body: newBody }, config: { access: recordAccessRule } }, async (request, reply) => {
    const actor = userOf(request);
    const v = request.body;
    const result = await ctx.db.transaction().execute((trx) => recordRelocation(trx, actor, request.params.personId, v as Record<RelocationField, string> & { toBorough: string }, meta(request)));
    if (!result.ok) {
      const names = await displayNames(ctx.db, [request.params.personId]);
      return renderNew(request, reply, request.params.personId, names.get(request.params.personId) ?? 'Name not recorded', v, toErrors(result.problems));
    }
    return reply.redirect(`/relocations/${result.value.id}`, 303);
  });

  // Recording a move to a new address (a change of borough opens a transfer through the address trigger).
  const moveAccess = { kind: 'person', action: 'address.record', roles: CASE_HOLDING_ROLES } as const;
  const moveBody = z.object({ _csrf: z.string().optional(), line1: z.string().max(300).default(''), postcode: z.string().max(30).default(''), borough: z.string().max(200).default(''),
    'movedOn-day': z.string().max(10).default(''), 'movedOn-month': z.string().max(10).default(''), 'movedOn-year': z.string().max(10).default('') });
  async function renderMove(request: FastifyRequest, reply: FastifyReply, personId: string, values: Record<string, string>, errors: FormError[]) {
    const names = await displayNames(ctx.db, [personId]);
    reply.status(errors.length ? 400 : 200);
    return reply.view('transfers/views/move.njk', {
      user: userOf(request), csrfToken: request.csrfToken, cspNonce: request.cspNonce, personId, childName: names.get(personId) ?? 'Name not recorded',
      values, errors, fieldErrors: Object.fromEntries(errors.map((e) => [e.field, { text: e.text }])),
    });
  }
  r.get('/people/:personId/moves/new', { schema: { params: personParams }, config: { access: moveAccess } },
    async (request, reply) => renderMove(request, reply, request.params.personId, {}, []));
  r.post('/people/:personId/moves', { schema: { params: personParams, body: moveBody }, config: { access: moveAccess } }, async (request, reply) => {
    const actor = userOf(request);
    const v = request.body as Record<string, string>;
    const result = await ctx.db.transaction().execute((trx) => recordMoveOfAddress(trx, actor, request.params.personId,
      { line1: v.line1 ?? '', postcode: v.postcode ?? '', borough: v.borough ?? '', movedOn: dateOf(v, 'movedOn') }, meta(request)));
    if (!result.ok) return renderMove(request, reply, request.params.personId, v, toErrors(result.problems));
    return reply.redirect(`/people/${request.params.personId}`, 303);
  });

  /** The relocation, when the actor may see its child; else the refusal (404 and a denied row). */
  async function load(request: FastifyRequest, id: string) {
    const actor = userOf(request);
    const row = isUuid(id) ? await ctx.db.selectFrom('relocation').selectAll().where('id', '=', id).executeTakeFirst() : undefined;
    if (!row) return refuseRecord(ctx, request, { detail: { relocationId: id } });
    if (!(await authorizePerson(ctx.db, actor, 'person.read', row.person_id))) return refuseRecord(ctx, request, { personId: row.person_id, detail: { relocationId: row.id } });
    return row;
  }

  async function render(request: FastifyRequest, reply: FastifyReply, id: string, values: Record<string, string>, errors: FormError[]) {
    const actor = userOf(request);
    const row = await load(request, id);
    const [names, senior, people] = await Promise.all([
      displayNames(ctx.db, [row.person_id]), isSeniorManager(ctx.db, actor),
      ctx.db.selectFrom('app_user').select(['id', 'name']).where('id', 'in', [row.created_by_user_id, row.signed_off_by_user_id ?? row.created_by_user_id]).execute(),
    ]);
    const nameOf = new Map(people.map((p) => [p.id, p.name]));
    const transfer = await ctx.db.selectFrom('transfer').select(['id', 'status']).where('relocation_id', '=', row.id).executeTakeFirst();
    await recordAccess(ctx.db, { actor, action: 'relocation.read', personId: row.person_id, route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { relocationId: row.id } });
    reply.status(errors.length ? 400 : 200);
    return reply.view('transfers/views/relocation.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, r: { ...row, statusLabel: STATUS_LABELS[row.status] },
      childName: names.get(row.person_id) ?? 'Name not recorded', author: nameOf.get(row.created_by_user_id), signer: row.signed_off_by_user_id ? nameOf.get(row.signed_off_by_user_id) : null,
      fields: Object.entries(RELOCATION_FIELDS).map(([key, label]) => ({ label, value: row[({ risksNewArea: 'risks_new_area', tiesOldArea: 'ties_old_area', networkLost: 'network_lost', familyPosition: 'family_position', views: 'views' } as const)[key as RelocationField]] })),
      maySignOff: senior && actor.roles.includes('team_manager') && actor.userId !== row.created_by_user_id && row.status === 'assessing' && !row.signed_off_at,
      transfer, values, errors, fieldErrors: Object.fromEntries(errors.map((e) => [e.field, { text: e.text }])),
    });
  }

  r.get('/relocations/:relocationId', { schema: { params }, config: { access: { kind: 'record', roles: CASE_HOLDING_ROLES, action: 'relocation.read' } } },
    async (request, reply) => render(request, reply, request.params.relocationId, {}, []));

  r.post('/relocations/:relocationId/sign-off', { schema: { params, body: z.object({ _csrf: z.string().optional() }) }, config: { access: { kind: 'record', roles: ['team_manager'], action: 'relocation.sign_off' } } }, async (request, reply) => {
    const actor = userOf(request);
    const row = await load(request, request.params.relocationId);
    // Only a senior manager, and not the assessment's author, signs off.
    if (!(await isSeniorManager(ctx.db, actor)) || actor.userId === row.created_by_user_id) return refuseRecord(ctx, request, { personId: row.person_id, detail: { relocationId: row.id } });
    const result = await ctx.db.transaction().execute((trx) => signOffRelocation(trx, actor, row.id, meta(request)));
    if (!result.ok) return render(request, reply, row.id, {}, toErrors(result.problems));
    return reply.redirect(`/relocations/${row.id}`, 303);
  });

  r.post('/relocations/:relocationId/plan', { schema: { params, body: dateBody('plannedOn') }, config: { access: { kind: 'record', roles: CASE_HOLDING_ROLES, action: 'relocation.plan' } } }, async (request, reply) => {
    const actor = userOf(request);
    const row = await load(request, request.params.relocationId);
    const values = request.body as Record<string, string>;
    const result = await ctx.db.transaction().execute((trx) => planRelocation(trx, actor, row.id, dateOf(values, 'plannedOn'), meta(request)));
    if (!result.ok) return render(request, reply, row.id, values, toErrors(result.problems));
    return reply.redirect(`/relocations/${row.id}`, 303);
  });

  r.post('/relocations/:relocationId/moved', { schema: { params, body: dateBody('movedOn') }, config: { access: { kind: 'record', roles: CASE_HOLDING_ROLES, action: 'relocation.plan' } } }, async (request, reply) => {
    const actor = userOf(request);
    const row = await load(request, request.params.relocationId);
    const values = request.body as Record<string, string>;
    const result = await ctx.db.transaction().execute((trx) => recordMove(trx, actor, row.id, dateOf(values, 'movedOn'), meta(request)));
    if (!result.ok) return render(request, reply, row.id, values, toErrors(result.problems));
    return reply.redirect(`/relocations/${row.id}`, 303);
  });

  r.post('/relocations/:relocationId/review', { schema: { params, body: reviewBody }, config: { access: { kind: 'record', roles: CASE_HOLDING_ROLES, action: 'relocation.review' } } }, async (request, reply) => {
    const actor = userOf(request);
    const row = await load(request, request.params.relocationId);
    const result = await ctx.db.transaction().execute((trx) => reviewRelocation(trx, actor, row.id, request.body, meta(request)));
    if (!result.ok) return render(request, reply, row.id, request.body, toErrors(result.problems));
    return reply.redirect(`/relocations/${row.id}`, 303);
  });
}
