/**
 * A person in an export, in the interchange format's person shape: as the exporting organisation
 * holds them. Only what the organisation sent or its workers see is written; nothing another agency
 * holds beyond that leaves with it.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import type { IncomingPerson } from '../identity/resolve-person.js';

/** An interchange person (docs/formats/interchange-v1.md). */
export type ExportedPerson = Record<string, unknown>;

/** The latest version of a person record one of the organisation's systems sent. */
export interface HeldRecord {
  personId: string;
  sourceSystem: string;
  recordId: string;
  data: unknown;
}

const present = <T extends Record<string, unknown>>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0))) as Partial<T>;

/** The person exactly as the organisation's system last sent them. */
export function exportedPerson(h: HeldRecord): ExportedPerson {
  const p = h.data as IncomingPerson;
  const address = present({ line: p.addressLine, postcode: p.postcode, borough: p.borough });
  return {
    recordId: h.recordId,
    ...present({ givenNames: p.givenNames, familyName: p.familyName }),
    ...((p.otherNames ?? []).length ? { otherNames: p.otherNames } : {}),
    // A date of birth known to its month or year only is written so (2011-05, 2011).
    ...present({ dateOfBirth: p.dateOfBirth && p.dateOfBirthPrecision ? p.dateOfBirth.slice(0, p.dateOfBirthPrecision === 'month' ? 7 : 4) : p.dateOfBirth }),
    sex: p.sex,
    ...present({ ethnicity: p.ethnicity }),
    ...(p.identifiers.length ? { identifiers: p.identifiers } : {}),
    ...(Object.keys(address).length ? { address } : {}),
  };
}

/**
 * People the organisation recorded entries about without ever sending their record (entries made on
 * a page): the person as its workers see them, under the child's Jigsaw id. Names and the date of
 * birth as shown; identifiers and addresses only those the organisation itself recorded.
 */
export async function fallbackPerson(trx: Kysely<Database>, organisationId: string, personIds: string[]): Promise<Map<string, ExportedPerson>> {
  const out = new Map<string, ExportedPerson>();
  if (!personIds.length) return out;
  const [people, names, identifiers, addresses] = await Promise.all([
    trx.selectFrom('person').select(['id', 'date_of_birth', 'dob_accuracy', 'sex', 'ethnicity']).where('id', 'in', personIds).execute(),
    trx.selectFrom('person_name').select(['person_id', 'kind', 'given_names', 'family_name', 'recorded_by_organisation_id']).where('person_id', 'in', personIds).orderBy('id').execute(),
    trx.selectFrom('person_identifier').select(['person_id', 'scheme', 'value']).where('person_id', 'in', personIds).where('issuer_organisation_id', '=', organisationId).orderBy('id').execute(),
    trx.selectFrom('person_address').select(['person_id', 'line1', 'postcode', 'borough']).where('person_id', 'in', personIds).where('recorded_by_organisation_id', '=', organisationId).where('protected', '=', false).orderBy('id').execute(),
  ]);
  for (const p of people) {
    const mine = names.filter((n) => n.person_id === p.id);
    const legal = mine.find((n) => n.kind === 'legal') ?? mine[0];
    const others = mine.filter((n) => n !== legal && n.recorded_by_organisation_id === organisationId)
      .map((n) => ({ kind: n.kind === 'legal' ? 'alias' : n.kind, givenNames: n.given_names, familyName: n.family_name }));
    const ids = identifiers.filter((i) => i.person_id === p.id).map((i) => ({ scheme: i.scheme, value: i.value }));
    const address = addresses.filter((a) => a.person_id === p.id).at(-1);
    const addr = address ? present({ line: address.line1, postcode: address.postcode, borough: address.borough }) : {};
    out.set(p.id, {
      recordId: p.id,
      ...present({ givenNames: legal?.given_names ?? null, familyName: legal?.family_name ?? null }),
      ...(others.length ? { otherNames: others.slice(0, 20) } : {}),
      ...present({ dateOfBirth: p.date_of_birth && (p.dob_accuracy === 'month' || p.dob_accuracy === 'year') ? p.date_of_birth.slice(0, p.dob_accuracy === 'month' ? 7 : 4) : p.date_of_birth }),
      sex: p.sex,
      ...present({ ethnicity: p.ethnicity }),
      ...(ids.length ? { identifiers: ids.slice(0, 20) } : {}),
      ...(Object.keys(addr).length ? { address: addr } : {}),
    });
  }
  return out;
}
