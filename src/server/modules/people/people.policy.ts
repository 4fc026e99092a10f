import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { Database } from '../../../db/database.js';
import type { Actor, Role } from '../../actor.js';
import { withMergedPersons } from '../identity/identity.merges.js';

/** Actions on a person's record. A typed union, so a typo does not compile. */
export type PersonAction = 'person.read' | 'chronology.read' | 'event.record' | 'event.correct';

/** Roles that work with children and so may hold a relationship that grants access. */
const CASE_ROLES: readonly Role[] = [
  'practitioner', 'team_manager', 'designated_safeguarding_lead', 'panel_coordinator',
];

/** Roles that may see who has accessed a record (not the record itself). */
export const ACCESS_LOG_ROLES: readonly Role[] = ['partnership_admin', 'data_protection_officer'];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when the value could be a record id at all (anything else is simply "not found"). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

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
 * - they have opened the record with break-glass access that has not expired.
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
  );
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

/** Who else may see a restricted entry's content, besides its recording organisation. */
export interface RestrictionGrants {
  userIds: string[];
  roles: { role: string; organisationId: string | null }[];
}

/**
 * Whether the actor may see the content of a restricted entry: users of the recording
 * organisation, and the people and roles it names. Everyone else with access to the child sees
 * only that a restricted entry exists and whom to ask.
 */
export function canSeeRestricted(actor: Actor, eventOrganisationId: string, grants?: RestrictionGrants): boolean {
  if (actor.organisationId === eventOrganisationId) return true;
  if (!grants || actor.kind !== 'user') return false;
  if (grants.userIds.includes(actor.userId)) return true;
  return grants.roles.some((g) => actor.roles.includes(g.role as Role) && (g.organisationId === null || g.organisationId === actor.organisationId));
}

/** Whether the actor may see a protected address: its recording organisation and the child's lead professional. */
export function canSeeProtectedAddress(actor: Actor, recordedByOrganisationId: string | null, isLeadProfessional: boolean): boolean {
  return isLeadProfessional || (recordedByOrganisationId !== null && actor.organisationId === recordedByOrganisationId);
}

/** Roles that may open a record with break-glass access. */
export const BREAK_GLASS_ROLES: readonly Role[] = ['practitioner', 'team_manager', 'designated_safeguarding_lead'];

/** Whether the actor may use break-glass access at all. */
export function canBreakGlass(actor: Actor): boolean {
  return actor.kind === 'user' && actor.roles.some((r) => BREAK_GLASS_ROLES.includes(r));
}

/** Whether the actor may read the access log of a record. */
export function canReadAccessLog(actor: Actor): boolean {
  return actor.kind === 'user' && actor.roles.some((r) => ACCESS_LOG_ROLES.includes(r));
}

/** An active agreement under which the actor's organisation receives entries. */
export interface SharingAgreementGrant {
  providerOrganisationId: string | null;
  categories: string[];
}

/** The agreements under which an organisation currently receives information (one query per request). */
export async function sharingGrants(db: Kysely<Database>, recipientOrganisationId: string): Promise<SharingAgreementGrant[]> {
  const rows = await db
    .selectFrom('sharing_agreement')
    .select(['provider_organisation_id', 'categories'])
    .where((eb) => eb.or([eb('recipient_organisation_id', 'is', null), eb('recipient_organisation_id', '=', recipientOrganisationId)]))
    .where('valid_from', '<=', sql<string>`current_date`)
    .where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>=', sql<string>`current_date`)]))
    .execute();
  return rows.map((r) => ({ providerOrganisationId: r.provider_organisation_id, categories: r.categories }));
}

/** Whether an entry recorded by one organisation, in one category, is shared with the actor's organisation. */
export function isShared(actor: Actor, providerOrganisationId: string, category: string, grants: SharingAgreementGrant[]): boolean {
  if (actor.organisationId === providerOrganisationId) return true;
  return grants.some(
    (g) => (g.providerOrganisationId === null || g.providerOrganisationId === providerOrganisationId) && (g.categories.length === 0 || g.categories.includes(category)),
  );
}
