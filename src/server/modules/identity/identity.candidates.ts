import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import { blockingKeys, maxBlockOf } from '../../../domain/matching/blocking.js';
import { prepareRecord, type PreparedRecord } from '../../../domain/matching/prepare.js';
import type { MatchIdentifier, MatchRecord } from '../../../domain/matching/types.js';

/** An existing person found by blocking, as the matcher compares them. */
export interface Candidate {
  personId: string;
  record: MatchRecord;
  /** The record prepared for comparison (once per person per call, shared between the records of a batch). */
  prepared?: PreparedRecord;
}

/**
 * The candidate-limit rule, in one place: who holds each key (person_match_key), each key reading at
 * most one holder past its limit (maxBlockOf: an index range scan that stops there, so a key shared by
 * thousands costs no more than a small one), and whether the key is within its limit. A key held by
 * more people than its limit finds no one (keyWithinLimit). Used by findCandidates and by the batched
 * resolver's key holders (person-resolver.ts). Rows: key, person_id, within_limit.
 */
export function keyHoldersSql(keys: string[]) {
  return sql<{ key: string; person_id: string; within_limit: boolean }>`SELECT w.key, h.person_id, count(*) OVER (PARTITION BY w.key) <= w.lim AS within_limit
    FROM unnest(${sql.val(keys)}::text[], ${sql.val(keys.map(maxBlockOf))}::int[]) AS w(key, lim)
    CROSS JOIN LATERAL (SELECT k.person_id FROM person_match_key k WHERE k.key = w.key LIMIT w.lim + 1) h`;
}

/** Whether a key held by this many people still finds them (the rule keyHoldersSql applies in SQL). */
export function keyWithinLimit(key: string, holders: number): boolean {
  return holders <= maxBlockOf(key);
}

/**
 * Existing people sharing a blocking key with each record (one list per record, in order). Only the
 * stored keys are read (person_match_key, see match-index.ts): identifiers are keys too, so a shared
 * identifier finds its person like any other key.
 */
export async function findCandidates(db: Kysely<Database>, records: MatchRecord[]): Promise<Candidate[][]> {
  const keysOf = records.map((r) => blockingKeys(prepareRecord(r)));
  const allKeys = [...new Set(keysOf.flat())];
  if (allKeys.length === 0) return records.map(() => []);
  // One set-based statement for the whole batch: the keys' holders as keyHoldersSql reads them (keys over
  // their limit dropped), each person found with their match profile.
  const rows = (await sql<{ id: string; keys: string[]; record: MatchRecord | null }>`WITH hit AS (${keyHoldersSql(allKeys)}), found AS (
      SELECT person_id, array_agg(key) AS keys FROM hit WHERE within_limit GROUP BY person_id
    )
    SELECT found.person_id AS id, found.keys, mp.record FROM found LEFT JOIN person_match_profile mp ON mp.person_id = found.person_id`.execute(db)).rows;
  // A person with keys but no profile (indexed before profiles were stored) is read from the person tables.
  const unprofiled = rows.filter((r) => r.record === null).map((r) => r.id);
  const read = unprofiled.length ? await loadMatchRecords(db, unprofiled) : new Map<string, MatchRecord>();
  const byKey = new Map<string, Candidate[]>();
  for (const row of rows) {
    const record = row.record ?? read.get(row.id);
    if (!record) continue;
    const candidate: Candidate = { personId: row.id, record, prepared: prepareRecord(record) };
    for (const k of row.keys) {
      const list = byKey.get(k);
      if (list) list.push(candidate);
      else byKey.set(k, [candidate]);
    }
  }
  return keysOf.map((keys) => {
    const found = new Map<string, Candidate>();
    for (const k of keys) for (const c of byKey.get(k) ?? []) found.set(c.personId, c);
    return [...found.values()];
  });
}

/** A person's match record as one row (names, identifiers and current address as JSON arrays). */
interface MatchRow {
  id: string;
  dob: string | null;
  dob_accuracy: string;
  sex: string;
  names: [string, string | null, string | null][];
  ids: [string, string][];
  address: [string | null, string | null] | null;
}

// The legal name comes first; the current address is the latest valid one (one with no start date first, as before).
const MATCH_COLUMNS = sql`p.id, to_char(p.date_of_birth, 'YYYY-MM-DD') AS dob, p.dob_accuracy, p.sex,
  coalesce((SELECT json_agg(json_build_array(n.kind, n.given_names, n.family_name) ORDER BY n.kind <> 'legal', n.kind, n.given_names, n.family_name)
    FROM person_name n WHERE n.person_id = p.id AND n.valid_to IS NULL), '[]'::json) AS names,
  coalesce((SELECT json_agg(json_build_array(i.scheme, i.value) ORDER BY i.scheme, i.value)
    FROM person_identifier i WHERE i.person_id = p.id), '[]'::json) AS ids,
  (SELECT json_build_array(a.line1, a.postcode) FROM person_address a WHERE a.person_id = p.id AND a.valid_to IS NULL
    ORDER BY a.valid_from DESC LIMIT 1) AS address`;

function matchRecordOf(row: MatchRow): MatchRecord {
  const r: MatchRecord = {
    givenNames: null, familyName: null, otherNames: [], dateOfBirth: row.dob, sex: row.sex as MatchRecord['sex'],
    postcode: row.address?.[1] ?? null, addressLine: row.address?.[0] ?? null,
    identifiers: row.ids.map(([scheme, value]) => ({ scheme: scheme as MatchIdentifier['scheme'], value })),
    // Only the month or year of birth known: compared at that precision.
    ...(row.dob && (row.dob_accuracy === 'month' || row.dob_accuracy === 'year') ? { dateOfBirthPrecision: row.dob_accuracy } : {}),
  };
  for (const [kind, given, family] of row.names) {
    if (kind === 'legal' && r.givenNames === null && r.familyName === null) { r.givenNames = given; r.familyName = family; }
    else r.otherNames.push({ givenNames: given, familyName: family });
  }
  return r;
}

/** People as the matcher sees them: legal name, other names, date of birth, sex, current address, identifiers. */
export async function loadMatchRecords(db: Kysely<Database>, personIds: string[]): Promise<Map<string, MatchRecord>> {
  const out = new Map<string, MatchRecord>();
  if (personIds.length === 0) return out;
  const rows = (await sql<MatchRow>`SELECT ${MATCH_COLUMNS} FROM person p WHERE p.id = ANY(${sql.val(personIds)}::uuid[])`.execute(db)).rows;
  for (const row of rows) out.set(row.id, matchRecordOf(row));
  return out;
}
