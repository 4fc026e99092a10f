/**
 * The demo accounts' authenticators. A demo account whose role or organisation must use a second
 * factor starts with an authenticator already set up, whose key is derived from its email and
 * published (as the demo password is), so a newcomer can sign in as every role at once: the demo
 * prints each key, and `jigsaw demo-code EMAIL` prints the current code. Synthetic data only.
 */
import { createHmac } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { requiresTotp } from '../server/modules/auth/mfa.js';
import { base32Encode, totpCode } from '../server/modules/auth/totp.js';

/** The published authenticator key of a demo account (32 base32 characters). */
export function demoAuthenticatorKey(email: string): string {
  return base32Encode(createHmac('sha256', 'jigsaw demo authenticator').update(email.trim().toLowerCase()).digest().subarray(0, 20));
}

/** The current code of a demo account's authenticator. */
export function demoAuthenticatorCode(email: string, atMs = Date.now()): string {
  return totpCode(demoAuthenticatorKey(email), atMs);
}

/**
 * Sets up the published authenticator for each demo account that must use a second factor and has
 * none yet (stored plain; the server seals it with SECRETS_KEY when it next opens the database).
 * Returns the emails of the demo accounts that have one.
 */
export async function enrolDemoAuthenticators(db: Kysely<Database>, emails: readonly string[]): Promise<string[]> {
  if (emails.length === 0) return [];
  const users = await db.selectFrom('app_user as u').innerJoin('organisation as o', 'o.id', 'u.organisation_id')
    .select(['u.id', 'u.email', 'u.roles', 'o.kind']).where('u.email', 'in', [...emails]).execute();
  const needing = users.filter((u) => requiresTotp({ roles: u.roles, organisationKind: u.kind }));
  if (needing.length) {
    await db.insertInto('user_totp')
      .values(needing.map((u) => ({ user_id: u.id, secret: demoAuthenticatorKey(u.email), enabled_at: new Date() })))
      .onConflict((oc) => oc.column('user_id').doNothing())
      .execute();
  }
  return demoAccountsWithAuthenticators(db, emails);
}

/** Which of the demo accounts have an authenticator set up (so the demo prints their key). */
export async function demoAccountsWithAuthenticators(db: Kysely<Database>, emails: readonly string[]): Promise<string[]> {
  if (emails.length === 0) return [];
  const rows = await db.selectFrom('user_totp as t').innerJoin('app_user as u', 'u.id', 't.user_id')
    .select('u.email').where('u.email', 'in', [...emails]).where('t.enabled_at', 'is not', null).execute();
  return rows.map((r) => r.email);
}
