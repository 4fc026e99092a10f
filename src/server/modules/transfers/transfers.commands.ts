/**
 * Transfers between partnerships. A transfer opens (from the outbox, once per address) when a
 * child's current address moves into another partnership's area; the sending partnership keeps the
 * case until a team manager of the receiving front door organisation accepts it (an involvement for
 * the receiving worker through `allocate`, the sending workers and their teams as watchers for the
 * sending partnership's watch period, a chronology entry) or declines it with a reason (the sender
 * is told). A transfer left waiting past its limit (working days, bank holidays skipped; fewer for a
 * child on a child protection plan) escalates once. Every notice (opened, escalated, declined, a
 * planned move) is shown on /transfers and emailed, without personal data, through the outbox.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../../../db/database.js';
import type { Actor } from '../../actor.js';
import { recordAccess, recordAccessMany } from '../../audit/record-access.js';
import { bankHolidays } from '../../bank-holidays.js';
import { enqueue, enqueueMany } from '../../outbox/outbox.js';
import { allocate, type CommandResult, type FieldProblem } from '../allocation/allocation.commands.js';
import { entryScope, mergeGroupSql } from '../chronology/chronology.policy.js';
import { appendEntry } from '../chronology/commands/append-entry.js';
import { addWorkingDays } from './working-days.js';

export const TRANSFER_ADDRESS_CHANGED = 'transfer.address_changed';
export const TRANSFER_ESCALATE = 'transfer.escalate';
export const TRANSFER_NOTICE_EMAIL = 'transfer.notice_email';

export type NoticeKind = 'opened' | 'moved_away' | 'escalation' | 'declined' | 'pre_move';

/** The shortest reason for declining a transfer. */
export const DECLINE_REASON_MIN = 20;

export interface AddressChangedPayload {
  personId: string;
  addressId: string;
  fromPartnershipId: string;
  toPartnershipId: string;
}

interface Meta { route: string; requestId: string }

/**
 * Whether the child is on a child protection plan: the latest current plan entry (over all their
 * records, read whole by the partnership for this duty) is a start, not an end.
 */
export async function isOnPlan(db: Kysely<Database>, personId: string): Promise<boolean> {
  const latest = await db.selectFrom(entryScope({ kind: 'partnership', purpose: 'transfer' }, { ids: [personId] }).as('v'))
    .select('v.event_type_code')
    .where('v.current', '=', true)
    .where('v.event_type_code', 'in', ['child_protection_plan_started', 'child_protection_plan_ended'])
    .orderBy('v.occurred_at', 'desc').orderBy('v.sort_recorded_at', 'desc')
    .limit(1).executeTakeFirst();
  return latest?.event_type_code === 'child_protection_plan_started';
}

/**
 * Opens the transfer a move asks for (idempotent: one per address; an open transfer of the child to
 * the same partnership, such as one opened before a planned relocation, becomes the waiting one).
 * Queues its escalation at the receiving partnership's limit, in the same transaction.
 */
export async function openTransferForMove(db: Kysely<Database>, p: AddressChangedPayload, now = new Date()): Promise<string | null> {
  const [onPlan, holidays] = await Promise.all([isOnPlan(db, p.personId), bankHolidays(db)]);
  return db.transaction().execute(async (trx) => {
    const to = await trx.selectFrom('partnership').select(['transfer_escalation_working_days', 'transfer_escalation_working_days_on_plan'])
      .where('id', '=', p.toPartnershipId).executeTakeFirst();
    if (!to) return null;
    const escalateAt = addWorkingDays(now, onPlan ? to.transfer_escalation_working_days_on_plan : to.transfer_escalation_working_days, holidays);
    const open = await trx.selectFrom('transfer').select(['id', 'status']).where('person_id', '=', p.personId)
      .where('to_partnership_id', '=', p.toPartnershipId).where('status', 'in', ['pre_move', 'waiting']).forUpdate().executeTakeFirst();
    let id: string;
    if (open) {
      if (open.status === 'waiting') return open.id;
      await trx.updateTable('transfer').set({ status: 'waiting', address_id: p.addressId, on_plan: onPlan, opened_at: now, escalate_at: escalateAt })
        .where('id', '=', open.id).execute();
      id = open.id;
    } else {
      const inserted = await trx.insertInto('transfer').values({
        person_id: p.personId, from_partnership_id: p.fromPartnershipId, to_partnership_id: p.toPartnershipId, address_id: p.addressId,
        status: 'waiting', on_plan: onPlan, opened_at: now, escalate_at: escalateAt,
      }).onConflict((oc) => oc.column('address_id').where('address_id', 'is not', null).doNothing()).returning('id').executeTakeFirst();
      if (!inserted) return null;
      id = inserted.id;
    }
    await enqueue(trx, TRANSFER_ESCALATE, { transferId: id }, { dedupeKey: id, availableAt: escalateAt });
    await recordAccess(trx, {
      actor: null, action: 'transfer.open', personId: p.personId, route: 'outbox transfers', outcome: 'allowed',
      detail: { transferId: id, from: p.fromPartnershipId, to: p.toPartnershipId, onPlan, escalateAt: escalateAt.toISOString() },
    });
    // The receiving front door decides; the sending side (which may not have recorded the move) keeps the case meanwhile.
    await notify(trx, id, p.personId, 'opened', await frontDoorManagers(trx, p.toPartnershipId));
    const sending = await involvedIn(trx, p.personId, p.fromPartnershipId);
    await notify(trx, id, p.personId, 'moved_away', [...sending.filter((s) => s.active && s.user_id).map((s) => s.user_id!), ...await sendingManagers(trx, sending)]);
    return id;
  });
}

/** Active team managers of a partnership's front door organisation. */
export async function frontDoorManagers(db: Kysely<Database>, partnershipId: string): Promise<string[]> {
  const rows = await db.selectFrom('partnership_front_door as f').innerJoin('app_user as u', 'u.organisation_id', 'f.organisation_id')
    .select('u.id').where('f.partnership_id', '=', partnershipId).where('u.active', '=', true)
    .where(sql<boolean>`'team_manager' = ANY(u.roles)`).execute();
  return rows.map((r) => r.id);
}

/** Workers with an involvement in force with the child (any record) in organisations of a partnership. */
async function involvedIn(db: Kysely<Database>, personId: string, partnershipId: string) {
  return db.selectFrom(mergeGroupSql([personId]).as('g'))
    .innerJoin('involvement as i', 'i.person_id', 'g.person_id')
    .innerJoin('organisation_partnership as op', (j) => j.onRef('op.organisation_id', '=', 'i.organisation_id').on('op.partnership_id', '=', partnershipId))
    .leftJoin('app_user as u', 'u.id', 'i.user_id')
    .select(['i.id', 'i.person_id', 'i.user_id', 'i.team_id', 'i.organisation_id', 'i.role', 'u.team_id as user_team_id', 'u.active'])
    .where('i.started_on', '<=', sql<string>`current_date`)
    .where((eb) => eb.or([eb('i.ended_on', 'is', null), eb('i.ended_on', '>=', sql<string>`current_date`)]))
    .execute();
}

/**
 * The sending partnership's managers of the case: active team managers of the teams of its workers
 * with an involvement in force (their own team, or the team holding the case), else of the
 * organisations holding it.
 */
async function sendingManagers(db: Kysely<Database>, involved: Awaited<ReturnType<typeof involvedIn>>): Promise<string[]> {
  const teams = [...new Set(involved.flatMap((i) => [i.team_id, i.user_team_id]).filter((x): x is string => x !== null))];
  const managers = (col: 'team_id' | 'organisation_id', ids: string[]) => (ids.length === 0 ? Promise.resolve([]) : db.selectFrom('app_user').select('id')
    .where(col, 'in', ids).where('active', '=', true).where(sql<boolean>`'team_manager' = ANY(roles)`).execute());
  const byTeam = await managers('team_id', teams);
  const rows = byTeam.length ? byTeam : await managers('organisation_id', [...new Set(involved.map((i) => i.organisation_id))]);
  return rows.map((r) => r.id);
}

/**
 * Tells people about a transfer: one notice per recipient, transfer and kind (a repeat adds nothing),
 * and in the same transaction each new notice's email (no personal data) and a row on the child's log.
 */
async function notify(trx: Kysely<Database>, transferId: string, personId: string, kind: NoticeKind, recipients: string[]): Promise<number> {
  const unique = [...new Set(recipients)];
  if (unique.length === 0) return 0;
  const rows = await trx.insertInto('transfer_notice').values(unique.map((r) => ({ transfer_id: transferId, recipient_user_id: r, kind })))
    .onConflict((oc) => oc.columns(['transfer_id', 'recipient_user_id', 'kind']).doNothing()).returning(['id', 'recipient_user_id']).execute();
  if (rows.length) {
    await enqueueMany(trx, rows.map((r) => ({ kind: TRANSFER_NOTICE_EMAIL, payload: { noticeId: r.id }, dedupeKey: r.id })));
    await recordAccessMany(trx, rows.map((r) => ({
      actor: null, action: kind === 'escalation' ? 'transfer.escalate' as const : 'transfer.notify' as const, personId, route: 'outbox transfers', outcome: 'allowed' as const,
      detail: { transferId, notice: kind, noticeId: r.id, recipient: r.recipient_user_id },
    })));
  }
  return rows.length;
}

/**
 * A transfer still waiting at its limit: tells the receiving front door's team managers, the sending
 * lead professional and the sending managers, once (escalated_at is set in the same transaction; a
 * repeat does nothing).
 */
export async function escalateTransfer(db: Kysely<Database>, transferId: string): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const t = await trx.selectFrom('transfer').selectAll().where('id', '=', transferId).forUpdate().executeTakeFirst();
    if (!t || t.status !== 'waiting' || t.escalated_at) return 0;
    await trx.updateTable('transfer').set({ escalated_at: sql<Date>`now()` }).where('id', '=', t.id).execute();
    const managers = await frontDoorManagers(trx, t.to_partnership_id);
    const sending = await involvedIn(trx, t.person_id, t.from_partnership_id);
    const leads = sending.filter((l) => l.role === 'lead_professional' && l.active && l.user_id).map((l) => l.user_id!);
    return notify(trx, t.id, t.person_id, 'escalation', [...managers, ...leads, ...await sendingManagers(trx, sending)]);
  });
}

/** Whether the actor is a team manager of the receiving partnership's front door organisation. */
export async function isReceivingManager(db: Kysely<Database>, actor: Actor, toPartnershipId: string): Promise<boolean> {
  if (actor.kind !== 'user' || !actor.roles.includes('team_manager')) return false;
  const door = await db.selectFrom('partnership_front_door').select('organisation_id').where('partnership_id', '=', toPartnershipId).executeTakeFirst();
  return door?.organisation_id === actor.organisationId;
}

export interface AcceptInput { userId: string; role: string; note: string | null }

/**
 * Accepts a waiting transfer for the receiving partnership: allocates the receiving worker (the
 * allocation command: its checks, its lock, its history), makes the sending partnership's involved
 * workers and their teams watchers for the sending partnership's watch period, and records the
 * transfer in the chronology. The caller has decided the actor is a receiving manager.
 */
export async function acceptTransfer(trx: Transaction<Database>, actor: Actor & { kind: 'user' }, transferId: string, input: AcceptInput, meta: Meta): Promise<CommandResult<{ involvementId: string }>> {
  const t = await trx.selectFrom('transfer').selectAll().where('id', '=', transferId).forUpdate().executeTakeFirstOrThrow();
  if (t.status !== 'waiting') return { ok: false, problems: [{ field: 'status', message: 'This transfer is no longer waiting for a decision' }] };
  const today = new Date().toISOString().slice(0, 10);
  const allocated = await allocate(trx, actor, { personId: t.person_id, userId: input.userId, role: input.role, startedOn: today, replacesInvolvementId: null, note: input.note }, meta);
  if (!allocated.ok) return allocated;
  const [from, to] = await Promise.all([
    trx.selectFrom('partnership').select(['name', 'transfer_watch_days']).where('id', '=', t.from_partnership_id).executeTakeFirstOrThrow(),
    trx.selectFrom('partnership').select(['name']).where('id', '=', t.to_partnership_id).executeTakeFirstOrThrow(),
  ]);
  const sending = await involvedIn(trx, t.person_id, t.from_partnership_id);
  const endsAt = new Date(Date.now() + from.transfer_watch_days * 86_400_000);
  const reason = `Worked with the child before the transfer to ${to.name}`.slice(0, 500);
  const users = new Set(sending.filter((s) => s.user_id).map((s) => s.user_id!));
  const teams = new Set(sending.flatMap((s) => [s.team_id, s.user_team_id]).filter((x): x is string => x !== null));
  // The sending partnership's panels that discussed the child in the last year: their coordinators
  // and named standing members keep hearing about the child too.
  const panelReason = `Discussed the child at a panel before the transfer to ${to.name}`.slice(0, 500);
  const panelUsers = (await sendingPanelPeople(trx, t.person_id, t.from_partnership_id)).filter((u) => !users.has(u));
  const watchers = [
    ...[...users].map((u) => ({ person_id: t.person_id, user_id: u, team_id: null, reason, ends_at: endsAt, created_by_user_id: actor.userId })),
    ...panelUsers.map((u) => ({ person_id: t.person_id, user_id: u, team_id: null, reason: panelReason, ends_at: endsAt, created_by_user_id: actor.userId })),
    ...[...teams].map((tm) => ({ person_id: t.person_id, user_id: null, team_id: tm, reason, ends_at: endsAt, created_by_user_id: actor.userId })),
  ];
  if (watchers.length) await trx.insertInto('watcher').values(watchers).execute();
  await appendEntry(trx, actor, {
    personId: t.person_id, eventTypeCode: 'case_transferred_between_boroughs', occurredAt: new Date(), occurredPrecision: 'time',
    summary: `Case transferred from ${from.name} to ${to.name}`, sourceSystem: 'Jigsaw',
  }, { via: 'form', route: meta.route, requestId: meta.requestId });
  await trx.updateTable('transfer').set({ status: 'accepted', decided_at: new Date(), decided_by_user_id: actor.userId, involvement_id: allocated.value.involvementId })
    .where('id', '=', t.id).execute();
  await recordAccess(trx, {
    actor, action: 'transfer.accept', personId: t.person_id, route: meta.route, outcome: 'allowed', requestId: meta.requestId,
    detail: { transferId: t.id, involvementId: allocated.value.involvementId, watchers: watchers.length, watchEndsAt: endsAt.toISOString() },
  });
  return { ok: true, value: { involvementId: allocated.value.involvementId } };
}

/**
 * The people of the sending partnership's panels that had the child on an agenda in the last year:
 * the partnership's active panel coordinators and the named standing members of those panels.
 */
async function sendingPanelPeople(trx: Transaction<Database>, personId: string, partnershipId: string): Promise<string[]> {
  const panels = trx.selectFrom('panel_agenda_item as ai')
    .innerJoin('panel_meeting as m', 'm.id', 'ai.meeting_id')
    .innerJoin('panel_type as pt', 'pt.id', 'm.panel_type_id')
    .where('ai.person_id', '=', personId)
    .where('pt.partnership_id', '=', partnershipId)
    .where('m.status', '<>', 'cancelled')
    .where('m.held_at', '>', sql<Date>`now() - interval '12 months'`)
    .select('pt.id');
  const rows = await trx.selectFrom('panel_member').select('user_id as id').where('panel_type_id', 'in', panels).where('user_id', 'is not', null)
    .union(trx.selectFrom('app_user').select('id').where('partnership_id', '=', partnershipId).where('active', '=', true)
      .where(sql<boolean>`'panel_coordinator' = ANY(roles)`).where(sql<boolean>`EXISTS (${panels})`))
    .execute();
  return [...new Set(rows.map((r) => r.id).filter((id): id is string => id !== null))];
}

/** Declines a waiting transfer with a reason: the case stays with the sender, whose workers and managers are told. */
export async function declineTransfer(trx: Transaction<Database>, actor: Actor & { kind: 'user' }, transferId: string, rawReason: string, meta: Meta): Promise<CommandResult<null>> {
  const reason = rawReason.trim();
  const problems: FieldProblem[] = [];
  if (reason.length < DECLINE_REASON_MIN) problems.push({ field: 'reason', message: `Enter why the transfer is declined, in at least ${DECLINE_REASON_MIN} characters` });
  else if (reason.length > 4000) problems.push({ field: 'reason', message: 'The reason must be 4000 characters or fewer' });
  const t = await trx.selectFrom('transfer').selectAll().where('id', '=', transferId).forUpdate().executeTakeFirstOrThrow();
  if (t.status !== 'waiting') problems.push({ field: 'status', message: 'This transfer is no longer waiting for a decision' });
  if (problems.length) return { ok: false, problems };
  await trx.updateTable('transfer').set({ status: 'declined', decided_at: new Date(), decided_by_user_id: actor.userId, decline_reason: reason }).where('id', '=', t.id).execute();
  const sending = await involvedIn(trx, t.person_id, t.from_partnership_id);
  await notify(trx, t.id, t.person_id, 'declined', [...sending.filter((s) => s.active && s.user_id).map((s) => s.user_id!), ...await sendingManagers(trx, sending)]);
  await recordAccess(trx, { actor, action: 'transfer.decline', personId: t.person_id, route: meta.route, outcome: 'allowed', requestId: meta.requestId, detail: { transferId: t.id } });
  return { ok: true, value: null };
}

/**
 * Before a planned relocation: opens a pre-move transfer to the receiving partnership and tells its
 * front door's team managers. Nothing when the new area is in no partnership or the same one.
 */
export async function openPreMoveTransfer(trx: Kysely<Database>, personId: string, relocationId: string, toBorough: string): Promise<string | null> {
  const [to, from] = await Promise.all([
    trx.selectFrom('partnership_area').select('partnership_id').where('borough', '=', toBorough).executeTakeFirst(),
    trx.selectFrom('person_partnership').select('partnership_id').where('person_id', 'in', sql<string>`(SELECT person_id FROM ${mergeGroupSql([personId])} g)`).executeTakeFirst(),
  ]);
  if (!to || !from || to.partnership_id === from.partnership_id) return null;
  const inserted = await trx.insertInto('transfer').values({
    person_id: personId, from_partnership_id: from.partnership_id, to_partnership_id: to.partnership_id, relocation_id: relocationId, status: 'pre_move',
  }).onConflict((oc) => oc.columns(['person_id', 'to_partnership_id']).where('status', 'in', ['pre_move', 'waiting']).doNothing()).returning('id').executeTakeFirst();
  if (!inserted) return null;
  await notify(trx, inserted.id, personId, 'pre_move', await frontDoorManagers(trx, to.partnership_id));
  return inserted.id;
}
