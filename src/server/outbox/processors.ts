import { rulesProcessor } from '../modules/considerations/rules.processor.js';
import { intakeImportProcessor } from '../modules/intake/intake.processor.js';
import type { OutboxProcessor } from './outbox.js';

/**
 * Every outbox processor, each declaring the kinds it handles. A new area that reacts to a change
 * (notifications, reminders, escalations) writes its kind with enqueue() in the change's
 * transaction and adds its processor here.
 */
export function outboxProcessors(): OutboxProcessor[] {
  return [rulesProcessor, intakeImportProcessor];
}
