import type { MatchExplanation } from '../../../domain/matching/types.js';

const FIELD_LABELS: Record<string, string> = {
  forename: 'Forename', surname: 'Surname', date_of_birth: 'Date of birth', sex: 'Sex', postcode: 'Postcode', address: 'Address', identifier: 'Identifiers',
};

/** One row of the side-by-side comparison. */
export interface ComparisonRow {
  field: string;
  incoming: string;
  candidate: string;
  level: string;
  weight: string;
}

const signed = (w: number) => (w > 0 ? `+${w.toFixed(2)}` : w.toFixed(2));

/** The explanation as rows a reviewer reads: each field's two values, the level reached and its weight. */
export function presentExplanation(e: MatchExplanation): { rows: ComparisonRow[]; prior: string; total: string; probability: string; thresholds: string; heldForReview: string | null } {
  return {
    heldForReview: e.heldForReview ?? null,
    rows: e.fields.map((f) => ({
      field: FIELD_LABELS[f.field] ?? f.field,
      incoming: f.left ?? 'Not recorded',
      candidate: f.right ?? 'Not recorded',
      level: f.tfAdjustment ? `${f.label} (adjusted ${signed(f.tfAdjustment)} for how common the value is)` : f.label,
      weight: signed(f.weight),
    })),
    prior: signed(e.priorWeight),
    total: signed(e.total),
    probability: `${(e.probability * 100).toFixed(e.probability > 0.99 || e.probability < 0.01 ? 2 : 0)}%`,
    thresholds: `Links automatically at ${signed(e.linkThreshold)} or more; asks a person from ${signed(e.reviewThreshold)}; below that, a new person (model ${e.modelVersion}).`,
  };
}

const OUTCOME_LABELS: Record<string, string> = { linked: 'Linked automatically', new: 'First record of this person', review: 'Kept apart, sent for review' };

/** Plain words for how an agency record came to be part of a person. */
export function outcomeLabel(outcome: string): string {
  return OUTCOME_LABELS[outcome] ?? outcome;
}
