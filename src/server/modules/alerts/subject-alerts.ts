/**
 * Alerts about something other than an entry (a plan action falling due or overdue, the outcome of an
 * offer of help), delivered as every alert is: a row on the recipient's alerts page, and an email that
 * says only that there is an alert (alertEmailProcessor). Called from outbox processors.
 */
import { sql, type Kysely } from 'kysely';
import type { AlertTable, Database } from '../../../db/database.js';
import { recordAccess } from '../../audit/record-access.js';
import { enqueueMany } from '../../outbox/outbox.js';
import { ALERT_EMAIL_KIND, type AlertReason } from './alerts.processor.js';

/** One alert about a plan action or an offer. */
export interface SubjectAlert {
  recipientUserId: string;
  personId: string;
  kind: Extract<AlertTable['kind'], 'action_due' | 'action_overdue' | 'offer_outcome' | 'welfare_check'>;
  reasons: AlertReason[];
  planActionId?: string;
  offerId?: string;
  welfareCheckId?: string;
}

/**
 * Writes the alerts in the caller's transaction (a recipient is alerted once per subject and kind:
 * rows already there are left as they are), queues each new alert's email, and puts one row on the
 * child's access log naming the alerts and recipients. Returns the new alerts' ids.
 */
export async function writeSubjectAlerts(trx: Kysely<Database>, alerts: SubjectAlert[], route: string): Promise<string[]> {
  const inserted: { id: string; person_id: string; recipient_user_id: string; kind: string; plan_action_id: string | null; offer_id: string | null; welfare_check_id: string | null }[] = [];
  for (const a of alerts) {
    // The unique indexes are partial (one per subject column), so each alert names its own conflict target.
    const row = await trx.insertInto('alert').values({
      recipient_user_id: a.recipientUserId, person_id: a.personId, event_id: null, plan_action_id: a.planActionId ?? null, offer_id: a.offerId ?? null,
      welfare_check_id: a.welfareCheckId ?? null, partnership_id: null, kind: a.kind, reasons: a.reasons, escalated_from: null, respond_by: null,
    }).onConflict((oc) => (a.planActionId
      ? oc.columns(['recipient_user_id', 'plan_action_id', 'kind']).where('plan_action_id', 'is not', null)
      : a.welfareCheckId
        ? oc.columns(['recipient_user_id', 'welfare_check_id', 'kind']).where('welfare_check_id', 'is not', null)
        : oc.columns(['recipient_user_id', 'offer_id', 'kind']).where('offer_id', 'is not', null)).doNothing())
      .returning(['id', 'person_id', 'recipient_user_id', 'kind', 'plan_action_id', 'offer_id', 'welfare_check_id']).executeTakeFirst();
    if (row) inserted.push(row);
  }
  if (inserted.length === 0) return [];
  await enqueueMany(trx, inserted.map((a) => ({ kind: ALERT_EMAIL_KIND, payload: { alertId: a.id }, dedupeKey: a.id })));
  const byPerson = new Map<string, typeof inserted>();
  for (const a of inserted) byPerson.set(a.person_id, [...(byPerson.get(a.person_id) ?? []), a]);
  for (const [personId, group] of byPerson) {
    await recordAccess(trx, {
      actor: null, action: 'alert.create', personId, route, outcome: 'allowed',
      detail: { alerts: group.map((a) => ({ alert: a.id, recipient: a.recipient_user_id, kind: a.kind, planAction: a.plan_action_id, offer: a.offer_id, welfareCheck: a.welfare_check_id })) },
    });
  }
  return inserted.map((a) => a.id);
}

/**
 * A person's managers: the team managers of their team, else the team managers of their organisation
 * (active accounts, never the person themselves), as an unacknowledged alert escalates.
 */
export async function managersOf(db: Kysely<Database>, userId: string): Promise<string[]> {
  const rows = await sql<{ id: string }>`
    WITH u AS (SELECT id, team_id, organisation_id FROM app_user WHERE id = ${userId}),
    m AS (SELECT a.id, a.team_id, a.organisation_id FROM app_user a, u
          WHERE a.active AND 'team_manager' = ANY(a.roles) AND a.id <> u.id AND a.organisation_id = u.organisation_id)
    SELECT m.id FROM m, u
    WHERE CASE WHEN EXISTS (SELECT 1 FROM m WHERE m.team_id = u.team_id) THEN m.team_id = u.team_id ELSE true END
    ORDER BY m.id`.execute(db);
  return rows.rows.map((r) => r.id);
}
