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

/** One page of the user's navigation, as the layout and the sections pages show it. */
export interface NavItem {
  href: string;
  text: string;
  key: string;
  group: string;
  hint: string | null;
  bar: boolean;
  /** Open to every signed-in user (not a page of the user's own roles). */
  everyone: boolean;
}

/** An item of the service navigation's bar; "More" names the keys of the pages it stands for. */
export interface BarItem {
  href: string;
  text: string;
  key: string;
  covers?: string[];
}

/** The headings of the sections pages, in this order; a group no page here names follows them. */
export const NAV_GROUPS = [
  'Children and families',
  'Panels, plans and transfers',
  'Oversight and figures',
  'Information governance',
  'Partnership administration',
] as const;
const OTHER_GROUP = 'Other pages';

/** The most items the bar holds before "More" (Home, the bar pages, then More): it fits one line at 1280 px. */
export const MAX_BAR_ITEMS = 5;

/** The user's navigation: the bar (Home, the bar pages, "More" for the rest) and every page by group. */
export interface Menu {
  bar: BarItem[];
  sections: { group: string; items: NavItem[] }[];
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
    .map((r) => ({ href: r.url, text: r.nav.text, key: r.nav.key, group: r.nav.group ?? OTHER_GROUP, hint: r.nav.hint ?? null, bar: r.nav.bar === true || r.url === '/',
      everyone: r.access.kind === 'signed_in' || r.access.kind === 'public' }));
}

/**
 * Groups a user's navigation: the bar holds the home page and the pages declared for it, up to
 * MAX_BAR_ITEMS with "More" (the sections page) when anything is left; every other page is listed
 * under its group, the groups in NAV_GROUPS order and then any other group in the order of its first page.
 */
export function menuOf(items: readonly NavItem[]): Menu {
  const sectionsPage = items.find((i) => i.key === 'more');
  const pages = items.filter((i) => i.key !== 'more');
  const room = sectionsPage ? MAX_BAR_ITEMS - 1 : MAX_BAR_ITEMS;
  const inBar = pages.filter((i) => i.bar).slice(0, room);
  const rest = pages.filter((i) => !inBar.includes(i));
  const bar: BarItem[] = inBar.map((i) => ({ href: i.href, text: i.text, key: i.key }));
  if (sectionsPage && rest.length) bar.push({ href: sectionsPage.href, text: sectionsPage.text, key: 'more', covers: rest.map((i) => i.key) });
  const order = (g: string) => {
    const known = (NAV_GROUPS as readonly string[]).indexOf(g);
    return known >= 0 ? known : NAV_GROUPS.length + (g === OTHER_GROUP ? 1000 : pages.findIndex((i) => i.group === g));
  };
  const groups = [...new Set(rest.map((i) => i.group))].sort((a, b) => order(a) - order(b));
  return { bar, sections: groups.map((group) => ({ group, items: rest.filter((i) => i.group === group) })) };
}

/** The bar and sections of a signed-in user's navigation, for the layout. */
export function menuFor(actor: Actor, routes: readonly DeclaredRoute[]): Menu {
  return menuOf(navigationFor(actor, routes));
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
      const menu = menuFor(actor, declared);
      (reply as FastifyReply & { locals?: Record<string, unknown> }).locals = {
        ...locals,
        navigation: menu.bar,
        navigationSections: menu.sections,
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
