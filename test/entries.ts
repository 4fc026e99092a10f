import type { Kysely } from 'kysely';
import type { Database } from '../src/db/database.js';
import { appendEntries, type NewEntry } from '../src/server/modules/chronology/commands/append-entry.js';

/**
 * Writes a fixture entry through the chronology's one writer (its people, restriction, grading and
 * outbox row), with test defaults for whatever is not given. No access-log row: fixtures are set-up,
 * not something a user did.
 */
export async function writeEntry(
  db: Kysely<Database>,
  opts: Partial<Omit<NewEntry, 'people' | 'audit'>> & { organisationId: string; personId: string; role?: string },
): Promise<{ id: string }> {
  const type = await db.selectFrom('event_type').select(['code', 'vocabulary_version']).where('code', '=', opts.eventTypeCode ?? 'missing_episode').executeTakeFirstOrThrow();
  const { personId, role, ...rest } = opts;
  const [entry] = await db.transaction().execute((trx) => appendEntries(trx, [{
    eventTypeCode: type.code, vocabularyVersion: type.vocabulary_version, occurredAt: '2025-03-01T10:00:00Z', occurredPrecision: 'time',
    recordedByUserId: null, apiKeyId: null, recordedVia: 'api', sourceSystem: 'TestSystem', sourceRecordId: null, summary: 'A synthetic test event',
    narrative: null, place: null, factorCodes: [], sensitivity: 'standard', reliability: 'reported', supersedes: null, correctionReason: null,
    ...rest, people: [{ personId, role: role ?? 'subject' }], audit: null,
  }]));
  return { id: entry!.id };
}
