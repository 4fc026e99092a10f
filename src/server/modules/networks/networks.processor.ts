import type { OutboxProcessor } from '../../outbox/outbox.js';
import { ENTRIES_GATHER_MS, ENTRIES_RECORDED_FOR_INCIDENTS, type EntriesRecordedPayload } from '../chronology/commands/append-entry.js';
import { incidentsFromEntries } from './incidents.commands.js';

/**
 * Links newly recorded entries into incidents and starts the critical-moment response to a serious
 * one (welfare checks for the affected cohort, delivered as alerts). At least once: an entry is in one
 * incident, a child has one check per incident, so a repeat adds nothing.
 */
export const incidentsProcessor: OutboxProcessor = {
  name: 'incidents',
  kinds: [ENTRIES_RECORDED_FOR_INCIDENTS],
  async handle(message, { db }) {
    await incidentsFromEntries(db, (message.payload as EntriesRecordedPayload).eventIds);
  },
  async handleMany(messages, { db }) {
    await incidentsFromEntries(db, [...new Set(messages.flatMap((m) => (m.payload as EntriesRecordedPayload).eventIds))]);
  },
  batchSize: 200,
  gatherMs: ENTRIES_GATHER_MS,
};
