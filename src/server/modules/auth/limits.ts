import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';

/** How long failures count against an account or an address. */
export const FAILURE_WINDOW_MINUTES = 15;
/** Failed passwords for one email address within the window before it is locked. */
export const ACCOUNT_MAX_FAILURES = 10;
/** Failed second-factor codes for one user within the window before the step is locked. */
export const TOTP_MAX_FAILURES = 5;
/**
 * Failed sign-ins from one IP address within the window before it is refused. Higher than the
 * account limit: a council or NHS building signs many people in from one address.
 */
export const IP_MAX_FAILURES = 50;

/**
 * The key failures are counted under for an email address. Unknown addresses are limited exactly
 * like real ones, so the lockout itself reveals nothing; only a hash is stored.
 */
export function emailAccountKey(email: string): string {
  return `email:${createHash('sha256').update(email.trim().toLowerCase()).digest('hex')}`;
}

/** The key second-factor failures are counted under. */
export function totpAccountKey(userId: string): string {
  return `totp:${userId}`;
}

/** Whether an account key or an IP address has reached its limit within the window. */
export async function isLimited(
  db: Kysely<Database>,
  opts: { accountKey: string; ip: string; accountMax: number },
): Promise<boolean> {
  const since = new Date(Date.now() - FAILURE_WINDOW_MINUTES * 60_000);
  const row = await db
    .selectFrom('sign_in_failure')
    .select([
      sql<number>`count(*) FILTER (WHERE account_key = ${opts.accountKey})::int`.as('account'),
      sql<number>`count(*) FILTER (WHERE ip = ${opts.ip})::int`.as('ip'),
    ])
    .where('at', '>', since)
    .where((eb) => eb.or([eb('account_key', '=', opts.accountKey), eb('ip', '=', opts.ip)]))
    .executeTakeFirstOrThrow();
  return row.account >= opts.accountMax || row.ip >= IP_MAX_FAILURES;
}

/** Counts one failure; old rows are pruned now and then so the table stays small. */
export async function recordFailure(db: Kysely<Database>, accountKey: string, ip: string): Promise<void> {
  await db.insertInto('sign_in_failure').values({ account_key: accountKey, ip }).execute();
  if (Math.random() < 0.05) {
    await db.deleteFrom('sign_in_failure').where('at', '<', new Date(Date.now() - 24 * 3_600_000)).execute();
  }
}

/** Clears an account's failures after it signs in successfully. */
export async function clearFailures(db: Kysely<Database>, accountKey: string): Promise<void> {
  await db.deleteFrom('sign_in_failure').where('account_key', '=', accountKey).execute();
}
