/**
 * The monthly intelligence bulletin (`/bulletin?month=YYYY-MM`): what the partnership's entries of a
 * month say about places, times, themes, new links between children, grading, the children mentioned
 * most often and who they are, for analysts to collate into themes. Every figure is computed in SQL
 * over what the reader may see (bulletin.queries.ts), suppressed as the dashboards are, and printable.
 * Each child named is on that child's access log.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { showCount, SUPPRESS_BELOW } from '../../../domain/oversight/suppression.js';
import { PLACE_KINDS, type PlaceKind } from '../../../domain/networks/kinds.js';
import type { Role } from '../../actor.js';
import { recordAccessMany } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { routeOf, userOf } from '../../request.js';
import { loadBaseline } from '../fairness/fairness.queries.js';
import { presentBreakdown } from '../oversight/dashboard.presenter.js';
import { loadTiles, periodOf, tileBreakdownCounts } from '../oversight/dashboard.queries.js';
import { displayNames } from '../people/people.queries.js';
import { gradingText, linkKindText, presentShares, suppressedTable } from './bulletin.presenter.js';
import { allTypeCodes, bulletinCounts, childrenMentionedOften, mentionedTile, monthOf, NOT_GRADED, TIME_BANDS } from './bulletin.queries.js';

/**
 * Who reads the bulletin: analysts, partnership leads, and team managers (who read the dashboards).
 * Children are named only to a reader who may see them; an analyst or a lead sees the figures.
 */
export const BULLETIN_ROLES: readonly Role[] = ['analyst', 'partnership_lead', 'team_manager'];

const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const query = z.object({ month: z.string().max(20).optional() });

const alone = (n: number) => showCount(n, n > 0 && n < SUPPRESS_BELOW);
const monthText = (key: string) => new Date(`${key}-01T00:00:00Z`).toLocaleDateString('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' });

export async function bulletinRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/bulletin', {
    schema: { querystring: query },
    config: {
      access: { kind: 'roles', roles: BULLETIN_ROLES, action: 'bulletin.read' },
      nav: { text: 'Intelligence bulletin', key: 'bulletin', order: 47, group: 'Oversight and figures', hint: 'The month\'s places, times, themes, new links between children and the children mentioned most, to print' },
    },
  }, async (request, reply) => {
    const actor = userOf(request);
    const { month, error } = monthOf(request.query.month);
    const partnershipId = actor.partnershipId;
    const types = await allTypeCodes(ctx.db);
    const [counts, often, breakdown, baseline] = await Promise.all([
      bulletinCounts(ctx.db, actor, partnershipId, month, types),
      childrenMentionedOften(ctx.db, actor, partnershipId, month, types),
      tileBreakdownCounts(ctx.db, mentionedTile(actor, month, types), { partnershipId, from: month.from, to: month.to, asOf: month.lastDay }),
      loadBaseline(ctx.db, partnershipId),
    ]);

    // The disproportionality line: rates per 1,000 against the population baseline when the partnership has one,
    // else each group's share against its share of the partnership's extra-familial harm cohort.
    const mentionedByGroup = breakdown.get('ethnicity_group') ?? new Map<string, number>();
    const groupBaseline = baseline.byDimension.get('ethnicity_group');
    let rates = null;
    let shares = null;
    if (groupBaseline && groupBaseline.size > 0) rates = presentBreakdown('ethnicity_group', mentionedByGroup, groupBaseline);
    else {
      const cohort = (await loadTiles(ctx.db)).find((t) => t.key === 'cohort')!;
      // The cohort as the records stand today (a tile counts what was recorded by its date, and the month's own entries may be recorded later).
      const cohortCounts = await tileBreakdownCounts(ctx.db, cohort, periodOf(partnershipId, new Date().toISOString().slice(0, 10)));
      shares = presentShares(mentionedByGroup, cohortCounts.get('ethnicity_group') ?? new Map());
    }

    const places = suppressedTable(counts.places.map((p) => ({
      code: p.id, href: `/places/${p.id}`,
      text: `${p.name} (${PLACE_KINDS[p.kind as PlaceKind] ?? p.kind}${p.ward ? `, ${p.ward}` : ''})`,
      counts: [p.entries, p.previous, p.incidents],
    })), { totals: false, change: [0, 1], chart: 'Entries at each place this month' });
    const timeRows = [...TIME_BANDS.map((text, band) => ({ code: String(band), text, counts: [counts.timeOfDay.find((t) => t.band === band)?.entries ?? 0] }))];
    const noTime = counts.timeOfDay.find((t) => t.band === -1)?.entries ?? 0;
    const timeOfDay = suppressedTable([...timeRows, { code: 'none', text: 'Time not recorded', counts: [noTime] }], { totals: true, chart: 'Entries by time of day (UK time)' });
    const noDay = counts.dayOfWeek.find((t) => t.dow === -1)?.entries ?? 0;
    const dayOfWeek = suppressedTable([...DAYS.map((text, d) => ({ code: String(d + 1), text, counts: [counts.dayOfWeek.find((t) => t.dow === d + 1)?.entries ?? 0] })),
      { code: 'none', text: 'Day not recorded', counts: [noDay] }], { totals: true, chart: 'Entries by day of the week' });
    const byCount = <T extends { entries: number; previous: number; label: string }>(a: T, b: T) => b.entries - a.entries || b.previous - a.previous || a.label.localeCompare(b.label);
    const factors = suppressedTable([...counts.factors].sort(byCount).map((f) => ({ code: f.code, text: f.label, counts: [f.entries, f.previous] })),
      { totals: false, change: [0, 1], chart: 'Entries by risk factor this month' });
    const types_ = suppressedTable([...counts.types].sort(byCount).map((t) => ({ code: t.code, text: t.label, counts: [t.entries, t.previous] })),
      { totals: true, change: [0, 1] });
    const links = suppressedTable([...counts.linksByKind].sort((a, b) => b.links - a.links || a.kind.localeCompare(b.kind))
      .map((l) => ({ code: l.kind, text: linkKindText(l.kind), counts: [l.links, l.previous] })), { totals: true, change: [0, 1] });
    const grading = suppressedTable([...counts.grading].sort((a, b) => (a.grading === NOT_GRADED ? 1 : b.grading === NOT_GRADED ? -1 : a.grading.localeCompare(b.grading)))
      .map((g) => ({ code: g.grading, text: gradingText(g.grading), counts: [g.entries, g.links] })), { totals: true });

    // The children mentioned most that the reader may see: each one shown is a row on that child's log.
    const names = await displayNames(ctx.db, often.map((c) => c.id));
    const route = routeOf(request);
    const detail = { partnershipId, month: month.key, list: 'children_mentioned_often' };
    await recordAccessMany(ctx.db, [
      { actor, action: 'bulletin.read', route, outcome: 'allowed', requestId: request.id, detail: { partnershipId, month: month.key, shown: often.length } },
      ...often.map((c) => ({ actor, action: 'bulletin.read' as const, personId: c.id, route, outcome: 'allowed' as const, requestId: request.id, detail })),
    ]);

    if (error) reply.status(400);
    return reply.view('networks/views/bulletin.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'bulletin',
      month: month.key, monthText: monthText(month.key), previousText: monthText(month.previousKey), lastDay: month.lastDay,
      errors: error ? [{ href: '#month', text: error }] : [], monthError: error,
      // Each total stands alone (no row adds up to it): only small counts are withheld.
      summary: [
        { text: 'Entries you may see', now: alone(counts.totals.entries), before: alone(counts.totals.previous) },
        { text: 'Children named in them', now: alone(counts.totals.children), before: alone(counts.totals.previousChildren) },
      ],
      places, timeOfDay, dayOfWeek, factors, types: types_, links, grading, rates, shares,
      often: often.map((c) => ({ ...c, name: names.get(c.id) ?? 'Name not recorded', href: `/people/${c.id}` })),
    });
  });
}
