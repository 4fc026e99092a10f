/**
 * Acceptance of offers of help, measured: for a group of offers (a barrier, a mode, an agency, an
 * ethnic group), the share accepted with a 95% Wilson score interval. Groups with fewer offers than
 * the fairness page's threshold, or fewer accepted than it, are suppressed (the small count and the
 * rate), so no child can be recognised.
 */
import { SUPPRESS_BELOW, suppressed } from '../rules/fairness.js';

/** The 95% Wilson score interval for k successes in n trials, as proportions; null when n is 0. */
export function wilsonInterval(k: number, n: number, z = 1.959964): { low: number; high: number } | null {
  if (n <= 0) return null;
  const p = k / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/** One row of an acceptance table, ready to show. */
export interface AcceptanceRow {
  category: string;
  offers: string;
  accepted: string;
  /** "62%" or null when suppressed or there were none. */
  rate: string | null;
  /** "48% to 74%" or null. */
  interval: string | null;
  suppressed: boolean;
}

const pct = (x: number) => `${Math.round(x * 100)}%`;

/** Rows for the categories given (in order, then any others seen), from counts of offers answered and accepted. */
export function acceptanceRows(categories: readonly string[], counts: Map<string, { offers: number; accepted: number }>): AcceptanceRow[] {
  const all = [...categories, ...[...counts.keys()].filter((c) => !categories.includes(c)).sort()];
  return all.map((category) => {
    const c = counts.get(category) ?? { offers: 0, accepted: 0 };
    const small = (n: number) => n > 0 && n < SUPPRESS_BELOW;
    const hidden = small(c.offers) || small(c.accepted);
    const ci = hidden ? null : wilsonInterval(c.accepted, c.offers);
    return {
      category,
      offers: suppressed(c.offers),
      accepted: small(c.offers) ? 'suppressed' : suppressed(c.accepted),
      rate: hidden || c.offers === 0 ? null : pct(c.accepted / c.offers),
      interval: ci ? `${pct(ci.low)} to ${pct(ci.high)}` : null,
      suppressed: hidden,
    };
  });
}
