import { blockedPairs, pairsSharingKey } from './blocking.js';
import { compareRecords } from './comparisons.js';
import { buildModel, comparisonsToKeep, estimateMBySessions, lambdaFromDobSession, sampleU, seededRandom, termFrequencies } from './estimate.js';
import { defaultModel, nameWeightsOf, scoreVector, type ModelParameters } from './model.js';
import { prepareRecord, type PreparedRecord } from './prepare.js';
import type { MatchRecord } from './types.js';

/**
 * Trains a model on a set of records without any labels: u by random sampling; m by EM in two
 * sessions, one over pairs sharing a date of birth (which learns every other comparison) and one over
 * pairs sharing an identifier (which learns the date of birth); lambda from the first.
 */
export function trainModel(
  records: PreparedRecord[],
  opts: { version: string; seed?: number; uSamples?: number; base?: ModelParameters },
): ModelParameters {
  const base = opts.base ?? defaultModel();
  const random = seededRandom(opts.seed ?? 1);
  const { u, observed } = sampleU(records, opts.uSamples ?? 100_000, random);
  const vectorsOf = (pairs: [number, number][]) => pairs.map(([i, j]) => compareRecords(records[i]!, records[j]!));
  const byDob = pairsSharingKey(records, (r) => (r.dob ? [r.dob.text] : []), 2_000);
  const byId = pairsSharingKey(records, (r) => [...r.identifiers].flatMap(([s, vs]) => vs.map((v) => `${s}:${v}`)), 2_000);
  const { m, sessions, notLearnt } = estimateMBySessions([
    { name: 'date_of_birth', blockedOn: ['date_of_birth'], vectors: vectorsOf(byDob) },
    { name: 'identifier', blockedOn: ['identifier'], vectors: vectorsOf(byId) },
  ], base, u);
  const withDob = records.filter((r) => r.dob).length;
  const lambda = lambdaFromDobSession(sessions[0]!, m, (withDob * (withDob - 1)) / 2);
  return buildModel(base, opts.version, m, u, lambda, termFrequencies(records), comparisonsToKeep(observed, notLearnt));
}

/** A scored candidate pair within one data set. */
export interface ScoredPair {
  i: number;
  j: number;
  weight: number;
}

/** The result of deduplicating a data set: the model used, scored pairs, and a cluster id per record. */
export interface Deduplication {
  model: ModelParameters;
  pairs: ScoredPair[];
  clusterOf: number[];
}

/**
 * Deduplicates records in memory: blocks, trains the model on the data itself (no labels), scores every
 * blocked pair and clusters records joined by pairs at or above the link threshold.
 */
export function deduplicate(input: MatchRecord[], opts: { version?: string; seed?: number; threshold?: number } = {}): Deduplication {
  const records = input.map(prepareRecord);
  const pairs = blockedPairs(records);
  const model = trainModel(records, { version: opts.version ?? 'dedupe', seed: opts.seed ?? 1 });
  const threshold = opts.threshold ?? model.linkThreshold;
  const names = nameWeightsOf(model);
  const scored: ScoredPair[] = pairs.map(([i, j]) => ({ i, j, weight: scoreVector(model, compareRecords(records[i]!, records[j]!, names)).total }));
  const parent = records.map((_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) { parent[x] = parent[parent[x]!]!; x = parent[x]!; }
    return x;
  };
  for (const p of scored) {
    if (p.weight < threshold) continue;
    const a = find(p.i);
    const b = find(p.j);
    if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
  }
  return { model, pairs: scored, clusterOf: records.map((_, i) => find(i)) };
}
