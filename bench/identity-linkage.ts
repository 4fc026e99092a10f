// Links incoming agency records against existing people on a PostgreSQL server: trains the model
// without labels, then blocks in SQL (person_match_key) and scores and decides in Node, in batches.
// Ground truth comes from the generator and is read only to count.
import { randomUUID } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../src/db/database.js';
import { blockingKeys } from '../src/domain/matching/blocking.js';
import { seededRandom } from '../src/domain/matching/estimate.js';
import { defaultModel } from '../src/domain/matching/model.js';
import { prepareRecord } from '../src/domain/matching/prepare.js';
import type { MatchRecord } from '../src/domain/matching/types.js';
import { findCandidates } from '../src/server/modules/identity/identity.candidates.js';
import { decide } from '../src/server/modules/identity/identity.decide.js';
import { trainLinkageModel } from '../src/server/modules/identity/identity.train.js';
import { corrupt, makePeople, namePools, type SyntheticPerson } from './identity-synthetic.js';
import type { Line } from './report.js';

/** Loads people straight into the person tables (and their match index), in large batches. */
export async function loadPeople(db: Kysely<Database>, people: SyntheticPerson[]): Promise<void> {
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
    // The profile is the person as held (the record without the benchmark's id).
    await sql`INSERT INTO person_match_profile (person_id, record) SELECT * FROM unnest(${col((p) => p.id)}::uuid[], ${col(({ id: _id, ...record }) => JSON.stringify(record))}::jsonb[])`.execute(db);
  }
  // As autovacuum would leave a table loaded long ago: statistics, and the visibility map for index-only scans.
  await sql`VACUUM ANALYZE`.execute(db);
}

/** Repeatable uuids (v4 layout) from a seed, so a kept benchmark database can be used again. */
export function seededUuid(seed: number): () => string {
  const random = seededRandom(seed);
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');
  return () => `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[Math.floor(random() * 4)]}${hex(3)}-${hex(12)}`;
}

/**
 * The benchmark: existing people, incoming records (a share of them new people), train, link, and count.
 * People are made with repeatable ids; a database that already holds exactly them (kept from an earlier
 * run with IDENTITY_KEEP) is not loaded again.
 */
export async function benchLinkage(db: Kysely<Database>, opts: { existing: number; incoming: number; seed?: number; name?: string; targetSeconds?: number }): Promise<Line[]> {
  const name = opts.name ?? 'identity.linkage';
  const seed = opts.seed ?? 7;
  const genStart = performance.now();
  let people: SyntheticPerson[] | undefined = makePeople(opts.existing, seed, seededUuid(seed));
  const held = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM person`.execute(db)).rows[0]!.n;
  const loaded = held === people.length && held > 0 && (await sql<{ n: number }>`SELECT count(*)::int AS n FROM person WHERE id = ${people[0]!.id}::uuid`.execute(db)).rows[0]!.n === 1;
  if (!loaded) {
    if (held > 0) throw new Error(`The benchmark database holds ${held} people, not the ${people.length} this run makes: drop it`);
    await loadPeople(db, people);
  }
  const incoming = incomingRecords(people, opts.incoming, seed);
  const existing = people.length;
  // The product links against the people it holds in its database, never a copy of them in memory: the
  // benchmark lets its copy go before it links, so the garbage collector does not trace a million people.
  people = undefined;
  const loadSeconds = (performance.now() - genStart) / 1000;
  return [
    { name: `${name}.load_seconds`, value: loadSeconds, unit: `s (generation${loaded ? '; people kept from an earlier run' : ' and bulk load'}, not timed as linkage)` },
    ...(await linkAndCount(db, existing, incoming, seed, name, opts.targetSeconds)),
  ];
}

/** `count` incoming records: 70% of them of held people (with errors), 30% of people Jigsaw has never seen; each with its truth. */
function incomingRecords(people: SyntheticPerson[], count: number, seed: number): { record: MatchRecord; truth: string | null }[] {
  const random = seededRandom(seed + 1);
  const pools = namePools(seed);
  const strangers = makePeople(Math.ceil(count * 0.3) + 1, seed + 99, randomUUID);
  const incoming: { record: MatchRecord; truth: string | null }[] = [];
  for (let i = 0; i < count; i += 1) {
    if (random() < 0.7) { const p = people[Math.floor(random() * people.length)]!; incoming.push({ record: corrupt(p, random, pools), truth: p.id }); }
    else { const p = strangers[i % strangers.length]!; incoming.push({ record: corrupt(p, random, pools), truth: null }); }
  }
  return incoming;
}

/** Trains, then links the incoming records against the `existing` people loaded already, and counts against the truth. */
export async function linkAndCount(
  db: Kysely<Database>, existing: number, incoming: { record: MatchRecord; truth: string | null }[], seed: number, name = 'identity.linkage', targetSeconds?: number,
): Promise<Line[]> {
  const opts = { existing, incoming: incoming.length };
  const started = performance.now();
  // Train on the first 2,000 incoming records with no labels (the product's trainer, as `jigsaw identity train` runs it).
  const { model, report } = await trainLinkageModel(db, incoming.slice(0, 2_000).map((x) => x.record), { base: defaultModel(), version: 'bench-trained', seed });
  const trainSeconds = (performance.now() - started) / 1000;

  // Link in batches; the next batch's candidates are fetched while this batch is scored. Scoring gives
  // the event loop a turn every 20 ms, as the import's resolver does (person-resolver.ts), so the next
  // batch's reads move on (its profiles are asked for once its keys' holders arrive) while this one is scored.
  let links = 0; let correctLinks = 0; let reviews = 0; let reviewsTrue = 0; let candidatesSeen = 0; let strangersLinked = 0;
  let waitMs = 0; let decideMs = 0;
  const batch = 2_000;
  const fetch = (s: number) => (s < incoming.length ? findCandidates(db, incoming.slice(s, s + batch).map((x) => x.record)) : Promise.resolve([]));
  let next = fetch(0);
  for (let s = 0; s < incoming.length; s += batch) {
    const t0 = performance.now();
    const candidates = await next;
    waitMs += performance.now() - t0;
    next = fetch(s + batch);
    const t1 = performance.now();
    let since = t1;
    const slice = incoming.slice(s, s + batch);
    for (let i = 0; i < slice.length; i += 1) {
      if (performance.now() - since >= 20) {
        await nextTurn();
        since = performance.now();
      }
      const x = slice[i]!;
      candidatesSeen += candidates[i]!.length;
      const choice = decide(model, x.record, candidates[i]!);
      if (!choice.best) continue;
      if (choice.band === 'link') { links += 1; if (choice.best.personId === x.truth) correctLinks += 1; if (x.truth === null) strangersLinked += 1; }
      else if (choice.band === 'review') { reviews += 1; if (choice.best.personId === x.truth) reviewsTrue += 1; }
    }
    decideMs += performance.now() - t1;
  }
  const seconds = (performance.now() - started) / 1000;
  const held = incoming.filter((x) => x.truth !== null).length;
  return [
    { name: `${name}.existing_people`, value: opts.existing, unit: 'people' },
    { name: `${name}.incoming_records`, value: opts.incoming, unit: 'records' },
    { name: `${name}.train_seconds`, value: trainSeconds, unit: 's (included in total)' },
    { name: `${name}.train_lambda`, value: report.lambda, unit: `(prior; truth about ${(0.7 / opts.existing).toExponential(2)})` },
    { name: `${name}.candidates_wait_seconds`, value: waitMs / 1000, unit: 's (waiting for candidates not already fetched)' },
    { name: `${name}.decide_seconds`, value: decideMs / 1000, unit: 's (scoring and deciding, with the next batch\'s reads in its turns)' },
    { name: `${name}.total_seconds`, value: seconds, unit: targetSeconds ? `s (target ${targetSeconds})` : 's' },
    ...(targetSeconds ? [{ name: `${name}.target_ratio`, value: seconds / targetSeconds, unit: `x of the ${targetSeconds} s target` }] : []),
    { name: `${name}.records_per_s`, value: opts.incoming / seconds, unit: 'records/s' },
    { name: `${name}.candidates_per_record`, value: candidatesSeen / opts.incoming, unit: 'candidates' },
    { name: `${name}.auto_link_precision`, value: links ? correctLinks / links : 1, unit: 'ratio' },
    { name: `${name}.auto_link_recall`, value: held ? correctLinks / held : 1, unit: 'ratio' },
    { name: `${name}.strangers_linked`, value: strangersLinked, unit: 'records of new people linked to someone' },
    { name: `${name}.review_share`, value: reviews / opts.incoming, unit: 'ratio' },
    { name: `${name}.review_right_candidate`, value: reviews ? reviewsTrue / reviews : 1, unit: 'ratio' },
    { name: `${name}.recall_link_or_review`, value: held ? (correctLinks + reviewsTrue) / held : 1, unit: 'ratio' },
  ];
}
