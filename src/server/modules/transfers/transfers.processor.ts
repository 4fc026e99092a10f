import { sql, type Kysely } from 'kysely';
import type { Config } from '../../config.js';
import type { Database } from '../../../db/database.js';
import { sendEmail } from '../../email/mailer.js';
import type { OutboxProcessor } from '../../outbox/outbox.js';
import { publicBaseUrl } from '../users/invitations.js';
import {
  escalateTransfer, openTransferForMove, TRANSFER_ADDRESS_CHANGED, TRANSFER_ESCALATE, TRANSFER_NOTICE_EMAIL, type AddressChangedPayload, type NoticeKind,
} from './transfers.commands.js';

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

const NOTICE_EMAILS: Record<NoticeKind, { subject: string; text: string }> = {
  opened: { subject: 'Jigsaw: a case is waiting for your front door', text: 'A child\'s case is waiting for your front door to accept or decline its transfer to your partnership.' },
  moved_away: { subject: 'Jigsaw: a child you work with has moved to another area', text: 'A child whose case your partnership holds has moved into another partnership\'s area. Your partnership keeps responsibility until the receiving partnership accepts the transfer.' },
  escalation: { subject: 'Jigsaw: a transfer has waited past its time limit', text: 'The transfer of a child\'s case between partnerships has waited past its time limit for a decision.' },
  declined: { subject: 'Jigsaw: a transfer was declined', text: 'The receiving partnership declined the transfer of a child\'s case: the case stays with your partnership.' },
  pre_move: { subject: 'Jigsaw: a move into your area is planned', text: 'A child\'s move into your partnership\'s area, for their safety, has been planned.' },
};

/** The text of a transfer notice's email: that there is something to act on and where, nothing about the child. */
export function transferNoticeEmailText(kind: NoticeKind, base: string): { subject: string; text: string } {
  const e = NOTICE_EMAILS[kind];
  return {
    subject: e.subject,
    text: [e.text, '', `Sign in to Jigsaw to read it: ${base}/transfers`, '', 'This email does not contain any details about the child. Do not forward it.'].join('\n'),
  };
}

/**
 * Emails each new transfer notice's recipient, as alerts are emailed: once (a notice already emailed,
 * or to an account no longer active, is not), marked `emailed_at` when the SMTP server accepted it.
 */
export function transferNoticeEmailProcessor(config: Config): OutboxProcessor {
  const base = publicBaseUrl(config);
  const send = async (db: Kysely<Database>, noticeIds: string[]) => {
    const due = (await db.selectFrom('transfer_notice as n').innerJoin('app_user as u', 'u.id', 'n.recipient_user_id')
      .select(['n.id', 'n.kind', 'n.emailed_at', 'u.email', 'u.active']).where('n.id', 'in', noticeIds).execute())
      .filter((n) => !n.emailed_at && n.active);
    const sent: string[] = [];
    let failure: unknown = null;
    for (const n of due) {
      try {
        await sendEmail(config, { to: n.email, ...transferNoticeEmailText(n.kind, base) });
        sent.push(n.id);
      } catch (err) {
        failure = err;
        break;
      }
    }
    if (sent.length) await db.updateTable('transfer_notice').set({ emailed_at: sql<Date>`now()` }).where('id', 'in', sent).execute();
    if (failure) throw failure;
  };
  return {
    name: 'transfer notice email',
    kinds: [TRANSFER_NOTICE_EMAIL],
    async handle(message, { db }) {
      await send(db, [(message.payload as { noticeId: string }).noticeId]);
    },
    async handleMany(messages, { db }) {
      await send(db, messages.map((m) => (m.payload as { noticeId: string }).noticeId));
    },
    batchSize: 50,
  };
}
