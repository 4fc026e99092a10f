import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../../db/database.js';
import type { Actor } from '../../../actor.js';
import { recordAccess } from '../../../audit/record-access.js';
import { ValidationError } from '../../../errors.js';
import { isUuid, visiblePersonIds } from '../../people/people.policy.js';
import { eventRecorded } from '../after-record.js';

/** Roles a person can have in an event. */
export const EVENT_PERSON_ROLES = ['subject', 'victim', 'suspect', 'witness', 'associate', 'parent'] as const;
/** How precisely the date of an event is known. */
export const PRECISIONS = ['time', 'date', 'month', 'approximate'] as const;

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

/**
 * Records one event in a person's chronology (or a correction that supersedes an earlier one),
 * with its people and an access-log row, in one transaction. The caller has already authorised
 * `event.record` on the person; everything else is checked here and reported field by field.
 */
export async function recordEvent(db: Kysely<Database>, actor: Actor, input: RecordEventInput, meta: WriteMeta): Promise<{ id: string }> {
  const recorded = await db.transaction().execute(async (trx) => {
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

    const event = await trx
      .insertInto('event')
      .values({
        event_type_code: input.eventTypeCode,
        vocabulary_version: type!.vocabulary_version,
        occurred_at: input.occurredAt,
        occurred_precision: input.occurredPrecision,
        recorded_by_user_id: actor.kind === 'user' ? actor.userId : null,
        api_key_id: actor.kind === 'system' ? actor.apiKeyId : null,
        recorded_via: meta.via,
        organisation_id: actor.organisationId,
        source_system: input.sourceSystem,
        source_record_id: input.sourceRecordId ?? null,
        summary: input.summary.trim(),
        narrative: input.narrative?.trim() || null,
        place: input.place?.trim() || null,
        factor_codes: factorCodes,
        sensitivity: input.sensitivity ?? 'standard',
        reliability: input.reliability ?? 'reported',
        supersedes: input.supersedes ?? null,
        correction_reason: input.supersedes ? input.correctionReason!.trim() : null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();

    if (input.sensitivity === 'restricted' && input.restriction) {
      await trx.insertInto('event_restriction').values({ event_id: event.id, contact: input.restriction.contact.trim(), reason: input.restriction.reason ?? null }).execute();
      const grants = [
        ...grantUsers.map((u) => ({ event_id: event.id, user_id: u, role: null, organisation_id: null })),
        ...(input.restriction.grantRoles ?? []).map((g) => ({ event_id: event.id, user_id: null, role: g.role, organisation_id: g.organisationId })),
      ];
      if (grants.length) await trx.insertInto('event_restriction_grant').values(grants).execute();
    }

    const people = new Map<string, { person_id: string; role: string }>();
    const add = (personId: string, role: string) => people.set(`${personId}:${role}`, { person_id: personId, role });
    add(input.personId, input.personRole ?? 'subject');
    for (const o of others) add(o.personId, o.role);
    await trx.insertInto('event_person').values([...people.values()].map((p) => ({ ...p, event_id: event.id }))).execute();

    await recordAccess(trx, {
      actor,
      action: input.supersedes ? 'event.correct' : 'event.record',
      personId: input.personId,
      route: meta.route,
      outcome: 'allowed',
      requestId: meta.requestId,
      detail: { eventId: event.id, otherPersonIds: others.map((o) => o.personId) },
    });
    return { id: event.id, personIds: [...new Set([...people.values()].map((p) => p.person_id))] };
  });
  await eventRecorded(db, {
    eventId: recorded.id, organisationId: actor.organisationId, eventTypeCode: input.eventTypeCode,
    personIds: recorded.personIds, supersedes: input.supersedes ?? null,
  });
  return { id: recorded.id };
}
