/**
 * The allocation API for an organisation's system: allocate one of its own users to a child (under
 * the same rule as a team manager: its organisation works with the child, recorded entries about
 * them, or is the child's front door), end one of its own involvements with a handover note, and
 * read who works with a child and how that changed.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { refuseRecord } from '../../access.js';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { ValidationError } from '../../errors.js';
import { actorOf, isUuid, routeOf } from '../../request.js';
import { isRealIsoDate } from '../chronology/chronology.schemas.js';
import { errorSchema } from '../api/api.schemas.js';
import { allocate, endInvolvement, NOTE_MAX, NOTE_MIN } from './allocation.commands.js';
import { mayAllocate, mayEnd } from './allocation.policy.js';
import { ALLOCATION_ROLES, involvementHistory } from './allocation.queries.js';

const security = [{ apiKey: [] }];
const roleEnum = z.enum(Object.keys(ALLOCATION_ROLES) as [keyof typeof ALLOCATION_ROLES, ...(keyof typeof ALLOCATION_ROLES)[]]);

/** The body to allocate a worker. Unknown properties are refused. */
export const allocateBodySchema = z.strictObject({
  userId: z.string().uuid(),
  role: roleEnum,
  startedOn: z.string().max(10).refine(isRealIsoDate, 'must be a date, like 2026-03-01'),
  replacesInvolvementId: z.string().uuid().nullable().optional(),
  handoverNote: z.string().max(NOTE_MAX).nullable().optional().describe(`Required (${NOTE_MIN} to ${NOTE_MAX} characters) when replacing a worker or naming a new lead professional`),
});

/** The body to end an involvement. */
export const endBodySchema = z.strictObject({
  handoverNote: z.string().min(NOTE_MIN).max(NOTE_MAX).describe('Why the work ends, and what the next worker needs to know'),
});

const involvementSchema = z.object({
  id: z.string().uuid(),
  personId: z.string().uuid(),
  organisation: z.object({ id: z.string().uuid(), name: z.string() }),
  team: z.string().nullable(),
  worker: z.object({ id: z.string().uuid(), name: z.string() }).nullable(),
  role: z.string(),
  startedOn: z.string(),
  endedOn: z.string().nullable(),
  active: z.boolean(),
});

/** Who works with a child, and every recorded change of worker. */
export const involvementsSchema = z.object({
  involvements: z.array(involvementSchema),
  changes: z.array(z.object({
    id: z.string().uuid(), involvementId: z.string().uuid(), relatedInvolvementId: z.string().uuid().nullable(),
    kind: z.enum(['allocated', 'ended', 'lead_named', 'replaced']), organisation: z.string(), by: z.string(), note: z.string().nullable(), at: z.string(),
  })),
});

export async function allocationApiRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post('/people/:personId/involvements', {
    schema: {
      tags: ['involvements'], summary: "Allocate one of your organisation's users to a child (role lead_professional names the child's lead professional)", security,
      params: z.object({ personId: z.string().max(64) }), body: allocateBodySchema,
      response: { 201: z.object({ id: z.string().uuid(), ended: z.array(z.string().uuid()) }), 400: errorSchema, 401: errorSchema, 404: errorSchema },
    },
    config: { access: { kind: 'record', api: true, action: 'involvement.allocate' } },
  }, async (request, reply) => {
    const actor = actorOf(request);
    const personId = request.params.personId;
    if (!(await mayAllocate(ctx.db, actor, personId))) return refuseRecord(ctx, request, { personId: isUuid(personId) ? personId : null });
    const b = request.body;
    const result = await ctx.db.transaction().execute((trx) => allocate(trx, actor, {
      personId, userId: b.userId, role: b.role, startedOn: b.startedOn, replacesInvolvementId: b.replacesInvolvementId ?? null, note: b.handoverNote ?? null,
    }, { route: routeOf(request), requestId: request.id }));
    if (!result.ok) throw new ValidationError(result.problems.map((p) => ({ field: API_FIELD[p.field] ?? p.field, message: p.message })));
    reply.status(201);
    return { id: result.value.involvementId, ended: result.value.ended };
  });

  r.post('/involvements/:id/end', {
    schema: {
      tags: ['involvements'], summary: "End one of your organisation's involvements with a child, with a handover note", security,
      params: z.object({ id: z.string().max(64) }), body: endBodySchema,
      response: { 200: z.object({ id: z.string().uuid(), ended: z.literal(true) }), 400: errorSchema, 401: errorSchema, 404: errorSchema },
    },
    config: { access: { kind: 'record', api: true, action: 'involvement.end' } },
  }, async (request) => {
    const actor = actorOf(request);
    const id = request.params.id;
    const inv = isUuid(id) ? await ctx.db.selectFrom('involvement').select(['id', 'person_id', 'organisation_id', 'started_on', 'ended_on']).where('id', '=', id).executeTakeFirst() : undefined;
    if (!inv || !mayEnd(actor, inv)) return refuseRecord(ctx, request, { personId: inv?.person_id ?? null, detail: { involvementId: isUuid(id) ? id : null } });
    const result = await ctx.db.transaction().execute((trx) => endInvolvement(trx, actor, inv.id, request.body.handoverNote, { route: routeOf(request), requestId: request.id }));
    if (!result.ok) throw new ValidationError(result.problems.map((p) => ({ field: API_FIELD[p.field] ?? p.field, message: p.message })));
    return { id: inv.id, ended: true as const };
  });

  r.get('/people/:personId/involvements', {
    schema: {
      tags: ['involvements'], summary: 'Who works with a child (every involvement, in force or ended) and every recorded change of worker, with handover notes', security,
      params: z.object({ personId: z.string().max(64) }),
      response: { 200: involvementsSchema, 401: errorSchema, 404: errorSchema },
    },
    config: { access: { kind: 'api_person', action: 'involvement.read' } },
  }, async (request) => {
    const actor = actorOf(request);
    const personId = request.params.personId;
    const h = await involvementHistory(ctx.db, personId);
    await recordAccess(ctx.db, { actor, action: 'involvement.read', personId, route: routeOf(request), outcome: 'allowed', requestId: request.id });
    const today = new Date().toISOString().slice(0, 10);
    return {
      involvements: h.involvements.map((i) => ({
        id: i.id, personId: i.personId, organisation: { id: i.organisationId, name: i.organisationName }, team: i.teamName,
        worker: i.userId ? { id: i.userId, name: i.userName ?? '' } : null, role: i.role, startedOn: i.startedOn, endedOn: i.endedOn,
        active: i.startedOn <= today && (i.endedOn === null || i.endedOn >= today),
      })),
      changes: h.changes.map((c) => ({
        id: c.id, involvementId: c.involvementId, relatedInvolvementId: c.relatedInvolvementId, kind: c.kind as 'allocated', organisation: c.organisationName,
        by: c.byName, note: c.note, at: c.at.toISOString(),
      })),
    };
  });
}

/** The API's names for the command's fields. */
const API_FIELD: Record<string, string> = { note: 'handoverNote', replaces: 'replacesInvolvementId' };
