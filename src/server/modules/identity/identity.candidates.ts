import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import { bestCandidates, blockingKeys, keyWithinLimit, maxBlockOf } from '../../../domain/matching/blocking.js';
import { normalisePostcode, prepareRecord, type PreparedRecord } from '../../../domain/matching/prepare.js';
import { normaliseText } from '../../../domain/matching/strings.js';
import type { MatchAddress, MatchDateOfBirth, MatchIdentifier, MatchRecord } from '../../../domain/matching/types.js';

/** An existing person found by blocking, as the matcher compares them. */
export interface Candidate {
  personId: string;
  record: MatchRecord;
  /** The record prepared for comparison (once per person per call, shared between the records of a batch). */
  prepared?: PreparedRecord;
}

/**
 * The candidate-limit rule, in one place: who holds each key (person_match_key), one row a key that
 * anyone holds, each key reading at most one holder past its limit (maxBlockOf: an index range scan
 * that stops there, so a key shared by thousands costs no more than a small one). A key whose list is
 * longer than its limit finds no one (keyWithinLimit, applied by bestCandidates). The keys are probed
 * in the index's own order, so neighbouring probes share index pages: at a million people the index
 * is larger than the server's shared buffers. Each key's holders come as one comma-separated text
 * (`ids`; holderList splits it), which costs far less to read than an array. Used by findCandidates
 * and the batched resolver (person-resolver.ts, through findCandidatesAndHolders).
 */
export function keyHoldersSql(keys: string[]) {
  return sql<{ key: string; ids: string }>`SELECT w.key, h.ids
    FROM (SELECT u.key, u.lim FROM unnest(${sql.val(keys)}::text[], ${sql.val(keys.map(maxBlockOf))}::int[]) AS u(key, lim) ORDER BY u.key) w
    CROSS JOIN LATERAL (SELECT string_agg(k.person_id::text, ',') AS ids
      FROM (SELECT person_id FROM person_match_key k WHERE k.key = w.key LIMIT w.lim + 1) k) h
    WHERE h.ids IS NOT NULL`;
}

/** A key's holders, from keyHoldersSql's `ids`. */
export function holderList(ids: string): string[] {
  return ids.split(',');
}

/** Whether a key held by this many people still finds them (the rule keyHoldersSql applies in SQL). */
export { keyWithinLimit };

/**
 * Existing people sharing a blocking key with each record (one list per record, in order; at most
 * MAX_CANDIDATES each, chosen by bestCandidates from the holders of its keys). Only the
 * stored keys are read (person_match_key, see match-index.ts): identifiers are keys too, so a shared
 * identifier finds its person like any other key.
 */
export async function findCandidates(db: Kysely<Database>, records: MatchRecord[], prepared?: PreparedRecord[]): Promise<Candidate[][]> {
  return (await readCandidates(db, records, false, prepared)).candidates;
}

/**
 * findCandidates, and who holds each of the records' keys (up to one more than the key's limit, as
 * keyHoldersSql reads them; a key no one holds is absent), from the same statement: the batched
 * resolver needs both for a chunk. `prepared`, when given, holds each record as prepareRecord prepares it.
 */
export async function findCandidatesAndHolders(db: Kysely<Database>, records: MatchRecord[], prepared?: PreparedRecord[]): Promise<{ candidates: Candidate[][]; holders: Map<string, string[]> }> {
  return readCandidates(db, records, true, prepared);
}

async function readCandidates(db: Kysely<Database>, records: MatchRecord[], withHolders: boolean, prepared?: PreparedRecord[]): Promise<{ candidates: Candidate[][]; holders: Map<string, string[]> }> {
  const keysOf = records.map((r, i) => blockingKeys(prepared?.[i] ?? prepareRecord(r)));
  const allKeys = [...new Set(keysOf.flat())];
  if (allKeys.length === 0) return { candidates: records.map(() => []), holders: new Map() };
  // One set-based statement for the whole batch: each key's holders as keyHoldersSql reads them (up to
  // one past its limit). Each record's candidates are then chosen from them (bestCandidates), and only
  // those people's match profiles are read.
  const rows = (await keyHoldersSql(allKeys).execute(db)).rows;
  const holders = new Map<string, string[]>();
  for (const r of rows) holders.set(r.key, holderList(r.ids));
  const chosen = keysOf.map((keys) => bestCandidates(keys, (k) => holders.get(k)));
  const profiles = await loadProfiles(db, [...new Set(chosen.flat())]);
  const candidates = chosen.map((ids) => ids.flatMap((id) => profiles.get(id) ?? []));
  return { candidates, holders: withHolders ? holders : new Map() };
}

/**
 * People as candidates: each one's stored match profile, prepared once for the call. A person with keys
 * but no profile (indexed before profiles were stored) is read from the person tables.
 */
export async function loadProfiles(db: Kysely<Database>, personIds: string[]): Promise<Map<string, Candidate>> {
  const out = new Map<string, Candidate>();
  if (personIds.length === 0) return out;
  const rows = (await sql<{ id: string; record: MatchRecord }>`SELECT person_id::text AS id, record FROM person_match_profile WHERE person_id = ANY(${sql.val(personIds)}::uuid[])`.execute(db)).rows;
  for (const row of rows) out.set(row.id, { personId: row.id, record: row.record, prepared: prepareRecord(row.record) });
  const unprofiled = personIds.filter((id) => !out.has(id));
  if (unprofiled.length) {
    for (const [id, record] of await loadMatchRecords(db, unprofiled)) out.set(id, { personId: id, record, prepared: prepareRecord(record) });
  }
  return out;
}

/** A person's match record as one row (names, identifiers and current address as JSON arrays). */
export interface MatchRow {
  id: string;
  dob: string | null;
  dob_accuracy: string;
  sex: string;
  names: [string, string | null, string | null][];
  ids: [string, string][];
  address: [string | null, string | null] | null;
  /** The latest version of each agency record of the person: its source record, date of birth and precision, postcode and address line. */
  held: [string, string | null, string | null, string | null, string | null][];
}

/** A date of birth or address one agency's record of the person holds (the latest version of the record). */
export interface HeldValue {
  sourceRecordRef: string;
  dateOfBirth: string | null;
  /** 'month' or 'year' when only those are known; anything else is a full date. */
  dateOfBirthPrecision: string | null;
  postcode: string | null;
  addressLine: string | null;
}

const dobKey = (date: string, precision: string | undefined) => `${date.replace(/\D/g, '')}|${precision ?? 'day'}`;
const addressKeyOf = (postcode: string | null, line: string | null) => `${normalisePostcode(postcode) ?? ''}|${normaliseText(line) ?? ''}`;

/**
 * The person's match record with every other date of birth and address their agencies' records hold
 * (otherDatesOfBirth, otherAddresses: each distinct value once, not the shown one, in a fixed order), so
 * a new record is compared with every value the person is held with, not only the shown one. One rule
 * for the profile the writer stores and for loadMatchRecords, so the two agree.
 */
export function withHeldValues(record: MatchRecord, held: HeldValue[]): MatchRecord {
  const out: MatchRecord = { ...record };
  delete out.otherDatesOfBirth;
  delete out.otherAddresses;
  const dobs = new Map<string, MatchDateOfBirth>();
  const shownDob = record.dateOfBirth ? dobKey(record.dateOfBirth, record.dateOfBirthPrecision) : null;
  const addresses = new Map<string, MatchAddress>();
  const shownAddress = addressKeyOf(record.postcode, record.addressLine);
  for (const h of held) {
    if (h.dateOfBirth && /^\d{4}-?\d{2}-?\d{2}$/.test(h.dateOfBirth.trim())) {
      const precision = h.dateOfBirthPrecision === 'month' || h.dateOfBirthPrecision === 'year' ? h.dateOfBirthPrecision : undefined;
      const date = h.dateOfBirth.trim();
      const k = dobKey(date, precision);
      if (k !== shownDob && !dobs.has(k)) dobs.set(k, precision ? { date, precision } : { date });
    }
    if (h.postcode || h.addressLine) {
      const k = addressKeyOf(h.postcode, h.addressLine);
      if (k !== '|' && k !== shownAddress && !addresses.has(k)) addresses.set(k, { postcode: h.postcode, addressLine: h.addressLine });
    }
  }
  const sorted = <T>(m: Map<string, T>) => [...m].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)).map(([, v]) => v);
  if (dobs.size) out.otherDatesOfBirth = sorted(dobs);
  if (addresses.size) out.otherAddresses = sorted(addresses);
  return out;
}

// The legal name comes first; the current address is the latest valid one (one with no start date first, as before).
// Text is ordered by code point (COLLATE "C") whatever the database's collation, as matchRowOf orders it.
// Columns: id, dob, dob_accuracy, sex, names, ids, address, held (read by matchRecordFromRow).
export const MATCH_COLUMNS = sql`p.id, to_char(p.date_of_birth, 'YYYY-MM-DD') AS dob, p.dob_accuracy, p.sex,
  coalesce((SELECT json_agg(json_build_array(n.kind, n.given_names, n.family_name)
      ORDER BY n.kind <> 'legal', n.kind COLLATE "C", n.given_names COLLATE "C", n.family_name COLLATE "C")
    FROM person_name n WHERE n.person_id = p.id AND n.valid_to IS NULL), '[]'::json) AS names,
  coalesce((SELECT json_agg(json_build_array(i.scheme, i.value) ORDER BY i.scheme COLLATE "C", i.value COLLATE "C")
    FROM person_identifier i WHERE i.person_id = p.id), '[]'::json) AS ids,
  (SELECT json_build_array(a.line1, a.postcode) FROM person_address a WHERE a.person_id = p.id AND a.valid_to IS NULL
    ORDER BY a.valid_from DESC LIMIT 1) AS address,
  coalesce((SELECT json_agg(json_build_array(s.id, v.person_data->>'dateOfBirth', v.person_data->>'dateOfBirthPrecision', v.person_data->>'postcode', v.person_data->>'addressLine') ORDER BY s.id)
    FROM source_record s CROSS JOIN LATERAL (SELECT x.person_data FROM source_record_version x WHERE x.source_record_ref = s.id ORDER BY x.received_at DESC LIMIT 1) v
    WHERE s.person_id = p.id), '[]'::json) AS held`;

/** A person's rows as held (current names and addresses, identifiers, the latest version of each agency record). */
export interface PersonRows {
  id: string;
  dateOfBirth: string | null;
  dobAccuracy: string;
  sex: string;
  names: { kind: string; givenNames: string | null; familyName: string | null }[];
  identifiers: MatchIdentifier[];
  addresses: { line: string | null; postcode: string | null; validFrom: string | null }[];
  sources: HeldValue[];
}

// Code-point order with nulls last, as PostgreSQL orders text COLLATE "C" (uuids as their lower-case text).
const byText = (a: string | null, b: string | null) => (a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1);

/**
 * The row MATCH_COLUMNS reads for a person held in memory (the batched resolver keeps a person it has
 * changed as held, rather than writing and reading them back): the same orders, the same choice of
 * address. Null when the database's choice is not determined (two current addresses equally recent).
 */
export function matchRowOf(p: PersonRows): MatchRow | null {
  const names = [...p.names].sort((a, b) => Number(a.kind !== 'legal') - Number(b.kind !== 'legal')
    || byText(a.kind, b.kind) || byText(a.givenNames, b.givenNames) || byText(a.familyName, b.familyName));
  const ids = [...p.identifiers].sort((a, b) => byText(a.scheme, b.scheme) || byText(a.value, b.value));
  // valid_from DESC puts an address with no start date first.
  const addresses = [...p.addresses].sort((a, b) => -byText(a.validFrom, b.validFrom));
  if (addresses.length > 1 && addresses[0]!.validFrom === addresses[1]!.validFrom) return null;
  const address = addresses[0];
  const sources = [...p.sources].sort((a, b) => byText(a.sourceRecordRef, b.sourceRecordRef));
  return {
    id: p.id, dob: p.dateOfBirth, dob_accuracy: p.dobAccuracy, sex: p.sex,
    names: names.map((n) => [n.kind, n.givenNames, n.familyName]),
    ids: ids.map((i) => [i.scheme, i.value]),
    address: address ? [address.line, address.postcode] : null,
    held: sources.map((h) => [h.sourceRecordRef, h.dateOfBirth, h.dateOfBirthPrecision, h.postcode, h.addressLine]),
  };
}

const heldValuesOf = (row: MatchRow): HeldValue[] => row.held.map(([sourceRecordRef, dateOfBirth, dateOfBirthPrecision, postcode, addressLine]) => ({
  sourceRecordRef, dateOfBirth, dateOfBirthPrecision, postcode, addressLine,
}));

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

/** The person as the matcher sees them, from a row selecting MATCH_COLUMNS. */
export function matchRecordFromRow(row: MatchRow): MatchRecord {
  return withHeldValues(matchRecordOf(row), heldValuesOf(row));
}

/** People as the matcher sees them: legal name, other names, date of birth, sex, current address, identifiers. */
export async function loadMatchRecords(db: Kysely<Database>, personIds: string[]): Promise<Map<string, MatchRecord>> {
  const out = new Map<string, MatchRecord>();
  if (personIds.length === 0) return out;
  const rows = (await sql<MatchRow>`SELECT ${MATCH_COLUMNS} FROM person p WHERE p.id = ANY(${sql.val(personIds)}::uuid[])`.execute(db)).rows;
  for (const row of rows) out.set(row.id, matchRecordFromRow(row));
  return out;
}

/**
 * People as the matcher sees them (loadMatchRecords) with the dates of birth and addresses each of their
 * agencies' records holds, so a caller can compare a record with the person as held from their other
 * records (training: a record's own values are not evidence that it matches).
 */
export async function loadMatchRecordsWithHeld(db: Kysely<Database>, personIds: string[]): Promise<Map<string, { record: MatchRecord; held: HeldValue[] }>> {
  const out = new Map<string, { record: MatchRecord; held: HeldValue[] }>();
  if (personIds.length === 0) return out;
  const rows = (await sql<MatchRow>`SELECT ${MATCH_COLUMNS} FROM person p WHERE p.id = ANY(${sql.val(personIds)}::uuid[])`.execute(db)).rows;
  for (const row of rows) {
    const held = heldValuesOf(row);
    out.set(row.id, { record: withHeldValues(matchRecordOf(row), held), held });
  }
  return out;
}

/**
 * The person as held from every agency's record but one (for training: the record's own date of birth
 * and address are left out). The shown date of birth and address stay unless that record alone held
 * them; then another record's value is compared instead (or none).
 */
export function withoutSource(record: MatchRecord, held: HeldValue[], sourceRecordRef: string): MatchRecord {
  const others = held.filter((h) => h.sourceRecordRef !== sourceRecordRef);
  const own = held.find((h) => h.sourceRecordRef === sourceRecordRef);
  if (!own) return record;
  const base: MatchRecord = { ...record };
  const ownDob = own.dateOfBirth ? dobKey(own.dateOfBirth.trim(), own.dateOfBirthPrecision === 'month' || own.dateOfBirthPrecision === 'year' ? own.dateOfBirthPrecision : undefined) : null;
  const dobHeldElsewhere = (k: string) => others.some((h) => h.dateOfBirth && dobKey(h.dateOfBirth.trim(), h.dateOfBirthPrecision === 'month' || h.dateOfBirthPrecision === 'year' ? h.dateOfBirthPrecision : undefined) === k);
  if (base.dateOfBirth && ownDob === dobKey(base.dateOfBirth, base.dateOfBirthPrecision) && !dobHeldElsewhere(ownDob)) {
    const next = others.find((h) => h.dateOfBirth && /^\d{4}-?\d{2}-?\d{2}$/.test(h.dateOfBirth.trim()));
    base.dateOfBirth = next ? next.dateOfBirth!.trim() : null;
    delete base.dateOfBirthPrecision;
    if (next && (next.dateOfBirthPrecision === 'month' || next.dateOfBirthPrecision === 'year')) base.dateOfBirthPrecision = next.dateOfBirthPrecision;
  }
  const ownAddress = addressKeyOf(own.postcode, own.addressLine);
  if (ownAddress !== '|' && ownAddress === addressKeyOf(base.postcode, base.addressLine) && !others.some((h) => addressKeyOf(h.postcode, h.addressLine) === ownAddress)) {
    const next = others.find((h) => h.postcode || h.addressLine);
    base.postcode = next?.postcode ?? null;
    base.addressLine = next?.addressLine ?? null;
  }
  return withHeldValues(base, others);
}
