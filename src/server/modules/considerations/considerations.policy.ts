import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { Database } from '../../../db/database.js';
import type { Actor, Role } from '../../actor.js';

import type { ConsiderationAction } from '../../actions.js';

export type { ConsiderationAction } from '../../actions.js';

/** Roles that receive considerations: those who can offer or arrange help. */
export const RECIPIENT_ROLES: readonly Role[] = ['practitioner', 'team_manager', 'designated_safeguarding_lead'];

/** Who a consideration is addressed to. */
export interface ConsiderationAddress {
  recipientKind: string;
  recipientUserId: string | null;
  recipientTeamId: string | null;
  recipientOrganisationId: string | null;
  decided: boolean;
}

/**
 * Whether the actor may read or decide a consideration. It goes to one place: the lead
 * professional (the named user, or their team when the involvement names only a team), or the
 * front door (its team if configured, otherwise anyone in a receiving role there). Being asked
 * to consider a child is the relationship that lets the recipient see the evidence. A decision
 * is made once.
 */
export function decideConsideration(actor: Actor, action: ConsiderationAction, c: ConsiderationAddress): boolean {
  if (actor.kind !== 'user' || !actor.roles.some((r) => RECIPIENT_ROLES.includes(r))) return false;
  const addressed =
    (c.recipientUserId !== null && c.recipientUserId === actor.userId) ||
    (c.recipientUserId === null && c.recipientTeamId !== null && c.recipientTeamId === actor.teamId) ||
    (c.recipientKind === 'front_door' && c.recipientTeamId === null && c.recipientOrganisationId === actor.organisationId);
  if (!addressed) return false;
  return action === 'consideration.read' || !c.decided;
}

/** The same rule as a query scope over consideration ids (the inbox uses it; tests check they agree). */
export function visibleConsiderationIds(db: Kysely<Database>, actor: Actor): SelectQueryBuilder<Database, 'consideration', { id: string }> {
  const base = db.selectFrom('consideration').select('consideration.id');
  if (actor.kind !== 'user' || !actor.roles.some((r) => RECIPIENT_ROLES.includes(r))) return base.where(sql<boolean>`false`);
  const { userId, teamId, organisationId } = actor;
  return base.where((eb) => {
    const grants = [
      eb('consideration.recipient_user_id', '=', userId),
      eb.and([eb('consideration.recipient_kind', '=', 'front_door'), eb('consideration.recipient_team_id', 'is', null), eb('consideration.recipient_organisation_id', '=', organisationId)]),
    ];
    if (teamId) grants.push(eb.and([eb('consideration.recipient_user_id', 'is', null), eb('consideration.recipient_team_id', '=', teamId)]));
    return eb.or(grants);
  });
}
