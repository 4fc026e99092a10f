import type { Role } from '../../actor.js';

/**
 * Roles that must use a second factor. Restricted entries (for example an active police
 * investigation) are seen by the recording organisation's users and by the roles that oversee
 * access; an account that can reach them is worth more to an attacker than a password protects.
 */
export const ROLES_REQUIRING_TOTP: readonly Role[] = ['data_protection_officer', 'partnership_admin', 'team_manager'];

/**
 * Kinds of organisation whose every user must use a second factor: the police record most
 * restricted entries, and in this release a restricted entry is visible to every user of the
 * organisation that recorded it.
 */
export const ORG_KINDS_REQUIRING_TOTP: readonly string[] = ['police'];

/** Whether a user must pass a TOTP second factor to sign in. */
export function requiresTotp(user: { roles: readonly string[]; organisationKind: string }): boolean {
  return (
    ORG_KINDS_REQUIRING_TOTP.includes(user.organisationKind) ||
    user.roles.some((r) => (ROLES_REQUIRING_TOTP as readonly string[]).includes(r))
  );
}
