import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Actor } from '../../actor.js';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { NotFoundError } from '../../errors.js';
import { actorOf, routeOf } from '../people/people.guard.js';
import { fairnessSections, loadBaseline, parseBaseline } from './fairness.queries.js';

/** Analysts and partnership administrators see the fairness page (aggregates only). */
export function canReadFairness(actor: Actor): boolean {
  return actor.kind === 'user' && actor.roles.some((r) => r === 'analyst' || r === 'partnership_admin');
}

/** Only partnership administrators set the local population baseline. */
export function canSetBaseline(actor: Actor): boolean {
  return actor.kind === 'user' && actor.roles.includes('partnership_admin');
}

/** The fairness page: children considered and relative rates against the local child population. */
export async function fairnessRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  async function deny(request: FastifyRequest, actor: Actor, action: 'fairness.read' | 'baseline.change'): Promise<never> {
    await recordAccess(ctx.db, { actor, action, route: routeOf(request), outcome: 'denied', requestId: request.id });
    throw new NotFoundError();
  }

  async function render(request: FastifyRequest, reply: FastifyReply, actor: Actor, extra: Record<string, unknown> = {}, status = 200) {
    const baseline = await loadBaseline(ctx.db);
    const sections = await fairnessSections(ctx.db, baseline.byDimension);
    await recordAccess(ctx.db, { actor, action: 'fairness.read', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { sections: sections.length } });
    const baselineText = baseline.rows.map((b) => `${b.dimension},${b.category},${b.children}`).join('\n');
    reply.status(status);
    return reply.view('fairness/views/fairness.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'fairness', sections, baseline: baseline.rows,
      canSetBaseline: canSetBaseline(actor), values: { baseline: baselineText, source: baseline.rows[0]?.source ?? '' }, errors: [], fieldErrors: {}, ...extra,
    });
  }

  r.get('/fairness', async (request, reply) => {
    const actor = actorOf(request);
    if (!canReadFairness(actor)) return deny(request, actor, 'fairness.read');
    return render(request, reply, actor);
  });

  r.post('/fairness/baseline', {
    schema: { body: z.object({ _csrf: z.string().max(200).optional(), baseline: z.string().max(20_000).default(''), source: z.string().max(500).default('') }) },
  }, async (request, reply) => {
    const actor = actorOf(request);
    if (actor.kind !== 'user' || !canSetBaseline(actor)) return deny(request, actor, 'baseline.change');
    const { rows, problems } = parseBaseline(request.body.baseline);
    const errors = problems.map((p) => ({ href: '#baseline', text: p.row ? `Row ${p.row}: ${p.message}` : p.message }));
    if (!request.body.source.trim()) errors.push({ href: '#source', text: 'Enter where the population figures come from' });
    if (errors.length) {
      return render(request, reply, actor, {
        values: request.body, errors,
        fieldErrors: { baseline: errors.some((e) => e.href === '#baseline') ? { text: errors.filter((e) => e.href === '#baseline').map((e) => e.text).join('. ') } : undefined, source: errors.some((e) => e.href === '#source') ? { text: 'Enter where the population figures come from' } : undefined },
      }, 400);
    }
    await ctx.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('population_baseline').execute();
      await trx.insertInto('population_baseline').values(rows.map((b) => ({ ...b, source: request.body.source.trim(), updated_by_user_id: actor.userId }))).execute();
      await recordAccess(trx, { actor, action: 'baseline.change', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { rows: rows.length, source: request.body.source.trim() } });
    });
    return reply.redirect('/fairness#baseline-heading', 303);
  });
}
