import type { Role } from './actor.js';

/** Roles that hold cases and can have a relationship with a child. */
export const CASE_HOLDING_ROLES: Role[] = ['practitioner', 'team_manager', 'designated_safeguarding_lead', 'panel_coordinator'];

/**
 * How each route is protected. The authorisation matrix test walks the app's route table and
 * fails if a route is missing here, then checks every route against every role and relationship.
 * - public: no sign-in needed.
 * - signed_in: any signed-in user (their own account, home, search within their own scope).
 * - person: a person's record; needs a relationship with :personId (case-holding roles only).
 * - roles: only the listed roles; everyone else is told the page does not exist.
 * - record: a record found by its own id (an assessment, a consideration); checked here for
 *   sign-in and for "not found" on an unknown id; the per-record rules are tested in the area.
 * - api_person: an organisation's system with an API key; needs its organisation's involvement.
 * - api_org: an organisation's system with an API key, acting for its own organisation (intake).
 */
export type RouteAccess =
  | { kind: 'public' }
  | { kind: 'signed_in'; endsSession?: boolean }
  | { kind: 'person' }
  | { kind: 'roles'; roles: Role[]; person?: boolean }
  | { kind: 'record'; api?: boolean }
  | { kind: 'api_person' }
  | { kind: 'api_org' };

/** The access rule of every route, keyed "METHOD /url/pattern". */
export const ROUTE_ACCESS: Record<string, RouteAccess> = {
  'GET /api/openapi.json': { kind: 'public' },
  'GET /assets/*': { kind: 'public' },
  'GET /health': { kind: 'public' },
  'GET /sign-in': { kind: 'public' },
  'POST /sign-in': { kind: 'public' },
  'GET /sign-in/organisation/:providerId': { kind: 'public' },
  'GET /sign-in/oidc/callback': { kind: 'public' },
  'GET /sign-in/two-factor': { kind: 'public' },
  'POST /sign-in/two-factor': { kind: 'public' },
  'POST /sign-out': { kind: 'signed_in', endsSession: true },
  'GET /account': { kind: 'signed_in' },
  'GET /account/two-factor': { kind: 'signed_in' },
  'POST /account/two-factor': { kind: 'signed_in' },
  'POST /account/sign-out-everywhere': { kind: 'signed_in', endsSession: true },
  'GET /account/password': { kind: 'signed_in' },
  'POST /account/password': { kind: 'signed_in' },
  'GET /': { kind: 'signed_in' },
  'GET /people': { kind: 'signed_in' },
  'GET /people/:personId': { kind: 'person' },
  'GET /people/:personId/events/new': { kind: 'person' },
  'POST /people/:personId/events': { kind: 'person' },
  'GET /people/:personId/what-we-hold': { kind: 'person' },
  'GET /admin/access-log': { kind: 'roles', roles: ['partnership_admin', 'data_protection_officer', 'team_manager'] },
  'GET /break-glass': { kind: 'roles', roles: ['practitioner', 'team_manager', 'designated_safeguarding_lead'] },
  'POST /break-glass': { kind: 'roles', roles: ['practitioner', 'team_manager', 'designated_safeguarding_lead'] },
  'GET /admin/break-glass': { kind: 'roles', roles: ['data_protection_officer'] },
  'POST /admin/break-glass/:id/review': { kind: 'record' },
  'GET /admin/subject-access': { kind: 'roles', roles: ['data_protection_officer'] },
  'GET /admin/subject-access/:personId/export.json': { kind: 'roles', roles: ['data_protection_officer'], person: true },
  'GET /admin/subject-access/:personId/document': { kind: 'roles', roles: ['data_protection_officer'], person: true },
  'GET /admin/retention': { kind: 'roles', roles: ['data_protection_officer'] },
  'POST /admin/retention/:personId/decision': { kind: 'roles', roles: ['data_protection_officer'], person: true },
  'GET /admin/sharing-agreements': { kind: 'roles', roles: ['partnership_admin'] },
  'POST /admin/sharing-agreements': { kind: 'roles', roles: ['partnership_admin'] },
  'POST /admin/sharing-agreements/:id/end': { kind: 'record' },
  'GET /admin/users': { kind: 'roles', roles: ['partnership_admin'] },
  'POST /admin/users': { kind: 'roles', roles: ['partnership_admin'] },
  'POST /admin/users/:id/deactivate': { kind: 'record' },
  'GET /identity/review': { kind: 'roles', roles: ['team_manager', 'data_protection_officer'] },
  'GET /identity/review/:itemId': { kind: 'record' },
  'POST /identity/review/:itemId': { kind: 'record' },
  'POST /identity/merges/:mergeId/unmerge': { kind: 'record' },
  'POST /people/:personId/assessments': { kind: 'roles', roles: ['practitioner', 'team_manager', 'designated_safeguarding_lead'], person: true },
  'GET /assessments/:assessmentId': { kind: 'record' },
  'GET /assessments/:assessmentId/edit': { kind: 'record' },
  'POST /assessments/:assessmentId': { kind: 'record' },
  'POST /assessments/:assessmentId/sign-off': { kind: 'record' },
  'GET /factors': { kind: 'signed_in' },
  'GET /factors/:code': { kind: 'record' },
  'POST /factors/:code': { kind: 'record' },
  'GET /considerations': { kind: 'signed_in' },
  'GET /considerations/:considerationId': { kind: 'record' },
  'POST /considerations/:considerationId/decision': { kind: 'record' },
  'GET /rules': { kind: 'signed_in' },
  'GET /rules/edit': { kind: 'roles', roles: ['partnership_admin'] },
  'POST /rules': { kind: 'roles', roles: ['partnership_admin'] },
  'GET /fairness': { kind: 'roles', roles: ['analyst', 'partnership_admin'] },
  'POST /fairness/baseline': { kind: 'roles', roles: ['partnership_admin'] },
  'GET /api/v1/people/:personId': { kind: 'api_person' },
  'GET /api/v1/people/:personId/chronology': { kind: 'api_person' },
  'POST /api/v1/people/:personId/events': { kind: 'api_person' },
  'GET /intake': { kind: 'roles', roles: ['designated_safeguarding_lead', 'team_manager'] },
  'POST /intake/uploads': { kind: 'roles', roles: ['designated_safeguarding_lead', 'team_manager'] },
  'GET /intake/batches/:batchId': { kind: 'record' },
  'GET /intake/batches/:batchId/report.csv': { kind: 'record' },
  'GET /intake/mappings': { kind: 'roles', roles: ['designated_safeguarding_lead', 'team_manager'] },
  'POST /intake/mappings': { kind: 'roles', roles: ['designated_safeguarding_lead', 'team_manager'] },
  'POST /intake/mappings/delete': { kind: 'roles', roles: ['designated_safeguarding_lead', 'team_manager'] },
  'POST /api/v1/intake': { kind: 'api_org' },
  'GET /api/v1/intake/:batchId': { kind: 'record', api: true },
};
