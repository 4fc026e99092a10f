import { randomUUID } from 'node:crypto';
import { sql, type Insertable, type Kysely } from 'kysely';
import { canonicalJson } from '../../../domain/canonical-json.js';
import { insertRows } from '../../../db/insert-rows.js';
import type { Database, PersonAddressTable, PersonDetailHistoryTable, PersonIdentifierTable, PersonNameTable, PersonTable } from '../../../db/database.js';
import { normaliseIdentifier, normalisePostcode } from '../../../domain/matching/prepare.js';
import { normaliseName, normaliseText } from '../../../domain/matching/strings.js';
import type { MatchRecord } from '../../../domain/matching/types.js';
import { shownDetails, type DatePrecision, type DetailSource, type HeldSourceRecord, type ShownDetails, type ShownField } from '../../../domain/person-details.js';
import { MATCH_COLUMNS, matchRecordFromRow, matchRowOf, withHeldValues, type MatchRow } from './identity.candidates.js';
import { recordFromIncoming } from './incoming.js';
import { writeIndexEntries, type IndexEntry } from './match-index.js';
import type { IncomingPerson } from './resolve-person.js';

/** person.dob_accuracy for a date of birth of this precision. */
function dobAccuracyOf(date: string | null, precision: DatePrecision | undefined): string {
  if (!date) return 'unknown';
  return precision === 'month' || precision === 'year' ? precision : 'exact';
}

/** The person row made from an agency's record (names, identifiers and address follow as details). */
export function newPersonRow(id: string, incoming: IncomingPerson): Insertable<PersonTable> {
  return {
    id, date_of_birth: incoming.dateOfBirth, dob_accuracy: dobAccuracyOf(incoming.dateOfBirth, incoming.dateOfBirthPrecision), sex: incoming.sex,
    ethnicity: incoming.ethnicity, created_by_organisation_id: incoming.organisationId,
  };
}

/** A match record's date-of-birth precision field, present only for a month or year. */
const partialDob = (date: string | null, precision: string | undefined): Pick<MatchRecord, 'dateOfBirthPrecision'> =>
  (date && (precision === 'month' || precision === 'year') ? { dateOfBirthPrecision: precision } : {});

/**
 * The person newPersonRow makes, as loadMatchRecords would read it back before any detail is added,
 * or null when only the database can say (a date of birth it would write differently).
 */
export function newPersonAsHeld(incoming: IncomingPerson): MatchRecord | null {
  if (incoming.dateOfBirth !== null && !/^\d{4}-\d{2}-\d{2}$/.test(incoming.dateOfBirth)) return null;
  return {
    givenNames: null, familyName: null, otherNames: [], dateOfBirth: incoming.dateOfBirth, sex: incoming.sex,
    postcode: null, addressLine: null, identifiers: [], ...partialDob(incoming.dateOfBirth, incoming.dateOfBirthPrecision),
  };
}

/** A person as held with every agency's record of them: read before the shown details are chosen again. */
export interface HeldDetails {
  /** The latest version of each agency record linked to the person. */
  sources: HeldSourceRecord[];
  /** The kind of the organisation sending the record now. */
  incomingKind: string;
  person: { dateOfBirth: string | null; dobAccuracy: string; sex: string; ethnicity: string | null };
  /** Current names (valid_to empty) with their row ids. */
  names: { id: string; kind: string; givenNames: string | null; familyName: string | null }[];
  /** Current addresses with their row ids (`validFrom` as YYYY-MM-DD). */
  addresses: { id: string; line: string | null; postcode: string | null; borough: string | null; protected: boolean; validFrom: string | null }[];
  /** The latest history row of each field: its source record and value (an address: its row). */
  history: Partial<Record<ShownField, { sourceRecordRef: string | null; value: unknown; addressId: string | null }>>;
}

interface HeldRow extends MatchRow {
  sources: { ref: string; org: string; kind: string; at: string; data: IncomingPerson }[];
  current_names: { id: string; kind: string; g: string | null; f: string | null }[];
  addresses: { id: string; line: string | null; postcode: string | null; borough: string | null; protected: boolean; validFrom: string | null }[];
  history: { field: ShownField; ref: string | null; value: unknown; address: string | null }[];
  ethnicity: string | null;
}

/** A person as held (HeldDetails without the sender's kind). */
export type HeldPerson = Omit<HeldDetails, 'incomingKind'>;

/**
 * People as the matcher reads them (loadMatchRecords) and as held: their agency records (the latest version
 * of each), shown details and their latest history, in one statement for any number of people (an import
 * chunk reads every person it is likely to link to at once).
 */
export async function loadPeopleHeld(trx: Kysely<Database>, personIds: string[]): Promise<Map<string, { match: MatchRecord; held: HeldPerson }>> {
  const out = new Map<string, { match: MatchRecord; held: HeldPerson }>();
  if (!personIds.length) return out;
  const rows = (await sql<HeldRow>`SELECT ${MATCH_COLUMNS}, p.ethnicity,
      coalesce((SELECT json_agg(json_build_object('ref', s.id, 'org', s.organisation_id, 'kind', o.kind, 'at', v.received_at, 'data', v.person_data))
        FROM source_record s JOIN organisation o ON o.id = s.organisation_id
        CROSS JOIN LATERAL (SELECT x.received_at, x.person_data FROM source_record_version x WHERE x.source_record_ref = s.id ORDER BY x.received_at DESC LIMIT 1) v
        WHERE s.person_id = p.id), '[]'::json) AS sources,
      coalesce((SELECT json_agg(json_build_object('id', n.id, 'kind', n.kind, 'g', n.given_names, 'f', n.family_name) ORDER BY n.id)
        FROM person_name n WHERE n.person_id = p.id AND n.valid_to IS NULL), '[]'::json) AS current_names,
      coalesce((SELECT json_agg(json_build_object('id', a.id, 'line', a.line1, 'postcode', a.postcode, 'borough', a.borough, 'protected', a.protected, 'validFrom', to_char(a.valid_from, 'YYYY-MM-DD')) ORDER BY a.id)
        FROM person_address a WHERE a.person_id = p.id AND a.valid_to IS NULL), '[]'::json) AS addresses,
      coalesce((SELECT json_agg(json_build_object('field', h.field, 'ref', h.source_record_ref, 'value', h.value, 'address', h.address_id))
        FROM (SELECT DISTINCT ON (d.field) d.* FROM person_detail_history d WHERE d.person_id = p.id ORDER BY d.field, d.changed_at DESC, d.id) h), '[]'::json) AS history
    FROM person p WHERE p.id = ANY(${sql.val(personIds)}::uuid[])`.execute(trx)).rows;
  for (const row of rows) {
    out.set(row.id, {
      match: matchRecordFromRow(row),
      held: {
        sources: row.sources.map((x) => heldSourceOf(x.ref, x.org, x.kind, new Date(x.at).toISOString(), x.data)),
        person: { dateOfBirth: row.dob, dobAccuracy: row.dob_accuracy, sex: row.sex, ethnicity: row.ethnicity },
        names: row.current_names.map((n) => ({ id: n.id, kind: n.kind, givenNames: n.g, familyName: n.f })),
        addresses: row.addresses,
        history: Object.fromEntries(row.history.map((h) => [h.field, { sourceRecordRef: h.ref, value: h.value, addressId: h.address }])),
      },
    });
  }
  return out;
}

/** A person as loadPeopleHeld reads them. */
export interface PersonAsHeld {
  match: MatchRecord;
  held: HeldPerson;
}

/** A new person as loadPeopleHeld would read them once newPersonRow alone is written, or null when only the database can say. */
export function newPersonHeld(incoming: IncomingPerson): PersonAsHeld | null {
  const match = newPersonAsHeld(incoming);
  if (!match) return null;
  const row = newPersonRow('', incoming);
  return {
    match,
    held: { sources: [], person: { dateOfBirth: incoming.dateOfBirth, dobAccuracy: row.dob_accuracy!, sex: incoming.sex, ethnicity: incoming.ethnicity }, names: [], addresses: [], history: {} },
  };
}

/**
 * The person as loadPeopleHeld would read them once a plan is written (`source`: the agency record the
 * plan came from, as now held), so the batched resolver can add another record's details without
 * writing and reading the person back. Null when only the database can say (a date it would write
 * differently, two history rows or addresses equally recent): the person is then written and read.
 */
export function heldAfter(personId: string, before: PersonAsHeld, plan: DetailsPlan, source: HeldSourceRecord): PersonAsHeld | null {
  const was = before.held;
  const shown = plan.shown;
  const person = shown?.person
    ? { dateOfBirth: shown.person.date_of_birth, dobAccuracy: shown.person.dob_accuracy, sex: shown.person.sex, ethnicity: shown.person.ethnicity }
    : was.person;
  if (person.dateOfBirth !== null && !/^\d{4}-\d{2}-\d{2}$/.test(person.dateOfBirth)) return null;
  const kinds = new Map((shown?.nameKinds ?? []).map((k) => [k.id, k.kind]));
  const byId = <T extends { id: string }>(a: T, b: T) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const names = [
    ...was.names.map((n) => ({ ...n, kind: kinds.get(n.id) ?? n.kind })),
    ...plan.names.map((n) => ({ id: n.id!, kind: n.kind, givenNames: n.given_names ?? null, familyName: n.family_name ?? null })),
  ].sort(byId);
  const ended = new Set(shown?.endAddressIds ?? []);
  const a = plan.address;
  const addresses = [
    ...was.addresses.filter((x) => !ended.has(x.id)),
    ...(a ? [{ id: a.id!, line: a.line1 ?? null, postcode: a.postcode ?? null, borough: a.borough ?? null, protected: false, validFrom: (a.valid_from as string | null | undefined) ?? null }] : []),
  ].sort(byId);
  const sources = [...was.sources.filter((x) => x.sourceRecordRef !== source.sourceRecordRef), source];
  // The latest history row of each field (DISTINCT ON field, latest changed_at; a tie is the database's to break).
  const history = { ...was.history };
  const latest = new Map<string, Insertable<PersonDetailHistoryTable>[]>();
  for (const h of shown?.history ?? []) {
    const at = String(h.changed_at);
    const top = latest.get(h.field);
    const topAt = top ? String(top[0]!.changed_at) : null;
    if (!top || Date.parse(at) > Date.parse(topAt!)) latest.set(h.field, [h]);
    else if (Date.parse(at) === Date.parse(topAt!)) top.push(h);
  }
  for (const [field, rows] of latest) {
    if (rows.length > 1) return null;
    const h = rows[0]!;
    history[field as ShownField] = { sourceRecordRef: h.source_record_ref ?? null, value: h.value == null ? null : JSON.parse(h.value as string), addressId: h.address_id ?? null };
  }
  const row = matchRowOf({
    id: personId, dateOfBirth: person.dateOfBirth, dobAccuracy: person.dobAccuracy, sex: person.sex,
    names, identifiers: [...before.match.identifiers, ...plan.identifiers.map((i) => ({ scheme: i.scheme as MatchRecord['identifiers'][number]['scheme'], value: i.value }))],
    addresses,
    sources: sources.map((x) => ({ sourceRecordRef: x.sourceRecordRef, dateOfBirth: x.dateOfBirth, dateOfBirthPrecision: x.dateOfBirthPrecision, postcode: x.postcode, addressLine: x.addressLine })),
  });
  if (!row) return null;
  return { match: matchRecordFromRow(row), held: { sources, person, names, addresses, history } };
}

/** The kind of an organisation (the precedence rule ranks a record by it); 'other' if it is unknown. */
export async function organisationKind(trx: Kysely<Database>, organisationId: string): Promise<string> {
  const row = await trx.selectFrom('organisation').select('kind').where('id', '=', organisationId).executeTakeFirst();
  return row?.kind ?? 'other';
}

/** An agency's record as the precedence rule reads it. */
export function heldSourceOf(ref: string, organisationId: string, organisationKind: string, receivedAt: string, p: IncomingPerson): HeldSourceRecord {
  return {
    sourceRecordRef: ref, organisationId, organisationKind, receivedAt,
    givenNames: p.givenNames, familyName: p.familyName, dateOfBirth: p.dateOfBirth,
    dateOfBirthPrecision: p.dateOfBirthPrecision === 'month' || p.dateOfBirthPrecision === 'year' ? p.dateOfBirthPrecision : 'day',
    sex: p.sex, ethnicity: p.ethnicity, postcode: p.postcode, addressLine: p.addressLine, borough: p.borough,
  };
}

/** The agency record being resolved now, for choosing the shown details again. */
export interface ShownInput {
  held: HeldDetails;
  sourceRecordRef: string;
  /** When its version is received (the version row's received_at, ISO 8601). */
  receivedAt: string;
}

/** Changes to a person's shown details: the person row, which name is legal, the current address, and the history. */
export interface ShownPlan {
  person: { id: string; date_of_birth: string | null; dob_accuracy: string; sex: string; ethnicity: string | null } | null;
  /** person_name rows whose kind changes (the old legal name becomes an alias; the winning name becomes legal). */
  nameKinds: { id: string; kind: string }[];
  /** Current addresses that end today (another is shown now). */
  endAddressIds: string[];
  history: Insertable<PersonDetailHistoryTable>[];
}

/** What adding an agency's details to a person writes: rows, and the person's index entry afterwards. */
export interface DetailsPlan {
  personId: string;
  names: Insertable<PersonNameTable>[];
  identifiers: Insertable<PersonIdentifierTable>[];
  address: Insertable<PersonAddressTable> | null;
  /** The person as held once the rows are written, indexed with the keys of the agency's own record too. */
  index: IndexEntry & { alsoFrom: MatchRecord };
  /** Changes to the shown details, when they were chosen again from every agency's record. */
  shown: ShownPlan | null;
}

const nameKey = (g: string | null | undefined, f: string | null | undefined) => `${normaliseName(g ?? null) ?? ''}|${normaliseName(f ?? null) ?? ''}`;
const addressKey = (line: string | null, postcode: string | null) => `${normaliseText(line) ?? ''}|${normalisePostcode(postcode) ?? ''}`;
// Values compared as stored (jsonb): the order of an object's keys does not matter.
const sameJson = (a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b);

/**
 * Plans adding what an agency knows and the person record lacks (pure): names, identifiers and an
 * address it does not already hold (each marked with the organisation that recorded it), and the
 * match index entry. `existing` is the person as loadMatchRecords reads them. With `shownInput` (a
 * record linked to a person already held), the shown details are chosen again from every agency's
 * record (planShown); without it (a new person), the record's own details are the person's.
 */
export function planDetails(personId: string, existing: MatchRecord, incoming: IncomingPerson, shownInput?: ShownInput): DetailsPlan {
  const org = incoming.organisationId;
  const held = new Set([nameKey(existing.givenNames, existing.familyName), ...existing.otherNames.map((n) => nameKey(n.givenNames, n.familyName))]);
  const hasLegal = existing.givenNames !== null || existing.familyName !== null;
  const names: { id: string; kind: string; given_names: string | null; family_name: string | null }[] = [];
  const offer = (kind: string, g: string | null, f: string | null) => {
    const k = nameKey(g, f);
    if ((g === null && f === null) || held.has(k)) return;
    held.add(k);
    names.push({ id: randomUUID(), kind, given_names: g, family_name: f });
  };
  // A different spelling from another agency is kept as an alias (the precedence rule may then make it the legal name).
  offer(hasLegal ? 'alias' : 'legal', incoming.givenNames, incoming.familyName);
  for (const n of incoming.otherNames ?? []) offer(n.kind, n.givenNames, n.familyName);
  const heldIds = new Set(existing.identifiers.map((i) => `${i.scheme}:${normaliseIdentifier(i.value)}`));
  const ids = incoming.identifiers.filter((i) => {
    const k = `${i.scheme}:${normaliseIdentifier(i.value)}`;
    if (heldIds.has(k) || normaliseIdentifier(i.value) === '') return false;
    heldIds.add(k);
    return true;
  });
  // A new person takes the record's address; a person already held has it chosen by the precedence rule.
  const addressAdded = !shownInput && Boolean((incoming.postcode || incoming.addressLine) && existing.postcode === null && existing.addressLine === null);
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
  const plan: DetailsPlan = {
    personId,
    names: names.map((n) => ({ ...n, person_id: personId, recorded_by_organisation_id: org })),
    identifiers: ids.map((i) => ({ person_id: personId, scheme: i.scheme, value: normaliseIdentifier(i.value), issuer_organisation_id: org })),
    address: addressAdded
      ? { id: randomUUID(), person_id: personId, line1: incoming.addressLine, postcode: incoming.postcode, borough: incoming.borough, town: null, valid_from: null, valid_to: null, recorded_by_organisation_id: org }
      : null,
    index: { personId, record: now, alsoFrom: recordFromIncoming(incoming) },
    shown: null,
  };
  return shownInput ? planShown(plan, incoming, shownInput) : plan;
}

/**
 * Chooses the person's shown details again from every agency's record (shownDetails, the precedence
 * rule), with the record resolved now in place of its earlier version, and plans the changes: the
 * person row, which name is the legal one, the current address (a protected address is never replaced
 * by an agency's record), a history row for each detail whose value or source changed (the first time,
 * also the value shown before, from the records held before), and the person as the match index reads
 * them afterwards.
 */
function planShown(plan: DetailsPlan, incoming: IncomingPerson, input: ShownInput): DetailsPlan {
  const { held } = input;
  const personId = plan.personId;
  const before = held.sources.filter((r) => r.sourceRecordRef !== input.sourceRecordRef);
  const all = [...before, heldSourceOf(input.sourceRecordRef, incoming.organisationId, held.incomingKind, input.receivedAt, incoming)];
  const shown = shownDetails(all);
  const previously = before.length ? shownDetails(before) : null;
  const record: MatchRecord = { ...plan.index.record };
  const history: Insertable<PersonDetailHistoryTable>[] = [];
  const row = (field: ShownField, value: unknown, source: DetailSource, addressId: string | null, at: string) => history.push({
    person_id: personId, field, value: value === null ? null : JSON.stringify(value), address_id: addressId,
    source_record_ref: source.sourceRecordRef, organisation_id: source.organisationId, source_received_at: source.receivedAt, changed_at: at,
  });
  type Shown = { value: unknown; source: DetailSource; addressId: string | null };
  const differs = (field: ShownField, a: { sourceRecordRef: string | null; value: unknown; addressId: string | null }, b: Shown) =>
    a.sourceRecordRef !== b.source.sourceRecordRef || (field === 'address' ? a.addressId !== b.addressId : !sameJson(a.value, b.value));
  // A row when the value or its source changed; the first time a detail is chosen, the value shown before too.
  const track = (field: ShownField, now: Shown, earlier: Shown | null) => {
    const last = held.history[field];
    if (last) {
      if (differs(field, last, now)) row(field, now.value, now.source, now.addressId, input.receivedAt);
      return;
    }
    if (earlier && differs(field, { sourceRecordRef: earlier.source.sourceRecordRef, value: earlier.value, addressId: earlier.addressId }, now)) {
      row(field, earlier.value, earlier.source, earlier.addressId, earlier.source.receivedAt);
    }
    row(field, now.value, now.source, now.addressId, input.receivedAt);
  };

  // Name: the winning spelling is the legal name; the one it replaces stays as an alias.
  const nameKinds: { id: string; kind: string }[] = [];
  if (shown.name) {
    const { givenNames, familyName } = shown.name.value;
    const key = nameKey(givenNames, familyName);
    const legal = held.names.find((n) => n.kind === 'legal') ?? null;
    const addedLegal = plan.names.find((n) => n.kind === 'legal');
    const legalNow = legal ? nameKey(legal.givenNames, legal.familyName) : addedLegal ? nameKey(addedLegal.given_names, addedLegal.family_name) : null;
    if (legalNow !== key) {
      if (legal) nameKinds.push({ id: legal.id, kind: 'alias' });
      if (addedLegal) addedLegal.kind = 'alias';
      const heldRow = held.names.find((n) => n.id !== legal?.id && nameKey(n.givenNames, n.familyName) === key);
      const plannedRow = plan.names.find((n) => nameKey(n.given_names, n.family_name) === key);
      if (heldRow) nameKinds.push({ id: heldRow.id, kind: 'legal' });
      else if (plannedRow) plannedRow.kind = 'legal';
      else plan.names.push({ id: randomUUID(), person_id: personId, kind: 'legal', given_names: givenNames, family_name: familyName, recorded_by_organisation_id: shown.name.source.organisationId });
      // As the match index reads the person: the winning name first, every other current name after.
      const all = [record.givenNames !== null || record.familyName !== null ? { givenNames: record.givenNames, familyName: record.familyName } : null, ...record.otherNames]
        .filter((n): n is { givenNames: string | null; familyName: string | null } => n !== null && nameKey(n.givenNames, n.familyName) !== key);
      record.givenNames = givenNames;
      record.familyName = familyName;
      record.otherNames = all;
    }
    const was = previously?.name;
    track('name', { value: shown.name.value, source: shown.name.source, addressId: null }, was ? { value: was.value, source: was.source, addressId: null } : null);
  }

  // Date of birth, sex and ethnicity: on the person row; a field no agency knows keeps what is held.
  const p = held.person;
  const dob = shown.date_of_birth;
  const next = {
    id: personId,
    date_of_birth: dob ? dob.value.date : p.dateOfBirth,
    dob_accuracy: dob ? (dob.value.precision === 'day' ? 'exact' : dob.value.precision) : p.dobAccuracy,
    sex: shown.sex ? shown.sex.value : p.sex,
    ethnicity: shown.ethnicity ? shown.ethnicity.value : p.ethnicity,
  };
  const personChanged = next.date_of_birth !== p.dateOfBirth || next.dob_accuracy !== p.dobAccuracy || next.sex !== p.sex || next.ethnicity !== p.ethnicity;
  record.dateOfBirth = next.date_of_birth;
  delete record.dateOfBirthPrecision;
  Object.assign(record, partialDob(next.date_of_birth, next.dob_accuracy));
  record.sex = next.sex as MatchRecord['sex'];
  const valueOf = (field: 'date_of_birth' | 'sex' | 'ethnicity', d: ShownDetails): unknown => d[field]?.value ?? null;
  for (const field of ['date_of_birth', 'sex', 'ethnicity'] as const) {
    const d = shown[field];
    if (!d) continue;
    const was = previously?.[field];
    track(field, { value: valueOf(field, shown), source: d.source, addressId: null }, was ? { value: valueOf(field, previously!), source: was.source, addressId: null } : null);
  }

  // Address: the newest agency record's, unless a protected address is current (never replaced by a record).
  const endAddressIds: string[] = [];
  if (shown.address && !held.addresses.some((a) => a.protected)) {
    const { line, postcode, borough } = shown.address.value;
    const key = addressKey(line, postcode);
    let addressId = held.addresses.find((a) => addressKey(a.line, a.postcode) === key)?.id ?? null;
    if (!addressId) {
      endAddressIds.push(...held.addresses.map((a) => a.id));
      addressId = randomUUID();
      plan.address = {
        id: addressId, person_id: personId, line1: line, postcode, borough, town: null, valid_from: input.receivedAt.slice(0, 10), valid_to: null,
        recorded_by_organisation_id: shown.address.source.organisationId,
      };
      record.postcode = postcode;
      record.addressLine = line;
    }
    const was = previously?.address;
    const wasRow = was ? held.addresses.find((a) => addressKey(a.line, a.postcode) === addressKey(was.value.line, was.value.postcode)) : undefined;
    track('address', { value: null, source: shown.address.source, addressId }, was && wasRow ? { value: null, source: was.source, addressId: wasRow.id } : null);
  }

  // The match profile: the shown values, and every other date of birth and address an agency's record
  // holds (compared too: a shown value chosen from another agency must not hide the one a record agrees with).
  const profile = withHeldValues(record, all.map((r) => ({
    sourceRecordRef: r.sourceRecordRef, dateOfBirth: r.dateOfBirth, dateOfBirthPrecision: r.dateOfBirthPrecision, postcode: r.postcode, addressLine: r.addressLine,
  })));
  return {
    ...plan,
    index: { ...plan.index, record: profile },
    shown: { person: personChanged ? next : null, nameKinds, endAddressIds, history },
  };
}

/** Writes new people and planned details, a few statements for any number of them, in the caller's transaction. */
export async function writePeople(trx: Kysely<Database>, people: Insertable<PersonTable>[], plans: DetailsPlan[]): Promise<void> {
  await insertRows(trx, 'person', people);
  await insertRows(trx, 'person_name', plans.flatMap((p) => p.names));
  await insertRows(trx, 'person_identifier', plans.flatMap((p) => p.identifiers));
  await insertRows(trx, 'person_address', plans.flatMap((p) => (p.address ? [p.address] : [])));
  // Shown details chosen again: the person rows, which names are legal, and addresses no longer current.
  // Plans are in order: a person or name changed by two of them is written as the last left it.
  const shown = plans.flatMap((p) => (p.shown ? [p.shown] : []));
  const lastOf = <T extends { id: string }>(rows: T[]) => [...new Map(rows.map((r) => [r.id, r])).values()];
  const changed = lastOf(shown.flatMap((s) => (s.person ? [s.person] : [])));
  if (changed.length) {
    await sql`UPDATE person p SET date_of_birth = v.dob::date, dob_accuracy = v.accuracy, sex = v.sex, ethnicity = v.ethnicity
      FROM unnest(${changed.map((x) => x.id)}::uuid[], ${changed.map((x) => x.date_of_birth)}::text[], ${changed.map((x) => x.dob_accuracy)}::text[],
        ${changed.map((x) => x.sex)}::text[], ${changed.map((x) => x.ethnicity)}::text[]) AS v(id, dob, accuracy, sex, ethnicity)
      WHERE p.id = v.id`.execute(trx);
  }
  const kinds = lastOf(shown.flatMap((s) => s.nameKinds));
  if (kinds.length) {
    await sql`UPDATE person_name n SET kind = v.kind FROM unnest(${kinds.map((k) => k.id)}::uuid[], ${kinds.map((k) => k.kind)}::text[]) AS v(id, kind)
      WHERE n.id = v.id`.execute(trx);
  }
  const ended = shown.flatMap((s) => s.endAddressIds);
  if (ended.length) await trx.updateTable('person_address').set({ valid_to: sql<string>`current_date` }).where('id', 'in', ended).execute();
  if (plans.length) await writeIndexEntries(trx, plans.map((p) => p.index));
}

/** Writes the history rows of the shown details these plans changed (once their source records exist). */
export async function writeDetailHistory(trx: Kysely<Database>, plans: DetailsPlan[]): Promise<void> {
  await insertRows(trx, 'person_detail_history', plans.flatMap((p) => p.shown?.history ?? []));
}
