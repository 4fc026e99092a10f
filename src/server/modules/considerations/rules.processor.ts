import { ENTRIES_GATHER_MS, ENTRIES_RECORDED, type EntriesRecordedPayload } from '../chronology/commands/append-entry.js';
import type { OutboxProcessor } from '../../outbox/outbox.js';
import { runRulesFor } from './run-rules.js';

/**
 * Early identification after new entries: the active rules run for the children the entries
 * involve, once the entries have committed. A correction is a new entry too: the rules see the
 * corrected chronology, and the superseded entry no longer counts as evidence. Delivered at least
 * once: the same rule version and evidence never make a second consideration (a unique key).
 */
export const rulesProcessor: OutboxProcessor = {
  name: 'early identification rules',
  kinds: [ENTRIES_RECORDED],
  async handle(message, { db }) {
    const { personIds } = message.payload as EntriesRecordedPayload;
    await runRulesFor(db, personIds, { via: 'event' });
  },
  async handleMany(messages, { db }) {
    await runRulesFor(db, [...new Set(messages.flatMap((m) => (m.payload as EntriesRecordedPayload).personIds))], { via: 'event' });
  },
  batchSize: 100,
  gatherMs: ENTRIES_GATHER_MS,
};
