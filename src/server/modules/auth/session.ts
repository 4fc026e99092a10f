import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import type { Actor, Role } from '../../actor.js';

/** Session lifetimes, from configuration. */
export interface SessionPolicy {
  idleMinutes: number;
  absoluteHours: number;
}

/** Minutes allowed between the password and the second factor. */
export const SECOND_FACTOR_MINUTES = 10;

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** Starts a session: a fresh random id every sign-in; only its hash is stored. */
export async function createSession(
  db: Kysely<Database>,
  userId: string,
  policy: SessionPolicy,
  opts: { awaitingSecondFactor?: boolean } = {},
): Promise<{ token: string; csrfToken: string }> {
  const token = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(32).toString('base64url');
  // A half-finished sign-in (second factor still to come) lasts minutes, not hours.
  const lifetime = opts.awaitingSecondFactor ? SECOND_FACTOR_MINUTES * 60_000 : policy.absoluteHours * 3_600_000;
  const expires = new Date(Date.now() + lifetime);
  await db
    .insertInto('app_session')
    .values({
      id: hashToken(token), user_id: userId, csrf_token: csrfToken, last_seen_at: new Date(), expires_at: expires,
      awaiting_second_factor: opts.awaitingSecondFactor ?? false,
    })
    .execute();
  return { token, csrfToken };
}

/** Resolves a session cookie to its user, enforcing the idle and absolute timeouts. */
export async function resolveSession(
  db: Kysely<Database>,
  token: string,
  policy: SessionPolicy,
): Promise<{ actor: Actor & { kind: 'user' }; csrfToken: string; awaitingSecondFactor: boolean } | null> {
  const id = hashToken(token);
  const row = await db
    .selectFrom('app_session as s')
    .innerJoin('app_user as u', 'u.id', 's.user_id')
    .innerJoin('organisation as o', 'o.id', 'u.organisation_id')
    .select([
      's.csrf_token', 's.last_seen_at', 's.expires_at', 's.awaiting_second_factor', 'u.id as user_id', 'u.name', 'u.email',
      'u.organisation_id', 'u.team_id', 'u.roles', 'u.active', 'o.name as organisation_name', 'u.partnership_id',
    ])
    .where('s.id', '=', id)
    .executeTakeFirst();
  if (!row) return null;
  const now = Date.now();
  const idleLimit = row.last_seen_at.getTime() + policy.idleMinutes * 60_000;
  if (!row.active || now > row.expires_at.getTime() || now > idleLimit) {
    await db.deleteFrom('app_session').where('id', '=', id).execute();
    return null;
  }
  // Touch at most once a minute: a write per request would cost more than the idle timeout needs.
  if (now - row.last_seen_at.getTime() > 60_000) {
    await db.updateTable('app_session').set({ last_seen_at: new Date(now) }).where('id', '=', id).execute();
  }
  return {
    csrfToken: row.csrf_token,
    awaitingSecondFactor: row.awaiting_second_factor,
    actor: {
      kind: 'user',
      userId: row.user_id,
      name: row.name,
      email: row.email,
      organisationId: row.organisation_id,
      organisationName: row.organisation_name,
      teamId: row.team_id,
      roles: row.roles as Role[],
      partnershipId: row.partnership_id,
    },
  };
}

/** Ends one session. */
export async function endSession(db: Kysely<Database>, token: string): Promise<void> {
  await db.deleteFrom('app_session').where('id', '=', hashToken(token)).execute();
}

/** Ends every session a user has (sign out everywhere); returns how many were ended. */
export async function endAllSessions(db: Kysely<Database>, userId: string): Promise<number> {
  const rows = await db.deleteFrom('app_session').where('user_id', '=', userId).returning('id').execute();
  return rows.length;
}

/**
 * Replaces a session with a new one under a new id, fully signed in: used when the second factor
 * is passed or a credential changes, so an id seen before that moment is worth nothing after it.
 */
export async function rotateSession(
  db: Kysely<Database>,
  oldToken: string,
  userId: string,
  policy: SessionPolicy,
): Promise<{ token: string; csrfToken: string }> {
  return db.transaction().execute(async (trx) => {
    await trx.deleteFrom('app_session').where('id', '=', hashToken(oldToken)).execute();
    return createSession(trx, userId, policy);
  });
}

/** Ends every session of a user except the one with this token; returns how many were ended. */
export async function endOtherSessions(db: Kysely<Database>, userId: string, keepToken: string): Promise<number> {
  const rows = await db.deleteFrom('app_session').where('user_id', '=', userId).where('id', '!=', hashToken(keepToken)).returning('id').execute();
  return rows.length;
}
