import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import type { Actor, Role } from '../../actor.js';

/** Session lifetimes, from configuration. */
export interface SessionPolicy {
  idleMinutes: number;
  absoluteHours: number;
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** Starts a session: a fresh random id every sign-in; only its hash is stored. */
export async function createSession(
  db: Kysely<Database>,
  userId: string,
  policy: SessionPolicy,
): Promise<{ token: string; csrfToken: string }> {
  const token = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(32).toString('base64url');
  const expires = new Date(Date.now() + policy.absoluteHours * 3_600_000);
  await db
    .insertInto('app_session')
    .values({ id: hashToken(token), user_id: userId, csrf_token: csrfToken, last_seen_at: new Date(), expires_at: expires })
    .execute();
  return { token, csrfToken };
}

/** Resolves a session cookie to its user, enforcing the idle and absolute timeouts. */
export async function resolveSession(
  db: Kysely<Database>,
  token: string,
  policy: SessionPolicy,
): Promise<{ actor: Actor & { kind: 'user' }; csrfToken: string } | null> {
  const id = hashToken(token);
  const row = await db
    .selectFrom('app_session as s')
    .innerJoin('app_user as u', 'u.id', 's.user_id')
    .innerJoin('organisation as o', 'o.id', 'u.organisation_id')
    .select([
      's.csrf_token', 's.last_seen_at', 's.expires_at', 'u.id as user_id', 'u.name', 'u.email',
      'u.organisation_id', 'u.team_id', 'u.roles', 'u.active', 'o.name as organisation_name',
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
    actor: {
      kind: 'user',
      userId: row.user_id,
      name: row.name,
      email: row.email,
      organisationId: row.organisation_id,
      organisationName: row.organisation_name,
      teamId: row.team_id,
      roles: row.roles as Role[],
    },
  };
}

/** Ends one session. */
export async function endSession(db: Kysely<Database>, token: string): Promise<void> {
  await db.deleteFrom('app_session').where('id', '=', hashToken(token)).execute();
}
