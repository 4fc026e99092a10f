import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { refuseRecord } from '../../access.js';
import type { Actor } from '../../actor.js';
import { recordAccess, recordAccessMany } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { isUuid, routeOf, userOf } from '../../request.js';
import { decideReview } from './commands/decide-review.js';
import { unmergePersons } from './identity.merges.js';
import { IDENTITY_REVIEW_ROLES, mayUnmerge } from './identity.policy.js';
import { presentExplanation } from './identity.presenter.js';
import { getReview, listOpenReviews } from './identity.queries.js';

const itemParams = z.object({ itemId: z.string().max(64) });
const decisionBody = z.object({
  _csrf: z.string().optional(),
  decision: z.string().max(20).optional(),
  note: z.string().max(1000).optional(),
});
const DECISIONS = ['same', 'different', 'unsure'] as const;

/** The review queue, the comparison page with its decision form, and undoing a merge. */
export async function identityRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  // Items are their own organisation's only: any other is refused as "not found", with its denied row.
  async function loadItem(request: FastifyRequest, actor: Actor & { kind: 'user' }, itemId: string) {
    const item = isUuid(itemId) ? await getReview(ctx.db, itemId, actor.organisationId) : null;
    return item ?? refuseRecord(ctx, request, { detail: { reviewItemId: isUuid(itemId) ? itemId : null } });
  }

  r.get('/identity/review', {
    config: {
      access: { kind: 'roles', roles: IDENTITY_REVIEW_ROLES, action: 'identity.review.list' },
      nav: { text: 'Possible matches', key: 'identity', order: 110, group: 'Information governance', hint: 'Records that may be the same child, for a person to decide' },
    },
  }, async (request, reply) => {
    const actor = userOf(request);
    const items = await listOpenReviews(ctx.db, actor.organisationId);
    await recordAccess(ctx.db, { actor, action: 'identity.review.list', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { items: items.length } });
    return reply.view('identity/views/review-queue.njk', { user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'identity', items });
  });

  async function renderItem(request: FastifyRequest, actor: Actor & { kind: 'user' }, item: NonNullable<Awaited<ReturnType<typeof getReview>>>, form: { errors: { href: string; text: string }[]; values: { decision?: string; note?: string } }) {
    // Showing the comparison discloses both records' identifying details: one row per person.
    await recordAccessMany(ctx.db, [item.personId, item.candidatePersonId].map((personId) => ({
      actor, action: 'identity.review.read' as const, personId, route: routeOf(request), outcome: 'allowed' as const, requestId: request.id, detail: { reviewItemId: item.id },
    })));
    return { user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'identity', item, comparison: presentExplanation(item.explanation), ...form };
  }

  r.get('/identity/review/:itemId', {
    schema: { params: itemParams },
    config: { access: { kind: 'record', roles: IDENTITY_REVIEW_ROLES, action: 'identity.review.read' } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const item = await loadItem(request, actor, request.params.itemId);
    return reply.view('identity/views/review-item.njk', await renderItem(request, actor, item, { errors: [], values: {} }));
  });

  r.post('/identity/review/:itemId', {
    schema: { params: itemParams, body: decisionBody },
    config: { access: { kind: 'record', roles: IDENTITY_REVIEW_ROLES, action: 'identity.review.decide' } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const item = await loadItem(request, actor, request.params.itemId);
    const decision = DECISIONS.find((x) => x === request.body.decision);
    const note = request.body.note?.trim() || null;
    const errors: { href: string; text: string }[] = [];
    if (!decision) errors.push({ href: '#decision', text: 'Select whether these records are the same person' });
    if (decision === 'unsure' && !note) errors.push({ href: '#note', text: 'Say what you need to know, and from whom, so someone can answer' });
    if (!item.open) errors.push({ href: '#decision', text: 'This possible match has already been decided' });
    if (errors.length || !decision) {
      reply.status(400);
      return reply.view('identity/views/review-item.njk', await renderItem(request, actor, item, { errors, values: request.body }));
    }
    const result = await ctx.db.transaction().execute(async (trx) => {
      const out = await decideReview(trx, { itemId: item.id, organisationId: actor.organisationId, userId: actor.userId, decision, note });
      await recordAccessMany(trx, [out.personId, out.candidatePersonId].map((personId) => ({
        actor, action: 'identity.review.decide' as const, personId, route: routeOf(request), outcome: 'allowed' as const, requestId: request.id,
        detail: { reviewItemId: item.id, decision, mergeId: out.mergeId },
      })));
      return out;
    });
    return reply.redirect(`/identity/review?decided=${decision}&merge=${result.mergeId ?? ''}`, 303);
  });

  r.post('/identity/merges/:mergeId/unmerge', {
    schema: { params: z.object({ mergeId: z.string().max(64) }), body: z.object({ _csrf: z.string().optional(), personId: z.string().max(64).optional(), reason: z.string().max(1000).optional() }) },
    // The person who made the merge, their team manager or a data protection officer undoes it
    // (mayUnmerge); a relationship with the child is not what decides.
    config: { access: { kind: 'record', action: 'identity.unmerge', roles: IDENTITY_REVIEW_ROLES } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const mergeId = request.params.mergeId;
    const merge = isUuid(mergeId)
      ? await ctx.db.selectFrom('person_merge').select(['id', 'survivor_person_id', 'merged_person_id']).where('id', '=', mergeId).executeTakeFirst()
      : undefined;
    // A refusal of a real merge goes on the child's access log; a missing one answers the same.
    if (!merge || !(await mayUnmerge(ctx.db, actor, merge.id))) {
      return refuseRecord(ctx, request, { personId: merge?.survivor_person_id ?? null, detail: { mergeId: isUuid(mergeId) ? mergeId : null } });
    }
    const reason = request.body.reason?.trim() || 'Undone from the person page';
    await ctx.db.transaction().execute(async (trx) => {
      await unmergePersons(trx, { mergeId: merge.id, reason, userId: actor.userId });
      await recordAccessMany(trx, [merge.survivor_person_id, merge.merged_person_id].map((p) => ({
        actor, action: 'identity.unmerge' as const, personId: p, route: routeOf(request), outcome: 'allowed' as const, requestId: request.id, detail: { mergeId: merge.id },
      })));
    });
    const back = request.body.personId;
    // From the child's page, back to it; from "who has seen this record", back to that.
    return reply.redirect(back && isUuid(back) ? `/people/${back}#agency-records` : `/admin/access-log?person=${merge.survivor_person_id}`, 303);
  });
}
