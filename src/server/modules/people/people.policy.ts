import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { Database } from '../../../db/database.js';
import type { Actor, Role } from '../../actor.js';

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
 * The people an actor may see, as a subquery of person ids: default deny. A user sees a person
 * while they, or their team, have an active involvement; an organisation's system sees the people
 * its organisation is actively involved with. The list filter and the per-record check both use it.
 */
export function visiblePersonIds(db: Kysely<Database>, actor: Actor): SelectQueryBuilder<Database, 'involvement', { person_id: string }> {
  const base = db
    .selectFrom('involvement')
    .select('involvement.person_id')
    .where('involvement.started_on', '<=', sql<string>`current_date`)
    .where((eb) => eb.or([eb('involvement.ended_on', 'is', null), eb('involvement.ended_on', '>=', sql<string>`current_date`)]));
  if (!mayHoldCases(actor)) return base.where(sql<boolean>`false`);
  if (actor.kind === 'system') return base.where('involvement.organisation_id', '=', actor.organisationId);
  const teamId = actor.teamId;
  return base.where((eb) =>
    teamId
      ? eb.or([eb('involvement.user_id', '=', actor.userId), eb('involvement.team_id', '=', teamId)])
      : eb('involvement.user_id', '=', actor.userId),
  );
}

/** Per-record decision: may this actor take this action on this person? Missing and forbidden both give false. */
export async function authorizePerson(
  db: Kysely<Database>,
  actor: Actor,
  _action: PersonAction,
  personId: string,
): Promise<boolean> {
  // Every person action currently needs the same relationship; the action is kept so that
  // finer rules (restricted compartments, break-glass) slot in here without touching callers.
  if (!isUuid(personId) || !mayHoldCases(actor)) return false;
  const row = await db
    .selectFrom('person')
    .select('person.id')
    .where('person.id', '=', personId)
    .where('person.id', 'in', visiblePersonIds(db, actor))
    .executeTakeFirst();
  return row !== undefined;
}

/** Whether the actor may see the content of a restricted entry: only its recording organisation. */
export function canSeeRestricted(actor: Actor, eventOrganisationId: string): boolean {
  return actor.organisationId === eventOrganisationId;
}

/** Whether the actor may read the access log of a record. */
export function canReadAccessLog(actor: Actor): boolean {
  return actor.kind === 'user' && actor.roles.some((r) => ACCESS_LOG_ROLES.includes(r));
}
