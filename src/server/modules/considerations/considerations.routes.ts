import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { refuseRecord } from '../../access.js';
import type { Actor } from '../../actor.js';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { AppError } from '../../errors.js';
import { actorOf, isUuid, routeOf } from '../../request.js';
import { decideConsideration as recordDecision, checkDecision } from './commands/decide-consideration.js';
import { decideConsideration, type ConsiderationAction } from './considerations.policy.js';
import { getConsideration, inbox, type ConsiderationDetail } from './considerations.queries.js';

const idParams = z.object({ considerationId: z.string().max(64) });
const decisionBody = z.object({
  _csrf: z.string().max(200).optional(),
  decision: z.string().max(40).default(''),
  service: z.string().max(2000).default(''),
  reason: z.string().max(20_000).default(''),
});

/** Decision labels for pages. */
export const DECISION_LABELS: Record<string, string> = { offer_of_help: 'Offer of help', already_in_hand: 'Already in hand', no_action: 'No action', refer_to_panel: 'Referred to a panel' };

/** The considerations inbox, a consideration with its evidence, and the recipient's decision. */
export async function considerationRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  async function guard(request: FastifyRequest, action: ConsiderationAction, id: string): Promise<{ actor: Actor & { kind: 'user' }; c: ConsiderationDetail }> {
    const actor = actorOf(request);
    const c = isUuid(id) ? await getConsideration(ctx.db, actor, id) : null;
    if (c && actor.kind === 'user' && decideConsideration(actor, action, c)) return { actor, c };
    return refuseRecord(ctx, request, { action, personId: c?.personId ?? null, detail: { considerationId: isUuid(id) ? id : null } });
  }

  function render(request: FastifyRequest, reply: FastifyReply, actor: Actor, c: ConsiderationDetail, extra: Record<string, unknown> = {}) {
    return reply.view('considerations/views/consideration.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'considerations', c, decisionLabels: DECISION_LABELS,
      canDecide: decideConsideration(actor, 'consideration.decide', c), values: {}, errors: [], fieldErrors: {}, ...extra,
    });
  }

  r.get('/considerations', {
    schema: { querystring: z.object({ show: z.enum(['open', 'decided']).default('open') }) },
    config: { access: { kind: 'signed_in' }, nav: { text: 'Considerations', key: 'considerations', order: 30, bar: true } },
  }, async (request, reply) => {
    const actor = actorOf(request);
    const items = await inbox(ctx.db, actor, request.query.show);
    if (items.length) {
      await recordAccess(ctx.db, {
        actor, action: 'consideration.list', route: routeOf(request), outcome: 'allowed', requestId: request.id,
        detail: { personIds: [...new Set(items.map((i) => i.personId))], considerationIds: items.map((i) => i.id) },
      });
    }
    return reply.view('considerations/views/inbox.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'considerations', items, show: request.query.show, decisionLabels: DECISION_LABELS,
    });
  });

  r.get('/considerations/:considerationId', {
    schema: { params: idParams, querystring: z.object({ decided: z.string().max(5).optional() }) },
    config: { access: { kind: 'record', action: 'consideration.read' } },
  }, async (request, reply) => {
    const { actor, c } = await guard(request, 'consideration.read', request.params.considerationId);
    await recordAccess(ctx.db, {
      actor, action: 'consideration.read', personId: c.personId, route: routeOf(request), outcome: 'allowed', requestId: request.id,
      detail: { considerationId: c.id, eventIds: c.events.map((e) => e.id) },
    });
    return render(request, reply, actor, c, { justDecided: request.query.decided === 'yes' });
  });

  r.post('/considerations/:considerationId/decision', {
    schema: { params: idParams, body: decisionBody },
    config: { access: { kind: 'record', action: 'consideration.decide' } },
  }, async (request, reply) => {
    const { actor, c } = await guard(request, 'consideration.decide', request.params.considerationId);
    const problems = checkDecision(request.body);
    const show = (list: { field: string; message: string }[]) => {
      reply.status(400);
      return render(request, reply, actor, c, {
        values: request.body,
        errors: list.map((p) => ({ href: p.field === 'decision' ? '#decision' : `#${p.field}`, text: p.message })),
        fieldErrors: Object.fromEntries(list.map((p) => [p.field, { text: p.message }])),
      });
    };
    if (problems.length) return show(problems);
    try {
      await recordDecision(ctx.db, actor, c.id, request.body, { route: routeOf(request), requestId: request.id });
    } catch (err) {
      if (err instanceof AppError && err.details) return show(err.details);
      throw err;
    }
    return reply.redirect(`/considerations/${c.id}?decided=yes`, 303);
  });
}
