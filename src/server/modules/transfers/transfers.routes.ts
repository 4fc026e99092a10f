/**
 * Transfer pages: the list (waiting at the actor's front door; the actor's partnership's children
 * being transferred; notices), the transfer page (summary, accept, decline) for the receiving front
 * door's team managers and for workers of either partnership who may see the child.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CASE_HOLDING_ROLES, refuseRecord } from '../../access.js';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { isUuid, routeOf, userOf } from '../../request.js';
import { NOTE_MAX, type FieldProblem } from '../allocation/allocation.commands.js';
import { ALLOCATION_ROLES, allocatableWorkers } from '../allocation/allocation.queries.js';
import { displayNames } from '../people/people.queries.js';
import { acceptTransfer, declineTransfer, DECLINE_REASON_MIN } from './transfers.commands.js';
import { findTransfer, myNotices, sentByMyPartnership, sideOf, transferSummary, waitingAtMyFrontDoor } from './transfers.queries.js';

const params = z.object({ transferId: z.string().max(64) });
const acceptBody = z.object({ _csrf: z.string().optional(), userId: z.string().max(64).default(''), role: z.string().max(64).default(''), note: z.string().max(NOTE_MAX + 100).default('') });
const declineBody = z.object({ _csrf: z.string().optional(), reason: z.string().max(5000).default('') });

const STATUS_LABELS: Record<string, string> = { pre_move: 'Move planned', waiting: 'Waiting for the receiving front door', accepted: 'Accepted', declined: 'Declined: stays with the sending partnership' };
const NOTICE_LABELS: Record<string, string> = {
  opened: 'A child’s case is waiting for your front door to decide',
  moved_away: 'Moved to another partnership’s area: you keep the case until it is accepted',
  escalation: 'Waiting past its time limit',
  declined: 'Declined by the receiving partnership',
  pre_move: 'A child is planned to move to your area',
};
const ACCEPT_ROLES = ['allocated_worker', 'key_worker', 'lead_professional', 'case_holder'] as const;
const HREF: Record<string, string> = { userId: '#userId', role: '#role', note: '#note', reason: '#reason', startedOn: '#userId', status: '#main-content' };

type FormError = { field: string; href: string; text: string };
const toErrors = (problems: FieldProblem[]): FormError[] => problems.map((p) => ({ field: p.field, href: HREF[p.field] ?? '#', text: p.message }));

export async function transferRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/transfers', {
    config: { access: { kind: 'roles', roles: CASE_HOLDING_ROLES, action: 'transfer.list' }, nav: { text: 'Transfers', key: 'transfers', order: 45, group: 'Panels, plans and transfers', hint: 'Children moving between partnerships: accept, decline, follow up' } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const [waiting, sent, notices] = await Promise.all([waitingAtMyFrontDoor(ctx.db, actor), sentByMyPartnership(ctx.db, actor), myNotices(ctx.db, actor.userId)]);
    const people = [...new Set([...waiting, ...sent, ...notices].map((t) => t.person_id))];
    const names = await displayNames(ctx.db, people);
    await recordAccess(ctx.db, { actor, action: 'transfer.list', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { personIds: people } });
    const name = (id: string) => names.get(id) ?? 'Name not recorded';
    return reply.view('transfers/views/list.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'transfers',
      waiting: waiting.map((t) => ({ ...t, name: name(t.person_id), statusLabel: STATUS_LABELS[t.status] })),
      sent: sent.map((t) => ({ ...t, name: name(t.person_id), statusLabel: STATUS_LABELS[t.status] })),
      notices: notices.map((n) => ({ ...n, name: name(n.person_id), label: NOTICE_LABELS[n.kind] })),
    });
  });

  // A notice is its recipient's to acknowledge; anyone else's, or none, is not found.
  r.post('/transfers/notices/:noticeId/acknowledge', {
    schema: { params: z.object({ noticeId: z.string().max(64) }), body: z.object({ _csrf: z.string().optional() }) },
    config: { access: { kind: 'record', roles: CASE_HOLDING_ROLES, action: 'transfer.read' } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const id = request.params.noticeId;
    const notice = isUuid(id) ? await ctx.db.selectFrom('transfer_notice as n').innerJoin('transfer as t', 't.id', 'n.transfer_id')
      .select(['n.id', 't.person_id']).where('n.id', '=', id).where('n.recipient_user_id', '=', actor.userId).executeTakeFirst() : undefined;
    if (!notice) return refuseRecord(ctx, request, { detail: { noticeId: isUuid(id) ? id : null } });
    await ctx.db.updateTable('transfer_notice').set({ acknowledged_at: new Date() }).where('id', '=', notice.id).where('acknowledged_at', 'is', null).execute();
    return reply.redirect('/transfers', 303);
  });

  async function load(request: FastifyRequest, transferId: string) {
    const actor = userOf(request);
    const t = await findTransfer(ctx.db, transferId);
    if (!t) return refuseRecord(ctx, request, { detail: { transferId } });
    const side = await sideOf(ctx.db, actor, t);
    if (!side) return refuseRecord(ctx, request, { personId: t.person_id, detail: { transferId: t.id } });
    return { t, side };
  }

  async function render(request: FastifyRequest, reply: FastifyReply, transferId: string, values: Record<string, string>, errors: FormError[]) {
    const actor = userOf(request);
    const { t, side } = await load(request, transferId);
    const [summary, names, workers] = await Promise.all([
      transferSummary(ctx.db, actor, t),
      displayNames(ctx.db, [t.person_id]),
      side === 'receiving_manager' && t.status === 'waiting' ? allocatableWorkers(ctx.db, actor.organisationId, actor.teamId) : Promise.resolve([]),
    ]);
    await recordAccess(ctx.db, { actor, action: 'transfer.read', personId: t.person_id, route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { transferId: t.id, side } });
    reply.status(errors.length ? 400 : 200);
    return reply.view('transfers/views/transfer.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'transfers',
      t: { ...t, statusLabel: STATUS_LABELS[t.status] }, side, childName: names.get(t.person_id) ?? 'Name not recorded', summary,
      decide: side === 'receiving_manager' && t.status === 'waiting',
      workers: [{ value: '', text: 'Choose a worker' }, ...workers.map((w) => ({ value: w.id, text: w.team_name ? `${w.name} (${w.team_name})` : w.name, selected: values.userId === w.id }))],
      roles: ACCEPT_ROLES.map((value) => ({ value, text: ALLOCATION_ROLES[value], checked: (values.role || 'allocated_worker') === value })),
      values, errors, fieldErrors: Object.fromEntries(errors.map((e) => [e.field, { text: e.text }])), reasonMin: DECLINE_REASON_MIN,
    });
  }

  r.get('/transfers/:transferId', {
    schema: { params }, config: { access: { kind: 'record', roles: CASE_HOLDING_ROLES, action: 'transfer.read' } },
  }, async (request, reply) => render(request, reply, request.params.transferId, {}, []));

  r.post('/transfers/:transferId/accept', {
    schema: { params, body: acceptBody }, config: { access: { kind: 'record', roles: ['team_manager'], action: 'transfer.accept' } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const { t, side } = await load(request, request.params.transferId);
    if (side !== 'receiving_manager') return refuseRecord(ctx, request, { personId: t.person_id, detail: { transferId: t.id } });
    const v = request.body;
    const result = await ctx.db.transaction().execute((trx) => acceptTransfer(trx, actor, t.id, { userId: v.userId, role: v.role, note: v.note.trim() || null }, { route: routeOf(request), requestId: request.id }));
    if (!result.ok) return render(request, reply, t.id, v, toErrors(result.problems));
    return reply.redirect(`/transfers/${t.id}`, 303);
  });

  r.post('/transfers/:transferId/decline', {
    schema: { params, body: declineBody }, config: { access: { kind: 'record', roles: ['team_manager'], action: 'transfer.decline' } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const { t, side } = await load(request, request.params.transferId);
    if (side !== 'receiving_manager') return refuseRecord(ctx, request, { personId: t.person_id, detail: { transferId: t.id } });
    const result = await ctx.db.transaction().execute((trx) => declineTransfer(trx, actor, t.id, request.body.reason, { route: routeOf(request), requestId: request.id }));
    if (!result.ok) return render(request, reply, t.id, request.body, toErrors(result.problems));
    return reply.redirect(`/transfers/${t.id}`, 303);
  });
}
