/**
 * The match index: each person's blocking keys in person_match_key, the only place candidate finding
 * looks, and each person as the matcher compares them in person_match_profile (one row per person, so
 * candidates are read in one query). Intake keeps it up to date for the people it creates and adds to (identity.person-writer.ts);
 * this module indexes people written any other way (the synthetic seeder, a database filled before
 * the index existed) and rebuilds it when the blocking rules change.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import { blockingKeys } from '../../../domain/matching/blocking.js';
import { prepareRecord, type PreparedRecord } from '../../../domain/matching/prepare.js';
import type { MatchRecord } from '../../../domain/matching/types.js';
import { loadMatchRecords } from './identity.candidates.js';

/** People read and indexed per round: a few thousand keeps memory bounded and queries short. */
export const INDEX_BATCH = 5_000;
// Keys per INSERT: two array parameters however many rows, so the limit is only statement size.
const KEYS_PER_INSERT = 50_000;

/** What a rebuild did. */
export interface RebuildReport {
  /** Non-erased people read. */
  people: number;
  /** Keys written. */
  keys: number;
  durationMs: number;
}

/**
 * Stores the blocking keys and match profile of these people as held now (keys already stored stay;
 * the profile is replaced). Returns how many of them have at least one key: a person with no name,
 * date of birth, postcode or identifier has none.
 */
export async function indexPeople(db: Kysely<Database>, personIds: readonly string[]): Promise<number> {
  let indexed = 0;
  for (let s = 0; s < personIds.length; s += INDEX_BATCH) {
    const records = await loadMatchRecords(db, [...new Set(personIds.slice(s, s + INDEX_BATCH))]);
    indexed += await writeIndexEntries(db, [...records].map(([personId, record]) => ({ personId, record })));
  }
  return indexed;
}

/** A person's entry in the match index, as writeIndexEntries stores it. */
export interface IndexEntry {
  personId: string;
  /** The person as held: stored as their profile, and their keys are its keys. */
  record: MatchRecord;
  /** A further record known to be theirs (an agency's spelling the person record does not hold): its keys too. */
  alsoFrom?: MatchRecord;
  /** The keys of record and alsoFrom (indexKeysOf), when the caller has them already. */
  keys?: readonly string[];
}

/** The keys a person is indexed under: those of the record as held, and of a further record of theirs. */
export function indexKeysOf(record: PreparedRecord, alsoFrom?: PreparedRecord): string[] {
  const mine = new Set(blockingKeys(record));
  if (alsoFrom) for (const k of blockingKeys(alsoFrom)) mine.add(k);
  return [...mine];
}

/**
 * Writes index entries: each person's profile (the record as held) and the keys of that record and of
 * any further records known to be theirs (an agency's spelling the person record does not hold).
 * Returns how many of the people have at least one key.
 */
export async function writeIndexEntries(db: Kysely<Database>, entries: IndexEntry[]): Promise<number> {
  let indexed = 0;
  const keys: string[] = [];
  const owners: string[] = [];
  for (const e of entries) {
    const mine = e.keys ?? indexKeysOf(prepareRecord(e.record), e.alsoFrom ? prepareRecord(e.alsoFrom) : undefined);
    if (mine.length > 0) indexed += 1;
    for (const k of mine) { keys.push(k); owners.push(e.personId); }
  }
  // A person entered twice (changed twice before a write) is stored as the last entry left them.
  const profiles = [...new Map(entries.map((e) => [e.personId, e])).values()];
  // The profiles first: their reference to person stands for the keys' (a person who does not exist
  // fails here, before any key of theirs is written, in a transaction or not).
  for (let s = 0; s < profiles.length; s += INDEX_BATCH) {
    const part = profiles.slice(s, s + INDEX_BATCH);
    await sql`INSERT INTO person_match_profile (person_id, record)
      SELECT * FROM unnest(${part.map((e) => e.personId)}::uuid[], ${part.map((e) => JSON.stringify(e.record))}::jsonb[])
      ON CONFLICT (person_id) DO UPDATE SET record = EXCLUDED.record, indexed_at = now()`.execute(db);
  }
  await insertKeys(db, keys, owners);
  return indexed;
}

async function insertKeys(db: Kysely<Database>, keys: string[], owners: string[]): Promise<void> {
  for (let s = 0; s < keys.length; s += KEYS_PER_INSERT) {
    await sql`INSERT INTO person_match_key (key, person_id)
      SELECT * FROM unnest(${keys.slice(s, s + KEYS_PER_INSERT)}::text[], ${owners.slice(s, s + KEYS_PER_INSERT)}::uuid[])
      ON CONFLICT DO NOTHING`.execute(db);
  }
}

/** One page of non-erased people after `after` (in id order), optionally only those not yet indexed. */
async function nextPeople(db: Kysely<Database>, after: string | null, onlyMissing: boolean): Promise<string[]> {
  let q = db.selectFrom('person').select('person.id').where('person.erased_at', 'is', null);
  if (after !== null) q = q.where('person.id', '>', after);
  if (onlyMissing) {
    q = q.where(({ not, exists, selectFrom }) => not(exists(selectFrom('person_match_profile as mp').select('mp.person_id').whereRef('mp.person_id', '=', 'person.id'))));
  }
  const rows = await q.orderBy('person.id').limit(INDEX_BATCH).execute();
  return rows.map((r) => r.id);
}

/**
 * Indexes every non-erased person not yet indexed (no match profile), a few thousand at a time, and
 * returns how many were given keys. When everyone is indexed this is one query. Each page starts after
 * the last id seen, so the loop always ends.
 */
export async function indexMissingPeople(db: Kysely<Database>): Promise<number> {
  let indexed = 0;
  let after: string | null = null;
  for (;;) {
    const ids = await nextPeople(db, after, true);
    if (ids.length === 0) return indexed;
    indexed += await indexPeople(db, ids);
    if (ids.length < INDEX_BATCH) return indexed;
    after = ids.at(-1)!;
  }
}

/**
 * Deletes every stored key and profile and indexes every non-erased person again (after the blocking rules
 * change). One transaction: candidate finding keeps reading the old keys until the new ones are in.
 * `onProgress` is called after each batch with the people done and the total.
 */
export async function rebuildMatchIndex(db: Kysely<Database>, opts: { onProgress?: (done: number, total: number) => void } = {}): Promise<RebuildReport> {
  const started = performance.now();
  return db.transaction().execute(async (trx) => {
    const total = Number((await trx.selectFrom('person').select((eb) => eb.fn.countAll<string>().as('n')).where('erased_at', 'is', null).executeTakeFirstOrThrow()).n);
    await trx.deleteFrom('person_match_key').execute();
    await trx.deleteFrom('person_match_profile').execute();
    let people = 0;
    let after: string | null = null;
    for (;;) {
      const ids = await nextPeople(trx, after, false);
      if (ids.length === 0) break;
      await indexPeople(trx, ids);
      people += ids.length;
      opts.onProgress?.(people, Math.max(total, people));
      if (ids.length < INDEX_BATCH) break;
      after = ids.at(-1)!;
    }
    const keys = Number((await trx.selectFrom('person_match_key').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
    return { people, keys, durationMs: Math.round(performance.now() - started) };
  });
}
