import { CASE_HOLDING_ROLES } from '../../access.js';
import type { Role } from '../../actor.js';

/** Roles that oversee access (the access log, break-glass reviews, accounts): never held with a case-holding role. */
export const OVERSIGHT_ROLES: readonly Role[] = ['data_protection_officer', 'partnership_admin'];

/** Roles whose granting the data protection officer sees: those that read children's records, and the oversight roles. */
export const REVIEWED_GRANT_ROLES: readonly Role[] = [...CASE_HOLDING_ROLES, ...OVERSIGHT_ROLES];

const label = (r: Role) => r.replace(/_/g, ' ');

/**
 * Why a set of roles cannot be held by one person, or null. A person who sees records must not
 * also oversee access to them (they could break the glass and review it, or read the log of what
 * they did); the database refuses the same combination (app_user_case_and_oversight_roles_apart).
 */
export function roleConflict(roles: readonly Role[]): string | null {
  const cases = roles.filter((r) => CASE_HOLDING_ROLES.includes(r));
  const oversight = roles.filter((r) => OVERSIGHT_ROLES.includes(r));
  if (cases.length === 0 || oversight.length === 0) return null;
  return `A person cannot be both ${cases.map(label).join(' and ')} and ${oversight.map(label).join(' and ')}: roles that see children’s records and roles that oversee access are held by different people`;
}

/** The roles in `after` that `before` did not have and that the data protection officer reviews. */
export function reviewedGrants(before: readonly Role[], after: readonly Role[]): Role[] {
  return after.filter((r) => REVIEWED_GRANT_ROLES.includes(r) && !before.includes(r));
}
