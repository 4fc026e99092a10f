/**
 * The outcome of an offer of help goes back to whoever referred the child, as an alert (in the app,
 * and an email that says only that there is an outcome). Not to the referrer when they recorded the
 * response themselves. Idempotent: one alert per recipient, offer and kind.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import type { OutboxProcessor } from '../../outbox/outbox.js';
import { writeSubjectAlerts } from '../alerts/subject-alerts.js';
import { OFFER_OUTCOME_KIND } from './offers.commands.js';

/** Alerts the referrer of an answered offer. Returns the alerts written. */
export async function tellReferrer(db: Kysely<Database>, p: { offerId: string; respondedBy: string }): Promise<number> {
  const o = await db.selectFrom('offer_of_help as o').innerJoin('app_user as u', 'u.id', 'o.referred_by_user_id')
    .select(['o.id', 'o.person_id', 'o.referred_by_user_id', 'o.response', 'u.active'])
    .where('o.id', '=', p.offerId).executeTakeFirst();
  if (!o || !o.response || !o.referred_by_user_id || !o.active || o.referred_by_user_id === p.respondedBy) return 0;
  const referrer = o.referred_by_user_id;
  return db.transaction().execute(async (trx) => (await writeSubjectAlerts(trx, [
    { recipientUserId: referrer, personId: o.person_id, kind: 'offer_outcome', reasons: ['referrer'], offerId: o.id },
  ], 'outbox offer outcomes')).length);
}

/** Tells whoever referred the outcome of an offer. */
export const offerOutcomeProcessor: OutboxProcessor = {
  name: 'offer outcomes',
  kinds: [OFFER_OUTCOME_KIND],
  async handle(message, { db }) {
    await tellReferrer(db, message.payload as { offerId: string; respondedBy: string });
  },
};
