import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import type { Actor } from '../../actor.js';
import { samePersonIds } from '../chronology/chronology.policy.js';
import { ALLOCATABLE_ROLES, mayAllocateSql } from './allocation.policy.js';

/** Roles an allocation can give, with their labels (a trusted adult worker is named the same way). */
export const ALLOCATION_ROLES = {
  allocated_worker: 'Allocated worker',
  key_worker: 'Key worker',
  lead_professional: 'Lead professional',
  case_holder: 'Case holder',
  health_lead: 'Health lead',
  trusted_adult: 'Trusted adult',
  other: 'Other',
} as const;
export type AllocationRole = keyof typeof ALLOCATION_ROLES;

/** Every involvement role's label (including roles only imports and confirmations give). */
export const INVOLVEMENT_ROLE_LABELS: Record<string, string> = {
  ...ALLOCATION_ROLES,
  designated_safeguarding_lead: 'Designated safeguarding lead',
};

/** How many distinct workers in six months makes a team manager think about continuity. */
export const CONTINUITY_THRESHOLD = 3;

/** Involvement roles that are not a worker's casework (not counted as a change of worker). */
const NOT_COUNTED = ['trusted_adult'];

/** One person on the "Working with this child" summary. */
export interface WorkingPerson {
  name: string;
  organisation: string | null;
  relationship: string | null;
  since: string;
}

/** The "Working with this child" summary, and whether the viewer may allocate. */
export interface WorkingSummary {
  lead: WorkingPerson | null;
  keyWorker: WorkingPerson | null;
  trustedAdult: WorkingPerson | null;
  /** Distinct workers with an involvement in force at some time in the last six / twelve months. */
  workers6: number;
  workers12: number;
  mayAllocate: boolean;
}

const parsed = (v: unknown): WorkingPerson | null => (v === null || v === undefined ? null : ((typeof v === 'string' ? JSON.parse(v) : v) as WorkingPerson));

/** In force today, over the involvement `i`. */
const ACTIVE = sql`i.started_on <= current_date AND (i.ended_on IS NULL OR i.ended_on >= current_date)`;

/**
 * The person page's "Working with this child", in one statement: the lead professional, key worker
 * and trusted adult in force (the most recent of each), the number of distinct workers in the last
 * six and twelve months (an involvement that ended before it started never counts), and whether the
 * viewer may allocate (the allocation routes' own rule). Merged records are one child.
 */
export async function workingSummary(db: Kysely<Database>, actor: Actor, personId: string): Promise<WorkingSummary> {
  // The child's records, computed once for the whole statement.
  const group = sql`(SELECT person_id FROM child_records)`;
  const person = (role: string) => sql`(SELECT json_build_object('name', coalesce(u.name, t.name, o.name), 'organisation', o.name, 'relationship', NULL, 'since', i.started_on::text)
      FROM involvement i JOIN organisation o ON o.id = i.organisation_id LEFT JOIN app_user u ON u.id = i.user_id LEFT JOIN team t ON t.id = i.team_id
      WHERE i.person_id IN ${group} AND i.role = ${role} AND ${ACTIVE} ORDER BY i.started_on DESC, i.id LIMIT 1)`;
  const workers = (months: number) => sql`(SELECT count(DISTINCT i.user_id) FROM involvement i
      WHERE i.person_id IN ${group} AND i.user_id IS NOT NULL AND NOT (i.role = ANY(${sql.val(NOT_COUNTED)}::text[]))
        AND i.started_on <= current_date AND (i.ended_on IS NULL OR (i.ended_on >= i.started_on AND i.ended_on >= current_date - ${sql.lit(`${months} months`)}::interval)))`;
  const row = await sql<{ lead: unknown; key_worker: unknown; trusted: unknown; workers_6: string | number; workers_12: string | number; may_allocate: boolean }>`
    WITH child_records AS ${samePersonIds(null, personId)}
    SELECT ${person('lead_professional')} AS lead, ${person('key_worker')} AS key_worker,
      (SELECT json_build_object('name', x.name, 'organisation', x.organisation, 'relationship', x.relationship, 'since', x.since::text) FROM (
        SELECT coalesce(u.name, o.name) AS name, o.name AS organisation, NULL::text AS relationship, i.started_on AS since, i.id::text AS tie
          FROM involvement i JOIN organisation o ON o.id = i.organisation_id LEFT JOIN app_user u ON u.id = i.user_id
          WHERE i.person_id IN ${group} AND i.role = 'trusted_adult' AND ${ACTIVE}
        UNION ALL
        SELECT a.name, NULL, a.relationship, a.started_on, a.id::text FROM trusted_adult a
          WHERE a.person_id IN ${group} AND a.started_on <= current_date AND (a.ended_on IS NULL OR a.ended_on >= current_date)
      ) x ORDER BY x.since DESC, x.tie LIMIT 1) AS trusted,
      ${workers(6)} AS workers_6, ${workers(12)} AS workers_12,
      ${mayAllocateSql(actor, personId)} AS may_allocate`.execute(db);
  const r = row.rows[0]!;
  return {
    lead: parsed(r.lead), keyWorker: parsed(r.key_worker), trustedAdult: parsed(r.trusted),
    workers6: Number(r.workers_6), workers12: Number(r.workers_12), mayAllocate: r.may_allocate === true,
  };
}

/** The users of an organisation who may be allocated to a child: active, holding a case role; the actor's team first. */
export async function allocatableWorkers(db: Kysely<Database>, organisationId: string, teamId: string | null) {
  const rows = await db.selectFrom('app_user as u').leftJoin('team as t', 't.id', 'u.team_id')
    .select(['u.id', 'u.name', 'u.job_title', 'u.team_id', 't.name as team_name'])
    .where('u.organisation_id', '=', organisationId).where('u.active', '=', true)
    .where(sql<boolean>`u.roles && ${sql.val([...ALLOCATABLE_ROLES])}::text[]`)
    .orderBy('u.name').limit(500).execute();
  return rows.sort((a, b) => Number(b.team_id === teamId && teamId !== null) - Number(a.team_id === teamId && teamId !== null));
}

/** One involvement on the child's "Workers and handovers". */
export interface InvolvementView {
  id: string;
  personId: string;
  organisationId: string;
  organisationName: string;
  teamName: string | null;
  userId: string | null;
  userName: string | null;
  role: string;
  startedOn: string;
  endedOn: string | null;
}

/** One change of worker, with who made it and the handover note. */
export interface ChangeView {
  id: string;
  involvementId: string;
  relatedInvolvementId: string | null;
  kind: string;
  organisationName: string;
  byName: string;
  note: string | null;
  at: Date;
}

/** Every involvement of a child (any of their records) and every recorded change, newest first. */
export async function involvementHistory(db: Kysely<Database>, personId: string): Promise<{ involvements: InvolvementView[]; changes: ChangeView[]; trustedAdults: { name: string; relationship: string; startedOn: string; endedOn: string | null; organisationName: string }[] }> {
  const group = samePersonIds(null, personId);
  const [involvements, changes, trustedAdults] = await Promise.all([
    db.selectFrom('involvement as i').innerJoin('organisation as o', 'o.id', 'i.organisation_id')
      .leftJoin('team as t', 't.id', 'i.team_id').leftJoin('app_user as u', 'u.id', 'i.user_id')
      .select(['i.id', 'i.person_id', 'i.organisation_id', 'o.name as organisation_name', 't.name as team_name', 'i.user_id', 'u.name as user_name', 'i.role', 'i.started_on', 'i.ended_on'])
      .where(sql<boolean>`i.person_id IN ${group}`)
      .orderBy(sql`i.ended_on IS NULL`, 'desc').orderBy('i.started_on', 'desc').orderBy('i.id').execute(),
    db.selectFrom('involvement_change as c').innerJoin('organisation as o', 'o.id', 'c.organisation_id')
      .leftJoin('app_user as u', 'u.id', 'c.by_user_id').leftJoin('api_key as k', 'k.id', 'c.api_key_id')
      .select(['c.id', 'c.involvement_id', 'c.related_involvement_id', 'c.kind', 'o.name as organisation_name', 'u.name as user_name', 'k.name as key_name', 'c.note', 'c.at'])
      .where(sql<boolean>`c.person_id IN ${group}`)
      .orderBy('c.at', 'desc').orderBy('c.id').execute(),
    db.selectFrom('trusted_adult as a').innerJoin('organisation as o', 'o.id', 'a.organisation_id')
      .select(['a.name', 'a.relationship', 'a.started_on', 'a.ended_on', 'o.name as organisation_name'])
      .where(sql<boolean>`a.person_id IN ${group}`).orderBy('a.started_on', 'desc').execute(),
  ]);
  return {
    involvements: involvements.map((i) => ({
      id: i.id, personId: i.person_id, organisationId: i.organisation_id, organisationName: i.organisation_name, teamName: i.team_name,
      userId: i.user_id, userName: i.user_name, role: i.role, startedOn: i.started_on, endedOn: i.ended_on,
    })),
    changes: changes.map((c) => ({
      id: c.id, involvementId: c.involvement_id, relatedInvolvementId: c.related_involvement_id, kind: c.kind, organisationName: c.organisation_name,
      byName: c.user_name ?? (c.key_name ? `${c.organisation_name} system (${c.key_name})` : c.organisation_name), note: c.note, at: c.at,
    })),
    trustedAdults: trustedAdults.map((a) => ({ name: a.name, relationship: a.relationship, startedOn: a.started_on, endedOn: a.ended_on, organisationName: a.organisation_name })),
  };
}
