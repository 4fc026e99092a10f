/**
 * Who may change who works with a child. One rule, used by the routes (to refuse) and by the pages
 * (to offer the links), so a link is shown exactly when following it would be allowed.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../../../db/database.js';
import { holdsRole } from '../../access.js';
import type { Actor, Role } from '../../actor.js';
import { isUuid } from '../../request.js';
import { samePersonIds } from '../chronology/chronology.policy.js';

/** Roles that allocate workers, name the lead professional and end involvements. */
export const ALLOCATING_ROLES: readonly Role[] = ['team_manager', 'designated_safeguarding_lead'];

/** Roles a worker must hold to be allocated to a child. */
export const ALLOCATABLE_ROLES: readonly Role[] = ['practitioner', 'team_manager', 'designated_safeguarding_lead'];

/**
 * Whether the actor may allocate workers of their organisation to this child (and name the lead
 * professional), as one SQL boolean. A team manager or designated safeguarding lead (or their
 * organisation's system) may, when their organisation:
 * - already has an active involvement with the child, or
 * - recorded entries about the child (its own records, for example after an import), or
 * - is the front door of the child's partnership (and, when the front door names a team, the user is in it).
 * Merged records are one child: any record of the child counts. An erased record is allocated to nobody.
 */
export function mayAllocateSql(actor: Actor, personId: string): RawBuilder<boolean> {
  if (!isUuid(personId)) return sql<boolean>`false`;
  if (actor.kind === 'user' && !holdsRole(actor, ALLOCATING_ROLES)) return sql<boolean>`false`;
  const org = actor.organisationId;
  const group = samePersonIds(null, personId);
  const team = actor.kind === 'user'
    ? sql`(f.team_id IS NULL OR f.team_id = ${actor.teamId}::uuid)`
    : sql`true`;
  return sql<boolean>`(EXISTS (SELECT 1 FROM person p WHERE p.id = ${personId}::uuid AND p.erased_at IS NULL) AND (
    EXISTS (SELECT 1 FROM involvement i WHERE i.person_id IN ${group} AND i.organisation_id = ${org}::uuid
      AND i.started_on <= current_date AND (i.ended_on IS NULL OR i.ended_on >= current_date))
    OR EXISTS (SELECT 1 FROM event_person ep JOIN event e ON e.id = ep.event_id
      WHERE ep.person_id IN ${group} AND e.organisation_id = ${org}::uuid)
    OR EXISTS (SELECT 1 FROM person_partnership pp JOIN partnership_front_door f ON f.partnership_id = pp.partnership_id
      WHERE pp.person_id IN ${group} AND f.organisation_id = ${org}::uuid AND ${team})))`;
}

/** Whether the actor may allocate workers to this child (see mayAllocateSql). */
export async function mayAllocate(db: Kysely<Database>, actor: Actor, personId: string): Promise<boolean> {
  if (!isUuid(personId)) return false;
  const row = await sql<{ ok: boolean }>`SELECT ${mayAllocateSql(actor, personId)} AS ok`.execute(db);
  return row.rows[0]?.ok === true;
}

/** An involvement as the end rule needs it. */
export interface EndableInvolvement {
  organisation_id: string;
  started_on: string;
  ended_on: string | null;
}

/** Whether an involvement is in force today (dates as 'YYYY-MM-DD'). */
export function isActive(i: { started_on: string; ended_on: string | null }, today = new Date().toISOString().slice(0, 10)): boolean {
  return i.started_on <= today && (i.ended_on === null || i.ended_on >= today);
}

/**
 * Whether the actor may end this involvement: it is in force, and the actor is a team manager or
 * designated safeguarding lead of the involvement's own organisation (or that organisation's system).
 * Another organisation's involvement is not theirs to end.
 */
export function mayEnd(actor: Actor, involvement: EndableInvolvement): boolean {
  if (actor.organisationId !== involvement.organisation_id) return false;
  if (actor.kind === 'user' && !holdsRole(actor, ALLOCATING_ROLES)) return false;
  return involvement.ended_on === null || involvement.ended_on >= new Date().toISOString().slice(0, 10);
}
