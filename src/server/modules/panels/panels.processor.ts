/**
 * Invitation email, from the outbox, as alerts are delivered: the email says there is an invitation
 * and where to read it, and nothing about the children. The invitation itself is in the app (the
 * invitee's row, listed on /panels). Idempotent: an invitee already emailed, withdrawn, or no longer
 * active is not emailed.
 */
import { sql, type Kysely } from 'kysely';
import type { Config } from '../../config.js';
import type { Database } from '../../../db/database.js';
import { sendEmail } from '../../email/mailer.js';
import type { OutboxProcessor } from '../../outbox/outbox.js';
import { publicBaseUrl } from '../users/invitations.js';
import { PANEL_INVITATION_EMAIL } from './commands/invitations.js';

interface Payload { invitation_id: string; user_id: string }

export function panelInvitationEmailText(base: string, meeting: { panel_name: string; held_at: Date }): { subject: string; text: string } {
  return {
    subject: `Jigsaw: you are invited to ${meeting.panel_name}`,
    text: [
      `Your agency is invited to ${meeting.panel_name} on ${meeting.held_at.toISOString().slice(0, 10)}.`,
      'Please send your agency\'s update for each child on the agenda before the meeting.',
      '',
      `Sign in to Jigsaw to read the invitation: ${base}/panels`,
      '',
      'This email does not contain any details about the children. Do not forward it.',
    ].join('\n'),
  };
}

export function panelInvitationEmailProcessor(config: Config): OutboxProcessor {
  const base = publicBaseUrl(config);
  const send = async (db: Kysely<Database>, payloads: Payload[]) => {
    if (payloads.length === 0) return;
    const rows = await db.selectFrom('panel_invitee as pi')
      .innerJoin('panel_invitation as i', 'i.id', 'pi.invitation_id')
      .innerJoin('panel_meeting as m', 'm.id', 'i.meeting_id')
      .innerJoin('panel_type as t', 't.id', 'm.panel_type_id')
      .innerJoin('app_user as u', 'u.id', 'pi.user_id')
      .select(['pi.invitation_id', 'pi.user_id', 'u.email', 't.name as panel_name', 'm.held_at'])
      .where((eb) => eb.or(payloads.map((p) => eb.and([eb('pi.invitation_id', '=', p.invitation_id), eb('pi.user_id', '=', p.user_id)]))))
      .where('pi.emailed_at', 'is', null).where('u.active', '=', true).where('i.excluded_reason', 'is', null).where('m.status', '<>', 'cancelled')
      .execute();
    for (const r of rows) {
      await sendEmail(config, { to: r.email, ...panelInvitationEmailText(base, r) });
      await db.updateTable('panel_invitee').set({ emailed_at: sql<Date>`now()` }).where('invitation_id', '=', r.invitation_id).where('user_id', '=', r.user_id).execute();
    }
  };
  return {
    name: 'panel invitation email',
    kinds: [PANEL_INVITATION_EMAIL],
    async handle(message, { db }) { await send(db, [message.payload as Payload]); },
    async handleMany(messages, { db }) { await send(db, messages.map((m) => m.payload as Payload)); },
    batchSize: 50,
  };
}
