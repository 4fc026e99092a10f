/**
 * Reads for panels. Entries are read only through the chronology's scope (entryScope) for the
 * reader, and children only when the people scope (visiblePersonIds, which holds the panel's
 * time-limited access) lets the reader see them: each reader of a pack sees what they may.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import type { Actor } from '../../actor.js';
import { entryScope, type EntryAccess } from '../chronology/chronology.policy.js';
import { visiblePersonIds } from '../people/people.policy.js';
import type { MeetingHeader } from './panels.policy.js';

/** Without a previous meeting about a child, "since the last review" reaches back this far. */
export const DEFAULT_LOOKBACK_DAYS = 365;

export const PANEL_KINDS: Record<string, string> = {
  mace: 'Multi-agency child exploitation (MACE) panel',
  operational_high_risk: 'Operational high-risk panel',
  strategy_meeting: 'Strategy meeting',
  initial_cp_conference: 'Initial child protection conference',
  review_cp_conference: 'Review child protection conference',
  transfer_in_cp_conference: 'Transfer-in child protection conference',
  complex_case: 'Complex case panel',
};

/** Where a referral to a panel came from. */
export const SOURCE_LABELS: Record<string, string> = {
  practitioner: 'A practitioner\'s referral', assessment: 'Risk assessment at high or very high', consideration: 'A consideration\'s decision',
  critical_moment: 'A critical moment', review_due: 'Review due',
};

export const BASIS_LABELS: Record<string, string> = {
  statutory: 'Statutory partner', school: 'The child\'s school', housing: 'Housing', involved: 'Involved with a child on the agenda',
  standing: 'Standing member', added: 'Added by the coordinator',
};

/** When each child was last reviewed before this meeting (their latest earlier meeting in the partnership), else the look-back. */
export async function sinceLastReview(db: Kysely<Database>, meeting: MeetingHeader, personIds: string[]): Promise<Map<string, Date>> {
  const out = new Map<string, Date>(personIds.map((id) => [id, new Date(meeting.held_at.getTime() - DEFAULT_LOOKBACK_DAYS * 86_400_000)]));
  if (personIds.length === 0) return out;
  const rows = await db.selectFrom('panel_agenda_item as ai').innerJoin('panel_meeting as m', 'm.id', 'ai.meeting_id').innerJoin('panel_type as t', 't.id', 'm.panel_type_id')
    .select(['ai.person_id', (eb) => eb.fn.max('m.held_at').as('last')])
    .where('ai.person_id', 'in', personIds).where('t.partnership_id', '=', meeting.partnership_id)
    .where('m.status', '<>', 'cancelled').where('m.id', '<>', meeting.id).where('m.held_at', '<', meeting.held_at)
    .groupBy('ai.person_id').execute();
  for (const r of rows) if (r.last) out.set(r.person_id, new Date(r.last as unknown as string));
  return out;
}

export interface PackEntry {
  person_id: string;
  id: string;
  access: EntryAccess;
  occurred_at: Date;
  occurred_precision: string;
  organisation_name: string;
  category: string;
  type_label: string | null;
  summary: string | null;
  restricted_contact: string | null;
  significant: boolean;
}

/**
 * The current entries of these children since each one's last review, as the reader may see them
 * (withheld entries keep their date, agency and category), newest first; `significant` is judged on
 * what the reader may read (a significant event type of the meeting's partnership).
 */
export async function entriesSince(db: Kysely<Database>, reader: Actor, meeting: MeetingHeader, since: Map<string, Date>): Promise<PackEntry[]> {
  const ids = [...since.keys()];
  if (ids.length === 0) return [];
  // The partnership's significant types as a constant array: a per-row subquery costs more than the rest of the read.
  const significant = (await db.selectFrom('significant_event_type').select('event_type_code').where('partnership_id', '=', meeting.partnership_id).execute()).map((r) => r.event_type_code);
  const rows = await sql<PackEntry>`
    SELECT v.person_id, v.id, v.access, v.occurred_at, v.occurred_precision, v.organisation_name, v.category, v.type_label, v.summary, v.restricted_contact,
      (v.access = 'full' AND v.event_type_code = ANY(${sql.val(significant)}::text[])) AS significant
    FROM ${entryScope(reader, { ids })} v
    JOIN unnest(${sql.val(ids)}::uuid[], ${sql.val(ids.map((id) => since.get(id)!.toISOString()))}::timestamptz[]) AS w(person_id, since) ON w.person_id = v.person_id
    WHERE v.current AND v.occurred_at > w.since
    ORDER BY v.person_id, v.occurred_at DESC, v.sort_recorded_at DESC`.execute(db);
  return rows.rows;
}

/** The significant entries since the child's last review that this reader may read: what an agency update must acknowledge. */
export async function significantEntriesSince(db: Kysely<Database>, reader: Actor, meeting: MeetingHeader, personId: string): Promise<PackEntry[]> {
  const since = await sinceLastReview(db, meeting, [personId]);
  return (await entriesSince(db, reader, meeting, since)).filter((e) => e.significant);
}

/** A meeting's agenda items, each child with their section and referral. */
export async function agendaOf(db: Kysely<Database>, meetingId: string) {
  return db.selectFrom('panel_agenda_item as ai').leftJoin('panel_referral as r', 'r.id', 'ai.referral_id')
    .select(['ai.id', 'ai.person_id', 'ai.section', 'ai.decision', 'ai.next_review_on', 'r.source', 'r.reason', 'r.created_at as referred_at'])
    .where('ai.meeting_id', '=', meetingId).orderBy('ai.section', 'desc').orderBy('ai.id').execute();
}

/** Of these children, those the reader may see (the people scope, with the panel's access). */
export async function visibleOf(db: Kysely<Database>, actor: Actor, personIds: string[]): Promise<Set<string>> {
  if (personIds.length === 0) return new Set();
  const rows = await db.selectFrom('person').select('person.id').where('person.id', 'in', personIds).where('person.id', 'in', visiblePersonIds(db, actor)).execute();
  return new Set(rows.map((r) => r.id));
}

/** A meeting's invitations with their agency, the people reached and attendance. */
export async function invitationsOf(db: Kysely<Database>, meetingId: string) {
  return db.selectFrom('panel_invitation as i').innerJoin('organisation as o', 'o.id', 'i.organisation_id')
    .select(['i.id', 'i.organisation_id', 'o.name as organisation_name', 'o.kind as organisation_kind', 'i.basis', 'i.excluded_reason', 'i.sent_at',
      'i.attendance', 'i.attendee_name', 'i.attendee_role',
      (eb) => eb.selectFrom('panel_invitee as pi').select((e) => e.fn.countAll<number>().as('n')).whereRef('pi.invitation_id', '=', 'i.id').as('invitees')])
    .where('i.meeting_id', '=', meetingId).orderBy('o.name').execute();
}

/** The updates sent for a meeting: agency, child, when, and what they say. */
export async function updatesOf(db: Kysely<Database>, meetingId: string) {
  return db.selectFrom('panel_update as u').innerJoin('organisation as o', 'o.id', 'u.organisation_id').innerJoin('app_user as a', 'a.id', 'u.author_user_id')
    .select(['u.id', 'u.person_id', 'u.organisation_id', 'o.name as organisation_name', 'a.name as author_name', 'u.facts', 'u.opinion', 'u.not_shared',
      'u.not_shared_reason', 'u.no_significant_incident', 'u.submitted_at',
      (eb) => eb.selectFrom('panel_update_acknowledgement as k').select((e) => e.fn.countAll<number>().as('n')).whereRef('k.update_id', '=', 'u.id').as('acknowledged')])
    .where('u.meeting_id', '=', meetingId).orderBy('o.name').execute();
}

/** Each child's latest signed-off risk level and its review date. */
export async function latestLevels(db: Kysely<Database>, personIds: string[]): Promise<Map<string, { level: string | null; signed_off_at: Date; review_on: string | null }>> {
  if (personIds.length === 0) return new Map();
  const rows = await sql<{ person_id: string; level: string | null; signed_off_at: Date; review_on: string | null }>`
    SELECT DISTINCT ON (a.person_id) a.person_id, v.level, a.signed_off_at, v.review_on::text AS review_on FROM assessment a
    JOIN LATERAL (SELECT level, review_on FROM assessment_version WHERE assessment_id = a.id ORDER BY version DESC LIMIT 1) v ON true
    WHERE a.person_id = ANY(${sql.val(personIds)}::uuid[]) AND a.status = 'signed_off'
    ORDER BY a.person_id, a.signed_off_at DESC`.execute(db);
  return new Map(rows.rows.map((r) => [r.person_id, r]));
}

/**
 * Links between children on an agenda and the places they share, as the reader may see them:
 * entries naming two of the children (their existence is visible in the scope), places named in
 * entries of two or more of them, and themes: the factors (recorded or implied by the entry's type)
 * of two or more of them (places and factors are read only from entries the reader may read).
 */
export async function linksAndPlaces(db: Kysely<Database>, reader: Actor, personIds: string[]) {
  if (personIds.length < 2) return { links: [], places: [], themes: [] };
  // One pass over the scope for both: its CTE is read twice, computed once.
  const rows = await sql<{ kind: 'link' | 'place' | 'theme'; a: string | null; b: string | null; place: string | null; people: string[] | null; n: number }>`
    WITH s AS (SELECT v.person_id, v.id, v.place, v.factor_codes || v.implied_factors AS factors FROM ${entryScope(reader, { ids: personIds })} v WHERE v.current)
    SELECT 'link' AS kind, x.person_id AS a, y.person_id AS b, NULL::text AS place, NULL::uuid[] AS people, count(*)::int AS n
      FROM s x JOIN s y ON x.id = y.id AND x.person_id < y.person_id GROUP BY x.person_id, y.person_id
    UNION ALL
    SELECT 'place', NULL, NULL, min(place), array_agg(DISTINCT person_id), count(DISTINCT person_id)::int
      FROM s WHERE place IS NOT NULL GROUP BY lower(trim(place)) HAVING count(DISTINCT person_id) >= 2
    UNION ALL
    SELECT 'theme', NULL, NULL, coalesce(min(f.label), x.code), array_agg(DISTINCT x.person_id), count(DISTINCT x.person_id)::int
      FROM (SELECT s.person_id, unnest(s.factors) AS code FROM s) x LEFT JOIN factor f ON f.code = x.code
      GROUP BY x.code HAVING count(DISTINCT x.person_id) >= 2`.execute(db);
  const links = rows.rows.filter((r) => r.kind === 'link').map((r) => ({ a: r.a!, b: r.b!, shared: r.n })).sort((x, y) => y.shared - x.shared);
  const places = rows.rows.filter((r) => r.kind === 'place').map((r) => ({ place: r.place!, people: r.people! }))
    .sort((x, y) => y.people.length - x.people.length || x.place.localeCompare(y.place)).slice(0, 20);
  const themes = rows.rows.filter((r) => r.kind === 'theme').map((r) => ({ theme: r.place!, people: r.people! }))
    .sort((x, y) => y.people.length - x.people.length || x.theme.localeCompare(y.theme)).slice(0, 20);
  return { links, places, themes };
}

/** Each child's plan in force (worries, goals, next review) and its actions with their owners and status. */
export async function plansOf(db: Kysely<Database>, personIds: string[]) {
  if (personIds.length === 0) return { plans: [], actions: [] };
  const [plans, actions] = await Promise.all([
    db.selectFrom('risk_plan').select(['id', 'person_id', 'worries', 'goals', 'next_review_on']).where('person_id', 'in', personIds).where('status', '=', 'active').execute(),
    db.selectFrom('plan_action as a').innerJoin('risk_plan as p', 'p.id', 'a.plan_id').innerJoin('app_user as u', 'u.id', 'a.owner_user_id')
      .innerJoin('organisation as o', 'o.id', 'a.owner_organisation_id')
      .select(['a.id', 'p.person_id', 'a.kind', 'a.description', 'u.name as owner_name', 'o.name as owner_organisation', 'a.due_on', 'a.status', 'a.status_reason', 'a.completed_at'])
      .where('p.person_id', 'in', personIds).where('p.status', '=', 'active').orderBy('a.due_on').execute(),
  ]);
  return { plans, actions };
}

/** Each child's offers of help, newest first, with the response and its barrier in the family's own words. */
export async function offersOf(db: Kysely<Database>, personIds: string[]) {
  if (personIds.length === 0) return [];
  return db.selectFrom('offer_of_help as f').innerJoin('organisation as o', 'o.id', 'f.organisation_id')
    .select(['f.id', 'f.person_id', 'f.service_name', 'o.name as organisation_name', 'f.offered_on', 'f.mode', 'f.response', 'f.barrier', 'f.own_words'])
    .where('f.person_id', 'in', personIds).orderBy('f.created_at', 'desc').execute();
}

/** Incomplete actions of the agenda's children, as the meeting reviews them: not possible, not done, or open past their due date. */
export async function incompleteActions(db: Kysely<Database>, personIds: string[], asOf: Date) {
  const { actions } = await plansOf(db, personIds);
  const day = asOf.toISOString().slice(0, 10);
  return actions.filter((a) => a.status === 'not_possible' || a.status === 'not_done' || ((a.status === 'not_started' || a.status === 'in_progress') && String(a.due_on) < day));
}
