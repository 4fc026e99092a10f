import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { actionOf, CASE_HOLDING_ROLES, deny, holdsRole, mayOpen, type NavEntry, type RouteAccess } from '../access.js';
import type { PersonAction } from '../actions.js';
import type { Actor } from '../actor.js';
import type { AppContext } from '../context.js';
import { UnauthenticatedError } from '../errors.js';
import { authorizePerson } from '../modules/people/people.policy.js';

/** A registered route with its declared access rule. */
export interface DeclaredRoute {
  method: string;
  url: string;
  access: RouteAccess;
  nav?: NavEntry;
}

/** One item of the service navigation, as the layout shows it. */
export interface NavItem {
  href: string;
  text: string;
  key: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every registered route with its access rule, as declared (the matrix test walks these). */
    declaredRoutes: DeclaredRoute[];
  }
}

const SCOPE_ACCESS = Symbol('scopeAccess');

/**
 * Declares the access rule of the routes a third-party plugin registers inside this scope (they
 * cannot carry our config): for example the static assets, which are public.
 */
export function declareScopeAccess(scope: FastifyInstance, access: RouteAccess): void {
  (scope as unknown as Record<symbol, RouteAccess>)[SCOPE_ACCESS] = access;
}

/** The navigation a user sees: every page in it whose access rule admits them, in order. */
export function navigationFor(actor: Actor, routes: readonly DeclaredRoute[]): NavItem[] {
  return routes
    .filter((r): r is DeclaredRoute & { nav: NavEntry } => r.method === 'GET' && r.nav !== undefined && mayOpen(actor, r.access))
    .sort((a, b) => a.nav.order - b.nav.order)
    .map((r) => ({ href: r.url, text: r.nav.text, key: r.nav.key }));
}

/**
 * Route access, enforced in one place. At registration, every route must declare
 * `config.access` (the app fails to start otherwise) and is collected with it. On each request,
 * after the session or API key has named the actor and the input is validated, the rule is
 * checked; a refusal writes the "denied" access-log row and answers 404, exactly as for a
 * record that does not exist. Pages also get the navigation the actor may use.
 */
export function registerRouteAccess(app: FastifyInstance, ctx: AppContext): void {
  const declared: DeclaredRoute[] = [];
  app.decorate('declaredRoutes', declared);

  app.addHook('onRoute', function (route) {
    const scoped = (this as unknown as Record<symbol, RouteAccess | undefined>)[SCOPE_ACCESS];
    if (!route.config?.access && scoped) route.config = { ...route.config, access: scoped };
    const access = route.config?.access;
    const methods = [route.method].flat().map(String);
    if (!access) throw new Error(`Route ${methods.join(',')} ${route.url} declares no access rule: give it config.access (src/server/access.ts)`);
    for (const method of methods) declared.push({ method, url: route.url, access, ...(route.config?.nav ? { nav: route.config.nav } : {}) });
  });

  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    // Unknown addresses reach the not-found handler, which has no rule and answers 404 anyway.
    if (reply.sent || request.is404) return;
    const access = request.routeOptions.config.access;
    if (!access) throw new Error(`Route ${request.method} ${request.routeOptions.url ?? ''} declares no access rule`);
    if (access.kind === 'public') return;
    const actor = request.actor;
    if (!actor) throw new UnauthenticatedError();
    if (actor.kind === 'user') {
      const locals = (reply as FastifyReply & { locals?: Record<string, unknown> }).locals;
      const navigation = navigationFor(actor, declared);
      (reply as FastifyReply & { locals?: Record<string, unknown> }).locals = {
        ...locals,
        navigation,
        // Links on a page ask the same question as the navigation: may this user open that page?
        mayOpen: (path: string) => declared.some((r) => r.method === 'GET' && r.url === path && mayOpen(actor, r.access)),
      };
    }
    const action = actionOf(access, request);
    const refuse = (reason: 'role' | 'relationship' | 'actor', personId?: string) =>
      deny(ctx.db, request, { action: action ?? 'request.refused', reason, personId: personId ?? null });

    switch (access.kind) {
      case 'signed_in':
        if (actor.kind !== 'user') return refuse('actor');
        return;
      case 'roles':
        if (!holdsRole(actor, access.roles)) return refuse('role');
        return;
      case 'record':
        if (access.api ? actor.kind !== 'system' : actor.kind !== 'user') return refuse('actor');
        if (access.roles && !holdsRole(actor, access.roles)) return refuse('role');
        return;
      case 'person': {
        const personId = personIdOf(request, access.personIdFrom ?? 'params');
        if (actor.kind !== 'user') return refuse('actor', personId);
        if (!holdsRole(actor, access.roles ?? CASE_HOLDING_ROLES)) return refuse('role', personId);
        if (!(await authorizePerson(ctx.db, actor, personAction(access, request), personId))) return refuse('relationship', personId);
        return;
      }
      case 'api_person': {
        const personId = personIdOf(request, 'params');
        if (actor.kind !== 'system') return refuse('actor', personId);
        if (!(await authorizePerson(ctx.db, actor, personAction(access, request), personId))) return refuse('relationship', personId);
        return;
      }
      case 'api_org':
        if (actor.kind !== 'system') return refuse('actor');
        return;
    }
  });
}

function personAction(access: Extract<RouteAccess, { kind: 'person' | 'api_person' }>, request: FastifyRequest): PersonAction {
  return typeof access.action === 'function' ? access.action(request) : access.action;
}

function personIdOf(request: FastifyRequest, from: 'params' | 'body'): string {
  const source = (from === 'body' ? request.body : request.params) as Record<string, unknown> | undefined;
  const value = source?.personId;
  return typeof value === 'string' ? value : '';
}
