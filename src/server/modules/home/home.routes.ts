import type { FastifyInstance } from 'fastify';
import { CASE_HOLDING_ROLES, holdsRole, mayOpen } from '../../access.js';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { menuFor, type NavItem } from '../../plugins/route-access.js';
import { routeOf, userOf } from '../../request.js';
import { myChildren } from '../people/people.queries.js';
import { loadAssessmentWork } from '../assessments/home-section.js';
import { loadMissingWork } from '../missing/home-section.js';
import { loadTransferWork } from '../transfers/home-section.js';
import { loadPlanWork } from '../plans/home-section.js';
import { loadPanelWork } from '../panels/home-section.js';

/** A page on the home page: its link, and what waits for the user there. */
interface WorkTile extends NavItem {
  waiting: { count: number; label: string } | null;
}

/**
 * Home: each role's own work first. A case-holding user sees their children (and their team's), then
 * what is due (reviews, return interviews, relocation reviews, plan reviews; for a panel coordinator, their
 * panels' coming meetings and the referrals waiting for an agenda); every user then sees the
 * pages their roles give them, grouped, with what waits on each (declared as `nav.waiting` on the
 * page's route), the groups holding pages of their own roles before the pages everyone has. "More"
 * lists the same pages. Nothing here names a role: it follows the routes' declarations.
 */
export async function homeRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get('/', { config: { access: { kind: 'signed_in' }, nav: { text: 'Home', key: 'home', order: 10 } } }, async (request, reply) => {
    const actor = userOf(request);
    const caseHolder = holdsRole(actor, CASE_HOLDING_ROLES);
    const route = routeOf(request);
    const [children, assessmentWork, missingWork, transferWork, planWork, panelWork] = caseHolder
      ? await Promise.all([
          myChildren(ctx.db, actor),
          loadAssessmentWork(ctx.db, actor, route, request.id),
          loadMissingWork(ctx.db, actor, route, request.id),
          loadTransferWork(ctx.db, actor, route, request.id),
          loadPlanWork(ctx.db, actor, route, request.id),
          loadPanelWork(ctx.db, actor, route, request.id),
        ])
      : [[], null, null, null, null, null];
    if (children.length) {
      // A list of people is a read of each of them: record which were shown.
      await recordAccess(ctx.db, {
        actor, action: 'home.read', route, outcome: 'allowed', requestId: request.id,
        detail: { personIds: children.map((c) => c.id) },
      });
    }
    const sections = await workSections(ctx, actor, request.server);
    return reply.view('home/views/home.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, children, caseHolder, nav: 'home',
      assessmentWork, missingWork, transferWork, planWork, panelWork, sections,
      waitingTiles: sections.flatMap((s) => s.items).filter((i) => i.waiting && i.waiting.count > 0),
    });
  });

  app.get('/sections', {
    config: { access: { kind: 'signed_in' }, nav: { text: 'More', key: 'more', order: 1000 } },
  }, async (request, reply) => {
    const actor = userOf(request);
    return reply.view('home/views/sections.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'more',
      sections: menuFor(actor, request.server.declaredRoutes).sections,
    });
  });
}

/** The user's pages by group, their own roles' groups first, each page with what waits there. */
async function workSections(ctx: AppContext, actor: ReturnType<typeof userOf>, server: FastifyInstance): Promise<{ group: string; own: boolean; items: WorkTile[] }[]> {
  const counters = new Map(server.declaredRoutes
    .filter((r) => r.method === 'GET' && r.nav?.waiting && mayOpen(actor, r.access))
    .map((r) => [r.url, r.nav!.waiting!] as const));
  const counted = new Map(await Promise.all([...counters].map(async ([url, w]) => [url, { count: await w.count(ctx.db, actor), label: w.label }] as const)));
  const sections = menuFor(actor, server.declaredRoutes).sections.map((s) => ({
    group: s.group,
    own: s.items.some((i) => !i.everyone),
    items: s.items.map((i) => ({ ...i, waiting: counted.get(i.href) ?? null })),
  }));
  // Stable: groups of the user's own roles first, then those everyone has, each in the navigation's order.
  return [...sections.filter((s) => s.own), ...sections.filter((s) => !s.own)];
}
