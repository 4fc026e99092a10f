import type { Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import { normaliseIdentifier } from '../../../domain/matching/prepare.js';
import { normaliseName } from '../../../domain/matching/strings.js';
import type { MatchRecord } from '../../../domain/matching/types.js';
import { recordFromIncoming } from './incoming.js';
import { loadMatchRecords } from './identity.candidates.js';
import { writeIndexEntries } from './match-index.js';
import type { IncomingPerson } from './resolve-person.js';

/** Creates a person from an agency's record: names, identifiers, address and blocking keys. */
export async function createPersonFromIncoming(trx: Kysely<Database>, incoming: IncomingPerson): Promise<string> {
  const person = await trx
    .insertInto('person')
    .values({
      date_of_birth: incoming.dateOfBirth, dob_accuracy: incoming.dateOfBirth ? 'exact' : 'unknown', sex: incoming.sex,
      ethnicity: incoming.ethnicity, created_by_organisation_id: incoming.organisationId,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await addDetailsToPerson(trx, person.id, incoming);
  return person.id;
}

/**
 * Adds what an agency knows and the person record lacks: names, identifiers and an address it does
 * not already hold (each marked with the organisation that recorded it), then refreshes the match
 * index. Nothing already held is changed.
 */
export async function addDetailsToPerson(trx: Kysely<Database>, personId: string, incoming: IncomingPerson): Promise<void> {
  const existing = (await loadMatchRecords(trx, [personId])).get(personId);
  if (!existing) return;
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
  if (names.length) {
    await trx.insertInto('person_name').values(names.map((n) => ({ ...n, person_id: personId, recorded_by_organisation_id: org }))).execute();
  }
  const heldIds = new Set(existing.identifiers.map((i) => `${i.scheme}:${normaliseIdentifier(i.value)}`));
  const ids = incoming.identifiers.filter((i) => {
    const k = `${i.scheme}:${normaliseIdentifier(i.value)}`;
    if (heldIds.has(k) || normaliseIdentifier(i.value) === '') return false;
    heldIds.add(k);
    return true;
  });
  if (ids.length) {
    await trx.insertInto('person_identifier')
      .values(ids.map((i) => ({ person_id: personId, scheme: i.scheme, value: normaliseIdentifier(i.value), issuer_organisation_id: org })))
      .execute();
  }
  // The person record holds one current address; another agency's address stays in its source record
  // (and in the blocking keys below), so no agency's claim silently replaces another's.
  const addressAdded = Boolean((incoming.postcode || incoming.addressLine) && existing.postcode === null && existing.addressLine === null);
  if (addressAdded) {
    await trx.insertInto('person_address').values({
      person_id: personId, line1: incoming.addressLine, postcode: incoming.postcode, borough: incoming.borough, town: null,
      valid_from: null, valid_to: null, recorded_by_organisation_id: org,
    }).execute();
  }
  // The person as held now (what was read plus what was just added, so no second read), indexed with
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
  await writeIndexEntries(trx, [{ personId, record: now, alsoFrom: recordFromIncoming(incoming) }]);
}
