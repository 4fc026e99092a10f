import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';

// Sign-in limits: back-off, not lockout. Failures are rows in sign_in_failure (held in the database,
// so every server process sees them). Each failure past an allowance doubles the wait before the
// next attempt is checked; attempts made during a wait are refused without being counted, so
// hammering does not lengthen it, and no wait is longer than BACKOFF_MAX_SECONDS. Written here
// rather than with @fastify/rate-limit: that plugin counts requests per key in memory or Redis,
// while these limits count failures (not requests), per account, per account and address, and per
// address together, in the database both engines share, and must not refuse a right password only
// because others at the same address got theirs wrong.

/** How long a failure counts towards the allowances below. */
export const FAILURE_WINDOW_MINUTES = 60;
/** The first wait once an allowance is used up; each later failure doubles it. */
export const BACKOFF_BASE_SECONDS = 15;
/** No wait is longer than this, however many failures. */
export const BACKOFF_MAX_SECONDS = 15 * 60;
/** Wrong passwords for one email address from one IP address before that pair waits. */
export const PAIR_FREE_FAILURES = 5;
/**
 * Wrong passwords for one email address from all addresses together before every attempt at it
 * waits (a distributed guess). Higher than the pair allowance, so one attacker at one address
 * slows only their own attempts at the account.
 */
export const ACCOUNT_FREE_FAILURES = 20;
/** Wrong second-factor codes for one user before the next code waits. */
export const TOTP_FREE_FAILURES = 5;
/** How long a failure counts towards an address's throttle (IP_THROTTLE_FAILURES). */
export const IP_WINDOW_MINUTES = 15;
/**
 * Failures from one IP address (any accounts) within IP_WINDOW_MINUTES after which the address is
 * throttled: each account tried from it gets one failure there before it waits, instead of
 * PAIR_FREE_FAILURES. An account with no failures from the address is still checked, so the
 * right password from a council's shared gateway signs in whatever others there got wrong.
 */
export const IP_THROTTLE_FAILURES = 50;

/** How much an account is allowed before it waits. */
export interface LimitPolicy {
  /** Failures from one address for this account (before an address throttle lowers it to 1). */
  pairFree: number;
  /** Failures for this account from every address together. */
  accountFree: number;
}
/** The password (sign-in form and change-password form). */
export const PASSWORD_LIMITS: LimitPolicy = { pairFree: PAIR_FREE_FAILURES, accountFree: ACCOUNT_FREE_FAILURES };
/** The second factor: whoever enters codes already has the password, so the allowance is per user. */
export const TOTP_LIMITS: LimitPolicy = { pairFree: TOTP_FREE_FAILURES, accountFree: TOTP_FREE_FAILURES };

/** Whether an attempt must wait, and for how long. */
export interface Throttle {
  limited: boolean;
  /** Whole seconds until the next attempt is checked (0 when not limited). */
  retryAfterSeconds: number;
}

/** The wait after `over` failures beyond an allowance (over ≥ 1). */
export function backoffSeconds(over: number): number {
  return Math.min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** Math.min(30, Math.max(0, over - 1)));
}

/**
 * The key failures are counted under for an email address. Unknown addresses are limited exactly
 * like real ones, so the limit itself reveals nothing; only a hash is stored.
 */
export function emailAccountKey(email: string): string {
  return `email:${createHash('sha256').update(email.trim().toLowerCase()).digest('hex')}`;
}

/** The key second-factor failures are counted under. */
export function totpAccountKey(userId: string): string {
  return `totp:${userId}`;
}

/** Whether an attempt at an account from an address must wait now, and how long. */
export async function checkThrottle(
  db: Kysely<Database>,
  opts: { accountKey: string; ip: string; policy: LimitPolicy; now?: Date },
): Promise<Throttle> {
  const now = opts.now ?? new Date();
  const since = new Date(now.getTime() - FAILURE_WINDOW_MINUTES * 60_000);
  const ipSince = new Date(now.getTime() - IP_WINDOW_MINUTES * 60_000);
  const row = await db
    .selectFrom('sign_in_failure')
    .select([
      sql<number>`count(*) FILTER (WHERE account_key = ${opts.accountKey})::int`.as('account'),
      sql<Date | null>`max(at) FILTER (WHERE account_key = ${opts.accountKey})`.as('account_last'),
      sql<number>`count(*) FILTER (WHERE account_key = ${opts.accountKey} AND ip = ${opts.ip})::int`.as('pair'),
      sql<Date | null>`max(at) FILTER (WHERE account_key = ${opts.accountKey} AND ip = ${opts.ip})`.as('pair_last'),
      sql<number>`count(*) FILTER (WHERE ip = ${opts.ip} AND at > ${ipSince})::int`.as('ip'),
    ])
    .where('at', '>', since)
    .where((eb) => eb.or([eb('account_key', '=', opts.accountKey), eb('ip', '=', opts.ip)]))
    .executeTakeFirstOrThrow();
  const pairFree = row.ip >= IP_THROTTLE_FAILURES ? 1 : opts.policy.pairFree;
  const until = (count: number, free: number, last: Date | string | null) =>
    count >= free && last ? new Date(last).getTime() + backoffSeconds(count - free + 1) * 1000 : 0;
  const waitMs = Math.max(
    until(row.pair, pairFree, row.pair_last),
    until(row.account, opts.policy.accountFree, row.account_last),
  ) - now.getTime();
  return waitMs > 0 ? { limited: true, retryAfterSeconds: Math.ceil(waitMs / 1000) } : { limited: false, retryAfterSeconds: 0 };
}

/** Whether an attempt must wait now (see checkThrottle). */
export async function isLimited(db: Kysely<Database>, opts: { accountKey: string; ip: string; policy: LimitPolicy }): Promise<boolean> {
  return (await checkThrottle(db, opts)).limited;
}

/** "Wait 15 seconds", "Wait 4 minutes": how long, for the page. */
export function waitText(seconds: number): string {
  if (seconds < 60) return `Wait ${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `Wait ${minutes} minute${minutes === 1 ? '' : 's'}`;
}

/** Counts one failure (at the application's clock); old rows are pruned now and then so the table stays small. */
export async function recordFailure(db: Kysely<Database>, accountKey: string, ip: string, now: Date = new Date()): Promise<void> {
  await db.insertInto('sign_in_failure').values({ account_key: accountKey, ip, at: now }).execute();
  if (Math.random() < 0.05) {
    await db.deleteFrom('sign_in_failure').where('at', '<', new Date(now.getTime() - 24 * 3_600_000)).execute();
  }
}

/** Clears an account's failures after it signs in successfully. */
export async function clearFailures(db: Kysely<Database>, accountKey: string): Promise<void> {
  await db.deleteFrom('sign_in_failure').where('account_key', '=', accountKey).execute();
}
