import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { Database } from '../../../db/database.js';
import type { PersonAction } from '../../actions.js';
import type { Actor, Role } from '../../actor.js';
import { isUuid } from '../../request.js';
import { withMergedPersons } from '../chronology/chronology.policy.js';
import { panelGrantedPersonIds } from '../panels/panels.policy.js';

/** Roles that work with children and so may hold a relationship that grants access. */
const CASE_ROLES: readonly Role[] = [
  'practitioner', 'team_manager', 'designated_safeguarding_lead', 'panel_coordinator',
];

/** Roles that may see who has accessed a record (not the record itself). */
export const ACCESS_LOG_ROLES: readonly Role[] = ['partnership_admin', 'data_protection_officer'];

function mayHoldCases(actor: Actor): boolean {
  return actor.kind === 'system' || actor.roles.some((r) => CASE_ROLES.includes(r));
}

/**
 * The people an actor may see, as a subquery of person ids: default deny. A case-holding user
 * sees a person while any of these relationships is active:
 * - they are involved, or their team is;
 * - they are the team manager of an involved practitioner;
 * - they are the designated safeguarding lead of an involved organisation (the child's school,
 *   or the child's GP practice: practice safeguarding leads hold the same role);
 * - they have opened the record with break-glass access that has not expired;
 * - they are invited to a panel meeting about the child (or coordinate it), while its access lasts.
 * An organisation's system sees the people its organisation is actively involved with.
 * The list filter and the per-record check both use this one scope.
 */
export function visiblePersonIds(db: Kysely<Database>, actor: Actor): SelectQueryBuilder<Database, any, { person_id: string }> {
  // Merged person records are read as one: a relationship with either record grants access to both.
  return withMergedPersons(db, directlyVisiblePersonIds(db, actor));
}

function directlyVisiblePersonIds(db: Kysely<Database>, actor: Actor): SelectQueryBuilder<Database, any, { person_id: string }> {
  const base = db
    .selectFrom('involvement')
    .select('involvement.person_id')
    .where('involvement.started_on', '<=', sql<string>`current_date`)
    .where((eb) => eb.or([eb('involvement.ended_on', 'is', null), eb('involvement.ended_on', '>=', sql<string>`current_date`)]));
  if (!mayHoldCases(actor)) return base.where(sql<boolean>`false`);
  if (actor.kind === 'system') return base.where('involvement.organisation_id', '=', actor.organisationId);
  const { userId, teamId, roles, organisationId } = actor;
  const related = base.where((eb) => {
    const grants = [eb('involvement.user_id', '=', userId)];
    if (teamId) grants.push(eb('involvement.team_id', '=', teamId));
    if (teamId && roles.includes('team_manager')) {
      grants.push(eb('involvement.user_id', 'in', db.selectFrom('app_user').select('app_user.id').where('app_user.team_id', '=', teamId)));
    }
    if (roles.includes('designated_safeguarding_lead')) grants.push(eb('involvement.organisation_id', '=', organisationId));
    return eb.or(grants);
  });
  return related.union(
    db.selectFrom('break_glass').select('break_glass.person_id').where('break_glass.user_id', '=', userId).where('break_glass.expires_at', '>', sql<Date>`now()`),
  ).union(panelGrantedPersonIds(db, actor) as never);
}

/** Per-record decision: may this actor take this action on this person? Missing and forbidden both give false. */
export async function authorizePerson(
  db: Kysely<Database>,
  actor: Actor,
  _action: PersonAction,
  personId: string,
): Promise<boolean> {
  // Every person action needs the same relationship today; the action is kept so that finer
  // rules slot in here without touching callers.
  if (!isUuid(personId) || !mayHoldCases(actor)) return false;
  const row = await db
    .selectFrom('person')
    .select('person.id')
    .where('person.id', '=', personId)
    .where('person.id', 'in', visiblePersonIds(db, actor))
    .executeTakeFirst();
  return row !== undefined;
}

/** Whether the actor may see a protected address: its recording organisation and the child's lead professional. */
export function canSeeProtectedAddress(actor: Actor, recordedByOrganisationId: string | null, isLeadProfessional: boolean): boolean {
  return isLeadProfessional || (recordedByOrganisationId !== null && actor.organisationId === recordedByOrganisationId);
}

/** Roles that may open a record with break-glass access. */
export const BREAK_GLASS_ROLES: readonly Role[] = ['practitioner', 'team_manager', 'designated_safeguarding_lead'];

/** Whether the actor may read the access log of a record. */
export function canReadAccessLog(actor: Actor): boolean {
  return actor.kind === 'user' && actor.roles.some((r) => ACCESS_LOG_ROLES.includes(r));
}

/**
 * The people whose access history the actor may look up by name or short reference: the
 * administrator and the data protection officer, the people of their own partnership (they find a
 * person to read who has seen the record, never the record); anyone else, the people they may see.
 */
export function accessLogLookupIds(db: Kysely<Database>, actor: Actor): SelectQueryBuilder<Database, any, { person_id: string }> {
  if (actor.kind === 'user' && canReadAccessLog(actor)) {
    return db.selectFrom('person_partnership').select('person_partnership.person_id').where('person_partnership.partnership_id', '=', actor.partnershipId);
  }
  return visiblePersonIds(db, actor);
}
