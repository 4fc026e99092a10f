/**
 * Fairness measured: for a group of children (an ethnic group, a sex, an age band), the rate at
 * which they were considered by a rule against the rate for all other children in the local
 * child population, with a 95% confidence interval (Katz's log method for a ratio of two
 * proportions). Small counts are suppressed so that no child can be recognised from the page.
 */

/** Age bands used on the fairness page (years, at the time the child was considered). */
export const AGE_BANDS = ['0 to 4', '5 to 9', '10 to 14', '15 to 17'] as const;
/** An age band. */
export type AgeBand = (typeof AGE_BANDS)[number];
/** Sexes as recorded on a person. */
export const SEXES = ['female', 'male', 'not_known'] as const;
/** Counts below this are shown as "fewer than 5". */
export const SUPPRESS_BELOW = 5;

/** The age band of a child born on `dateOfBirth` (YYYY-MM-DD) at a moment, or null when 18 or over or unknown. */
export function ageBand(dateOfBirth: string | null, on: Date): AgeBand | null {
  if (!dateOfBirth) return null;
  const [y, m, d] = dateOfBirth.split('-').map(Number) as [number, number, number];
  let age = on.getUTCFullYear() - y;
  if (on.getUTCMonth() + 1 < m || (on.getUTCMonth() + 1 === m && on.getUTCDate() < d)) age -= 1;
  if (age < 0 || age > 17) return null;
  return age <= 4 ? '0 to 4' : age <= 9 ? '5 to 9' : age <= 14 ? '10 to 14' : '15 to 17';
}

/** A relative rate with its 95% confidence interval; null parts when they cannot be computed. */
export interface RelativeRate {
  /** Children considered per 1,000 children of the group. */
  ratePer1000: number | null;
  ratio: number | null;
  low: number | null;
  high: number | null;
  /** Why a figure is missing, in words, or null. */
  note: string | null;
}

const Z95 = 1.959963984540054;

/**
 * The rate for a group (a considered out of n1 children) against all other children (c out of n2),
 * with Katz's interval: exp(ln RR ± 1.96 √(1/a − 1/n1 + 1/c − 1/n2)).
 */
export function relativeRate(a: number, n1: number, c: number, n2: number): RelativeRate {
  if (n1 <= 0) return { ratePer1000: null, ratio: null, low: null, high: null, note: 'no baseline for this group' };
  if (a > n1) return { ratePer1000: null, ratio: null, low: null, high: null, note: 'more children considered than the baseline holds: check the baseline' };
  const ratePer1000 = (a / n1) * 1000;
  if (n2 <= 0 || c > n2) return { ratePer1000, ratio: null, low: null, high: null, note: 'no baseline for the other children' };
  if (a === 0 || c === 0) return { ratePer1000, ratio: null, low: null, high: null, note: 'too few children considered to compare' };
  const ratio = a / n1 / (c / n2);
  const se = Math.sqrt(Math.max(0, 1 / a - 1 / n1 + 1 / c - 1 / n2));
  return { ratePer1000, ratio, low: Math.exp(Math.log(ratio) - Z95 * se), high: Math.exp(Math.log(ratio) + Z95 * se), note: null };
}

/** One row of a fairness table, ready to show: counts suppressed when small. */
export interface FairnessRow {
  category: string;
  considered: string;
  population: string;
  rate: RelativeRate | null;
  /** Whether the interval lies wholly above 1 (more often than others) or below it. */
  signal: 'higher' | 'lower' | null;
}

/** Shows a count, or "fewer than 5" when it is small enough to identify a child. */
export function suppressed(n: number): string {
  if (n === 0) return '0';
  return n < SUPPRESS_BELOW ? `fewer than ${SUPPRESS_BELOW}` : String(n);
}

/**
 * Builds the rows for one dimension. `considered` counts children considered by category;
 * `baseline` is the local child population by category. Rates are withheld for a group whose
 * count is suppressed, since a rate and a known population would reveal the count.
 */
export function fairnessRows(categories: readonly string[], considered: ReadonlyMap<string, number>, baseline: ReadonlyMap<string, number>): FairnessRow[] {
  const totalConsidered = categories.reduce((s, c) => s + (considered.get(c) ?? 0), 0);
  const totalPopulation = categories.reduce((s, c) => s + (baseline.get(c) ?? 0), 0);
  return categories.map((category) => {
    const a = considered.get(category) ?? 0;
    const n1 = baseline.get(category) ?? 0;
    const hidden = a > 0 && a < SUPPRESS_BELOW;
    const rate = hidden ? null : relativeRate(a, n1, totalConsidered - a, totalPopulation - n1);
    const signal = rate?.low != null && rate.low > 1 ? 'higher' : rate?.high != null && rate.high < 1 ? 'lower' : null;
    return { category, considered: suppressed(a), population: baseline.has(category) ? String(n1) : 'not set', rate, signal };
  });
}
