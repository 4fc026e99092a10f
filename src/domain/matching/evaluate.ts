import { blockedPairs } from './blocking.js';
import { compareRecords } from './comparisons.js';
import { nameWeightsOf, scoreVector, type ModelParameters } from './model.js';
import type { PreparedRecord } from './prepare.js';

/** How well a model's automatic links agree with labels, over pairs of labelled records. */
export interface PairScores {
  /** Pairs of labelled records that are the same person by their labels. */
  truePairs: number;
  /** Pairs the model would link automatically (weight at or above its link threshold). */
  linked: number;
  /** Of those, pairs that are the same person by their labels. */
  correct: number;
  precision: number;
  recall: number;
  f1: number;
}

/**
 * Scores a model against labelled records: every pair the blocking rules bring together is scored, and
 * a pair counts as linked at or above the model's link threshold. True pairs never blocked together
 * count as missed. `labels[i]` names the person record i belongs to.
 */
export function scoreAgainstLabels(model: ModelParameters, records: PreparedRecord[], labels: string[]): PairScores {
  const sizes = new Map<string, number>();
  for (const l of labels) sizes.set(l, (sizes.get(l) ?? 0) + 1);
  let truePairs = 0;
  for (const n of sizes.values()) truePairs += (n * (n - 1)) / 2;
  const names = nameWeightsOf(model);
  let linked = 0;
  let correct = 0;
  for (const [i, j] of blockedPairs(records)) {
    if (scoreVector(model, compareRecords(records[i]!, records[j]!, names)).total < model.linkThreshold) continue;
    linked += 1;
    if (labels[i] === labels[j]) correct += 1;
  }
  const precision = linked ? correct / linked : 1;
  const recall = truePairs ? correct / truePairs : 1;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { truePairs, linked, correct, precision, recall, f1 };
}
