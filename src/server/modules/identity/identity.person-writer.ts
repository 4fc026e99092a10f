import type { Insertable, Kysely } from 'kysely';
import type { Database, PersonAddressTable, PersonIdentifierTable, PersonNameTable, PersonTable } from '../../../db/database.js';
import { normaliseIdentifier } from '../../../domain/matching/prepare.js';
import { normaliseName } from '../../../domain/matching/strings.js';
import type { MatchRecord } from '../../../domain/matching/types.js';
import { recordFromIncoming } from './incoming.js';
import { writeIndexEntries } from './match-index.js';
import type { IncomingPerson } from './resolve-person.js';

/** The person row made from an agency's record (names, identifiers and address follow as details). */
export function newPersonRow(id: string, incoming: IncomingPerson): Insertable<PersonTable> {
  return {
    id, date_of_birth: incoming.dateOfBirth, dob_accuracy: incoming.dateOfBirth ? 'exact' : 'unknown', sex: incoming.sex,
    ethnicity: incoming.ethnicity, created_by_organisation_id: incoming.organisationId,
  };
}

/**
 * The person newPersonRow makes, as loadMatchRecords would read it back before any detail is added,
 * or null when only the database can say (a date of birth it would write differently).
 */
export function newPersonAsHeld(incoming: IncomingPerson): MatchRecord | null {
  if (incoming.dateOfBirth !== null && !/^\d{4}-\d{2}-\d{2}$/.test(incoming.dateOfBirth)) return null;
  return {
    givenNames: null, familyName: null, otherNames: [], dateOfBirth: incoming.dateOfBirth, sex: incoming.sex,
    postcode: null, addressLine: null, identifiers: [],
  };
}

/** What adding an agency's details to a person writes: rows, and the person's index entry afterwards. */
export interface DetailsPlan {
  personId: string;
  names: Insertable<PersonNameTable>[];
  identifiers: Insertable<PersonIdentifierTable>[];
  address: Insertable<PersonAddressTable> | null;
  /** The person as held once the rows are written, indexed with the keys of the agency's own record too. */
  index: { personId: string; record: MatchRecord; alsoFrom: MatchRecord };
}

/**
 * Plans adding what an agency knows and the person record lacks (pure): names, identifiers and an
 * address it does not already hold (each marked with the organisation that recorded it), and the
 * match index entry. Nothing already held is changed. `existing` is the person as loadMatchRecords reads them.
 */
export function planDetails(personId: string, existing: MatchRecord, incoming: IncomingPerson): DetailsPlan {
  const org = incoming.organisationId;
  const nameKey = (g: string | null, f: string | null) => `${normaliseName(g) ?? ''}|${normaliseName(f) ?? ''}`;
  const held = new Set([nameKey(existing.givenNames, existing.familyName), ...existing.otherNames.map((n) => nameKey(n.givenNames, n.familyName))]);
  const hasLegal = existing.givenNames !== null || existing.familyName !== null;
  const names: { kind: string; given_names: string | null; family_name: string | null }[] = [];
  const offer = (kind: string, g: string | null, f: string | null) => {
    const k = nameKey(g, f);
    if ((g === null && f === null) || held.has(k)) return;
    held.add(k);
    names.push({ kind, given_names: g, family_name: f });
  };
  // A different spelling from another agency is kept as an alias; the first legal name stays the legal name.
  offer(hasLegal ? 'alias' : 'legal', incoming.givenNames, incoming.familyName);
  for (const n of incoming.otherNames ?? []) offer(n.kind, n.givenNames, n.familyName);
  const heldIds = new Set(existing.identifiers.map((i) => `${i.scheme}:${normaliseIdentifier(i.value)}`));
  const ids = incoming.identifiers.filter((i) => {
    const k = `${i.scheme}:${normaliseIdentifier(i.value)}`;
    if (heldIds.has(k) || normaliseIdentifier(i.value) === '') return false;
    heldIds.add(k);
    return true;
  });
  // The person record holds one current address; another agency's address stays in its source record
  // (and in the blocking keys below), so no agency's claim silently replaces another's.
  const addressAdded = Boolean((incoming.postcode || incoming.addressLine) && existing.postcode === null && existing.addressLine === null);
  // The person as held now (what was read plus what is added, so no second read), indexed with
  // the keys of the agency's own record too: each spelling an agency used finds the person (keys only
  // propose, never decide).
  const legal = !hasLegal && names[0]?.kind === 'legal' ? names[0] : null;
  const now: MatchRecord = {
    ...existing,
    givenNames: legal ? legal.given_names : existing.givenNames,
    familyName: legal ? legal.family_name : existing.familyName,
    otherNames: [...existing.otherNames, ...names.filter((n) => n !== legal).map((n) => ({ givenNames: n.given_names, familyName: n.family_name }))],
    identifiers: [...existing.identifiers, ...ids.map((i) => ({ scheme: i.scheme, value: normaliseIdentifier(i.value) }))],
    postcode: addressAdded ? incoming.postcode : existing.postcode,
    addressLine: addressAdded ? incoming.addressLine : existing.addressLine,
  };
  return {
    personId,
    names: names.map((n) => ({ ...n, person_id: personId, recorded_by_organisation_id: org })),
    identifiers: ids.map((i) => ({ person_id: personId, scheme: i.scheme, value: normaliseIdentifier(i.value), issuer_organisation_id: org })),
    address: addressAdded
      ? { person_id: personId, line1: incoming.addressLine, postcode: incoming.postcode, borough: incoming.borough, town: null, valid_from: null, valid_to: null, recorded_by_organisation_id: org }
      : null,
    index: { personId, record: now, alsoFrom: recordFromIncoming(incoming) },
  };
}

const ROWS_PER_INSERT = 2_000;

async function insertRows<T extends 'person' | 'person_name' | 'person_identifier' | 'person_address'>(trx: Kysely<Database>, table: T, rows: Insertable<Database[T]>[]): Promise<void> {
  for (let s = 0; s < rows.length; s += ROWS_PER_INSERT) await trx.insertInto(table).values(rows.slice(s, s + ROWS_PER_INSERT) as never).execute();
}

/** Writes new people and planned details, a few statements for any number of them, in the caller's transaction. */
export async function writePeople(trx: Kysely<Database>, people: Insertable<PersonTable>[], plans: DetailsPlan[]): Promise<void> {
  await insertRows(trx, 'person', people);
  await insertRows(trx, 'person_name', plans.flatMap((p) => p.names));
  await insertRows(trx, 'person_identifier', plans.flatMap((p) => p.identifiers));
  await insertRows(trx, 'person_address', plans.flatMap((p) => (p.address ? [p.address] : [])));
  if (plans.length) await writeIndexEntries(trx, plans.map((p) => p.index));
}
