import { sql, type Insertable, type Kysely } from 'kysely';
import type { Config } from '../../config.js';
import type { AlertTable, Database } from '../../../db/database.js';
import { recordAccessMany, type AccessRecord } from '../../audit/record-access.js';
import { sendEmail } from '../../email/mailer.js';
import { enqueueMany, type OutboxProcessor } from '../../outbox/outbox.js';
import { ENTRIES_GATHER_MS, ENTRIES_RECORDED_FOR_ALERTS, type EntriesRecordedPayload } from '../chronology/commands/append-entry.js';
import { mergeGroupSql } from '../chronology/chronology.policy.js';
import { publicBaseUrl } from '../users/invitations.js';
import { bankHolidays } from '../../bank-holidays.js';
import { nextSchoolDayStart } from './school-day.js';

export const ALERT_EMAIL_KIND = 'alert.email';
export const ALERT_ESCALATE_KIND = 'alert.escalate';

/** Emails handed to the SMTP server at once (its connections are pooled). */
const EMAILS_AT_ONCE = 10;

/**
 * Entries that happened longer ago than this alert nobody when they are recorded: a backlog of
 * history (a first import, an agency catching up its records) is read in the chronology, not pushed
 * to every worker as news.
 */
export const ALERT_WINDOW_DAYS = 30;

/** Risk levels at which an unacknowledged alert goes to the recipient's manager, and managers are alerted too. */
export const HIGH_RISK_LEVELS = ['high', 'very_high'] as const;

/** Police notifications of domestic abuse involving a child that reach the child's school before the next school day. */
export const ENCOMPASS_EVENT_TYPE = 'domestic_abuse_notification';

/** Why a person receives an alert. */
export type AlertReason = 'involvement' | 'lead_professional' | 'team_involvement' | 'manager_high_risk' | 'watcher' | 'school_dsl' | 'escalation'
  | 'action_owner' | 'owner_manager' | 'referrer' | 'front_door';

interface EntryRow {
  id: string;
  event_type_code: string;
  organisation_id: string;
  organisation_kind: string;
  recorded_by_user_id: string | null;
  person_id: string;
}

interface Recipient {
  seed: string;
  user_id: string;
  reasons: AlertReason[];
}

interface ChildFacts {
  seed: string;
  partnership_id: string | null;
  high_risk: boolean;
}

/** The significant entries among these (current, recent, and significant in the child's partnership), each with its child. */
async function significantEntries(db: Kysely<Database>, eventIds: string[]): Promise<{ entries: EntryRow[]; facts: Map<string, ChildFacts> }> {
  const rows = await sql<EntryRow>`
    SELECT e.id, e.event_type_code, e.organisation_id, o.kind AS organisation_kind, e.recorded_by_user_id, ep.person_id
    FROM event e JOIN organisation o ON o.id = e.organisation_id JOIN event_person ep ON ep.event_id = e.id
    WHERE e.id = ANY(${sql.val(eventIds)}::uuid[]) AND e.supersedes IS NULL
      AND e.occurred_at >= now() - make_interval(days => ${ALERT_WINDOW_DAYS})
    ORDER BY e.id, ep.person_id`.execute(db);
  const people = [...new Set(rows.rows.map((r) => r.person_id))];
  if (people.length === 0) return { entries: [], facts: new Map() };
  // Every record of each child (merged records read as one child).
  const groups = (await db.selectFrom(mergeGroupSql(people).as('g')).select(['g.seed', 'g.person_id']).execute());
  const members = [...new Set(groups.map((g) => g.person_id))];
  // The child's partnership (their current address, on any of their records, their own record first;
  // else the recording organisation's home partnership), and their latest signed-off risk level.
  const [partnerships, levels, significant, homes] = await Promise.all([
    db.selectFrom('person_partnership').select(['person_id', 'partnership_id']).where('person_id', 'in', members).execute(),
    sql<{ person_id: string; level: string | null; signed_off_at: Date }>`
      SELECT DISTINCT ON (a.person_id) a.person_id, v.level, a.signed_off_at FROM assessment a
      JOIN LATERAL (SELECT level FROM assessment_version WHERE assessment_id = a.id ORDER BY version DESC LIMIT 1) v ON true
      WHERE a.person_id = ANY(${sql.val(members)}::uuid[]) AND a.status = 'signed_off'
      ORDER BY a.person_id, a.signed_off_at DESC`.execute(db),
    db.selectFrom('significant_event_type').select(['partnership_id', 'event_type_code'])
      .where('event_type_code', 'in', [...new Set(rows.rows.map((r) => r.event_type_code))]).execute(),
    db.selectFrom('organisation as o').innerJoin('partnership_area as pa', 'pa.borough', 'o.borough').select(['o.id as organisation_id', 'pa.partnership_id'])
      .where('o.id', 'in', [...new Set(rows.rows.map((r) => r.organisation_id))]).execute(),
  ]);
  const partnershipOf = new Map(partnerships.map((p) => [p.person_id, p.partnership_id]));
  const levelOf = new Map(levels.rows.map((l) => [l.person_id, l]));
  const byChild = new Map<string, ChildFacts>();
  for (const seed of people) {
    const records = [seed, ...groups.filter((g) => g.seed === seed && g.person_id !== seed).map((g) => g.person_id)];
    const partnership = records.map((r) => partnershipOf.get(r)).find((p) => p !== undefined) ?? null;
    const latest = records.map((r) => levelOf.get(r)).filter((l) => l !== undefined)
      .sort((x, y) => y.signed_off_at.getTime() - x.signed_off_at.getTime())[0];
    byChild.set(seed, { seed, partnership_id: partnership, high_risk: latest?.level !== undefined && latest.level !== null && (HIGH_RISK_LEVELS as readonly string[]).includes(latest.level) });
  }
  const isSignificant = new Set(significant.map((x) => `${x.partnership_id}:${x.event_type_code}`));
  const homeOf = new Map(homes.map((h) => [h.organisation_id, h.partnership_id]));
  for (const r of rows.rows) {
    const f = byChild.get(r.person_id);
    if (f && !f.partnership_id) f.partnership_id = homeOf.get(r.organisation_id) ?? null;
  }
  const entries = rows.rows.filter((r) => {
    const p = byChild.get(r.person_id)?.partnership_id;
    return p !== undefined && p !== null && isSignificant.has(`${p}:${r.event_type_code}`);
  });
  return { entries, facts: byChild };
}

/**
 * Who is told about a significant entry for each child: every worker with an active involvement
 * (on any of the child's merged records), the lead professional, the managers of a team that holds
 * the case, the managers of involved workers when the child's risk is high or very high, and
 * watchers (people, or every member of a watching team) while the watch lasts. Active accounts only.
 */
async function recipientsOf(db: Kysely<Database>, children: ChildFacts[]): Promise<Recipient[]> {
  if (children.length === 0) return [];
  const highRisk = children.filter((c) => c.high_risk).map((c) => c.seed);
  const rows = await sql<Recipient>`
    WITH g AS (SELECT * FROM ${mergeGroupSql(children.map((c) => c.seed))} grp),
    inv AS (
      SELECT g.seed, i.user_id, i.team_id, i.role FROM g JOIN involvement i ON i.person_id = g.person_id
      WHERE i.started_on <= current_date AND (i.ended_on IS NULL OR i.ended_on >= current_date)
    ),
    cand(seed, user_id, reason) AS (
      SELECT seed, user_id, CASE WHEN role = 'lead_professional' THEN 'lead_professional' ELSE 'involvement' END FROM inv WHERE user_id IS NOT NULL
      UNION ALL
      SELECT inv.seed, m.id, 'team_involvement' FROM inv JOIN app_user m ON m.team_id = inv.team_id AND 'team_manager' = ANY(m.roles)
      WHERE inv.user_id IS NULL AND inv.team_id IS NOT NULL
      UNION ALL
      SELECT inv.seed, m.id, 'manager_high_risk' FROM inv JOIN app_user w ON w.id = inv.user_id
        JOIN app_user m ON m.team_id = w.team_id AND 'team_manager' = ANY(m.roles)
      WHERE inv.seed = ANY(${sql.val(highRisk)}::uuid[])
      UNION ALL
      SELECT g.seed, coalesce(w.user_id, tu.id), 'watcher' FROM g JOIN watcher w ON w.person_id = g.person_id
        LEFT JOIN app_user tu ON tu.team_id = w.team_id
      WHERE w.started_at <= now() AND (w.ends_at IS NULL OR w.ends_at > now()) AND coalesce(w.user_id, tu.id) IS NOT NULL
    )
    SELECT c.seed, c.user_id, array_agg(DISTINCT c.reason ORDER BY c.reason) AS reasons
    FROM cand c JOIN app_user u ON u.id = c.user_id AND u.active
    GROUP BY c.seed, c.user_id`.execute(db);
  return rows.rows;
}

/** Designated safeguarding leads of the schools working with each child (Operation Encompass). */
async function schoolLeadsOf(db: Kysely<Database>, seeds: string[]): Promise<Recipient[]> {
  if (seeds.length === 0) return [];
  const rows = await sql<Recipient>`
    WITH g AS (SELECT * FROM ${mergeGroupSql(seeds)} grp)
    SELECT DISTINCT g.seed, u.id AS user_id, ARRAY['school_dsl']::text[] AS reasons
    FROM g JOIN involvement i ON i.person_id = g.person_id
      AND i.started_on <= current_date AND (i.ended_on IS NULL OR i.ended_on >= current_date)
    JOIN organisation o ON o.id = i.organisation_id AND o.kind = 'school'
    JOIN app_user u ON u.organisation_id = o.id AND u.active AND 'designated_safeguarding_lead' = ANY(u.roles)`.execute(db);
  return rows.rows;
}

type NewAlert = Pick<Insertable<AlertTable>, 'recipient_user_id' | 'person_id' | 'event_id' | 'partnership_id' | 'kind' | 'reasons' | 'escalated_from' | 'respond_by'>;

/**
 * Writes alerts (a recipient is alerted once per entry and kind: rows already there are left as they
 * are), and in the same transaction queues each new alert's email, its escalation when the child's
 * risk is high, and an access-log row on the child's log. Returns the new alerts' ids.
 */
async function writeAlerts(trx: Kysely<Database>, alerts: NewAlert[], escalateAfter: Map<string, number>): Promise<string[]> {
  if (alerts.length === 0) return [];
  const inserted = await trx.insertInto('alert').values(alerts)
    .onConflict((oc) => oc.columns(['recipient_user_id', 'event_id', 'kind']).doNothing())
    .returning(['id', 'person_id', 'event_id', 'recipient_user_id', 'kind', 'partnership_id']).execute();
  if (inserted.length === 0) return [];
  const now = Date.now();
  await enqueueMany(trx, inserted.flatMap((a) => {
    const work: { kind: string; payload: unknown; dedupeKey: string; availableAt?: Date }[] = [
      { kind: ALERT_EMAIL_KIND, payload: { alertId: a.id }, dedupeKey: a.id },
    ];
    const minutes = a.kind !== 'escalation' ? escalateAfter.get(`${a.person_id}:${a.event_id}`) : undefined;
    if (minutes !== undefined) work.push({ kind: ALERT_ESCALATE_KIND, payload: { alertId: a.id }, dedupeKey: a.id, availableAt: new Date(now + minutes * 60_000) });
    return work;
  }));
  // One row on the child's log for each entry's alerts, naming every alert and recipient.
  const byEntry = new Map<string, typeof inserted>();
  for (const a of inserted) byEntry.set(`${a.person_id}:${a.event_id}`, [...(byEntry.get(`${a.person_id}:${a.event_id}`) ?? []), a]);
  const audit: AccessRecord[] = [...byEntry.values()].map((group) => ({
    actor: null, action: 'alert.create', personId: group[0]!.person_id, route: 'outbox alerts', outcome: 'allowed',
    detail: { event: group[0]!.event_id, alerts: group.map((a) => ({ alert: a.id, recipient: a.recipient_user_id, kind: a.kind })) },
  }));
  await recordAccessMany(trx, audit);
  return inserted.map((a) => a.id);
}

/** Alerts for new entries: the significant ones reach everyone working with or watching the child. */
export async function alertForEntries(db: Kysely<Database>, eventIds: string[], now = new Date()): Promise<number> {
  const { entries, facts } = await significantEntries(db, eventIds);
  if (entries.length === 0) return 0;
  const children = [...new Set(entries.map((e) => e.person_id))].map((id) => facts.get(id)!);
  const recipients = await recipientsOf(db, children);
  const encompassChildren = [...new Set(entries.filter((e) => e.event_type_code === ENCOMPASS_EVENT_TYPE && e.organisation_kind === 'police').map((e) => e.person_id))];
  const schoolLeads = await schoolLeadsOf(db, encompassChildren);
  const partnerships = [...new Set(children.map((c) => c.partnership_id).filter((p): p is string => p !== null))];
  const minutes = new Map((partnerships.length
    ? await db.selectFrom('partnership').select(['id', 'alert_escalation_minutes']).where('id', 'in', partnerships).execute()
    : []).map((p) => [p.id, p.alert_escalation_minutes]));

  const alerts: NewAlert[] = [];
  const escalateAfter = new Map<string, number>();
  const respondBy = nextSchoolDayStart(now, encompassChildren.length ? await bankHolidays(db) : undefined);
  for (const e of entries) {
    const child = facts.get(e.person_id)!;
    if (child.high_risk && child.partnership_id) escalateAfter.set(`${e.person_id}:${e.id}`, minutes.get(child.partnership_id) ?? 240);
    for (const r of recipients) {
      if (r.seed !== e.person_id || r.user_id === e.recorded_by_user_id) continue;
      alerts.push({ recipient_user_id: r.user_id, person_id: e.person_id, event_id: e.id, partnership_id: child.partnership_id, kind: 'significant_entry', reasons: r.reasons, escalated_from: null, respond_by: null });
    }
    if (e.event_type_code === ENCOMPASS_EVENT_TYPE && e.organisation_kind === 'police') {
      for (const r of schoolLeads) {
        if (r.seed !== e.person_id) continue;
        alerts.push({ recipient_user_id: r.user_id, person_id: e.person_id, event_id: e.id, partnership_id: child.partnership_id, kind: 'encompass', reasons: r.reasons, escalated_from: null, respond_by: respondBy });
      }
    }
  }
  // One alert per recipient, entry and kind, even when an entry names the same child twice (merged records).
  const unique = new Map(alerts.map((a) => [`${a.recipient_user_id}:${a.event_id}:${a.kind}`, a]));
  const written = await db.transaction().execute((trx) => writeAlerts(trx, [...unique.values()], escalateAfter));
  return written.length;
}

/**
 * An alert about a high-risk child that nobody acknowledged in the partnership's time goes to the
 * recipient's manager: the team managers of their team, else the team managers of their organisation.
 */
export async function escalateAlert(db: Kysely<Database>, alertId: string): Promise<number> {
  const a = await db.selectFrom('alert as a').innerJoin('app_user as u', 'u.id', 'a.recipient_user_id')
    .select(['a.id', 'a.person_id', 'a.event_id', 'a.partnership_id', 'a.acknowledged_at', 'u.team_id', 'u.organisation_id', 'u.id as user_id'])
    .where('a.id', '=', alertId).executeTakeFirst();
  if (!a || a.acknowledged_at) return 0;
  const managers = await sql<{ id: string }>`
    SELECT id FROM app_user
    WHERE active AND 'team_manager' = ANY(roles) AND id <> ${a.user_id}
      AND CASE WHEN EXISTS (SELECT 1 FROM app_user m WHERE m.active AND 'team_manager' = ANY(m.roles) AND m.id <> ${a.user_id} AND m.team_id IS NOT DISTINCT FROM ${a.team_id}::uuid AND ${a.team_id}::uuid IS NOT NULL)
        THEN team_id = ${a.team_id}::uuid ELSE organisation_id = ${a.organisation_id} END`.execute(db);
  if (managers.rows.length === 0) return 0;
  const written = await db.transaction().execute((trx) => writeAlerts(trx, managers.rows.map((m) => ({
    recipient_user_id: m.id, person_id: a.person_id, event_id: a.event_id, partnership_id: a.partnership_id,
    kind: 'escalation' as const, reasons: ['escalation'], escalated_from: a.id, respond_by: null,
  })), new Map()));
  return written.length;
}

/** Turns new entries into alerts (at least once; the unique key makes a repeat add nothing). */
export const alertsProcessor: OutboxProcessor = {
  name: 'alerts',
  kinds: [ENTRIES_RECORDED_FOR_ALERTS],
  async handle(message, { db }) {
    const { eventIds } = message.payload as EntriesRecordedPayload;
    await alertForEntries(db, eventIds);
  },
  async handleMany(messages, { db }) {
    await alertForEntries(db, [...new Set(messages.flatMap((m) => (m.payload as EntriesRecordedPayload).eventIds))]);
  },
  batchSize: 200,
  gatherMs: ENTRIES_GATHER_MS,
};

/** Sends an unacknowledged alert to the recipient's manager when its time has passed (queued for that time). */
export const alertEscalationProcessor: OutboxProcessor = {
  name: 'alert escalation',
  kinds: [ALERT_ESCALATE_KIND],
  async handle(message, { db }) {
    await escalateAlert(db, (message.payload as { alertId: string }).alertId);
  },
};

/** Emails for alerts about plan actions and offers of help (no entry): what happened, never about whom. */
const OTHER_ALERT_EMAILS = {
  action_due: { subject: 'Jigsaw: an action you own is due soon', text: 'An action you own on a child\'s plan is due soon.' },
  action_overdue: { subject: 'Jigsaw: an action in your team is overdue', text: 'An action on a child\'s plan, owned by someone you manage, is past its due date.' },
  offer_outcome: { subject: 'Jigsaw: the outcome of an offer of help', text: 'There is an outcome for an offer of help to a child you referred.' },
} as const;

/** The text of an alert email: it says that there is an alert and where to read it, and nothing about the child. */
export function alertEmailText(kind: AlertTable['kind'], base: string): { subject: string; text: string } {
  const other = OTHER_ALERT_EMAILS[kind as keyof typeof OTHER_ALERT_EMAILS];
  if (other) return { subject: other.subject, text: [other.text, '', `Sign in to Jigsaw to read it: ${base}/alerts`, '', 'This email does not contain any details about the child. Do not forward it.'].join('\n') };
  const subject = kind === 'encompass'
    ? 'Jigsaw: a notification for your school to read before the next school day'
    : kind === 'escalation' ? 'Jigsaw: an alert for your team has not been acknowledged' : 'Jigsaw: you have a new alert';
  const text = [
    kind === 'encompass'
      ? 'The police have sent your school a notification that needs to be read before the start of the next school day.'
      : kind === 'escalation'
        ? 'An alert about a child at high risk has not been acknowledged by the person it was sent to.'
        : 'Something significant has been recorded about a child you work with.',
    '',
    `Sign in to Jigsaw to read it: ${base}/alerts`,
    '',
    'This email does not contain any details about the child. Do not forward it.',
  ].join('\n');
  return { subject, text };
}

/**
 * Emails each new alert's recipient, without personal data: the alert exists; sign in to read it.
 * Idempotent: an alert already emailed, or to an account no longer active, is not emailed. If the
 * process dies between the SMTP server accepting the message and marking it sent, the retry sends it again.
 */
export function alertEmailProcessor(config: Config): OutboxProcessor {
  const base = publicBaseUrl(config);
  /** Sends the alerts' emails (a few at a time) and marks those the SMTP server accepted; throws the first failure after marking. */
  const send = async (db: Kysely<Database>, alertIds: string[]) => {
    const alerts = await db.selectFrom('alert as a').innerJoin('app_user as u', 'u.id', 'a.recipient_user_id')
      .select(['a.id', 'a.kind', 'a.emailed_at', 'u.email', 'u.active']).where('a.id', 'in', alertIds).execute();
    const due = alerts.filter((a) => !a.emailed_at && a.active);
    const sent: string[] = [];
    let failure: unknown = null;
    for (let i = 0; i < due.length; i += EMAILS_AT_ONCE) {
      await Promise.all(due.slice(i, i + EMAILS_AT_ONCE).map(async (a) => {
        const { subject, text } = alertEmailText(a.kind, base);
        try {
          await sendEmail(config, { to: a.email, subject, text });
          sent.push(a.id);
        } catch (err) {
          failure ??= err;
        }
      }));
      if (failure) break;
    }
    if (sent.length) await db.updateTable('alert').set({ emailed_at: sql<Date>`now()` }).where('id', 'in', sent).execute();
    if (failure) throw failure;
  };
  return {
    name: 'alert email',
    kinds: [ALERT_EMAIL_KIND],
    async handle(message, { db }) {
      await send(db, [(message.payload as { alertId: string }).alertId]);
    },
    async handleMany(messages, { db }) {
      await send(db, messages.map((m) => (m.payload as { alertId: string }).alertId));
    },
    batchSize: 200,
  };
}
