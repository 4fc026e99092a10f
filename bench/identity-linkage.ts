// Links incoming agency records against existing people on a PostgreSQL server: blocking in SQL
// (person_match_key), scoring in Node, streamed in batches. Ground truth comes from the generator.
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../src/db/database.js';
import { blockingKeys } from '../src/domain/matching/blocking.js';
import { compareRecords } from '../src/domain/matching/comparisons.js';
import { buildModel, estimateM, estimateU, randomVectors, seededRandom, termFrequencies } from '../src/domain/matching/estimate.js';
import { defaultModel } from '../src/domain/matching/model.js';
import { prepareRecord } from '../src/domain/matching/prepare.js';
import type { MatchRecord } from '../src/domain/matching/types.js';
import { findCandidates } from '../src/server/modules/identity/identity.candidates.js';
import { scoreCandidates } from '../src/server/modules/identity/identity.decide.js';
import { corrupt, makePeople, namePools, type SyntheticPerson } from './identity-synthetic.js';
import type { Line } from './report.js';

/** Loads people straight into the person tables (and their blocking keys), in large batches. */
async function loadPeople(db: Kysely<Database>, people: SyntheticPerson[]): Promise<void> {
  const batch = 20_000;
  for (let s = 0; s < people.length; s += batch) {
    const part = people.slice(s, s + batch);
    const col = <T>(f: (p: SyntheticPerson) => T) => part.map(f);
    await sql`INSERT INTO person (id, date_of_birth, sex) SELECT * FROM unnest(${col((p) => p.id)}::uuid[], ${col((p) => p.dateOfBirth)}::date[], ${col((p) => p.sex)}::text[])`.execute(db);
    await sql`INSERT INTO person_name (person_id, kind, given_names, family_name) SELECT p, 'legal', g, f FROM unnest(${col((p) => p.id)}::uuid[], ${col((p) => p.givenNames)}::text[], ${col((p) => p.familyName)}::text[]) AS t(p, g, f)`.execute(db);
    await sql`INSERT INTO person_address (person_id, line1, postcode) SELECT * FROM unnest(${col((p) => p.id)}::uuid[], ${col((p) => p.addressLine)}::text[], ${col((p) => p.postcode)}::text[])`.execute(db);
    const withIds = part.filter((p) => p.identifiers.length);
    await sql`INSERT INTO person_identifier (person_id, scheme, value) SELECT p, 'nhs_number', v FROM unnest(${withIds.map((p) => p.id)}::uuid[], ${withIds.map((p) => p.identifiers[0]!.value)}::text[]) AS t(p, v)`.execute(db);
    const keys: string[] = [];
    const owners: string[] = [];
    for (const p of part) for (const k of blockingKeys(prepareRecord(p))) { keys.push(k); owners.push(p.id); }
    await sql`INSERT INTO person_match_key (key, person_id) SELECT * FROM unnest(${keys}::text[], ${owners}::uuid[]) ON CONFLICT DO NOTHING`.execute(db);
  }
  await sql`ANALYZE`.execute(db);
}

/** The benchmark: existing people, incoming records (a share of them new people), link, and count. */
export async function benchLinkage(db: Kysely<Database>, opts: { existing: number; incoming: number; seed?: number }): Promise<Line[]> {
  const seed = opts.seed ?? 7;
  const random = seededRandom(seed + 1);
  const genStart = performance.now();
  const people = makePeople(opts.existing, seed, randomUUID);
  const pools = namePools(seed);
  await loadPeople(db, people);
  const loadSeconds = (performance.now() - genStart) / 1000;
  // 70% of incoming records are of held people (with errors); 30% are people Jigsaw has never seen.
  const strangers = makePeople(Math.ceil(opts.incoming * 0.3) + 1, seed + 99, randomUUID);
  const incoming: { record: MatchRecord; truth: string | null }[] = [];
  for (let i = 0; i < opts.incoming; i += 1) {
    if (random() < 0.7) { const p = people[Math.floor(random() * people.length)]!; incoming.push({ record: corrupt(p, random, pools), truth: p.id }); }
    else { const p = strangers[i % strangers.length]!; incoming.push({ record: corrupt(p, random, pools), truth: null }); }
  }

  const started = performance.now();
  // Train: u from random pairs of held people; m by EM over the first batch's candidate pairs.
  const sample = people.slice(0, 20_000).map(prepareRecord);
  const u = estimateU(sample, 100_000, seededRandom(seed + 2));
  const trainSet = incoming.slice(0, Math.min(5_000, incoming.length));
  const trainCandidates = await findCandidates(db, trainSet.map((x) => x.record));
  const vectors = trainSet.flatMap((x, i) => { const a = prepareRecord(x.record); return trainCandidates[i]!.map((c) => compareRecords(a, prepareRecord(c.record))); });
  const { m, expectedMatches } = estimateM(vectors, defaultModel(), u, randomVectors(sample, 2 * vectors.length, seededRandom(seed + 3)));
  const lambda = expectedMatches / (trainSet.length * people.length);
  const model = buildModel(defaultModel(), 'bench-trained', m, u, lambda, termFrequencies(sample));
  const trainSeconds = (performance.now() - started) / 1000;

  let links = 0; let correctLinks = 0; let reviews = 0; let reviewsTrue = 0; let candidatesSeen = 0;
  const batch = 2_000;
  for (let s = 0; s < incoming.length; s += batch) {
    const part = incoming.slice(s, s + batch);
    const candidates = await findCandidates(db, part.map((x) => x.record));
    part.forEach((x, i) => {
      candidatesSeen += candidates[i]!.length;
      const best = scoreCandidates(model, x.record, candidates[i]!)[0];
      if (!best) return;
      if (best.explanation.band === 'link') { links += 1; if (best.personId === x.truth) correctLinks += 1; }
      else if (best.explanation.band === 'review') { reviews += 1; if (best.personId === x.truth) reviewsTrue += 1; }
    });
  }
  const seconds = (performance.now() - started) / 1000;
  const held = incoming.filter((x) => x.truth !== null).length;
  const name = 'identity.linkage';
  return [
    { name: `${name}.existing_people`, value: opts.existing, unit: 'people' },
    { name: `${name}.incoming_records`, value: opts.incoming, unit: 'records' },
    { name: `${name}.load_seconds`, value: loadSeconds, unit: 's (generation and bulk load, not timed as linkage)' },
    { name: `${name}.train_seconds`, value: trainSeconds, unit: 's (included in total)' },
    { name: `${name}.total_seconds`, value: seconds, unit: 's' },
    { name: `${name}.records_per_s`, value: opts.incoming / seconds, unit: 'records/s' },
    { name: `${name}.candidates_per_record`, value: candidatesSeen / opts.incoming, unit: 'candidates' },
    { name: `${name}.auto_link_precision`, value: links ? correctLinks / links : 1, unit: 'ratio' },
    { name: `${name}.auto_link_recall`, value: held ? correctLinks / held : 1, unit: 'ratio' },
    { name: `${name}.review_share`, value: reviews / opts.incoming, unit: 'ratio' },
    { name: `${name}.review_right_candidate`, value: reviews ? reviewsTrue / reviews : 1, unit: 'ratio' },
    { name: `${name}.recall_link_or_review`, value: held ? (correctLinks + reviewsTrue) / held : 1, unit: 'ratio' },
  ];
}
