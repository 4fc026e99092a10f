import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import { CATEGORY_LABELS } from '../chronology/categories.js';

/** The event types a new partnership treats as significant (the migration's default set, kept in step). */
export const DEFAULT_SIGNIFICANT_EVENT_TYPES: readonly string[] = [
  'arrest', 'weapon_incident', 'ae_attendance_injury', 'ae_attendance_stab_wound', 'victim_of_serious_violence',
  'missing_episode', 'permanent_exclusion', 'suspension', 'excluded_from_school', 'stop_and_search', 'nrm_referral',
  'bereavement_through_violence', 'domestic_abuse_notification', 'change_of_address', 'move_to_another_borough',
];

/** The shortest and longest time an unacknowledged alert about a high-risk child waits before it escalates. */
export const ESCALATION_MINUTES = { min: 5, max: 10_080 } as const;

/** The transfer settings' ranges (the database checks the same): working days before a waiting transfer escalates, days the sending borough watches. */
export const TRANSFER_LIMITS = { escalationWorkingDays: { min: 1, max: 120 }, watchDays: { min: 1, max: 730 } } as const;

/** A partnership's transfer settings: the escalation limits as the receiving partnership, the watch as the sending one. */
export interface TransferSettings {
  escalationWorkingDaysOnPlan: number;
  escalationWorkingDays: number;
  watchDays: number;
}

/** A partnership as its administrator sees it. */
export interface PartnershipSettings {
  id: string;
  code: string;
  name: string;
  alertEscalationMinutes: number;
  transfers: TransferSettings;
  areas: string[];
  organisations: { id: string; name: string; kind: string; borough: string; otherPartnerships: string[] }[];
  frontDoor: { organisationId: string; organisationName: string; teamId: string | null; teamName: string | null; updatedAt: Date; updatedByName: string | null } | null;
  significantEventTypes: string[];
}

/** A partnership's settings, or null when there is no such partnership. */
export async function loadSettings(db: Kysely<Database>, partnershipId: string): Promise<PartnershipSettings | null> {
  const p = await db.selectFrom('partnership').select(['id', 'code', 'name', 'alert_escalation_minutes', 'transfer_escalation_working_days_on_plan', 'transfer_escalation_working_days', 'transfer_watch_days']).where('id', '=', partnershipId).executeTakeFirst();
  if (!p) return null;
  const [areas, organisations, door, significant] = await Promise.all([
    db.selectFrom('partnership_area').select('borough').where('partnership_id', '=', p.id).orderBy('borough').execute(),
    db.selectFrom('organisation_partnership as op').innerJoin('organisation as o', 'o.id', 'op.organisation_id')
      .select(['o.id', 'o.name', 'o.kind', 'o.borough',
        sql<string[]>`coalesce((SELECT array_agg(x.name ORDER BY x.name) FROM organisation_partnership y JOIN partnership x ON x.id = y.partnership_id
          WHERE y.organisation_id = o.id AND y.partnership_id <> ${p.id}), '{}')`.as('other_partnerships')])
      .where('op.partnership_id', '=', p.id).orderBy('o.name').execute(),
    db.selectFrom('partnership_front_door as f').innerJoin('organisation as o', 'o.id', 'f.organisation_id')
      .leftJoin('team as t', 't.id', 'f.team_id').leftJoin('app_user as u', 'u.id', 'f.updated_by_user_id')
      .select(['f.organisation_id', 'o.name as organisation_name', 'f.team_id', 't.name as team_name', 'f.updated_at', 'u.name as updated_by_name'])
      .where('f.partnership_id', '=', p.id).executeTakeFirst(),
    db.selectFrom('significant_event_type').select('event_type_code').where('partnership_id', '=', p.id).orderBy('event_type_code').execute(),
  ]);
  return {
    id: p.id, code: p.code, name: p.name, alertEscalationMinutes: p.alert_escalation_minutes,
    transfers: { escalationWorkingDaysOnPlan: p.transfer_escalation_working_days_on_plan, escalationWorkingDays: p.transfer_escalation_working_days, watchDays: p.transfer_watch_days },
    areas: areas.map((a) => a.borough),
    organisations: organisations.map((o) => ({ id: o.id, name: o.name, kind: o.kind, borough: o.borough, otherPartnerships: o.other_partnerships })),
    frontDoor: door ? {
      organisationId: door.organisation_id, organisationName: door.organisation_name, teamId: door.team_id, teamName: door.team_name,
      updatedAt: door.updated_at, updatedByName: door.updated_by_name,
    } : null,
    significantEventTypes: significant.map((s) => s.event_type_code),
  };
}

/** The teams of a partnership's member organisations, by organisation. */
export async function memberTeams(db: Kysely<Database>, partnershipId: string): Promise<{ id: string; name: string; organisationId: string }[]> {
  const rows = await db.selectFrom('team as t').innerJoin('organisation_partnership as op', 'op.organisation_id', 't.organisation_id')
    .select(['t.id', 't.name', 't.organisation_id']).where('op.partnership_id', '=', partnershipId).orderBy('t.name').execute();
  return rows.map((t) => ({ id: t.id, name: t.name, organisationId: t.organisation_id }));
}

/** The event types of the vocabulary, grouped by category in the chronology's order. */
export async function eventTypesByCategory(db: Kysely<Database>): Promise<{ code: string; label: string; types: { code: string; label: string }[] }[]> {
  const types = await db.selectFrom('event_type').select(['code', 'label', 'category']).orderBy('label').execute();
  const known = Object.keys(CATEGORY_LABELS);
  const categories = [...known, ...[...new Set(types.map((t) => t.category))].filter((c) => !known.includes(c)).sort()];
  return categories
    .map((c) => ({ code: c, label: CATEGORY_LABELS[c] ?? c, types: types.filter((t) => t.category === c).map((t) => ({ code: t.code, label: t.label })) }))
    .filter((c) => c.types.length > 0);
}

/** One change to a partnership's settings, for its history. */
export interface SettingChange {
  setting: string;
  before: unknown;
  after: unknown;
  changedBy: string;
  changedAt: Date;
}

/** The latest changes to a partnership's settings, newest first. */
export async function recentChanges(db: Kysely<Database>, partnershipId: string, limit = 20): Promise<SettingChange[]> {
  const rows = await db.selectFrom('partnership_change as c').leftJoin('app_user as u', 'u.id', 'c.changed_by_user_id')
    .select(['c.setting', 'c.before', 'c.after', 'c.changed_by_operator', 'u.name', 'c.changed_at'])
    .where('c.partnership_id', '=', partnershipId).orderBy('c.changed_at', 'desc').orderBy('c.id', 'desc').limit(limit).execute();
  return rows.map((r) => ({ setting: r.setting, before: r.before, after: r.after, changedBy: r.changed_by_operator ? 'An operator (command line)' : (r.name ?? 'Unknown'), changedAt: r.changed_at }));
}
