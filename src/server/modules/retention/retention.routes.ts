import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { refuseRecord } from '../../access.js';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { AppError } from '../../errors.js';
import { parseDateParts } from '../../forms.js';
import { isUuid, routeOf, userOf } from '../../request.js';
import { displayNames } from '../people/people.queries.js';
import { approveDeletion, decideRetention, type RetentionChoice } from './commands/decide-retention.js';
import { activeInvolvements, dueForReview, pendingDeletionRequests } from './retention.queries.js';

/** Retention: the records due for review and the decisions on them, for the data protection officer. */
export async function retentionRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  async function renderList(request: FastifyRequest, reply: FastifyReply, actor: ReturnType<typeof userOf>, errors: { href: string; text: string }[] = [], status = 200, form: Record<string, string> = {}) {
    const today = new Date().toISOString().slice(0, 10);
    const due = await dueForReview(ctx.db, today);
    const pending = await pendingDeletionRequests(ctx.db);
    const shown = [...new Set([...due.map((d) => d.personId), ...pending.map((p) => p.personId)])];
    const names = await displayNames(ctx.db, shown);
    // The rules shown are the officer's own partnership's; each record is judged by its own partnership's rules.
    const rules = await ctx.db.selectFrom('retention_rule').selectAll().where('active', '=', true).where('partnership_id', '=', actor.partnershipId).orderBy('basis').execute();
    const pendingRows = await Promise.all(pending.map(async (p) => ({
      ...p, name: names.get(p.personId) ?? '', mine: p.requestedBy === actor.userId, involvements: await activeInvolvements(ctx.db, p.personId, today),
    })));
    await recordAccess(ctx.db, { actor, action: 'retention.read', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { personIds: shown } });
    reply.status(status);
    return reply.view('retention/views/due.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'admin',
      due: due.map((d) => ({ ...d, name: names.get(d.personId) ?? '' })), rules, errors, pending: pendingRows, values: form,
      requested: request.query && (request.query as Record<string, unknown>).requested === '1',
    });
  }

  r.get('/admin/retention', {
    config: {
      access: { kind: 'roles', roles: ['data_protection_officer'], action: 'retention.read' },
      nav: { text: 'Retention', key: 'retention', order: 100, group: 'Information governance', hint: 'Records due for review under the retention rules' },
    },
  }, async (request, reply) => renderList(request, reply, userOf(request)));

  r.post('/admin/retention/:personId/decision', {
    schema: {
      params: z.object({ personId: z.string().max(64) }),
      body: z.object({
        _csrf: z.string().optional(), decision: z.string().max(10).default(''), reason: z.string().max(5000).default(''),
        ruleId: z.string().max(64).default(''), confirm: z.string().max(10).optional(), legalBasis: z.string().max(5000).default(''),
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
    return decide(request, reply, actor, personId, b.decision === 'retain'
      ? { decision: 'retain', reason: b.reason, nextReviewOn: (next as { date: string }).date, ruleId }
      : { decision: 'delete', reason: b.reason, ruleId, legalBasis: b.legalBasis }, personId);
  });

  async function decide(request: FastifyRequest, reply: FastifyReply, actor: ReturnType<typeof userOf>, personId: string, choice: RetentionChoice, anchor: string) {
    let outcome;
    try {
      outcome = await decideRetention(ctx.db, actor, personId, choice, { route: routeOf(request), requestId: request.id });
    } catch (err) {
      if (err instanceof AppError && err.details) {
        // The request form keeps what was typed; a card on the due list starts afresh.
        const typed: Record<string, string> = anchor === 'request' && choice.decision === 'delete' ? { person: personId, reason: choice.reason, legalBasis: choice.legalBasis ?? '' } : {};
        return renderList(request, reply, actor, err.details.map((d) => ({ href: `#${d.field}-${anchor}`, text: d.message })), 400, typed);
      }
      throw err;
    }
    return reply.redirect(outcome.kind === 'requested' ? '/admin/retention?requested=1' : '/admin/retention', 303);
  }

  // Deleting a record the rules do not make due: any record, by its reference, with a legal basis;
  // it becomes a request for a second data protection officer (decideRetention).
  r.post('/admin/retention/deletion-requests', {
    schema: {
      body: z.object({
        _csrf: z.string().optional(), person: z.string().max(200).default(''), reason: z.string().max(5000).default(''),
        legalBasis: z.string().max(5000).default(''), confirm: z.string().max(10).optional(),
      }),
    },
    config: { access: { kind: 'roles', roles: ['data_protection_officer'], action: 'retention.decide' } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const b = request.body;
    const person = b.person.trim();
    const form = { person, reason: b.reason, legalBasis: b.legalBasis };
    if (!isUuid(person)) return renderList(request, reply, actor, [{ href: '#person-request', text: 'Enter the person reference, like 2f1c0a7e-…, shown on the access log' }], 400, form);
    const exists = await ctx.db.selectFrom('person').select('id').where('id', '=', person).where('erased_at', 'is', null).executeTakeFirst();
    if (!exists) return refuseRecord(ctx, request, { personId: person });
    if (b.confirm !== 'yes') return renderList(request, reply, actor, [{ href: '#confirm-request', text: 'Confirm that the record should be deleted: this cannot be undone' }], 400, form);
    return decide(request, reply, actor, person, { decision: 'delete', reason: b.reason, ruleId: null, legalBasis: b.legalBasis }, 'request');
  });

  // A second data protection officer approves a request; the deletion happens now. The requester
  // cannot approve their own request: refused as for a request that does not exist.
  r.post('/admin/retention/deletion-requests/:requestId/approve', {
    schema: { params: z.object({ requestId: z.string().max(64) }), body: z.object({ _csrf: z.string().optional(), confirm: z.string().max(10).optional() }) },
    config: { access: { kind: 'record', roles: ['data_protection_officer'], action: 'retention.decide' } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const id = request.params.requestId;
    const pending = isUuid(id)
      ? await ctx.db.selectFrom('retention_deletion_request').select(['id', 'person_id', 'requested_by']).where('id', '=', id).where('approved_by', 'is', null).executeTakeFirst()
      : undefined;
    const detail = { deletionRequestId: isUuid(id) ? id : null };
    if (!pending || pending.requested_by === actor.userId) return refuseRecord(ctx, request, { personId: pending?.person_id ?? null, detail });
    if (request.body.confirm !== 'yes') return renderList(request, reply, actor, [{ href: `#approve-${pending.id}`, text: 'Confirm that you approve the deletion: this cannot be undone' }], 400);
    let done;
    try {
      done = await approveDeletion(ctx.db, actor, pending.id, { route: routeOf(request), requestId: request.id });
    } catch (err) {
      if (err instanceof AppError && err.details) return renderList(request, reply, actor, err.details.map((d) => ({ href: `#approve-${pending.id}`, text: d.message })), 400);
      throw err;
    }
    if (!done) return refuseRecord(ctx, request, { personId: pending.person_id, detail });
    return reply.redirect('/admin/retention', 303);
  });
}
