/**
 * The one way an entry enters a chronology. Every writer (the form, the API, intake, seeding)
 * calls appendEntry or appendEntries inside its own transaction, and the entry is written with
 * everything that belongs to it: the event, its people and their roles, its restriction and
 * grants, its grading, its access-log row, and the outbox row that makes the rules (and later
 * alerts) react to it once it has committed.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Insertable, type Kysely } from 'kysely';
import type { Database, EventTable } from '../../../../db/database.js';
import { insertRows } from '../../../../db/insert-rows.js';
import type { Actor } from '../../../actor.js';
import { recordAccessMany, type AccessRecord } from '../../../audit/record-access.js';
import { ValidationError } from '../../../errors.js';
import { enqueueMany } from '../../../outbox/outbox.js';
import { visiblePersonIds } from '../../people/people.policy.js';
import { isUuid } from '../../../request.js';

/** Roles a person can have in an event. */
export const EVENT_PERSON_ROLES = ['subject', 'victim', 'suspect', 'witness', 'associate', 'parent', 'affected'] as const;
/** How precisely the date of an event is known. */
export const PRECISIONS = ['time', 'date', 'month', 'approximate'] as const;

/** The outbox kind written for newly committed entries: payload { eventIds, personIds }. */
/**
 * How long the processors of new entries (rules, alerts, missing episodes, incidents) gather announcements
 * once woken, so an import's chunks are taken a few at a time rather than one each; small beside any deadline.
 */
export const ENTRIES_GATHER_MS = 200;

export const ENTRIES_RECORDED = 'chronology.entries_recorded';
/**
 * The same announcement for the alerts: each reaction to new entries has an outbox row of its own,
 * so one that fails (an alert) is retried without running the other (the rules) again.
 */
export const ENTRIES_RECORDED_FOR_ALERTS = 'chronology.entries_recorded.alerts';
/** The same announcement for missing episodes: an imported missing_episode entry gets its structured episode. */
export const ENTRIES_RECORDED_FOR_MISSING = 'chronology.entries_recorded.missing';
/** The same announcement for incidents: records of one happening are linked, and a serious one starts a critical-moment response. */
export const ENTRIES_RECORDED_FOR_INCIDENTS = 'chronology.entries_recorded.incidents';

/** What the outbox carries about new entries. */
export interface EntriesRecordedPayload {
  eventIds: string[];
  personIds: string[];
}

/** What a practitioner or a system records. */
export interface RecordEventInput {
  personId: string;
  personRole?: (typeof EVENT_PERSON_ROLES)[number];
  eventTypeCode: string;
  occurredAt: Date;
  occurredPrecision: (typeof PRECISIONS)[number];
  summary: string;
  narrative?: string | null;
  place?: string | null;
  factorCodes?: string[];
  sensitivity?: 'standard' | 'restricted';
  reliability?: 'confirmed' | 'reported' | 'unverified';
  sourceSystem: string;
  sourceRecordId?: string | null;
  otherPeople?: { personId: string; role: (typeof EVENT_PERSON_ROLES)[number] }[];
  supersedes?: string | null;
  correctionReason?: string | null;
  /** For a restricted entry: whom others should ask, and the people or roles who may see it. */
  restriction?: { contact: string; reason?: string | null; grantUserIds?: string[]; grantRoles?: { role: string; organisationId: string | null }[] } | null;
}

/** Where the write came from, for provenance and the access log. */
export interface WriteMeta {
  via: 'form' | 'api';
  route: string;
  requestId: string;
}

/** An entry as stored, after its writer's own checks. */
export interface NewEntry {
  /** Given by writers that must know the id before writing (seeding); otherwise made here. */
  id?: string;
  organisationId: string;
  eventTypeCode: string;
  vocabularyVersion: string;
  occurredAt: Date | string;
  occurredPrecision: string;
  recordedAt?: Date | string;
  recordedByUserId: string | null;
  apiKeyId: string | null;
  recordedVia: string;
  sourceSystem: string;
  sourceRecordId: string | null;
  summary: string;
  narrative: string | null;
  place: string | null;
  factorCodes: string[];
  sensitivity: string;
  reliability: string;
  supersedes: string | null;
  correctionReason: string | null;
  people: { personId: string; role: string }[];
  restriction?: { contact: string; reason: string | null; grants?: { userId: string | null; role: string | null; organisationId: string | null }[] } | null;
  grading?: { system: string; sourceEvaluation: string; intelligenceEvaluation: string; handlingCode: string; handlingConditions: string | null } | null;
  /**
   * The entry's access-log row (its event id is added to the detail), written once for the person it
   * names as `personId` and once for every other person in `people`; null when the caller logs the
   * write as a whole (seeding, one row per chunk).
   */
  audit: AccessRecord | null;
}

/** An entry once written. */
export interface AppendedEntry {
  id: string;
  personIds: string[];
}

/**
 * Entries a caller writes one by one but announces together (an import chunk): pass it to
 * appendEntries, then call announceEntries before the transaction commits.
 */
export interface EntryAnnouncement {
  eventIds: string[];
  personIds: Set<string>;
}

/** A fresh announcement to collect entries into. */
export function newAnnouncement(): EntryAnnouncement {
  return { eventIds: [], personIds: new Set() };
}

/** Queues the outbox row for collected entries (nothing when none were written). */
export async function announceEntries(trx: Kysely<Database>, a: EntryAnnouncement): Promise<void> {
  if (a.eventIds.length === 0) return;
  const payload: EntriesRecordedPayload = { eventIds: a.eventIds, personIds: [...a.personIds] };
  await enqueueMany(trx, [{ kind: ENTRIES_RECORDED, payload }, { kind: ENTRIES_RECORDED_FOR_ALERTS, payload }, { kind: ENTRIES_RECORDED_FOR_MISSING, payload }, { kind: ENTRIES_RECORDED_FOR_INCIDENTS, payload }]);
}

/**
 * Writes entries inside the caller's transaction: events (corrections after the entries they
 * supersede), people, restrictions and grants, gradings, access-log rows (each entry's own and any
 * given for the write as a whole), and one outbox row announcing them all (or, with `announce`,
 * collects them for the caller to announce).
 */
export async function appendEntries(
  trx: Kysely<Database>, entries: NewEntry[], opts: { audit?: AccessRecord[]; announce?: EntryAnnouncement } = {},
): Promise<AppendedEntry[]> {
  if (entries.length === 0) return [];
  const written = entries.map((e) => ({ e, id: e.id ?? randomUUID() }));
  const events: Insertable<EventTable>[] = written.map(({ e, id }) => ({
    id, event_type_code: e.eventTypeCode, vocabulary_version: e.vocabularyVersion, occurred_at: e.occurredAt, occurred_precision: e.occurredPrecision,
    ...(e.recordedAt ? { recorded_at: e.recordedAt } : {}),
    recorded_by_user_id: e.recordedByUserId, api_key_id: e.apiKeyId, recorded_via: e.recordedVia, organisation_id: e.organisationId,
    source_system: e.sourceSystem, source_record_id: e.sourceRecordId, summary: e.summary, narrative: e.narrative, place: e.place,
    factor_codes: e.factorCodes, sensitivity: e.sensitivity, reliability: e.reliability, supersedes: e.supersedes, correction_reason: e.correctionReason,
  }));
  await insertRows(trx, 'event', events);

  const people: { event_id: string; person_id: string; role: string }[] = [];
  const result: AppendedEntry[] = [];
  for (const { e, id } of written) {
    const seen = new Set<string>();
    for (const p of e.people) {
      const key = `${p.personId}:${p.role}`;
      if (seen.has(key)) continue;
      seen.add(key);
      people.push({ event_id: id, person_id: p.personId, role: p.role });
    }
    result.push({ id, personIds: [...new Set(e.people.map((p) => p.personId))] });
  }
  await insertRows(trx, 'event_person', people);

  const restrictions = written.filter(({ e }) => e.restriction).map(({ e, id }) => ({ event_id: id, contact: e.restriction!.contact, reason: e.restriction!.reason }));
  await insertRows(trx, 'event_restriction', restrictions);
  const grants = written.flatMap(({ e, id }) => (e.restriction?.grants ?? []).map((g) => ({ event_id: id, user_id: g.userId, role: g.role, organisation_id: g.organisationId })));
  await insertRows(trx, 'event_restriction_grant', grants);
  const gradings = written.filter(({ e }) => e.grading).map(({ e, id }) => ({
    event_id: id, grading_system: e.grading!.system, source_evaluation: e.grading!.sourceEvaluation,
    intelligence_evaluation: e.grading!.intelligenceEvaluation, handling_code: e.grading!.handlingCode, handling_conditions: e.grading!.handlingConditions,
  }));
  await insertRows(trx, 'event_grading', gradings);

  // Every person an entry names has the write on their own access log: the entry's row for the person
  // it is about, and the same row for each other person named (a victim, a suspect, a witness).
  const audit: AccessRecord[] = [
    ...written.flatMap(({ e, id }) => {
      if (!e.audit) return [];
      const about = e.audit.personId ?? null;
      const named = [...new Set(e.people.map((p) => p.personId))].filter((p) => p !== about);
      return [
        { ...e.audit, detail: { ...e.audit.detail, eventId: id } },
        ...named.map((personId) => ({ ...e.audit!, personId, detail: { ...e.audit!.detail, eventId: id, namedIn: about, roles: e.people.filter((p) => p.personId === personId).map((p) => p.role) } })),
      ];
    }),
    ...(opts.audit ?? []),
  ];
  await recordAccessMany(trx, audit);

  const announcement = opts.announce ?? newAnnouncement();
  for (const r of result) {
    announcement.eventIds.push(r.id);
    for (const p of r.personIds) announcement.personIds.add(p);
  }
  if (!opts.announce) await announceEntries(trx, announcement);
  return result;
}

/**
 * Records one event in a person's chronology (or a correction that supersedes an earlier one) in
 * the caller's transaction. The caller has already authorised `event.record` on the person;
 * everything else is checked here and reported field by field.
 */
export async function appendEntry(trx: Kysely<Database>, actor: Actor, input: RecordEventInput, meta: WriteMeta): Promise<AppendedEntry> {
  const problems: { field: string; message: string }[] = [];
  const type = await trx.selectFrom('event_type').select(['code', 'vocabulary_version']).where('code', '=', input.eventTypeCode).executeTakeFirst();
  if (!type) problems.push({ field: 'eventTypeCode', message: `Unknown event type "${input.eventTypeCode}": choose one from the vocabulary` });

  const factorCodes = [...new Set(input.factorCodes ?? [])];
  if (factorCodes.length) {
    const known = await trx.selectFrom('factor').select('code').where('code', 'in', factorCodes).execute();
    const unknown = factorCodes.filter((c) => !known.some((k) => k.code === c));
    if (unknown.length) problems.push({ field: 'factorCodes', message: `Unknown factor codes: ${unknown.join(', ')}` });
  }
  if (input.sensitivity === 'restricted' && !input.restriction?.contact?.trim()) {
    problems.push({ field: 'restriction.contact', message: 'Say whom others should ask about a restricted entry' });
  }
  const grantUsers = [...new Set(input.restriction?.grantUserIds ?? [])];
  if (grantUsers.length) {
    const known = grantUsers.every(isUuid)
      ? await trx.selectFrom('app_user').select('id').where('id', 'in', grantUsers).execute()
      : [];
    if (known.length !== grantUsers.length) problems.push({ field: 'restriction.grantUserIds', message: 'Every named person must be a Jigsaw user' });
  }
  if (input.occurredAt.getTime() > Date.now() + 5 * 60_000) {
    problems.push({ field: 'occurredAt', message: 'The date it happened must be today or in the past' });
  }

  if (input.supersedes) {
    if (!input.correctionReason?.trim()) problems.push({ field: 'correctionReason', message: 'Give the reason for the correction' });
    const original = isUuid(input.supersedes)
      ? await trx
          .selectFrom('event as e')
          .select(['e.id', 'e.organisation_id', sql<boolean>`EXISTS (SELECT 1 FROM event s WHERE s.supersedes = e.id)`.as('already')])
          .where('e.id', '=', input.supersedes)
          .where('e.id', 'in', trx.selectFrom('event_person').select('event_id').where('person_id', '=', input.personId))
          .executeTakeFirst()
      : undefined;
    if (!original || original.organisation_id !== actor.organisationId) {
      problems.push({ field: 'supersedes', message: 'Only an entry your organisation recorded in this chronology can be corrected' });
    } else if (original.already) {
      problems.push({ field: 'supersedes', message: 'This entry has already been corrected: correct the latest version' });
    }
  }

  const others = input.otherPeople ?? [];
  if (others.length) {
    const ids = [...new Set(others.map((o) => o.personId))].filter(isUuid);
    const visible = ids.length
      ? await trx.selectFrom('person').select('id').where('id', 'in', ids).where('id', 'in', visiblePersonIds(trx, actor)).execute()
      : [];
    others.forEach((o, i) => {
      if (!visible.some((v) => v.id === o.personId)) problems.push({ field: `otherPeople.${i}.personId`, message: 'No such person' });
    });
  }
  if (problems.length) throw new ValidationError(problems);

  const restricted = input.sensitivity === 'restricted' && input.restriction;
  const [entry] = await appendEntries(trx, [{
    organisationId: actor.organisationId, eventTypeCode: input.eventTypeCode, vocabularyVersion: type!.vocabulary_version,
    occurredAt: input.occurredAt, occurredPrecision: input.occurredPrecision,
    recordedByUserId: actor.kind === 'user' ? actor.userId : null, apiKeyId: actor.kind === 'system' ? actor.apiKeyId : null, recordedVia: meta.via,
    sourceSystem: input.sourceSystem, sourceRecordId: input.sourceRecordId ?? null,
    summary: input.summary.trim(), narrative: input.narrative?.trim() || null, place: input.place?.trim() || null, factorCodes,
    sensitivity: input.sensitivity ?? 'standard', reliability: input.reliability ?? 'reported',
    supersedes: input.supersedes ?? null, correctionReason: input.supersedes ? input.correctionReason!.trim() : null,
    people: [{ personId: input.personId, role: input.personRole ?? 'subject' }, ...others],
    restriction: restricted
      ? {
          contact: input.restriction!.contact.trim(), reason: input.restriction!.reason ?? null,
          grants: [
            ...grantUsers.map((u) => ({ userId: u, role: null, organisationId: null })),
            ...(input.restriction!.grantRoles ?? []).map((g) => ({ userId: null, role: g.role, organisationId: g.organisationId })),
          ],
        }
      : null,
    audit: {
      actor, action: input.supersedes ? 'event.correct' : 'event.record', personId: input.personId, route: meta.route, outcome: 'allowed',
      requestId: meta.requestId, detail: { otherPersonIds: others.map((o) => o.personId) },
    },
  }]);
  return entry!;
}
