import { rulesProcessor } from '../modules/considerations/rules.processor.js';
import { intakeImportProcessor, uploadAbandonedProcessor } from '../modules/intake/intake.processor.js';
import { refusalSummaryProcessor } from '../modules/auth/unauthenticated-refusals.js';
import type { Config } from '../config.js';
import { invitationEmailProcessor } from '../modules/users/invitations.js';
import type { OutboxProcessor } from './outbox.js';
import { panelInvitationEmailProcessor } from '../modules/panels/panels.processor.js';
import { alertEmailProcessor, alertEscalationProcessor, alertsProcessor } from '../modules/alerts/alerts.processor.js';
import { transferEscalationProcessor, transferNoticeEmailProcessor, transferOpenProcessor } from '../modules/transfers/transfers.processor.js';
import { missingEpisodesProcessor } from '../modules/missing/missing.processor.js';
import { planActionOverdueProcessor, planActionReminderProcessor } from '../modules/plans/plans.processor.js';
import { offerOutcomeProcessor } from '../modules/offers/offers.processor.js';
import { incidentsProcessor } from '../modules/networks/networks.processor.js';

/**
 * Every outbox processor, each declaring the kinds it handles. A new area that reacts to a change
 * (notifications, reminders, escalations) writes its kind with enqueue() in the change's
 * transaction and adds its processor here. Processors that reach outside (email) need the server's
 * configuration: the server and the command line give it; without it (tests, benchmarks) they are
 * left out, and their work waits in the queue for a process that has them.
 */
export function outboxProcessors(config?: Config): OutboxProcessor[] {
  const local: OutboxProcessor[] = [rulesProcessor, intakeImportProcessor, uploadAbandonedProcessor, refusalSummaryProcessor, alertsProcessor, alertEscalationProcessor, missingEpisodesProcessor];
  local.push(transferOpenProcessor, transferEscalationProcessor);
  if (config) local.push(panelInvitationEmailProcessor(config));
  local.push(planActionReminderProcessor, planActionOverdueProcessor, offerOutcomeProcessor);
  local.push(incidentsProcessor);
  return config ? [...local, invitationEmailProcessor(config), alertEmailProcessor(config), transferNoticeEmailProcessor(config)] : local;
}
