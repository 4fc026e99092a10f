import { barChartSvg, trendSvg } from '../../../domain/oversight/chart-svg.js';
import { showCount, suppressColumn } from '../../../domain/oversight/suppression.js';
import { relativeRate } from '../../../domain/rules/fairness.js';
import { DIMENSIONS, type Dimension } from '../fairness/fairness.queries.js';
import { NOT_KNOWN, type TileCounts } from './dashboard.queries.js';
import type { TileDef } from './tiles.js';

/**
 * Turns a tile's counts into what a page and an export show: rows in the tile's order, small counts
 * withheld with primary and secondary suppression (suppression.ts), the chart drawn from the shown
 * figures only, and breakdowns with rates per 1,000 and relative rates against the population baseline
 * (a rate is never shown for a withheld count, since the rate and the population would give it back).
 */

/** One shown row of a tile's table. */
export interface TileRowView {
  code: string;
  text: string;
  items: string;
  children: string;
  /** The figure behind the number, or null when withheld (for the chart and the drill-down link). */
  childrenValue: number | null;
  itemsValue: number | null;
}

/** A tile ready to show. */
export interface TileView {
  key: string;
  title: string;
  description: string;
  labelHeading: string;
  itemHeading: string;
  rows: TileRowView[];
  total: { items: string; children: string; childrenValue: number | null };
  chart: string;
}

/** Rows in the tile's order: its known labels (zero when absent), then any others by name. */
function orderedRows(tile: TileDef, counts: TileCounts) {
  const byLabel = new Map(counts.rows.map((r) => [r.label, r]));
  const known = (tile.labels ?? []).map((l) => ({ code: l.code, text: l.text, items: byLabel.get(l.code)?.items ?? 0, children: byLabel.get(l.code)?.children ?? 0 }));
  const knownCodes = new Set(known.map((k) => k.code));
  const others = counts.rows.filter((r) => !knownCodes.has(r.label)).sort((a, b) => a.label.localeCompare(b.label))
    .map((r) => ({ code: r.label, text: r.label, items: r.items, children: r.children }));
  return [...known, ...others];
}

/** The tile's table with suppression applied, and its chart. */
export function presentTile(tile: TileDef, counts: TileCounts): TileView {
  const rows = orderedRows(tile, counts);
  const items = suppressColumn(rows.map((r) => r.items));
  const children = suppressColumn(rows.map((r) => r.children));
  const shown: TileRowView[] = rows.map((r, i) => {
    const hideItems = items.cells[i] !== null;
    // Children are fewer than items: when the items are withheld, so are their children.
    const hideChildren = children.cells[i] !== null || hideItems;
    return {
      code: r.code, text: r.text,
      items: showCount(r.items, hideItems), children: showCount(r.children, hideChildren),
      itemsValue: hideItems ? null : r.items, childrenValue: hideChildren ? null : r.children,
    };
  });
  const totalChildrenHidden = children.totalWithheld || items.totalWithheld;
  return {
    key: tile.key, title: tile.title, description: tile.description, labelHeading: tile.labelHeading, itemHeading: tile.itemHeading,
    rows: shown,
    total: {
      items: showCount(counts.total.items, items.totalWithheld), children: showCount(counts.total.children, totalChildrenHidden),
      childrenValue: totalChildrenHidden ? null : counts.total.children,
    },
    chart: barChartSvg(`${tile.title}: ${tile.itemHeading.toLowerCase()} by ${tile.labelHeading.toLowerCase()}`, shown.map((r) => ({ label: r.text, value: r.itemsValue }))),
  };
}

/** One row of a breakdown. */
export interface BreakdownRowView {
  category: string;
  children: string;
  population: string;
  ratePer1000: string;
  ratio: string;
  interval: string;
  /** Whether the interval lies wholly above or below 1. */
  signal: 'higher' | 'lower' | null;
  note: string | null;
}

/** A tile's children by one dimension. */
export interface BreakdownView {
  dimension: Dimension;
  label: string;
  rows: BreakdownRowView[];
  total: string;
}

const fixed = (n: number | null, digits: number) => (n == null ? '' : n.toFixed(digits));

/** The children of a tile by one dimension, suppressed, with rates against the population baseline. */
export function presentBreakdown(dimension: Dimension, counts: ReadonlyMap<string, number>, baseline: ReadonlyMap<string, number>): BreakdownView {
  const categories = [...DIMENSIONS[dimension].categories, ...(dimension === 'age_band' ? [NOT_KNOWN] : [])];
  const values = categories.map((c) => counts.get(c) ?? 0);
  const total = values.reduce((a, b) => a + b, 0);
  const s = suppressColumn(values);
  // Rates compare a group with every other group that has a population figure.
  const withBaseline = categories.filter((c) => baseline.has(c));
  const countedWithBaseline = withBaseline.reduce((sum, c) => sum + (counts.get(c) ?? 0), 0);
  const population = withBaseline.reduce((sum, c) => sum + (baseline.get(c) ?? 0), 0);
  const rows = categories.map((category, i): BreakdownRowView => {
    const a = values[i]!;
    const withheld = s.cells[i] !== null;
    const n1 = baseline.get(category);
    const base = { category, children: showCount(a, withheld), population: n1 === undefined ? 'not set' : n1.toLocaleString('en-GB') };
    if (withheld) return { ...base, ratePer1000: '', ratio: '', interval: '', signal: null, note: 'withheld: small number' };
    if (n1 === undefined) return { ...base, ratePer1000: '', ratio: '', interval: '', signal: null, note: category === NOT_KNOWN ? 'no population figure' : 'no baseline for this group' };
    const rate = relativeRate(a, n1, countedWithBaseline - a, population - n1);
    const signal = rate.low != null && rate.low > 1 ? 'higher' : rate.high != null && rate.high < 1 ? 'lower' : null;
    return {
      ...base, ratePer1000: fixed(rate.ratePer1000, 1), ratio: fixed(rate.ratio, 2),
      interval: rate.low != null && rate.high != null ? `${rate.low.toFixed(2)} to ${rate.high.toFixed(2)}` : '', signal, note: rate.note,
    };
  });
  return { dimension, label: DIMENSIONS[dimension].label, rows, total: showCount(total, s.totalWithheld) };
}

/** The cohort's trend as a chart, with each month's count withheld when small. */
export function presentTrend(points: readonly { month: string; children: number }[]): { chart: string; rows: { month: string; children: string }[] } {
  // Each point is a total of its own (no row sums to it), so only primary suppression applies.
  const hidden = points.map((p) => p.children > 0 && p.children < 5);
  const rows = points.map((p, i) => ({ month: p.month, children: showCount(p.children, hidden[i]!) }));
  const chart = trendSvg('Children with extra-familial risk at the end of each month', points.map((p, i) => ({ label: p.month.slice(2, 7), value: hidden[i] ? null : p.children })));
  return { chart, rows };
}
