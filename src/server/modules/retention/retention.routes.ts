import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { AppError, NotFoundError } from '../../errors.js';
import { parseDateParts } from '../../forms.js';
import { actorOf, routeOf } from '../people/people.guard.js';
import { isUuid } from '../people/people.policy.js';
import { displayNames } from '../people/people.queries.js';
import { decideRetention } from './commands/decide-retention.js';
import { dueForReview } from './retention.queries.js';

/** Retention: the records due for review and the decisions on them, for the data protection officer. */
export async function retentionRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  const dpo = async (request: Parameters<typeof actorOf>[0], action: 'retention.read' | 'retention.decide') => {
    const actor = actorOf(request);
    if (actor.kind !== 'user' || !actor.roles.includes('data_protection_officer')) {
      await recordAccess(ctx.db, { actor, action, route: routeOf(request), outcome: 'denied', requestId: request.id });
      throw new NotFoundError();
    }
    return actor;
  };

  async function renderList(request: Parameters<typeof actorOf>[0], reply: import('fastify').FastifyReply, actor: Awaited<ReturnType<typeof dpo>>, errors: { href: string; text: string }[] = [], status = 200) {
    const today = new Date().toISOString().slice(0, 10);
    const due = await dueForReview(ctx.db, today);
    const names = await displayNames(ctx.db, due.map((d) => d.personId));
    const rules = await ctx.db.selectFrom('retention_rule').selectAll().where('active', '=', true).orderBy('basis').execute();
    await recordAccess(ctx.db, { actor, action: 'retention.read', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { personIds: due.map((d) => d.personId) } });
    reply.status(status);
    return reply.view('retention/views/due.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'admin', canReadAccessLog: true,
      due: due.map((d) => ({ ...d, name: names.get(d.personId) ?? '' })), rules, errors,
    });
  }

  r.get('/admin/retention', async (request, reply) => renderList(request, reply, await dpo(request, 'retention.read')));

  r.post('/admin/retention/:personId/decision', {
    schema: {
      params: z.object({ personId: z.string().max(64) }),
      body: z.object({
        _csrf: z.string().optional(), decision: z.string().max(10).default(''), reason: z.string().max(5000).default(''),
        ruleId: z.string().max(64).default(''), confirm: z.string().max(10).optional(),
        'next-day': z.string().max(4).default(''), 'next-month': z.string().max(4).default(''), 'next-year': z.string().max(6).default(''),
      }),
    },
  }, async (request, reply) => {
    const actor = await dpo(request, 'retention.decide');
    const personId = request.params.personId;
    const exists = isUuid(personId) && (await ctx.db.selectFrom('person').select('id').where('id', '=', personId).where('erased_at', 'is', null).executeTakeFirst());
    if (!exists) throw new NotFoundError();
    const b = request.body;
    const ruleId = isUuid(b.ruleId) ? b.ruleId : null;
    const errors: { href: string; text: string }[] = [];
    if (b.decision !== 'retain' && b.decision !== 'delete') errors.push({ href: `#decision-${personId}`, text: 'Choose whether to keep or delete the record' });
    if (b.decision === 'delete' && b.confirm !== 'yes') errors.push({ href: `#confirm-${personId}`, text: 'Confirm that the record should be deleted: this cannot be undone' });
    const next = b.decision === 'retain' ? parseDateParts(b['next-day'], b['next-month'], b['next-year'], { requireDay: true }) : null;
    if (next && !next.ok) errors.push({ href: `#next-${personId}-day`, text: `The next review date ${next.error}` });
    if (errors.length) return renderList(request, reply, actor, errors, 400);
    try {
      await decideRetention(ctx.db, actor as typeof actor & { kind: 'user' }, personId,
        b.decision === 'retain' ? { decision: 'retain', reason: b.reason, nextReviewOn: (next as { date: string }).date, ruleId } : { decision: 'delete', reason: b.reason, ruleId },
        { route: routeOf(request), requestId: request.id });
    } catch (err) {
      if (err instanceof AppError && err.details) {
        return renderList(request, reply, actor, err.details.map((d) => ({ href: `#${d.field}-${personId}`, text: d.message })), 400);
      }
      throw err;
    }
    return reply.redirect('/admin/retention', 303);
  });
}
