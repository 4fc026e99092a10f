import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { holdsRole } from '../../access.js';
import type { Actor, Role } from '../../actor.js';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { routeOf, userOf } from '../../request.js';
import { fairnessSections, loadBaseline, parseBaseline } from './fairness.queries.js';

/** Analysts and partnership administrators see the fairness page (aggregates only). */
export const FAIRNESS_ROLES: readonly Role[] = ['analyst', 'partnership_admin'];

/** Only partnership administrators set the local population baseline. */
export const BASELINE_ROLES: readonly Role[] = ['partnership_admin'];

export function canSetBaseline(actor: Actor): boolean {
  return holdsRole(actor, BASELINE_ROLES);
}

/**
 * The fairness page: children considered under the reader's partnership's rules and relative rates
 * against that partnership's child population. The partnership is always the actor's own.
 */
export async function fairnessRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  async function render(request: FastifyRequest, reply: FastifyReply, actor: Actor & { kind: 'user' }, extra: Record<string, unknown> = {}, status = 200) {
    const baseline = await loadBaseline(ctx.db, actor.partnershipId);
    const sections = await fairnessSections(ctx.db, baseline.byDimension, actor.partnershipId);
    await recordAccess(ctx.db, { actor, action: 'fairness.read', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { sections: sections.length, partnershipId: actor.partnershipId } });
    const baselineText = baseline.rows.map((b) => `${b.dimension},${b.category},${b.children}`).join('\n');
    reply.status(status);
    return reply.view('fairness/views/fairness.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'fairness', sections, baseline: baseline.rows,
      canSetBaseline: canSetBaseline(actor), values: { baseline: baselineText, source: baseline.rows[0]?.source ?? '' }, errors: [], fieldErrors: {}, ...extra,
    });
  }

  r.get('/fairness', {
    config: { access: { kind: 'roles', roles: FAIRNESS_ROLES, action: 'fairness.read' }, nav: { text: 'Fairness', key: 'fairness', order: 50, group: 'Oversight and figures', hint: 'Who the early identification rules consider, against the local population' } },
  }, async (request, reply) => render(request, reply, userOf(request)));

  r.post('/fairness/baseline', {
    schema: { body: z.object({ _csrf: z.string().max(200).optional(), baseline: z.string().max(20_000).default(''), source: z.string().max(500).default('') }) },
    config: { access: { kind: 'roles', roles: BASELINE_ROLES, action: 'baseline.change' } },
  }, async (request, reply) => {
    const actor = userOf(request);
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
      // Replaces the administrator's own partnership's baseline, never another's.
      await trx.deleteFrom('population_baseline').where('partnership_id', '=', actor.partnershipId).execute();
      await trx.insertInto('population_baseline').values(rows.map((b) => ({ ...b, partnership_id: actor.partnershipId, source: request.body.source.trim(), updated_by_user_id: actor.userId }))).execute();
      await recordAccess(trx, { actor, action: 'baseline.change', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { partnershipId: actor.partnershipId, rows: rows.length, source: request.body.source.trim() } });
    });
    return reply.redirect('/fairness#baseline-heading', 303);
  });
}
