import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { refuseRecord } from '../../access.js';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { AppError } from '../../errors.js';
import { parseDateParts } from '../../forms.js';
import { isUuid, routeOf, userOf } from '../../request.js';
import { displayNames } from '../people/people.queries.js';
import { decideRetention } from './commands/decide-retention.js';
import { dueForReview } from './retention.queries.js';

/** Retention: the records due for review and the decisions on them, for the data protection officer. */
export async function retentionRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  async function renderList(request: import('fastify').FastifyRequest, reply: import('fastify').FastifyReply, actor: ReturnType<typeof userOf>, errors: { href: string; text: string }[] = [], status = 200) {
    const today = new Date().toISOString().slice(0, 10);
    const due = await dueForReview(ctx.db, today);
    const names = await displayNames(ctx.db, due.map((d) => d.personId));
    const rules = await ctx.db.selectFrom('retention_rule').selectAll().where('active', '=', true).orderBy('basis').execute();
    await recordAccess(ctx.db, { actor, action: 'retention.read', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { personIds: due.map((d) => d.personId) } });
    reply.status(status);
    return reply.view('retention/views/due.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'admin',
      due: due.map((d) => ({ ...d, name: names.get(d.personId) ?? '' })), rules, errors,
    });
  }

  r.get('/admin/retention', {
    config: {
      access: { kind: 'roles', roles: ['data_protection_officer'], action: 'retention.read' },
      nav: { text: 'Retention', key: 'retention', order: 100 },
    },
  }, async (request, reply) => renderList(request, reply, userOf(request)));

  r.post('/admin/retention/:personId/decision', {
    schema: {
      params: z.object({ personId: z.string().max(64) }),
      body: z.object({
        _csrf: z.string().optional(), decision: z.string().max(10).default(''), reason: z.string().max(5000).default(''),
        ruleId: z.string().max(64).default(''), confirm: z.string().max(10).optional(),
        'next-day': z.string().max(4).default(''), 'next-month': z.string().max(4).default(''), 'next-year': z.string().max(6).default(''),
      }),
    },
    config: { access: { kind: 'record', roles: ['data_protection_officer'], action: 'retention.decide' } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const personId = request.params.personId;
    const exists = isUuid(personId) && (await ctx.db.selectFrom('person').select('id').where('id', '=', personId).where('erased_at', 'is', null).executeTakeFirst());
    if (!exists) return refuseRecord(ctx, request, { personId });
    const b = request.body;
    const ruleId = isUuid(b.ruleId) ? b.ruleId : null;
    const errors: { href: string; text: string }[] = [];
    if (b.decision !== 'retain' && b.decision !== 'delete') errors.push({ href: `#decision-${personId}`, text: 'Choose whether to keep or delete the record' });
    if (b.decision === 'delete' && b.confirm !== 'yes') errors.push({ href: `#confirm-${personId}`, text: 'Confirm that the record should be deleted: this cannot be undone' });
    const next = b.decision === 'retain' ? parseDateParts(b['next-day'], b['next-month'], b['next-year'], { requireDay: true }) : null;
    if (next && !next.ok) errors.push({ href: `#next-${personId}-day`, text: `The next review date ${next.error}` });
    if (errors.length) return renderList(request, reply, actor, errors, 400);
    try {
      await decideRetention(ctx.db, actor, personId,
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
