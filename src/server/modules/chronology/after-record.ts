import type { Kysely } from 'kysely';
import pino from 'pino';
import type { Database } from '../../../db/database.js';

/** What listeners learn about a newly committed chronology entry. */
export interface RecordedEvent {
  eventId: string;
  organisationId: string;
  eventTypeCode: string;
  personIds: string[];
  supersedes: string | null;
}

/** Something that reacts to a new entry after it has committed (rules, alerts). */
export type EventRecordedListener = (db: Kysely<Database>, event: RecordedEvent) => Promise<void>;

const listeners: EventRecordedListener[] = [];
const log = pino({ name: 'after-record', level: process.env.LOG_LEVEL ?? 'info' });

/** Registers a listener; modules register theirs in src/server/hooks.ts. */
export function onEventRecorded(listener: EventRecordedListener): void {
  if (!listeners.includes(listener)) listeners.push(listener);
}

/**
 * Runs every listener after the entry has committed. A failing listener is logged (ids only)
 * and does not undo or block the entry: the chronology is the record, reactions follow it.
 */
export async function eventRecorded(db: Kysely<Database>, event: RecordedEvent): Promise<void> {
  for (const listener of listeners) {
    try {
      await listener(db, event);
    } catch (err) {
      log.error({ err, eventId: event.eventId }, 'a listener failed after an event was recorded');
    }
  }
}
