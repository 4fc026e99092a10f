import { COMPARISONS, LEVELS, type ComparisonName, type ComparisonVector, type NameWeights } from './comparisons.js';
import type { FieldExplanation, MatchBand, MatchExplanation } from './types.js';

/** m and u for one level of one comparison. */
export interface LevelParameters {
  level: string;
  m: number;
  u: number;
}

/** A version of the linkage model: everything needed to score a pair, stored with its version. */
export interface ModelParameters {
  version: string;
  /** Prior probability that two records found by blocking are the same person. */
  lambda: number;
  comparisons: Record<ComparisonName, LevelParameters[]>;
  /**
   * Term frequencies for exact matches on common values: the chance that two random records share
   * the value. Values not listed use the exact level's u.
   */
  termFrequencies: Partial<Record<ComparisonName, Record<string, number>>>;
  /** Match weights: at or above linkThreshold link automatically; at or above reviewThreshold ask a person. */
  linkThreshold: number;
  reviewThreshold: number;
}

/** Comparisons whose exact level is adjusted for how common the value is. */
export const TF_COMPARISONS: readonly ComparisonName[] = ['forename', 'surname', 'postcode'];

const clampP = (p: number) => Math.min(1 - 1e-6, Math.max(1e-6, p));
const log2 = Math.log2;

/** A model's level weights, for choosing which names, dates of birth and addresses of two records to compare. */
export function nameWeightsOf(params: ModelParameters): NameWeights {
  const w = (c: ComparisonName) => params.comparisons[c].map((l) => log2(clampP(l.m) / clampP(l.u)));
  return { forename: w('forename'), surname: w('surname'), date_of_birth: w('date_of_birth'), postcode: w('postcode'), address: w('address') };
}

/** log2 of the prior odds. */
export function priorWeight(lambda: number): number {
  const l = clampP(lambda);
  return log2(l / (1 - l));
}

/** The probability a match weight stands for. */
export function weightToProbability(weight: number): number {
  return 1 / (1 + 2 ** -weight);
}

/** Which band a match weight falls in. */
export function bandOf(params: ModelParameters, weight: number): MatchBand {
  if (weight >= params.linkThreshold) return 'link';
  if (weight >= params.reviewThreshold) return 'review';
  return 'new';
}

/** The term-frequency adjustment (log2 u/tf) for an exact match on a value, bounded so one rare value cannot decide alone. */
export function tfAdjustment(params: ModelParameters, comparison: ComparisonName, value: string | null, u: number): number {
  const table = params.termFrequencies[comparison];
  if (!table || !value) return 0;
  const tf = table[value];
  if (tf === undefined) return 0;
  return Math.max(-6, Math.min(4, log2(clampP(u) / clampP(tf))));
}

/** How an explanation names a value held besides the shown one. */
const OTHER_VALUE: Partial<Record<ComparisonName, string>> = {
  date_of_birth: 'another date of birth', postcode: 'another postcode', address: 'another address',
};

/** Scores a comparison vector: match weight = prior + sum of log2 Bayes factors, with each field's level and weight. */
export function scoreVector(params: ModelParameters, vector: ComparisonVector): MatchExplanation {
  const fields: FieldExplanation[] = [];
  let total = priorWeight(params.lambda);
  const prior = total;
  COMPARISONS.forEach((name, i) => {
    const levelIndex = vector.levels[i]!;
    const value = vector.values[i]!;
    if (levelIndex < 0) {
      fields.push({ field: name, level: 'null', label: 'Not recorded on one or both records', weight: 0, m: 1, u: 1, tfAdjustment: 0, left: value.left, right: value.right });
      return;
    }
    const p = params.comparisons[name][levelIndex]!;
    let weight = log2(clampP(p.m) / clampP(p.u));
    const tf = levelIndex === 0 && TF_COMPARISONS.includes(name) ? tfAdjustment(params, name, value.left, p.u) : 0;
    weight += tf;
    total += weight;
    const def = LEVELS[name][levelIndex]!;
    const label = vector.viaOtherName && (name === 'forename' || name === 'surname') ? `${def.label} (using an alias or other name)`
      : vector.viaOtherValue?.includes(name) ? `${def.label} (using ${OTHER_VALUE[name]} held from another agency’s record)` : def.label;
    fields.push({ field: name, level: def.level, label, weight: round(weight), m: p.m, u: p.u, tfAdjustment: round(tf), left: value.left, right: value.right });
  });
  return {
    modelVersion: params.version,
    priorWeight: round(prior),
    fields,
    total: round(total),
    probability: weightToProbability(total),
    band: bandOf(params, round(total)),
    linkThreshold: params.linkThreshold,
    reviewThreshold: params.reviewThreshold,
  };
}

// Each model's level weights (log2 m/u), computed once: scoring a batch compares millions of pairs.
const levelWeights = new WeakMap<ModelParameters, number[][]>();

function weightsOf(params: ModelParameters): number[][] {
  let w = levelWeights.get(params);
  if (!w) {
    w = COMPARISONS.map((name) => params.comparisons[name].map((p) => log2(clampP(p.m) / clampP(p.u))));
    levelWeights.set(params, w);
  }
  return w;
}

/** The match weight scoreVector would give (the same sum, rounded the same way), without building the explanation. */
export function scoreTotal(params: ModelParameters, vector: ComparisonVector): number {
  const weights = weightsOf(params);
  let total = priorWeight(params.lambda);
  for (let i = 0; i < COMPARISONS.length; i += 1) {
    const levelIndex = vector.levels[i]!;
    if (levelIndex < 0) continue;
    const name = COMPARISONS[i]!;
    let weight = weights[i]![levelIndex]!;
    if (levelIndex === 0 && TF_COMPARISONS.includes(name)) weight += tfAdjustment(params, name, vector.values[i]!.left, params.comparisons[name][0]!.u);
    total += weight;
  }
  return round(total);
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

const lv = (name: ComparisonName, pairs: [number, number][]): LevelParameters[] =>
  LEVELS[name].map((def, i) => ({ level: def.level, m: pairs[i]![0], u: pairs[i]![1] }));

/**
 * The starting model before any training: m and u judged from the published behaviour of agency
 * records (typing errors in a few per cent of fields; identifiers rarely shared by chance).
 * Training replaces these with estimates from the data (see estimate.ts).
 */
export function defaultModel(): ModelParameters {
  return {
    version: 'default-1',
    lambda: 0.0001,
    comparisons: {
      forename: lv('forename', [[0.82, 0.01], [0.04, 0.002], [0.05, 0.004], [0.02, 0.005], [0.04, 0.03], [0.01, 0.0005], [0.02, 0.95]]),
      surname: lv('surname', [[0.85, 0.005], [0.05, 0.002], [0.03, 0.004], [0.02, 0.02], [0.01, 0.0005], [0.04, 0.97]]),
      date_of_birth: lv('date_of_birth', [[0.9, 0.002], [0.05, 0.01], [0.01, 0.0002], [0.01, 0.005], [0.03, 0.98]]),
      sex: lv('sex', [[0.97, 0.5], [0.03, 0.5]]),
      postcode: lv('postcode', [[0.75, 0.002], [0.05, 0.003], [0.1, 0.05], [0.1, 0.945]]),
      address: lv('address', [[0.6, 0.002], [0.15, 0.005], [0.1, 0.02], [0.15, 0.973]]),
      identifier: lv('identifier', [[0.7, 0.00001], [0.15, 0.00005], [0.05, 0.0002], [0.003, 0.6], [0.097, 0.39974]]),
    },
    termFrequencies: {},
    linkThreshold: 6,
    reviewThreshold: -4,
  };
}
