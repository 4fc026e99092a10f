import type { OutboxProcessor } from '../../outbox/outbox.js';
import { escalateTransfer, openTransferForMove, TRANSFER_ADDRESS_CHANGED, TRANSFER_ESCALATE, type AddressChangedPayload } from './transfers.commands.js';

/**
 * Opens a transfer when a child's current address moved into another partnership. The row is
 * written by a database trigger on person_address (migration 20261128040000), so every writer of
 * addresses (intake, pages, seeding) leads here. Idempotent: one transfer per address.
 */
export const transferOpenProcessor: OutboxProcessor = {
  name: 'transfers',
  kinds: [TRANSFER_ADDRESS_CHANGED],
  async handle(message, { db }) {
    await openTransferForMove(db, message.payload as AddressChangedPayload);
  },
};

/** A transfer still waiting at its limit escalates, once (queued for that time when it opened). */
export const transferEscalationProcessor: OutboxProcessor = {
  name: 'transfer escalation',
  kinds: [TRANSFER_ESCALATE],
  async handle(message, { db }) {
    await escalateTransfer(db, (message.payload as { transferId: string }).transferId);
  },
};
