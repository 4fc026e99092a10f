import { createHash, randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import { SecretBox } from '../../secrets.js';

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

/** The cookie that marks a browser where an account has signed in before (a "device cookie"). */
export const DEVICE_COOKIE = 'jigsaw_device';
/** How long a device cookie is honoured after the sign-in that issued it. */
export const DEVICE_COOKIE_DAYS = 90;
const DEVICE_CONTEXT = 'sign-in device';

/**
 * A new device cookie for an account, sealed with the secrets key (AES-256-GCM, so it cannot be
 * forged or moved to another account; rotating SECRETS_KEY ends the old ones once their key is removed).
 */
export function issueDeviceCookie(box: SecretBox, accountKey: string, now: Date = new Date()): string {
  return box.seal(JSON.stringify({ account: accountKey, device: randomBytes(16).toString('base64url'), issued: now.getTime() }), DEVICE_CONTEXT);
}

/**
 * The key failures with this device cookie are counted under, when it is a cookie this server issued
 * for this account within DEVICE_COOKIE_DAYS; null for anything else (none, forged, another account's, old).
 */
export function deviceKeyOf(box: SecretBox, cookie: string | undefined, accountKey: string, now: Date = new Date()): string | null {
  if (!cookie || cookie.length > 1000 || !SecretBox.isSealed(cookie)) return null;
  try {
    const v = JSON.parse(box.open(cookie, DEVICE_CONTEXT)) as { account?: unknown; device?: unknown; issued?: unknown };
    if (v.account !== accountKey || typeof v.device !== 'string' || typeof v.issued !== 'number') return null;
    const age = now.getTime() - v.issued;
    if (age < -60_000 || age > DEVICE_COOKIE_DAYS * 86_400_000) return null;
    return `device:${createHash('sha256').update(v.device).digest('hex')}`;
  } catch {
    return null;
  }
}

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

/**
 * Whether an attempt at an account from an address must wait now, and how long. Guesses at one
 * account from many addresses (ACCOUNT_FREE_FAILURES) make every new browser wait, but not one that
 * carries the account's device cookie (`deviceKey`, from deviceKeyOf): the owner's browser is checked
 * as usual, so a distributed guess slows the guessers without shutting the owner out. A device cookie
 * has an allowance of its own (the pair allowance), so a stolen one buys no more guesses.
 */
export async function checkThrottle(
  db: Kysely<Database>,
  opts: { accountKey: string; ip: string; policy: LimitPolicy; deviceKey?: string | null; now?: Date },
): Promise<Throttle> {
  const now = opts.now ?? new Date();
  const since = new Date(now.getTime() - FAILURE_WINDOW_MINUTES * 60_000);
  const ipSince = new Date(now.getTime() - IP_WINDOW_MINUTES * 60_000);
  // No device: a key no row has.
  const deviceKey = opts.deviceKey ?? 'device:none';
  const row = await db
    .selectFrom('sign_in_failure')
    .select([
      sql<number>`count(*) FILTER (WHERE account_key = ${opts.accountKey})::int`.as('account'),
      sql<Date | null>`max(at) FILTER (WHERE account_key = ${opts.accountKey})`.as('account_last'),
      sql<number>`count(*) FILTER (WHERE account_key = ${opts.accountKey} AND ip = ${opts.ip})::int`.as('pair'),
      sql<Date | null>`max(at) FILTER (WHERE account_key = ${opts.accountKey} AND ip = ${opts.ip})`.as('pair_last'),
      sql<number>`count(*) FILTER (WHERE ip = ${opts.ip} AND at > ${ipSince})::int`.as('ip'),
      sql<number>`count(*) FILTER (WHERE account_key = ${deviceKey})::int`.as('device'),
      sql<Date | null>`max(at) FILTER (WHERE account_key = ${deviceKey})`.as('device_last'),
    ])
    .where('at', '>', since)
    .where((eb) => eb.or([eb('account_key', '=', opts.accountKey), eb('ip', '=', opts.ip), eb('account_key', '=', deviceKey)]))
    .executeTakeFirstOrThrow();
  const pairFree = row.ip >= IP_THROTTLE_FAILURES ? 1 : opts.policy.pairFree;
  const until = (count: number, free: number, last: Date | string | null) =>
    count >= free && last ? new Date(last).getTime() + backoffSeconds(count - free + 1) * 1000 : 0;
  // The owner's browser, while its own failures are within its allowance, does not wait for the account's.
  const trustedDevice = opts.deviceKey != null && row.device < opts.policy.pairFree;
  const waitMs = Math.max(
    until(row.pair, pairFree, row.pair_last),
    trustedDevice ? 0 : until(row.account, opts.policy.accountFree, row.account_last),
    opts.deviceKey ? until(row.device, opts.policy.pairFree, row.device_last) : 0,
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

/**
 * After an account signs in successfully: clears its failures. A password sign-in (`from`) clears only
 * those from its address (and its device's): failures from other addresses stay until they age out,
 * so the owner signing in never gives the people guessing at the account a fresh allowance. The
 * second factor, whose guessers already hold the password, clears them all.
 */
export async function clearFailures(db: Kysely<Database>, accountKey: string, from?: { ip: string; deviceKey?: string | null }): Promise<void> {
  if (!from) {
    await db.deleteFrom('sign_in_failure').where('account_key', '=', accountKey).execute();
    return;
  }
  await db.deleteFrom('sign_in_failure')
    .where((eb) => eb.or([
      eb.and([eb('account_key', '=', accountKey), eb('ip', '=', from.ip)]),
      ...(from.deviceKey ? [eb('account_key', '=', from.deviceKey)] : []),
    ]))
    .execute();
}
