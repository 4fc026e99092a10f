import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import { compareRecords, COMPARISONS, LEVELS, type ComparisonName } from '../../../domain/matching/comparisons.js';
import {
  buildModel, comparisonsToKeep, estimateMBySessions, lambdaFromDobSession, priorProblem, sampleU, seededRandom, termFrequencies, type SessionResult,
} from '../../../domain/matching/estimate.js';
import { priorWeight, type ModelParameters } from '../../../domain/matching/model.js';
import { normaliseIdentifier, prepareRecord } from '../../../domain/matching/prepare.js';
import type { MatchRecord } from '../../../domain/matching/types.js';
import { parseIsoDate } from '../../../intake/dates.js';
import { loadMatchRecordsWithHeld, loadProfiles, withoutSource } from './identity.candidates.js';

/** How a model was trained: enough to judge whether to trust it, with no personal data. */
export interface TrainingReport {
  version: string;
  records: number;
  population: number;
  peopleSampled: number;
  uSamples: number;
  sessions: { name: string; blockedOn: readonly ComparisonName[]; pairs: number; expectedMatches: number }[];
  lambda: number;
  /** The weight each comparison's strongest agreement and its disagreement carry, for a quick look. */
  weights: Record<ComparisonName, { agree: number; disagree: number }>;
  /** The model trained from (the one in use), for comparison. */
  previous: { version: string; lambda: number };
  /** Every level's weight (log2 m/u, before term frequencies) in the previous model and the new one, side by side. */
  levels: { comparison: ComparisonName; level: string; before: number; after: number }[];
  /** Comparisons the data could not teach (too few values held): they keep the previous model's m and u. */
  kept: ComparisonName[];
  /** Why the learnt prior is implausible, or null: a model with an implausible prior is not stored. */
  priorProblem: string | null;
}

/** The most pairs the date-of-birth session compares (see trainLinkageModel). */
export const DOB_SESSION_PAIRS = 50_000;

/**
 * Trains a linkage model for agency records against the people held, with no labels (as Splink does):
 *  - u by comparing random pairs of a sample of the people held, and term frequencies from that sample;
 *  - m by EM in two sessions: the records against every person sharing their date of birth (learns the
 *    names, sex, address and identifiers; up to 1,000 records, fewer once they make DOB_SESSION_PAIRS pairs), and against every person sharing an identifier (learns the
 *    date of birth);
 *  - lambda from the date-of-birth session (see lambdaFromDobSession), checked for plausibility;
 *  - a comparison the records do not hold enough of (no identifiers, say) keeps the base model's m and u.
 * `exclude` leaves out pairs that must not count, such as an agency record and the person it created.
 * `ownRecord` names the agency record a training record is (its person and source record): against
 * that person it is compared with what the person's other records hold, since the person also holds
 * the record's own date of birth and address (a copy agrees with itself), and the date-of-birth session
 * pairs them only when another record of the person holds that date of birth.
 */
export async function trainLinkageModel(
  db: Kysely<Database>,
  records: MatchRecord[],
  opts: {
    /** The model training starts from: comparisons the data cannot teach keep its m and u. */
    base: ModelParameters; version: string; seed?: number; peopleSample?: number; uSamples?: number;
    /** The model in use, shown beside the new one in the report (the base unless given). */
    previous?: ModelParameters;
    dobSessionRecords?: number; dobSessionPairs?: number; exclude?: (recordIndex: number, personId: string) => boolean;
    ownRecord?: (recordIndex: number) => { personId: string; sourceRecordRef: string } | null;
  },
): Promise<{ model: ModelParameters; report: TrainingReport }> {
  const seed = opts.seed ?? 1;
  const exclude = opts.exclude ?? (() => false);
  const population = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM person WHERE erased_at IS NULL`.execute(db)).rows[0]!.n;

  // A repeatable sample of the people held: ordered by a hash of their id and the seed.
  const sampleIds = (await sql<{ id: string }>`SELECT id FROM person WHERE erased_at IS NULL
    ORDER BY md5(id::text || ${String(seed)}) LIMIT ${opts.peopleSample ?? 20_000}`.execute(db)).rows.map((r) => r.id);
  // The people as the matcher reads them (their stored match profiles), in the sample's order.
  const sampled = await loadProfiles(db, sampleIds);
  const people = sampleIds.flatMap((id) => sampled.get(id)?.prepared ?? []);
  const uSamples = opts.uSamples ?? 100_000;
  const { u, observed } = sampleU(people, uSamples, seededRandom(seed));
  const prepared = records.map(prepareRecord);

  // Session 1: each record against everyone sharing its date of birth (only real, past dates reach SQL).
  const dobCandidates = records.map((r, i) => ({ r, i })).filter(({ r }) => r.dateOfBirth !== null && parseIsoDate(r.dateOfBirth).ok)
    .slice(0, opts.dobSessionRecords ?? 1_000);
  const dobs = [...new Set(dobCandidates.map(({ r }) => r.dateOfBirth!))];
  const sameDob = dobs.length
    ? await db.selectFrom('person').select(['id', sql<string>`to_char(date_of_birth, 'YYYY-MM-DD')`.as('dob')])
      .where('date_of_birth', '=', sql<string>`ANY(${sql.val(dobs)}::date[])`).where('erased_at', 'is', null).execute()
    : [];
  const byDob = new Map<string, string[]>();
  for (const row of sameDob) { const l = byDob.get(row.dob); if (l) l.push(row.id); else byDob.set(row.dob, [row.id]); }

  // Session 2: each record against everyone sharing one of its identifiers.
  const wanted = records.flatMap((r, i) => r.identifiers.map((id) => ({ i, scheme: id.scheme, value: normaliseIdentifier(id.value) })))
    .filter((x) => x.value.length > 0);
  const sameId = wanted.length
    ? (await sql<{ person_id: string; scheme: string; value: string }>`SELECT pi.person_id, pi.scheme, pi.value FROM person_identifier pi
        JOIN person p ON p.id = pi.person_id AND p.erased_at IS NULL
        WHERE (pi.scheme, pi.value) IN (SELECT * FROM unnest(${wanted.map((w) => w.scheme)}::text[], ${wanted.map((w) => w.value)}::text[]))`.execute(db)).rows
    : [];
  const byIdentifier = new Map<string, string[]>();
  for (const row of sameId) { const k = `${row.scheme}:${row.value}`; const l = byIdentifier.get(k); if (l) l.push(row.person_id); else byIdentifier.set(k, [row.person_id]); }

  // In a large population each date of birth is shared by hundreds: the records are taken in order until
  // their pairs reach DOB_SESSION_PAIRS (every record when there are few), so the session's work is bounded
  // however many people are held. The prior is learnt from the records taken.
  const dobRecords: typeof dobCandidates = [];
  let dobPairCount = 0;
  for (const x of dobCandidates) {
    if (dobPairCount >= (opts.dobSessionPairs ?? DOB_SESSION_PAIRS)) break;
    dobRecords.push(x);
    dobPairCount += byDob.get(x.r.dateOfBirth!)?.length ?? 0;
  }
  const dobPairs = dobRecords.flatMap(({ r, i }) => (byDob.get(r.dateOfBirth!) ?? []).filter((p) => !exclude(i, p)).map((p) => [i, p] as const));
  const idPairs = [...new Map(wanted.flatMap((w) => (byIdentifier.get(`${w.scheme}:${w.value}`) ?? [])
    .filter((p) => !exclude(w.i, p)).map((p) => [`${w.i}|${p}`, [w.i, p] as const]))).values()];
  // Every person paired, as the matcher reads them (their stored match profiles); a record's own person is
  // also read with each agency record's values, to compare the record with the person's other records.
  const paired = [...new Set([...dobPairs, ...idPairs].map(([, p]) => p))];
  const profiles = await loadProfiles(db, paired);
  const preparedHeld = new Map([...profiles].map(([id, c]) => [id, c.prepared!]));
  const ownPeople = opts.ownRecord ? [...new Set([...dobPairs, ...idPairs].flatMap(([i, p]) => (opts.ownRecord!(i)?.personId === p ? [p] : [])))] : [];
  const held = await loadMatchRecordsWithHeld(db, ownPeople);
  // A record against its own person: the person as their other records hold them.
  const ownPerson = new Map<number, ReturnType<typeof prepareRecord> | null>();
  const asHeldWithout = (i: number, p: string) => {
    const own = opts.ownRecord?.(i);
    if (!own || own.personId !== p) return undefined;
    if (!ownPerson.has(i)) {
      const h = held.get(p);
      ownPerson.set(i, h ? prepareRecord(withoutSource(h.record, h.held, own.sourceRecordRef)) : null);
    }
    return ownPerson.get(i);
  };
  const vectorsOf = (pairs: (readonly [number, string])[], blockedOnDob = false) => pairs.flatMap(([i, p]) => {
    const without = asHeldWithout(i, p);
    if (without === null) return [];
    if (without) {
      // Paired on the date of birth only if another record of the person holds it.
      const dob = prepared[i]!.dobDisplay;
      if (blockedOnDob && ![without.dobDisplay, ...without.otherDobs.map((d) => d.dobDisplay)].includes(dob)) return [];
      return [compareRecords(prepared[i]!, without)];
    }
    const other = preparedHeld.get(p);
    return other ? [compareRecords(prepared[i]!, other)] : [];
  });

  const { m, sessions, notLearnt } = estimateMBySessions([
    { name: 'date_of_birth', blockedOn: ['date_of_birth'], vectors: vectorsOf(dobPairs, true) },
    { name: 'identifier', blockedOn: ['identifier'], vectors: vectorsOf(idPairs) },
  ], opts.base, u);
  const lambda = lambdaFromDobSession(sessions[0]!, m, dobRecords.length * population);
  const kept = comparisonsToKeep(observed, notLearnt);
  const model = buildModel(opts.base, opts.version, m, u, lambda, termFrequencies(people), kept);
  return {
    model,
    report: {
      ...reportOf(opts.previous ?? opts.base, model, sessions, { records: records.length, population, peopleSampled: people.length, uSamples }),
      kept, priorProblem: priorProblem(lambda, population),
    },
  };
}

const weightOf = (model: ModelParameters, c: ComparisonName, i: number) => {
  const l = model.comparisons[c][i]!;
  return Math.round(Math.log2(l.m / l.u) * 100) / 100;
};

function reportOf(
  previous: ModelParameters, model: ModelParameters, sessions: SessionResult[], counts: { records: number; population: number; peopleSampled: number; uSamples: number },
): Omit<TrainingReport, 'kept' | 'priorProblem'> {
  const weights = Object.fromEntries(COMPARISONS.map((c) => [c, { agree: weightOf(model, c, 0), disagree: weightOf(model, c, c === 'identifier' ? 3 : model.comparisons[c].length - 1) }])) as TrainingReport['weights'];
  return {
    version: model.version, ...counts, lambda: model.lambda, weights,
    previous: { version: previous.version, lambda: previous.lambda },
    levels: COMPARISONS.flatMap((c) => LEVELS[c].map((def, i) => ({ comparison: c, level: def.level, before: weightOf(previous, c, i), after: weightOf(model, c, i) }))),
    sessions: sessions.map((s) => ({ name: s.name, blockedOn: s.blockedOn, pairs: s.pairs, expectedMatches: Math.round(s.expectedMatches) })),
  };
}

/** The prior's weight (log2 odds), rounded, for printing beside the levels' weights. */
export function priorWeightOf(lambda: number): number {
  return Math.round(priorWeight(lambda) * 100) / 100;
}
