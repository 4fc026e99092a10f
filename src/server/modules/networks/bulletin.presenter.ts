/**
 * Turns the bulletin's counts into what its page shows: every table suppressed column by column with
 * oversight's rules (1 to 4 withheld, and a second cell, or the total, when one alone is withheld;
 * src/domain/oversight/suppression.ts), a change that is withheld when either month's count is, and
 * charts drawn from the shown figures only (src/domain/oversight/chart-svg.ts).
 */
import { barChartSvg } from '../../../domain/oversight/chart-svg.js';
import { showCount, suppressColumn } from '../../../domain/oversight/suppression.js';
import { RELATIONSHIP_KINDS } from '../../../domain/networks/kinds.js';
import { DIMENSIONS } from '../fairness/fairness.queries.js';
import { NOT_GRADED } from './bulletin.queries.js';

/** One row of a suppressed table. */
export interface BulletinRow {
  code: string;
  text: string;
  href?: string | null;
  cells: string[];
  /** The figures behind the cells, null when withheld (charts draw only these). */
  values: (number | null)[];
  change: string | null;
}

/** A suppressed table, with its total row when the columns add up to one. */
export interface BulletinTable {
  rows: BulletinRow[];
  total: string[] | null;
  chart: string | null;
}

const signed = (n: number) => (n > 0 ? `+${n.toLocaleString('en-GB')}` : n < 0 ? `−${(-n).toLocaleString('en-GB')}` : '0');

/**
 * Suppresses each column of counts. `totals` says whether the column's total is shown (the columns add
 * up); `change` names the columns (this month, last month) whose difference is shown; `chart` draws the
 * first column.
 */
export function suppressedTable(
  rows: readonly { code: string; text: string; href?: string | null; counts: readonly number[] }[],
  opts: { totals: boolean; change?: readonly [number, number]; chart?: string },
): BulletinTable {
  const columns = rows[0]?.counts.length ?? 0;
  const suppressed = Array.from({ length: columns }, (_, c) => suppressColumn(rows.map((r) => r.counts[c]!)));
  const shown: BulletinRow[] = rows.map((r, i) => {
    const hidden = suppressed.map((s) => s.cells[i] !== null);
    const change = opts.change
      ? (hidden[opts.change[0]] || hidden[opts.change[1]] ? '[c]' : signed(r.counts[opts.change[0]]! - r.counts[opts.change[1]]!))
      : null;
    return {
      code: r.code, text: r.text, href: r.href ?? null,
      cells: r.counts.map((n, c) => showCount(n, hidden[c]!)), values: r.counts.map((n, c) => (hidden[c] ? null : n)), change,
    };
  });
  const total = opts.totals && rows.length
    ? suppressed.map((s, c) => showCount(rows.reduce((sum, r) => sum + r.counts[c]!, 0), s.totalWithheld))
    : null;
  const chart = opts.chart && rows.length ? barChartSvg(opts.chart, shown.map((r) => ({ label: r.text, value: r.values[0]! }))) : null;
  return { rows: shown, total, chart };
}

const SOURCE: Record<string, string> = { 1: 'reliable source', 2: 'untested source', 3: 'source not reliable' };
const INTELLIGENCE: Record<string, string> = {
  A: 'known directly', B: 'known indirectly, corroborated', C: 'known indirectly', D: 'not known', E: 'suspected to be false',
};

/** A 3x5x2 grading in words, such as "2B: untested source, known indirectly, corroborated". */
export function gradingText(code: string): string {
  if (code === NOT_GRADED) return 'Not graded';
  return `${code}: ${SOURCE[code[0]!] ?? code[0]}, ${INTELLIGENCE[code[1]!] ?? code[1]}`;
}

/** How a new link's kind reads. */
export function linkKindText(kind: string): string {
  if (kind === 'named_together') return 'Named together in an entry (first time in a year)';
  return RELATIONSHIP_KINDS[kind as keyof typeof RELATIONSHIP_KINDS] ?? kind;
}

/** One row of the share comparison used when the partnership has no population baseline. */
export interface ShareRow {
  category: string;
  mentioned: string;
  share: string;
  cohortShare: string;
  ratio: string;
}

/**
 * With no population baseline: each ethnic group's share of the children mentioned in the month
 * against its share of the partnership's extra-familial harm cohort, and their ratio. Both columns
 * are suppressed; a share is not shown for a withheld count (it and the total would give it back).
 */
export function presentShares(mentioned: ReadonlyMap<string, number>, cohort: ReadonlyMap<string, number>): { rows: ShareRow[]; total: string; cohortTotal: string } {
  const categories = DIMENSIONS.ethnicity_group.categories;
  const a = categories.map((c) => mentioned.get(c) ?? 0);
  const b = categories.map((c) => cohort.get(c) ?? 0);
  const sa = suppressColumn(a);
  const sb = suppressColumn(b);
  const ta = a.reduce((x, y) => x + y, 0);
  const tb = b.reduce((x, y) => x + y, 0);
  const pct = (n: number, t: number) => (t > 0 ? (n / t) * 100 : null);
  const rows = categories.map((category, i): ShareRow => {
    const hideA = sa.cells[i] !== null || sa.totalWithheld;
    const hideB = sb.cells[i] !== null || sb.totalWithheld;
    const shareA = hideA ? null : pct(a[i]!, ta);
    const shareB = hideB ? null : pct(b[i]!, tb);
    return {
      category, mentioned: showCount(a[i]!, sa.cells[i]!),
      share: shareA == null ? '' : `${shareA.toFixed(1)}%`, cohortShare: shareB == null ? '' : `${shareB.toFixed(1)}%`,
      ratio: shareA != null && shareB != null && shareB > 0 ? (shareA / shareB).toFixed(2) : '',
    };
  });
  return { rows, total: showCount(ta, sa.totalWithheld), cohortTotal: showCount(tb, sb.totalWithheld) };
}
