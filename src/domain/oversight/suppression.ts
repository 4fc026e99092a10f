/**
 * Statistical disclosure control for the partnership's dashboards: small counts are withheld
 * (primary suppression), and when one withheld cell could be worked out from the total and the
 * cells shown, a further cell is withheld too (secondary suppression), so no suppressed cell can
 * be recovered by subtraction.
 */

/** Counts from 1 to this minus one are withheld. Zero is shown: it identifies no one. */
export const SUPPRESS_BELOW = 5;

/** Why a cell is withheld, or null when it is shown. */
export type Withheld = 'small' | 'secondary' | null;

/** The outcome for one column of counts that is shown with its total. */
export interface SuppressedColumn {
  cells: Withheld[];
  /** Whether the total must be withheld as well (a lone small cell and nothing else to hide beside it). */
  totalWithheld: boolean;
}

/**
 * Decides which cells of a column (shown with its total) to withhold. Primary: every count from 1
 * to SUPPRESS_BELOW − 1. Secondary: when exactly one cell is withheld, the smallest other non-zero
 * cell is withheld too (the lowest index on a tie); when no such cell exists, the total is withheld.
 * With two or more cells withheld, only their sum can be derived, which is itself at least two
 * withheld counts: no single cell is recoverable.
 */
export function suppressColumn(counts: readonly number[]): SuppressedColumn {
  const cells: Withheld[] = counts.map((n) => (n > 0 && n < SUPPRESS_BELOW ? 'small' : null));
  const withheld = cells.filter((c) => c !== null).length;
  if (withheld !== 1) return { cells, totalWithheld: false };
  let pick = -1;
  counts.forEach((n, i) => {
    if (cells[i] === null && n > 0 && (pick < 0 || n < counts[pick]!)) pick = i;
  });
  if (pick < 0) return { cells, totalWithheld: true };
  cells[pick] = 'secondary';
  return { cells, totalWithheld: false };
}

/** How a count is shown: the number, or the marker for a withheld cell. */
export function showCount(n: number, withheld: Withheld | boolean): string {
  if (withheld) return '[c]';
  return n.toLocaleString('en-GB');
}
