import { COMPARISONS, LEVELS, compareRecords, type ComparisonName, type ComparisonVector } from './comparisons.js';
import { TF_COMPARISONS, type LevelParameters, type ModelParameters } from './model.js';
import type { PreparedRecord } from './prepare.js';

/** A deterministic source of numbers in [0, 1) (a seeded generator), so training is repeatable. */
export type Random = () => number;

/** A small seeded generator (mulberry32). */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fewer random pairs than this with a value on both sides cannot estimate a comparison's u. */
export const MIN_U_PAIRS_OBSERVED = 50;

/**
 * u by random sampling: among random pairs of records almost all are different people, so the share
 * of random pairs at each level estimates P(level | different people). Counts are smoothed so that no
 * level has u of zero. `observed` is how many sampled pairs had a value on both sides, per comparison:
 * a comparison the records do not hold (no identifiers, say) has none, and its smoothed u means nothing.
 */
export function sampleU(records: PreparedRecord[], samples: number, random: Random): { u: Record<ComparisonName, number[]>; observed: Record<ComparisonName, number> } {
  const counts = COMPARISONS.map((c) => new Array<number>(LEVELS[c].length).fill(0));
  const n = records.length;
  for (let s = 0; s < samples && n > 1; s += 1) {
    const i = Math.floor(random() * n);
    let j = Math.floor(random() * (n - 1));
    if (j >= i) j += 1;
    const v = compareRecords(records[i]!, records[j]!);
    v.levels.forEach((l, c) => { if (l >= 0) counts[c]![l]! += 1; });
  }
  const u = {} as Record<ComparisonName, number[]>;
  const observed = {} as Record<ComparisonName, number>;
  COMPARISONS.forEach((c, ci) => {
    const row = counts[ci]!;
    const total = row.reduce((a, b) => a + b, 0);
    observed[c] = total;
    // Half a pair of smoothing per level: an unseen level is rare, not impossible.
    u[c] = row.map((k) => (k + 0.5) / (total + 0.5 * row.length));
  });
  return { u, observed };
}

/** u by random sampling (see sampleU). */
export function estimateU(records: PreparedRecord[], samples: number, random: Random): Record<ComparisonName, number[]> {
  return sampleU(records, samples, random).u;
}

/**
 * m by expectation maximisation over pairs' comparison vectors, with u held at its sampled values (as
 * Splink does). Also estimates lambda, the share of the pairs that match, and the expected number of
 * matching pairs.
 */
export function estimateM(
  vectors: ComparisonVector[],
  start: ModelParameters,
  u: Record<ComparisonName, number[]>,
  iterations = 30,
): { m: Record<ComparisonName, number[]>; lambda: number; expectedMatches: number; observedMatches: Record<ComparisonName, number> } {
  // Identical level patterns share one likelihood: count them once.
  const patterns = new Map<string, { levels: number[]; count: number }>();
  for (const v of vectors) {
    const key = v.levels.join(',');
    const p = patterns.get(key);
    if (p) p.count += 1;
    else patterns.set(key, { levels: v.levels, count: 1 });
  }
  let expectedMatches = 0;
  let m = Object.fromEntries(COMPARISONS.map((c) => [c, start.comparisons[c].map((l) => l.m)])) as Record<ComparisonName, number[]>;
  let lambda = 0.1;
  const total = vectors.length;
  const observedMatches = Object.fromEntries(COMPARISONS.map((c) => [c, 0])) as Record<ComparisonName, number>;
  for (let it = 0; it < iterations && total > 0; it += 1) {
    const acc = COMPARISONS.map((c) => new Array<number>(LEVELS[c].length).fill(0));
    expectedMatches = 0;
    for (const { levels, count } of patterns.values()) {
      let lm = Math.log(lambda);
      let lu = Math.log(1 - lambda);
      levels.forEach((l, ci) => {
        if (l < 0) return;
        const c = COMPARISONS[ci]!;
        lm += Math.log(Math.max(1e-9, m[c][l]!));
        lu += Math.log(Math.max(1e-9, u[c][l]!));
      });
      const p = 1 / (1 + Math.exp(lu - lm));
      expectedMatches += p * count;
      levels.forEach((l, ci) => { if (l >= 0) acc[ci]![l]! += p * count; });
    }
    lambda = Math.min(0.999, Math.max(1e-6, expectedMatches / total));
    const next = {} as Record<ComparisonName, number[]>;
    COMPARISONS.forEach((c, ci) => {
      const row = acc[ci]!;
      const s = row.reduce((a, b) => a + b, 0);
      observedMatches[c] = s;
      next[c] = s > 0 ? row.map((x) => (x + 0.01) / (s + 0.01 * row.length)) : m[c];
    });
    m = next;
  }
  return { m, lambda, expectedMatches, observedMatches };
}

/** The least m any level may have after training (see estimateMBySessions). */
export const M_FLOOR = 0.002;

/** A session learns a comparison's m only from at least this many expected matches holding it on both sides. */
export const MIN_MATCHES_OBSERVED = 5;

/** Pairs found by one blocking rule for training, and the comparisons that rule chose them on. */
export interface TrainingSession {
  name: string;
  /**
   * The comparisons the pairs were chosen on (for example date_of_birth when every pair shares a
   * date of birth): among these pairs they say nothing about matching, so they are left out of this
   * session's estimate and their m comes from another session.
   */
  blockedOn: readonly ComparisonName[];
  vectors: ComparisonVector[];
}

/** What one training session estimated. */
export interface SessionResult {
  name: string;
  blockedOn: readonly ComparisonName[];
  pairs: number;
  /** EM's expected number of matching pairs among the session's pairs. */
  expectedMatches: number;
  /** m for the comparisons this session learnt: those it did not block on, held on both sides by enough of its matches. */
  m: Partial<Record<ComparisonName, number[]>>;
}

/**
 * m by EM in sessions, as Splink trains: each session uses the pairs of one blocking rule and
 * estimates m only for the comparisons that rule did not choose the pairs on (u stays at its sampled
 * values). Each comparison's m is then the mean over the sessions that learnt it; a comparison no
 * session learnt (its values missing from the pairs' matches, say) is listed in `notLearnt` and keeps
 * the starting model's m. Without sessions, pairs chosen on a shared date of birth look alike
 * in a way random pairs do not, and EM takes all of them for matches.
 */
export function estimateMBySessions(
  sessions: TrainingSession[],
  start: ModelParameters,
  u: Record<ComparisonName, number[]>,
  iterations = 40,
): { m: Record<ComparisonName, number[]>; sessions: SessionResult[]; notLearnt: ComparisonName[] } {
  const results: SessionResult[] = sessions.map((session) => {
    const ignore = new Set(session.blockedOn);
    const active = COMPARISONS.map((c) => !ignore.has(c));
    const vectors = session.vectors.map((v) => ({ ...v, levels: v.levels.map((l, i) => (active[i] ? l : -1)) }));
    const { m, expectedMatches, observedMatches } = estimateM(vectors, start, u, iterations);
    const mine: Partial<Record<ComparisonName, number[]>> = {};
    // A session with (almost) no matches holding the comparison has nothing to say about its m.
    COMPARISONS.forEach((c, i) => { if (active[i] && observedMatches[c] >= MIN_MATCHES_OBSERVED) mine[c] = m[c]; });
    return { name: session.name, blockedOn: session.blockedOn, pairs: session.vectors.length, expectedMatches, m: mine };
  });
  const m = {} as Record<ComparisonName, number[]>;
  const notLearnt: ComparisonName[] = [];
  for (const c of COMPARISONS) {
    const from = results.filter((r) => r.m[c]).map((r) => r.m[c]!);
    if (!from.length) {
      notLearnt.push(c);
      m[c] = start.comparisons[c].map((l) => l.m);
      continue;
    }
    const mean = LEVELS[c].map((_, i) => from.reduce((s, x) => s + x[i]!, 0) / from.length);
    // No level is impossible for the same person: a few records in a thousand carry any given error,
    // whatever one sample showed, so no single disagreement can outweigh everything else.
    const floored = mean.map((x) => Math.max(M_FLOOR, x));
    const sum = floored.reduce((a, b) => a + b, 0);
    m[c] = floored.map((x) => x / sum);
  }
  return { m, sessions: results, notLearnt };
}

/**
 * The prior (lambda): the chance that an incoming record and one person, drawn at random, are the
 * same. Read off the date-of-birth session: its expected matches, divided by the share of true matches
 * whose dates of birth agree exactly (m of the exact level, learnt in another session), are the
 * matches among all pairs of those records; divide by the number of such pairs.
 */
export function lambdaFromDobSession(dob: SessionResult, m: Record<ComparisonName, number[]>, possiblePairs: number): number {
  const exact = Math.max(0.05, m.date_of_birth[0] ?? 1);
  return Math.min(0.5, Math.max(1e-12, dob.expectedMatches / exact / Math.max(1, possiblePairs)));
}

/** Term frequencies of the commonest values of the name and postcode fields (share of records with the value). */
export function termFrequencies(records: PreparedRecord[], top = 1000): ModelParameters['termFrequencies'] {
  const pick: Record<string, (r: PreparedRecord) => string | null> = {
    forename: (r) => r.names[0]?.given ?? null,
    surname: (r) => r.names[0]?.family ?? null,
    postcode: (r) => r.postcode,
  };
  const out: ModelParameters['termFrequencies'] = {};
  for (const c of TF_COMPARISONS) {
    const counts = new Map<string, number>();
    let n = 0;
    for (const r of records) {
      const v = pick[c]!(r);
      if (!v) continue;
      n += 1;
      counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    const sorted = [...counts].sort((a, b) => b[1] - a[1]).slice(0, top);
    out[c] = Object.fromEntries(sorted.map(([v, k]) => [v, k / Math.max(1, n)]));
  }
  return out;
}

/**
 * Puts estimated m, u and lambda together into a new model version. The comparisons in `keep` (those
 * the data could not teach: see sampleU and estimateMBySessions) keep the base model's m and u, so a
 * sample without identifiers, say, does not unlearn what an agreeing identifier is worth.
 */
export function buildModel(
  base: ModelParameters,
  version: string,
  m: Record<ComparisonName, number[]>,
  u: Record<ComparisonName, number[]>,
  lambda: number,
  tf: ModelParameters['termFrequencies'],
  keep: readonly ComparisonName[] = [],
): ModelParameters {
  const comparisons = {} as Record<ComparisonName, LevelParameters[]>;
  for (const c of COMPARISONS) {
    comparisons[c] = keep.includes(c) ? base.comparisons[c].map((l) => ({ ...l }))
      : LEVELS[c].map((def, i) => ({ level: def.level, m: m[c][i]!, u: u[c][i]! }));
  }
  return { ...base, version, lambda, comparisons, termFrequencies: tf };
}

/** The comparisons training must not change: too few sampled pairs to estimate u, or no session learnt m. */
export function comparisonsToKeep(observedU: Record<ComparisonName, number>, notLearnt: readonly ComparisonName[]): ComparisonName[] {
  return COMPARISONS.filter((c) => notLearnt.includes(c) || observedU[c] < MIN_U_PAIRS_OBSERVED);
}

/** Bounds on a plausible prior: the number of people held that one agency record is expected to match. */
export const PLAUSIBLE_MATCHES_PER_RECORD = { min: 0.001, max: 10 } as const;

/**
 * Whether a learnt prior is plausible for this population: lambda × population is the number of people
 * held one record is expected to match, which is about one for a record of someone known and zero for
 * a stranger. Far outside that (1e-12 among a few thousand people, say) the session had nothing to learn from.
 */
export function priorProblem(lambda: number, population: number): string | null {
  const perRecord = lambda * Math.max(1, population);
  if (Number.isFinite(perRecord) && perRecord >= PLAUSIBLE_MATCHES_PER_RECORD.min && perRecord <= PLAUSIBLE_MATCHES_PER_RECORD.max) return null;
  return `the learnt prior (lambda ${lambda.toExponential(2)}) means each agency record would match ${perRecord.toPrecision(2)} of the ${population} people held; `
    + `a plausible prior gives between ${PLAUSIBLE_MATCHES_PER_RECORD.min} and ${PLAUSIBLE_MATCHES_PER_RECORD.max}`;
}
