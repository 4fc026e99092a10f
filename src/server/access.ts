import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import type { Action, PersonAction } from './actions.js';
import type { Actor, Role } from './actor.js';
import { recordAccess } from './audit/record-access.js';
import { NotFoundError } from './errors.js';
import { isUuid, routeOf } from './request.js';

/** Roles that hold cases and can have a relationship with a child. */
export const CASE_HOLDING_ROLES: readonly Role[] = ['practitioner', 'team_manager', 'designated_safeguarding_lead', 'panel_coordinator'];

/**
 * The access rule every route declares, as `config: { access }`. One pre-handler enforces it
 * (src/server/plugins/route-access.ts); the app refuses to start if a route declares none.
 * - public: no sign-in needed.
 * - signed_in: any signed-in user (their own account, home, search within their own scope).
 * - roles: only the listed roles; everyone else is told the page does not exist.
 * - person: this person's record (`:personId`, or `personId` in the body), with an action: needs a
 *   relationship with the person (authorizePerson), and one of `roles` when given.
 * - record: a record found by its own id (an assessment, a consideration): the route admits the
 *   actor (one of `roles` when given); the area's policy decides on the record and refuses through
 *   refuseRecord(). `api` marks a record read by an organisation's system.
 * - api_person: an organisation's system with an API key; needs its organisation's involvement.
 * - api_org: an organisation's system with an API key, acting for its own organisation (intake).
 * Every refusal writes a "denied" access-log row and answers 404, as for a missing record.
 */
export type RouteAccess =
  | { kind: 'public' }
  | { kind: 'signed_in'; endsSession?: boolean }
  | { kind: 'roles'; roles: readonly Role[]; action: Action }
  | { kind: 'person'; action: PersonAction | ((request: FastifyRequest) => PersonAction); roles?: readonly Role[]; personIdFrom?: 'params' | 'body' }
  | { kind: 'record'; action: Action; roles?: readonly Role[]; api?: boolean }
  | { kind: 'api_person'; action: PersonAction | ((request: FastifyRequest) => PersonAction) }
  | { kind: 'api_org'; action: Action };

/**
 * A page that appears in the navigation of everyone its route admits: in the service navigation's
 * bar when `bar` is set (a few pages everyone uses), otherwise on "More" and the home page's
 * sections, under its `group` heading.
 */
export interface NavEntry {
  text: string;
  /** Matches the `nav` a page passes to the layout, to mark the item active. */
  key: string;
  /** Position in the navigation, lowest first. */
  order: number;
  /** The heading it is listed under on "More" and the home page (default "Other pages"); see NAV_GROUPS. */
  group?: string;
  /** One line saying what the page is for, shown under its link on "More" and the home page. */
  hint?: string;
  /** In the service navigation's bar itself (kept to a few pages so the bar fits on one line). */
  bar?: boolean;
  /**
   * What waits for the user on this page, counted for their home page (a count only, no personal
   * data): e.g. emergency access uses not yet reviewed. The page's own access rule has admitted them.
   */
  waiting?: { label: string; count: (db: Kysely<Database>, actor: Actor & { kind: 'user' }) => Promise<number> };
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may use this route. Required: the app does not start with a route that declares none. */
    access?: RouteAccess;
    /** Shows this (GET) route in the service navigation of everyone its access rule admits. */
    nav?: NavEntry;
  }
}

/** Why a request was refused, as written in the denied row's detail. */
export type RefusalReason = 'role' | 'relationship' | 'actor' | 'record';

/** The action a rule names for a given request. */
export function actionOf(access: RouteAccess, request: FastifyRequest): Action | null {
  if (!('action' in access)) return null;
  return typeof access.action === 'function' ? access.action(request) : access.action;
}

/** Whether the actor holds one of the roles (systems hold none). */
export function holdsRole(actor: Actor, roles: readonly Role[]): boolean {
  return actor.kind === 'user' && actor.roles.some((r) => roles.includes(r));
}

/**
 * Whether a signed-in user may open a route, judged by its rule alone (no record, no person):
 * what the navigation and links offer. The pre-handler makes the full decision on each request.
 */
export function mayOpen(actor: Actor, access: RouteAccess): boolean {
  if (actor.kind !== 'user') return false;
  switch (access.kind) {
    case 'public':
    case 'signed_in':
      return true;
    case 'roles':
      return holdsRole(actor, access.roles);
    case 'record':
      return !access.api && (!access.roles || holdsRole(actor, access.roles));
    case 'person':
      return holdsRole(actor, access.roles ?? CASE_HOLDING_ROLES);
    default:
      return false;
  }
}

/** Writes the "denied" access-log row for a refused request and throws the 404 a missing record gets. */
export async function deny(
  db: Kysely<Database>,
  request: FastifyRequest,
  refusal: { action: Action; reason: RefusalReason; personId?: string | null; detail?: Record<string, unknown> },
): Promise<never> {
  await recordAccess(db, {
    actor: request.actor,
    action: refusal.action,
    // A malformed id is not a person: keep it out of the uuid column.
    personId: refusal.personId && isUuid(refusal.personId) ? refusal.personId : null,
    route: routeOf(request),
    outcome: 'denied',
    requestId: request.id,
    detail: { reason: refusal.reason, ...refusal.detail },
  });
  throw new NotFoundError();
}

/**
 * Refuses a record found by its own id (missing, or the area's policy said no): the one way a
 * route refuses after its access rule admitted the actor. Writes the denied row (the route's
 * declared action unless another is named) and throws 404.
 */
export async function refuseRecord(
  ctx: { db: Kysely<Database> },
  request: FastifyRequest,
  refusal: { action?: Action; personId?: string | null; detail?: Record<string, unknown> } = {},
): Promise<never> {
  const declared = request.routeOptions.config.access;
  const action = refusal.action ?? (declared ? actionOf(declared, request) : null) ?? 'request.refused';
  return deny(ctx.db, request, { action, reason: 'record', personId: refusal.personId ?? null, ...(refusal.detail ? { detail: refusal.detail } : {}) });
}
