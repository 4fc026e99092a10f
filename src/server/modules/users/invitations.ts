import { createHash, randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import type { Actor, Role } from '../../actor.js';
import type { Config } from '../../config.js';
import { sendEmail } from '../../email/mailer.js';
import { enqueue, type OutboxProcessor } from '../../outbox/outbox.js';

/** How long an invitation link works after it is sent. */
export const INVITATION_HOURS = 72;
/** The outbox kind of an invitation email. */
export const INVITATION_EMAIL_KIND = 'email.invitation';
/** Attempts before an unsent invitation is dead (back-off reaches an hour: about a day of retries). */
const INVITATION_MAX_ATTEMPTS = 30;

/** The SHA-256 of an invitation token: the only form in which it is stored. */
export function hashInvitationToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Invites a user to set their first password, in the caller's transaction: earlier unused
 * invitations of the user stop working, and the email is queued (the outbox sends it, with the
 * token it makes then; nothing that could open the account is stored or known before).
 */
export async function createInvitation(trx: Kysely<Database>, opts: { userId: string; invitedBy: string }): Promise<string> {
  await trx.updateTable('user_invitation').set({ revoked_at: sql<Date>`now()` })
    .where('user_id', '=', opts.userId).where('used_at', 'is', null).where('revoked_at', 'is', null).execute();
  const row = await trx.insertInto('user_invitation').values({ user_id: opts.userId, invited_by: opts.invitedBy }).returning('id').executeTakeFirstOrThrow();
  await enqueue(trx, INVITATION_EMAIL_KIND, { invitationId: row.id }, { dedupeKey: row.id, maxAttempts: INVITATION_MAX_ATTEMPTS });
  return row.id;
}

/** The base of links in email: the configured public address, or this server on localhost outside production. */
export function publicBaseUrl(config: Pick<Config, 'PUBLIC_BASE_URL' | 'PORT' | 'NODE_ENV'>): string {
  if (config.PUBLIC_BASE_URL) return config.PUBLIC_BASE_URL.replace(/\/$/, '');
  if (config.NODE_ENV === 'production') throw new Error('PUBLIC_BASE_URL is not set');
  return `http://localhost:${config.PORT}`;
}

/**
 * Sends invitation emails. The token is made here, when the email is sent: its hash and expiry are
 * stored, then the link goes out. Idempotent: an invitation already sent, used, revoked, or for a
 * deactivated user is not sent again. If the process dies between sending and marking it sent,
 * the retry sends a fresh link and the earlier one stops working (only the latest hash is kept).
 * Nothing about the link, the token or the address is logged.
 */
export function invitationEmailProcessor(config: Config): OutboxProcessor {
  return {
    name: 'invitation-email',
    kinds: [INVITATION_EMAIL_KIND],
    async handle(message, { db }) {
      const { invitationId } = message.payload as { invitationId: string };
      const inv = await db.selectFrom('user_invitation as i')
        .innerJoin('app_user as u', 'u.id', 'i.user_id')
        .innerJoin('app_user as by', 'by.id', 'i.invited_by')
        .innerJoin('organisation as o', 'o.id', 'u.organisation_id')
        .select(['i.id', 'i.sent_at', 'i.used_at', 'i.revoked_at', 'u.email', 'u.name', 'u.active', 'by.name as invited_by_name', 'o.name as organisation_name'])
        .where('i.id', '=', invitationId).executeTakeFirst();
      if (!inv || inv.sent_at || inv.used_at || inv.revoked_at || !inv.active) return;
      const base = publicBaseUrl(config);
      const token = randomBytes(32).toString('base64url');
      const expires = new Date(Date.now() + INVITATION_HOURS * 3_600_000);
      const issued = await db.updateTable('user_invitation').set({ token_hash: hashInvitationToken(token), expires_at: expires })
        .where('id', '=', inv.id).where('sent_at', 'is', null).where('used_at', 'is', null).where('revoked_at', 'is', null).executeTakeFirst();
      if (Number(issued.numUpdatedRows) === 0) return;
      // The token travels in the query string, which request logs never include.
      const link = `${base}/invitation?token=${token}`;
      await sendEmail(config, {
        to: inv.email,
        subject: 'Set your password for Jigsaw',
        text: [
          `Dear ${inv.name},`,
          '',
          `${inv.invited_by_name} has created a Jigsaw account for you at ${inv.organisation_name}.`,
          'Choose your password here:',
          '',
          link,
          '',
          `The link works once, and only until ${expires.toUTCString()} (${INVITATION_HOURS} hours).`,
          'Nobody else knows your password: Jigsaw will never ask you for it by email.',
          'If you did not expect this email, do not use the link: tell your organisation\'s data protection officer.',
        ].join('\n'),
      });
      await db.updateTable('user_invitation').set({ sent_at: sql<Date>`now()` }).where('id', '=', inv.id).execute();
    },
  };
}

/** An invitation whose link can be used now, with the user it is for. */
export interface UsableInvitation {
  id: string;
  expiresAt: Date;
  user: Extract<Actor, { kind: 'user' }>;
}

/** The invitation a token opens, if it is unused, not replaced, unexpired (by the app's clock) and its user active. */
export async function findUsableInvitation(db: Kysely<Database>, token: string, now = new Date()): Promise<UsableInvitation | null> {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return null;
  const row = await db.selectFrom('user_invitation as i')
    .innerJoin('app_user as u', 'u.id', 'i.user_id')
    .innerJoin('organisation as o', 'o.id', 'u.organisation_id')
    .select(['i.id', 'i.expires_at', 'u.id as user_id', 'u.name', 'u.email', 'u.organisation_id', 'o.name as organisation_name', 'u.team_id', 'u.roles', 'u.partnership_id'])
    .where('i.token_hash', '=', hashInvitationToken(token))
    .where('i.used_at', 'is', null).where('i.revoked_at', 'is', null)
    .where('i.expires_at', '>', now)
    .where('u.active', '=', true)
    .executeTakeFirst();
  if (!row || !row.expires_at) return null;
  return {
    id: row.id, expiresAt: row.expires_at,
    user: {
      kind: 'user', userId: row.user_id, name: row.name, email: row.email, organisationId: row.organisation_id,
      organisationName: row.organisation_name, teamId: row.team_id, roles: row.roles as Role[], partnershipId: row.partnership_id,
    },
  };
}

/**
 * Uses an invitation once: a conditional update, so two racing requests cannot both set a password
 * with the same link. Sets the password hash in the same transaction. Returns false if the link
 * was used, replaced or expired meanwhile.
 */
export async function acceptInvitation(trx: Kysely<Database>, opts: { invitationId: string; userId: string; passwordHash: string; now?: Date }): Promise<boolean> {
  const now = opts.now ?? new Date();
  const used = await trx.updateTable('user_invitation').set({ used_at: now })
    .where('id', '=', opts.invitationId).where('used_at', 'is', null).where('revoked_at', 'is', null).where('expires_at', '>', now)
    .executeTakeFirst();
  if (Number(used.numUpdatedRows) !== 1) return false;
  await trx.updateTable('app_user').set({ password_hash: opts.passwordHash }).where('id', '=', opts.userId).execute();
  // Any other invitation of this user stops working too.
  await trx.updateTable('user_invitation').set({ revoked_at: now })
    .where('user_id', '=', opts.userId).where('used_at', 'is', null).where('revoked_at', 'is', null).execute();
  return true;
}
