/**
 * An action's reminder and its overdue check, queued when the action is added for the times they fall
 * due (the outbox's available_at is the clock). A reminder tells the owner; an overdue action escalates
 * to the owner's manager, exactly once (escalated_at is claimed in the alert's transaction, and an alert
 * is unique per recipient, action and kind). A row whose action is closed, or whose due date is not the
 * one it was queued for, does nothing.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import type { OutboxProcessor } from '../../outbox/outbox.js';
import { managersOf, writeSubjectAlerts } from '../alerts/subject-alerts.js';
import { ACTION_OVERDUE_KIND, ACTION_REMINDER_KIND, OPEN_STATUSES } from './plans.commands.js';

interface ActionDuePayload {
  actionId: string;
  dueOn: string;
}

async function openAction(db: Kysely<Database>, p: ActionDuePayload) {
  return db.selectFrom('plan_action as a').innerJoin('risk_plan as p', 'p.id', 'a.plan_id')
    .select(['a.id', 'a.owner_user_id', 'a.due_on', 'a.status', 'p.person_id', 'p.status as plan_status'])
    .where('a.id', '=', p.actionId).executeTakeFirst()
    .then((a) => (a && a.due_on === p.dueOn && OPEN_STATUSES.includes(a.status) && a.plan_status === 'active' ? a : undefined));
}

/** Reminds the owner of an open action before its due date. Returns the alerts written. */
export async function remindActionOwner(db: Kysely<Database>, p: ActionDuePayload): Promise<number> {
  const a = await openAction(db, p);
  if (!a) return 0;
  return db.transaction().execute(async (trx) => {
    const claimed = await trx.updateTable('plan_action').set({ reminded_at: sql<Date>`now()` })
      .where('id', '=', a.id).where('reminded_at', 'is', null).returning('id').executeTakeFirst();
    if (!claimed) return 0;
    return (await writeSubjectAlerts(trx, [{ recipientUserId: a.owner_user_id, personId: a.person_id, kind: 'action_due', reasons: ['action_owner'], planActionId: a.id }], 'outbox plan reminders')).length;
  });
}

/** Escalates an action still open once its due day has ended to the owner's manager, once. Returns the alerts written. */
export async function escalateOverdueAction(db: Kysely<Database>, p: ActionDuePayload): Promise<number> {
  const a = await openAction(db, p);
  if (!a) return 0;
  const managers = await managersOf(db, a.owner_user_id);
  return db.transaction().execute(async (trx) => {
    const claimed = await trx.updateTable('plan_action').set({ escalated_at: sql<Date>`now()` })
      .where('id', '=', a.id).where('escalated_at', 'is', null).where('status', 'in', [...OPEN_STATUSES]).returning('id').executeTakeFirst();
    if (!claimed) return 0;
    return (await writeSubjectAlerts(trx, managers.map((m) => ({
      recipientUserId: m, personId: a.person_id, kind: 'action_overdue' as const, reasons: ['owner_manager' as const], planActionId: a.id,
    })), 'outbox plan escalation')).length;
  });
}

/** Reminders before an action's due date. */
export const planActionReminderProcessor: OutboxProcessor = {
  name: 'plan action reminders',
  kinds: [ACTION_REMINDER_KIND],
  async handle(message, { db }) {
    await remindActionOwner(db, message.payload as ActionDuePayload);
  },
};

/** Escalation of overdue actions to the owner's manager. */
export const planActionOverdueProcessor: OutboxProcessor = {
  name: 'plan action escalation',
  kinds: [ACTION_OVERDUE_KIND],
  async handle(message, { db }) {
    await escalateOverdueAction(db, message.payload as ActionDuePayload);
  },
};
