import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import type { RouteAccess } from '../../access.js';
import { actorOf, routeOf, userOf } from '../../request.js';
import { INTAKE_ROLES } from './intake.policy.js';
import { listMappings } from './intake.queries.js';

const many = z.union([z.string().max(60), z.array(z.string().max(60)).max(30)]).optional()
  .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]).filter(Boolean));

const saveBody = z.object({
  _csrf: z.string().max(200).optional(),
  agencyCode: z.string().max(200).default(''),
  eventTypeCode: z.string().max(80).default(''),
  factorCodes: many,
  description: z.string().max(2000).default(''),
});

async function render(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, values: Record<string, unknown>, errors: { href: string; text: string; field: string }[], status = 200) {
  const actor = actorOf(request);
  const [mappings, types, factors] = await Promise.all([
    listMappings(ctx.db, actor.organisationId),
    ctx.db.selectFrom('event_type').select(['code', 'label']).orderBy('label').execute(),
    ctx.db.selectFrom('factor').select(['code', 'label']).orderBy('label').execute(),
  ]);
  reply.status(status);
  return reply.view('intake/views/mappings.njk', {
    user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'intake', mappings, types, factors, values, errors,
    fieldErrors: Object.fromEntries(errors.map((e) => [e.field, { text: e.text }])),
  });
}

/** Who keeps the code table: the people who import for their organisation. */
const keepers: RouteAccess = { kind: 'roles', roles: INTAKE_ROLES, action: 'intake.mapping.write' };

/** The organisation's code table: its own event codes mapped to the vocabulary, used by every import. */
export async function mappingRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/intake/mappings', { config: { access: keepers } }, async (request, reply) => {
    return render(ctx, request, reply, {}, []);
  });

  r.post('/intake/mappings', { schema: { body: saveBody }, config: { access: keepers } }, async (request, reply) => {
    const actor = userOf(request);
    const v = request.body;
    const code = v.agencyCode.trim();
    const errors: { href: string; text: string; field: string }[] = [];
    if (!code) errors.push({ field: 'agencyCode', href: '#agencyCode', text: 'Enter your organisation\'s code' });
    else if (code.length > 80) errors.push({ field: 'agencyCode', href: '#agencyCode', text: 'Code must be 80 characters or fewer' });
    const type = v.eventTypeCode ? await ctx.db.selectFrom('event_type').select('code').where('code', '=', v.eventTypeCode).executeTakeFirst() : undefined;
    if (!type) errors.push({ field: 'eventTypeCode', href: '#eventTypeCode', text: 'Choose the vocabulary event type it means' });
    const known = v.factorCodes.length ? await ctx.db.selectFrom('factor').select('code').where('code', 'in', v.factorCodes).execute() : [];
    if (known.length !== new Set(v.factorCodes).size) errors.push({ field: 'factorCodes', href: '#factorCodes', text: 'Choose factors from the list' });
    if (errors.length) return render(ctx, request, reply, v, errors, 400);
    await ctx.db.transaction().execute(async (trx) => {
      await trx.insertInto('agency_code_mapping').values({
        organisation_id: actor.organisationId, agency_code: code, event_type_code: v.eventTypeCode, factor_codes: [...new Set(v.factorCodes)],
        description: v.description.trim() || null, updated_by_user_id: actor.userId,
      }).onConflict((oc) => oc.columns(['organisation_id', 'agency_code']).doUpdateSet({
        event_type_code: v.eventTypeCode, factor_codes: [...new Set(v.factorCodes)], description: v.description.trim() || null,
        updated_by_user_id: actor.userId, updated_at: new Date(),
      })).execute();
      await recordAccess(trx, { actor, action: 'intake.mapping.write', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { agencyCode: code, eventTypeCode: v.eventTypeCode } });
    });
    return reply.redirect('/intake/mappings?saved=1', 303);
  });

  r.post('/intake/mappings/delete', {
    schema: { body: z.object({ _csrf: z.string().max(200).optional(), agencyCode: z.string().max(200).default('') }) },
    config: { access: keepers },
  }, async (request, reply) => {
    const actor = userOf(request);
    await ctx.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('agency_code_mapping').where('organisation_id', '=', actor.organisationId).where('agency_code', '=', request.body.agencyCode).execute();
      await recordAccess(trx, { actor, action: 'intake.mapping.write', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { agencyCode: request.body.agencyCode, removed: true } });
    });
    return reply.redirect('/intake/mappings', 303);
  });
}
