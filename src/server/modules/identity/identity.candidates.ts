import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import { blockingKeys } from '../../../domain/matching/blocking.js';
import { prepareRecord } from '../../../domain/matching/prepare.js';
import type { MatchIdentifier, MatchRecord } from '../../../domain/matching/types.js';

/** An existing person found by blocking, as the matcher compares them. */
export interface Candidate {
  personId: string;
  record: MatchRecord;
}

// Only real calendar dates reach SQL: an impossible date is simply no evidence here.
const isCalendarDate = (d: string) => { const t = new Date(`${d}T00:00:00Z`); return /^\d{4}-\d{2}-\d{2}$/.test(d) && !Number.isNaN(t.getTime()) && t.toISOString().slice(0, 10) === d; };

/** Keys shared by more people than this carry little evidence and are skipped (as in memory). */
const MAX_BLOCK = 400;

/**
 * Existing people sharing a blocking key with each record (one list per record, in order). People
 * created before their keys were stored (for example by the demo generator) are still found by an
 * identifier or an exact date of birth.
 */
export async function findCandidates(db: Kysely<Database>, records: MatchRecord[]): Promise<Candidate[][]> {
  const keysOf = records.map((r) => blockingKeys(prepareRecord(r)));
  const allKeys = [...new Set(keysOf.flat())];
  const byKey = new Map<string, string[]>();
  if (allKeys.length > 0) {
    const rows = await db.selectFrom('person_match_key').select(['key', 'person_id']).where('key', '=', sql<string>`ANY(${sql.val(allKeys)}::text[])`).execute();
    for (const r of rows) {
      const list = byKey.get(r.key);
      if (list) list.push(r.person_id);
      else byKey.set(r.key, [r.person_id]);
    }
  }
  const ids = records.flatMap((r) => r.identifiers.map((i) => `${i.scheme}:${i.value.toUpperCase().replace(/[^A-Z0-9]/g, '')}`));
  const dobs = [...new Set(records.map((r) => r.dateOfBirth).filter((d): d is string => d !== null && isCalendarDate(d)))];
  const [idRows, dobRows] = await Promise.all([
    ids.length
      ? db.selectFrom('person_identifier').select(['person_id', sql<string>`scheme || ':' || upper(regexp_replace(value, '[^A-Za-z0-9]', '', 'g'))`.as('k')])
        .where(sql<string>`scheme || ':' || upper(regexp_replace(value, '[^A-Za-z0-9]', '', 'g'))`, '=', sql<string>`ANY(${sql.val(ids)}::text[])`).execute()
      : Promise.resolve([]),
    dobs.length
      ? db.selectFrom('person').select(['id', 'date_of_birth'])
        .where('date_of_birth', '=', sql<string>`ANY(${sql.val(dobs)}::date[])`)
        .where(({ not, exists, selectFrom }) => not(exists(selectFrom('person_match_key as k').select('k.person_id').whereRef('k.person_id', '=', 'person.id'))))
        .execute()
      : Promise.resolve([]),
  ]);
  const perRecord = records.map((r, i) => {
    const found = new Set<string>();
    for (const k of keysOf[i]!) {
      const members = byKey.get(k);
      if (members && members.length <= MAX_BLOCK) for (const p of members) found.add(p);
    }
    const mine = new Set(r.identifiers.map((x) => `${x.scheme}:${x.value.toUpperCase().replace(/[^A-Z0-9]/g, '')}`));
    for (const row of idRows) if (mine.has(row.k)) found.add(row.person_id);
    for (const row of dobRows) if (row.date_of_birth === r.dateOfBirth) found.add(row.id);
    return found;
  });
  const people = await loadMatchRecords(db, [...new Set(perRecord.flatMap((s) => [...s]))]);
  return perRecord.map((s) => [...s].flatMap((personId) => {
    const record = people.get(personId);
    return record ? [{ personId, record }] : [];
  }));
}

/** People as the matcher sees them: legal name, other names, date of birth, sex, current address, identifiers. */
export async function loadMatchRecords(db: Kysely<Database>, personIds: string[]): Promise<Map<string, MatchRecord>> {
  const out = new Map<string, MatchRecord>();
  if (personIds.length === 0) return out;
  const inIds = sql<string>`ANY(${sql.val(personIds)}::uuid[])`;
  const [persons, names, identifiers, addresses] = await Promise.all([
    db.selectFrom('person').select(['id', 'date_of_birth', 'sex']).where('id', '=', inIds).execute(),
    db.selectFrom('person_name').select(['person_id', 'kind', 'given_names', 'family_name']).where('person_id', '=', inIds).where('valid_to', 'is', null).execute(),
    db.selectFrom('person_identifier').select(['person_id', 'scheme', 'value']).where('person_id', '=', inIds).execute(),
    db.selectFrom('person_address').select(['person_id', 'line1', 'postcode']).where('person_id', '=', inIds).where('valid_to', 'is', null)
      .orderBy('valid_from', 'desc').execute(),
  ]);
  for (const p of persons) {
    out.set(p.id, {
      givenNames: null, familyName: null, otherNames: [], dateOfBirth: p.date_of_birth,
      sex: p.sex as MatchRecord['sex'], postcode: null, addressLine: null, identifiers: [],
    });
  }
  for (const n of names) {
    const r = out.get(n.person_id);
    if (!r) continue;
    if (n.kind === 'legal' && r.givenNames === null && r.familyName === null) { r.givenNames = n.given_names; r.familyName = n.family_name; }
    else r.otherNames.push({ givenNames: n.given_names, familyName: n.family_name });
  }
  for (const i of identifiers) out.get(i.person_id)?.identifiers.push({ scheme: i.scheme as MatchIdentifier['scheme'], value: i.value });
  for (const a of addresses) {
    const r = out.get(a.person_id);
    if (r && r.postcode === null && r.addressLine === null) { r.postcode = a.postcode; r.addressLine = a.line1; }
  }
  return out;
}
