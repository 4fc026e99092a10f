import type { OutboxProcessor } from '../../outbox/outbox.js';
import { ENTRIES_GATHER_MS, ENTRIES_RECORDED_FOR_MISSING, type EntriesRecordedPayload } from '../chronology/commands/append-entry.js';
import { episodesFromEntries } from './missing.queries.js';

/**
 * Gives each newly recorded missing_episode entry that has none (an import from SSDA903 or the
 * police) its structured episode, and starts the 72-hour clock when the entry gives the return.
 * At least once: one episode per entry, so a repeat adds nothing.
 */
export const missingEpisodesProcessor: OutboxProcessor = {
  name: 'missing episodes',
  kinds: [ENTRIES_RECORDED_FOR_MISSING],
  async handle(message, { db }) {
    const { eventIds, personIds } = message.payload as EntriesRecordedPayload;
    await episodesFromEntries(db, eventIds, personIds);
  },
  async handleMany(messages, { db }) {
    const payloads = messages.map((m) => m.payload as EntriesRecordedPayload);
    await episodesFromEntries(db, [...new Set(payloads.flatMap((p) => p.eventIds))], [...new Set(payloads.flatMap((p) => p.personIds))]);
  },
  batchSize: 200,
  gatherMs: ENTRIES_GATHER_MS,
};
