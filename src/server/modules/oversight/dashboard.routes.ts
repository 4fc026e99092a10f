import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Role } from '../../actor.js';
import { recordAccess, recordAccessMany } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { routeOf, userOf } from '../../request.js';
import { DIMENSIONS, loadBaseline, type Dimension } from '../fairness/fairness.queries.js';
import { toCsv } from './csv.js';
import { ODS_MIME, toOds } from './ods.js';
import { presentBreakdown, presentTile, presentTrend, type BreakdownView, type TileView } from './dashboard.presenter.js';
import { cohortTrend, efhTypeCodes, periodOf, tileBreakdownCounts, tileChildren, tileCounts } from './dashboard.queries.js';
import { TILE_KEYS, tilesOf, type TileDef } from './tiles.js';

/** Who reads the partnership's dashboards (counts only; the children behind a number as their own access allows). */
export const DASHBOARD_ROLES: readonly Role[] = ['partnership_lead', 'scrutineer', 'quality_assurance_lead', 'analyst', 'team_manager'];

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const query = z.object({ asOf: z.string().max(20).optional(), label: z.string().max(300).optional() });
// A tile's key is checked in the handler, after the route's access rule (an unknown one goes back to the dashboards).
const tileParams = z.object({ tile: z.string().max(40) });
const isTile = (key: string) => (TILE_KEYS as readonly string[]).includes(key);
const TABLES = ['counts', 'ethnicity_group', 'sex', 'age_band'] as const;

/** The "as of" date asked for (today when none), or an error in words. */
function asOfOf(asked: string | undefined): { asOf: string; error: string | null } {
  const today = new Date().toISOString().slice(0, 10);
  const value = asked?.trim();
  if (!value) return { asOf: today, error: null };
  const at = new Date(`${value}T00:00:00Z`);
  if (!DATE.test(value) || Number.isNaN(at.getTime()) || at.toISOString().slice(0, 10) !== value) {
    return { asOf: today, error: 'Enter the date as year, month and day, like 2026-03-31' };
  }
  if (value > today) return { asOf: today, error: 'The date must be today or in the past' };
  return { asOf: value, error: null };
}

/**
 * The partnership's dashboards: every tile (chart and table), one tile with its breakdowns by ethnic
 * group, sex and age band, the children behind a number (only those the reader may see), and each
 * table as CSV and as an OpenDocument spreadsheet. The partnership is always the reader's own.
 */
export async function dashboardRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tileOf = async (key: string): Promise<{ tile: TileDef; types: string[] }> => {
    const types = await efhTypeCodes(ctx.db);
    return { tile: tilesOf(types).find((t) => t.key === key)!, types };
  };

  r.get('/oversight', {
    schema: { querystring: query },
    config: { access: { kind: 'roles', roles: DASHBOARD_ROLES, action: 'oversight.dashboard.read' }, nav: { text: 'Dashboards', key: 'oversight', order: 45, group: 'Oversight and figures', hint: 'The size and nature of the problem, timeliness and disproportionality, as of any date' } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const { asOf, error } = asOfOf(request.query.asOf);
    const p = periodOf(actor.partnershipId, asOf);
    // The tiles are independent reads: on a server they run side by side (PGlite takes them in turn).
    const defs = tilesOf(await efhTypeCodes(ctx.db));
    const tiles: TileView[] = (await Promise.all(defs.map((tile) => tileCounts(ctx.db, tile, p)))).map((counts, i) => presentTile(defs[i]!, counts));
    await recordAccess(ctx.db, { actor, action: 'oversight.dashboard.read', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { partnershipId: actor.partnershipId, asOf, tiles: tiles.length } });
    if (error) reply.status(400);
    return reply.view('oversight/views/dashboard.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'oversight', tiles, asOf, from: p.from.toISOString().slice(0, 10),
      errors: error ? [{ href: '#asOf', text: error }] : [], asOfError: error,
    });
  });

  r.get('/oversight/tiles/:tile', {
    schema: { params: tileParams, querystring: query },
    config: { access: { kind: 'roles', roles: DASHBOARD_ROLES, action: 'oversight.dashboard.read' } },
  }, async (request, reply) => {
    if (!isTile(request.params.tile)) return reply.redirect('/oversight', 303);
    const actor = userOf(request);
    const { asOf, error } = asOfOf(request.query.asOf);
    const p = periodOf(actor.partnershipId, asOf);
    const { tile, types } = await tileOf(request.params.tile);
    const asked = request.query.label;
    const [counts, breakdowns, trendPoints] = await Promise.all([
      tileCounts(ctx.db, tile, p),
      breakdownsOf(tile, p, asked || undefined, actor.partnershipId),
      tile.key === 'cohort' ? cohortTrend(ctx.db, types, p) : Promise.resolve(null),
    ]);
    const view = presentTile(tile, counts);
    const label = view.rows.find((x) => x.code === asked)?.code;
    const trend = trendPoints ? presentTrend(trendPoints) : null;
    await recordAccess(ctx.db, { actor, action: 'oversight.dashboard.read', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { partnershipId: actor.partnershipId, asOf, tile: tile.key, label: label ?? null } });
    if (error) reply.status(400);
    return reply.view('oversight/views/tile.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'oversight', tile: view, breakdowns, trend, asOf, label,
      labelText: view.rows.find((x) => x.code === label)?.text, from: p.from.toISOString().slice(0, 10),
      errors: error ? [{ href: '#asOf', text: error }] : [], asOfError: error,
    });
  });

  async function breakdownsOf(tile: TileDef, p: ReturnType<typeof periodOf>, label: string | undefined, partnershipId: string): Promise<BreakdownView[]> {
    const baseline = await loadBaseline(ctx.db, partnershipId);
    const counts = await tileBreakdownCounts(ctx.db, tile, p, label);
    return (Object.keys(DIMENSIONS) as Dimension[]).map((d) => presentBreakdown(d, counts.get(d) ?? new Map(), baseline.byDimension.get(d) ?? new Map()));
  }

  r.get('/oversight/tiles/:tile/children', {
    schema: { params: tileParams, querystring: query },
    config: { access: { kind: 'roles', roles: DASHBOARD_ROLES, action: 'oversight.children.read' } },
  }, async (request, reply) => {
    if (!isTile(request.params.tile)) return reply.redirect('/oversight', 303);
    const actor = userOf(request);
    const { asOf } = asOfOf(request.query.asOf);
    const p = periodOf(actor.partnershipId, asOf);
    const { tile } = await tileOf(request.params.tile);
    const counts = presentTile(tile, await tileCounts(ctx.db, tile, p));
    const row = counts.rows.find((x) => x.code === request.query.label);
    const found = await tileChildren(ctx.db, actor, tile, p, row?.code);
    const children = found.children.slice(0, 500);
    const total = found.total;
    const route = routeOf(request);
    // Each child shown is a view of that child's data: one row on each child's log.
    await recordAccessMany(ctx.db, children.length
      ? children.map((c) => ({ actor, action: 'oversight.children.read' as const, personId: c.id, route, outcome: 'allowed' as const, requestId: request.id, detail: { partnershipId: actor.partnershipId, asOf, tile: tile.key, label: row?.code ?? null } }))
      : [{ actor, action: 'oversight.children.read', route, outcome: 'allowed', requestId: request.id, detail: { partnershipId: actor.partnershipId, asOf, tile: tile.key, label: row?.code ?? null, shown: 0 } }]);
    // The number itself is shown only when the dashboard shows it (not withheld).
    const shownTotal = row ? row.childrenValue : counts.total.childrenValue;
    const labelText = (code: string) => (tile.labels ?? []).find((l) => l.code === code)?.text ?? code;
    return reply.view('oversight/views/children.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'oversight', tile: counts, asOf, label: row?.code, labelText: row?.text,
      children: children.map((c) => ({ ...c, labels: c.labels.map(labelText) })), total: shownTotal, truncated: found.children.length > 500, everyone: shownTotal !== null && children.length === total,
    });
  });

  // The day-one inspection list for a theme: the children behind a measure that the reader may see, as CSV, each on their log.
  r.get('/oversight/tiles/:tile/children.csv', {
    schema: { params: tileParams, querystring: query },
    config: { access: { kind: 'roles', roles: DASHBOARD_ROLES, action: 'oversight.children.read' } },
  }, async (request, reply) => {
    if (!isTile(request.params.tile)) return reply.redirect('/oversight', 303);
    const actor = userOf(request);
    const { asOf } = asOfOf(request.query.asOf);
    const p = periodOf(actor.partnershipId, asOf);
    const { tile } = await tileOf(request.params.tile);
    const label = request.query.label || undefined;
    const { children } = await tileChildren(ctx.db, actor, tile, p, label, 100_000);
    const route = routeOf(request);
    const detail = { partnershipId: actor.partnershipId, asOf, tile: tile.key, label: label ?? null, list: 'inspection' };
    await recordAccessMany(ctx.db, children.length
      ? children.map((c) => ({ actor, action: 'oversight.children.read' as const, personId: c.id, route, outcome: 'allowed' as const, requestId: request.id, detail }))
      : [{ actor, action: 'oversight.children.read', route, outcome: 'allowed', requestId: request.id, detail: { ...detail, shown: 0 } }]);
    const labelText = (code: string) => (tile.labels ?? []).find((l) => l.code === code)?.text ?? code;
    return reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${tile.key}-children-${asOf}.csv"`)
      .send(toCsv([[`${tile.title}: the children you may see, as of ${asOf}`], ['Record', 'Name', 'Date of birth', 'Counted in'],
        ...children.map((c) => [c.id, c.name ?? '', c.date_of_birth ?? '', c.labels.map(labelText).join('; ')])]));
  });

  r.get('/oversight/tiles/:tile/export.csv', {
    schema: { params: tileParams, querystring: query.extend({ table: z.enum(TABLES).default('counts') }) },
    config: { access: { kind: 'roles', roles: DASHBOARD_ROLES, action: 'oversight.export' } },
  }, async (request, reply) => (isTile(request.params.tile) ? exportTable(request, reply, request.params.tile, request.query, 'csv') : reply.redirect('/oversight', 303)));

  // The same table as an OpenDocument spreadsheet: the same rule, rows, suppression and log as the CSV.
  r.get('/oversight/tiles/:tile/export.ods', {
    schema: { params: tileParams, querystring: query.extend({ table: z.enum(TABLES).default('counts') }) },
    config: { access: { kind: 'roles', roles: DASHBOARD_ROLES, action: 'oversight.export' } },
  }, async (request, reply) => (isTile(request.params.tile) ? exportTable(request, reply, request.params.tile, request.query, 'ods') : reply.redirect('/oversight', 303)));

  async function exportTable(request: FastifyRequest, reply: FastifyReply, key: string, q: { asOf?: string; label?: string; table: (typeof TABLES)[number] }, format: 'csv' | 'ods') {
    const actor = userOf(request);
    const { asOf } = asOfOf(q.asOf);
    const p = periodOf(actor.partnershipId, asOf);
    const { tile } = await tileOf(key);
    const view = presentTile(tile, await tileCounts(ctx.db, tile, p));
    const label = view.rows.find((x) => x.code === q.label)?.code;
    let rows: string[][];
    if (q.table === 'counts') {
      rows = [[view.labelHeading, view.itemHeading, 'Children'], ...view.rows.map((x) => [x.text, x.items, x.children]), ['Total', view.total.items, view.total.children]];
    } else {
      const b = (await breakdownsOf(tile, p, label, actor.partnershipId)).find((x) => x.dimension === q.table)!;
      rows = [[b.label, 'Children', 'Local child population', 'Per 1,000 children', 'Relative rate', '95% interval', 'Note'],
        ...b.rows.map((x) => [x.category, x.children, x.population, x.ratePer1000, x.ratio, x.interval, x.note ?? '']), ['Total', b.total, '', '', '', '', '']];
    }
    await recordAccess(ctx.db, { actor, action: 'oversight.export', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { partnershipId: actor.partnershipId, asOf, tile: tile.key, table: q.table, label: label ?? null } });
    const name = `${tile.key}-${q.table}${label ? `-${label.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}` : ''}-${asOf}.${format}`;
    const all = [[`${tile.title}, as of ${asOf} (twelve months from ${p.from.toISOString().slice(0, 10)})${label ? `: ${view.rows.find((x) => x.code === label)?.text}` : ''}`], ...rows];
    if (format === 'ods') {
      return reply.header('content-type', ODS_MIME).header('content-disposition', `attachment; filename="${name}"`).send(toOds(tile.title, all));
    }
    return reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}"`).send(toCsv(all));
  }
}
