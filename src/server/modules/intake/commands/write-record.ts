import { createHash, randomUUID } from 'node:crypto';
import type { Insertable, Kysely } from 'kysely';
import type { Database, IntakeRecordTable } from '../../../../db/database.js';
import { canonicalJson } from '../../../../domain/canonical-json.js';
import { isValidNhsNumber, isValidUpn } from '../../../../domain/identifiers.js';
import { normaliseIdentifier } from '../../../../domain/matching/prepare.js';
import type { Actor } from '../../../actor.js';
import type { FieldProblem, IncomingPersonData, IntakeItem, IntakeRecord } from '../../../../intake/types.js';
import type { AccessRecord } from '../../../audit/record-access.js';
import { newAnnouncement, type EntryAnnouncement, type NewEntry } from '../../chronology/commands/append-entry.js';
import type { PersonResolver } from '../../identity/person-resolver.js';
import type { IncomingPerson, Resolution } from '../../identity/resolve-person.js';
import { visiblePersonIds } from '../../people/people.policy.js';
import type { BatchContext } from './batch-context.js';
import type { EntryNetwork } from './write-network.js';

/** What became of one received record. */
export interface RowResult {
  outcome: 'new' | 'updated' | 'unchanged' | 'rejected';
  personOutcome: Resolution['outcome'] | null;
  personId: string | null;
  eventId: string | null;
  reviewItemId: string | null;
  /** What became of the other people named in the record (witnesses, victims, ...). */
  others: { personId: string; outcome: Resolution['outcome'] }[];
  errors: FieldProblem[];
  /** What the sender is told about an accepted record beyond its outcome (never who a person is). */
  notes: FieldProblem[];
}

/** The latest stored version of a source record. */
export interface LatestVersion {
  hash: string;
  personId: string;
  eventId: string | null;
}

/** Changes a chunk makes to the batch's memory, applied only once the chunk commits. */
export interface ChunkOverlay {
  latest: Map<string, LatestVersion>;
  seen: Map<string, { hash: string; row: number }>;
  knownSources: Set<string>;
  /** The chunk's new entries, announced (one outbox row) when the chunk is written. */
  announcement: EntryAnnouncement;
  access: AccessRecord[];
  /** The chunk's entries and intake records, written together (appendEntries) once its records are resolved. */
  entries: NewEntry[];
  intakeRecords: Insertable<IntakeRecordTable>[];
  /** Whether an entry a new version would supersede is still held (an erased one is not), by event id. */
  entriesHeld: Map<string, boolean>;
  /** The places, relationships and online handles the chunk's entries carry, written after the entries. */
  networks: EntryNetwork[];
}

/** A fresh overlay for one chunk. */
export function newOverlay(): ChunkOverlay {
  return { latest: new Map(), seen: new Map(), knownSources: new Set(), announcement: newAnnouncement(), access: [], entries: [], intakeRecords: [], entriesHeld: new Map(), networks: [] };
}

/** The key of a source record within an organisation. */
export const sourceKey = (sourceSystem: string, recordId: string) => `${sourceSystem}\u0000${recordId}`;

const hashes = new WeakMap<IntakeRecord, string>();

/** A stable hash of a record's content (the same record sent twice hashes the same). */
export function contentHashOf(record: IntakeRecord): string {
  const known = hashes.get(record);
  if (known) return known;
  const hash = createHash('sha256').update(canonicalJson(record)).digest('hex');
  hashes.set(record, hash);
  return hash;
}

const reject = (errors: FieldProblem[]): RowResult => ({ outcome: 'rejected', personOutcome: null, personId: null, eventId: null, reviewItemId: null, others: [], errors, notes: [] });

/** A person named in a record, as identity resolution receives them. */
export function toIncoming(ctx: BatchContext, sourceSystem: string, p: IncomingPersonData): IncomingPerson {
  return {
    organisationId: ctx.organisationId, sourceSystem, sourceRecordId: p.recordId,
    givenNames: p.givenNames, familyName: p.familyName, otherNames: p.otherNames, dateOfBirth: p.dateOfBirth,
    ...(p.dateOfBirthPrecision ? { dateOfBirthPrecision: p.dateOfBirthPrecision } : {}),
    sex: p.sex, ethnicity: p.ethnicity, identifiers: p.identifiers, postcode: p.postcode, addressLine: p.addressLine, borough: p.borough,
  };
}

function typeAndFactors(ctx: BatchContext, record: IntakeRecord): { code: string; version: string; factors: string[] } | FieldProblem[] {
  const e = record.event!;
  let code = e.code;
  let factors = e.factorCodes;
  if (!code && e.agencyCode) {
    const mapped = ctx.mappings.get(e.agencyCode);
    if (!mapped) return [{ field: 'event.agencyCode', reason: `"${e.agencyCode}" is not in your organisation's code table: map it to a vocabulary code on the code mappings page, then import the file again` }];
    code = mapped.eventTypeCode;
    factors = [...new Set([...factors, ...mapped.factorCodes])];
  }
  const version = code ? ctx.eventTypes.get(code) : undefined;
  if (!code || !version) return [{ field: 'event.code', reason: `"${code}" is not an event type in the vocabulary` }];
  const unknown = factors.filter((f) => !ctx.factors.has(f));
  if (unknown.length) return [{ field: 'event.factorCodes', reason: `not in the vocabulary: ${unknown.join(', ')}` }];
  return { code, version, factors };
}

/** The sender as the visibility rules see it: the signed-in user or the system; the command line acts as the organisation's system. */
function senderOf(ctx: BatchContext): Actor {
  return ctx.actor ?? { kind: 'system', apiKeyId: '', organisationId: ctx.organisationId, organisationName: ctx.organisationName };
}

/** Whether the sender could already see this person (a relationship it held before the record arrived). */
async function senderSees(trx: Kysely<Database>, ctx: BatchContext, personId: string): Promise<boolean> {
  const row = await trx.selectFrom('person').select('id').where('id', '=', personId)
    .where('id', 'in', visiblePersonIds(trx, senderOf(ctx))).executeTakeFirst();
  return row !== undefined;
}

/** Strong agreement: a valid NHS number or UPN in the record equals one the person already holds. */
async function identifierAgrees(trx: Kysely<Database>, personId: string, identifiers: IncomingPerson['identifiers']): Promise<boolean> {
  const strong = identifiers
    .filter((i) => (i.scheme === 'nhs_number' && isValidNhsNumber(i.value)) || (i.scheme === 'upn' && isValidUpn(i.value)))
    .map((i) => ({ scheme: i.scheme, value: normaliseIdentifier(i.value) }));
  if (!strong.length) return false;
  const row = await trx.selectFrom('person_identifier').select('id').where('person_id', '=', personId)
    .where((eb) => eb.or(strong.map((i) => eb.and([eb('scheme', '=', i.scheme), eb('value', '=', i.value)]))))
    .executeTakeFirst();
  return row !== undefined;
}

async function personIsKnown(trx: Kysely<Database>, ctx: BatchContext, overlay: ChunkOverlay, sourceSystem: string, recordId: string): Promise<boolean> {
  const key = sourceKey(sourceSystem, recordId);
  if (ctx.knownSources.has(key) || overlay.knownSources.has(key) || ctx.latest.has(key) || overlay.latest.has(key)) return true;
  const row = await trx.selectFrom('intake_record').select('id').where('organisation_id', '=', ctx.organisationId)
    .where('source_system', '=', sourceSystem).where('source_record_id', '=', recordId).limit(1).executeTakeFirst();
  if (row) overlay.knownSources.add(key);
  return Boolean(row);
}

/** Whether an entry is still held (an entry may be erased under a retention decision). */
async function entryHeld(trx: Kysely<Database>, overlay: ChunkOverlay, eventId: string): Promise<boolean> {
  const known = overlay.entriesHeld.get(eventId);
  if (known !== undefined) return known;
  const held = (await trx.selectFrom('event').select('id').where('id', '=', eventId).executeTakeFirst()) !== undefined;
  overlay.entriesHeld.set(eventId, held);
  return held;
}

/**
 * The place, relationships and online handles a record's entry carries, with the record's people
 * named by their Jigsaw records (a person reference is the first person of the record with that
 * record id). A relationship whose two people resolved to one record is not kept: saying so would
 * tell the sender who someone is.
 */
function networkOf(record: IntakeRecord, eventId: string, subjectId: string, otherIds: string[]): EntryNetwork | null {
  if (!record.place && !record.relationships?.length && !record.person.onlineHandles && !record.otherPeople.some((o) => o.person.onlineHandles)) return null;
  const people = [{ data: record.person, personId: subjectId }, ...record.otherPeople.map((o, i) => ({ data: o.person, personId: otherIds[i]! }))];
  const byRef = new Map<string, string>();
  for (const p of people) if (!byRef.has(p.data.recordId)) byRef.set(p.data.recordId, p.personId);
  const relationships = (record.relationships ?? []).flatMap((r) => {
    const personId = byRef.get(r.from);
    const relatedPersonId = byRef.get(r.to);
    return personId && relatedPersonId && personId !== relatedPersonId ? [{ ...r, personId, relatedPersonId }] : [];
  });
  const handles = people.flatMap((p) => (p.data.onlineHandles ?? []).map((h) => ({ personId: p.personId, platform: h.platform, handle: h.handle })));
  return { eventId, place: record.place ?? null, relationships, handles };
}

/**
 * Stores one received record inside the chunk's transaction: resolves its people (through the chunk's
 * resolver), writes or supersedes its event, and notes the version. The entry and the intake record
 * are collected in the overlay and written with the rest of the chunk.
 */
export async function writeRecord(trx: Kysely<Database>, ctx: BatchContext, overlay: ChunkOverlay, people: PersonResolver, item: IntakeItem, prior: LatestVersion | undefined): Promise<RowResult> {
  const record = item.record;
  if (!record) return reject(item.errors);
  if (record.organisationId && record.organisationId !== ctx.organisationId) {
    return reject([{ field: 'organisation', reason: 'names a different organisation from the one this import is for' }]);
  }
  const typed = record.event ? typeAndFactors(ctx, record) : null;
  if (Array.isArray(typed)) return reject(typed);

  const key = sourceKey(record.sourceSystem, record.recordId);
  const hash = contentHashOf(record);
  const earlier = overlay.seen.get(key) ?? ctx.seen.get(key);
  if (earlier?.hash === hash) return reject([{ field: 'recordId', reason: `duplicates line ${earlier.row} (same record id and content), so it was not imported twice` }]);
  overlay.seen.set(key, { hash, row: item.row });

  if (record.requiresKnownPerson && !(await personIsKnown(trx, ctx, overlay, record.sourceSystem, record.requiresKnownPerson))) {
    return reject([{ field: 'CHILD', reason: 'is not in a header table in this import or an earlier one: import the header table with it' }]);
  }
  const latest = overlay.latest.get(key) ?? ctx.latest.get(key) ?? prior;
  if (latest?.hash === hash) {
    return { outcome: 'unchanged', personOutcome: null, personId: latest.personId, eventId: latest.eventId, reviewItemId: null, others: [], errors: [], notes: [] };
  }

  // The subject is resolved as before; being linked gives the sender no relationship with the child
  // (its entries are stored with its organisation; access comes only from a relationship a person confirms).
  const subject = await people.resolve(toIncoming(ctx, record.sourceSystem, record.person));
  // Another person named in the record (a victim, a suspect) joins an existing person's record only
  // if the sender could already see that person, or a valid NHS number or UPN agrees exactly;
  // otherwise the possible match goes to identity review and the entry names a separate record.
  const others: { personId: string; role: string; outcome: Resolution['outcome'] }[] = [];
  const notes: FieldProblem[] = [];
  for (const [i, o] of record.otherPeople.entries()) {
    const incoming = toIncoming(ctx, record.sourceSystem, o.person);
    const r = await people.resolve(incoming, {
      mayLink: async (personId) => (await senderSees(trx, ctx, personId)) || (await identifierAgrees(trx, personId, incoming.identifiers)),
    });
    others.push({ personId: r.personId, role: o.role, outcome: r.outcome });
    if (r.outcome === 'review') {
      notes.push({ field: `otherPeople.${i}`, reason: `the ${o.role} was not linked to an existing person's record: identity review decides whether they are someone already known` });
    }
  }

  let eventId: string | null = null;
  if (record.event && typed) {
    const e = record.event;
    // The earlier entry may have been erased under a retention decision: then this one stands alone.
    const supersedes = latest?.eventId && (await entryHeld(trx, overlay, latest.eventId)) ? latest.eventId : null;
    const named = [{ personId: subject.personId, role: record.role }, ...others.map((o) => ({ personId: o.personId, role: o.role }))];
    eventId = randomUUID();
    overlay.entriesHeld.set(eventId, true);
    const network = networkOf(record, eventId, subject.personId, others.map((o) => o.personId));
    if (network) overlay.networks.push(network);
    overlay.entries.push({
      id: eventId, organisationId: ctx.organisationId, eventTypeCode: typed.code, vocabularyVersion: typed.version, occurredAt: e.occurredAt, occurredPrecision: e.precision,
      ...(e.recordedAt ? { recordedAt: e.recordedAt } : {}),
      recordedByUserId: ctx.actor?.kind === 'user' ? ctx.actor.userId : null, apiKeyId: ctx.actor?.kind === 'system' ? ctx.actor.apiKeyId : null,
      recordedVia: 'import', sourceSystem: record.sourceSystem, sourceRecordId: record.recordId,
      summary: e.summary, narrative: e.narrative, place: e.place, factorCodes: typed.factors, sensitivity: e.sensitivity, reliability: e.reliability,
      supersedes, correctionReason: supersedes ? (e.correctionReason ?? 'Updated by source system') : null, people: named,
      restriction: e.sensitivity === 'restricted' ? (e.restriction ?? { contact: `${ctx.organisationName} (${record.sourceSystem})`, reason: 'Marked restricted by the source system' }) : null,
      grading: e.grading
        ? { system: e.grading.system, sourceEvaluation: e.grading.sourceEvaluation, intelligenceEvaluation: e.grading.intelligenceEvaluation, handlingCode: e.grading.handlingCode, handlingConditions: e.grading.handlingConditions }
        : null,
      audit: {
        actor: ctx.actor, action: latest?.eventId ? 'event.correct' : 'event.record', personId: subject.personId,
        route: ctx.route, outcome: 'allowed', ...(ctx.requestId ? { requestId: ctx.requestId } : {}),
        detail: {
          via: 'import', batchId: ctx.batchId, organisationId: ctx.organisationId, row: item.row, otherPersonIds: others.map((o) => o.personId),
          ...(network ? { place: network.place !== null, relationships: network.relationships.length, onlineHandles: network.handles.length } : {}),
        },
      },
    });
  }
  overlay.intakeRecords.push({
    organisation_id: ctx.organisationId, source_system: record.sourceSystem, source_record_id: record.recordId,
    content_hash: hash, person_id: subject.personId, event_id: eventId, batch_id: ctx.batchId,
  });
  overlay.latest.set(key, { hash, personId: subject.personId, eventId: eventId ?? latest?.eventId ?? null });
  // An entry's access-log rows are written with the entry; a record naming only people is logged here,
  // one row on each named person's log.
  if (!eventId) {
    for (const personId of new Set([subject.personId, ...others.map((o) => o.personId)])) {
      overlay.access.push({
        actor: ctx.actor, action: 'intake.person', personId,
        route: ctx.route, outcome: 'allowed', ...(ctx.requestId ? { requestId: ctx.requestId } : {}),
        detail: { via: 'import', batchId: ctx.batchId, organisationId: ctx.organisationId, row: item.row, eventId, subjectId: subject.personId, otherPersonIds: others.map((o) => o.personId) },
      });
    }
  }
  return {
    outcome: latest ? 'updated' : 'new', personOutcome: subject.outcome, personId: subject.personId, eventId,
    reviewItemId: subject.reviewItemId, others: others.map((o) => ({ personId: o.personId, outcome: o.outcome })), errors: [], notes,
  };
}
