/**
 * Offers of help: recording one (by hand, or when a consideration is decided as an offer of help),
 * recording that it was made (when, how, at what moment) and the child's and family's response, with
 * the barrier in their own words. The outcome goes back to whoever referred, from the outbox.
 * Each takes the caller's transaction; the routes have authorised the actor on the child.
 */
import type { Kysely } from 'kysely';
import type { Database, OfferOfHelpTable } from '../../../db/database.js';
import type { Actor } from '../../actor.js';
import { recordAccess } from '../../audit/record-access.js';
import { enqueue } from '../../outbox/outbox.js';

type User = Actor & { kind: 'user' };

export const OFFER_OUTCOME_KIND = 'offer.outcome';

/** How an offer was made. */
export const OFFER_MODES: Record<NonNullable<OfferOfHelpTable['mode']>, string> = { face_to_face: 'Face to face', phone: 'Phone', letter: 'Letter', digital: 'Digital (text, email, online)' };
/** The child's and family's response. */
export const OFFER_RESPONSES: Record<NonNullable<OfferOfHelpTable['response']>, string> = { accepted: 'Accepted', declined: 'Declined', not_taken_up: 'Not taken up' };
/** Why help was not taken: did they know of it, could they reach it, did it suit them (Islington). */
export const OFFER_BARRIERS: Record<NonNullable<OfferOfHelpTable['barrier']>, string> = {
  awareness: 'Awareness: they did not know about it or what it was',
  accessibility: 'Accessibility: they could not get to it (time, place, cost, language, disability)',
  acceptability: 'Acceptability: it did not feel right for them',
};

/** An offer as made. */
export interface OfferMade {
  offeredOn: string;
  mode: NonNullable<OfferOfHelpTable['mode']>;
  moment: string | null;
}

/** The service named: a directory service of the actor's partnership with that name, if there is one. */
async function serviceNamed(trx: Kysely<Database>, partnershipId: string, name: string): Promise<{ id: string; name: string } | undefined> {
  return trx.selectFrom('service').select(['id', 'name']).where('partnership_id', '=', partnershipId)
    .where((eb) => eb(eb.fn('lower', ['name']), '=', name.toLowerCase())).orderBy('id').executeTakeFirst();
}

/**
 * Records an offer of help for a child: a directory service (or a service named in words), who
 * referred (the actor unless said), and, when it has been made, when, how and at what moment.
 */
export async function recordOffer(
  trx: Kysely<Database>, actor: User,
  input: { personId: string; serviceId: string | null; serviceName: string; considerationId?: string | null; made: OfferMade | null },
  meta: { route: string; requestId?: string },
): Promise<string> {
  let serviceId = input.serviceId;
  let serviceName = input.serviceName.trim();
  if (serviceId) {
    const s = await trx.selectFrom('service').select(['id', 'name']).where('id', '=', serviceId).where('partnership_id', '=', actor.partnershipId).executeTakeFirst();
    serviceId = s?.id ?? null;
    serviceName = s?.name ?? serviceName;
  } else {
    const named = await serviceNamed(trx, actor.partnershipId, serviceName);
    serviceId = named?.id ?? null;
    serviceName = named?.name ?? serviceName;
  }
  const offer = await trx.insertInto('offer_of_help').values({
    person_id: input.personId, service_id: serviceId, service_name: serviceName.slice(0, 300), organisation_id: actor.organisationId,
    offered_by_user_id: input.made ? actor.userId : null, referred_by_user_id: actor.userId, consideration_id: input.considerationId ?? null,
    offered_on: input.made?.offeredOn ?? null, mode: input.made?.mode ?? null, moment: input.made?.moment ?? null, created_by_user_id: actor.userId,
  }).returning('id').executeTakeFirstOrThrow();
  await recordAccess(trx, {
    actor, action: 'offer.record', personId: input.personId, route: meta.route, outcome: 'allowed', requestId: meta.requestId,
    detail: { offer: offer.id, service: serviceId, consideration: input.considerationId ?? null, made: input.made !== null },
  });
  return offer.id;
}

/** Records that an offer recorded earlier (from a consideration) was made. */
export async function recordOfferMade(trx: Kysely<Database>, actor: User, input: { personId: string; offerId: string; made: OfferMade }, meta: { route: string; requestId?: string }): Promise<void> {
  await trx.updateTable('offer_of_help').set({ offered_on: input.made.offeredOn, mode: input.made.mode, moment: input.made.moment, offered_by_user_id: actor.userId, organisation_id: actor.organisationId })
    .where('id', '=', input.offerId).where('response', 'is', null).execute();
  await recordAccess(trx, { actor, action: 'offer.record', personId: input.personId, route: meta.route, outcome: 'allowed', requestId: meta.requestId, detail: { offer: input.offerId, made: true } });
}

/** Records the response to an offer, with the barrier in the child's and family's own words, and queues the outcome for whoever referred. */
export async function recordOfferResponse(
  trx: Kysely<Database>, actor: User,
  input: { personId: string; offerId: string; response: NonNullable<OfferOfHelpTable['response']>; barrier: OfferOfHelpTable['barrier']; ownWords: string | null },
  meta: { route: string; requestId?: string },
): Promise<void> {
  await trx.updateTable('offer_of_help').set({
    response: input.response, barrier: input.response === 'accepted' ? null : input.barrier, own_words: input.ownWords,
    responded_at: new Date(), responded_by_user_id: actor.userId,
  }).where('id', '=', input.offerId).execute();
  await enqueue(trx, OFFER_OUTCOME_KIND, { offerId: input.offerId, respondedBy: actor.userId }, { dedupeKey: input.offerId });
  await recordAccess(trx, {
    actor, action: 'offer.respond', personId: input.personId, route: meta.route, outcome: 'allowed', requestId: meta.requestId,
    detail: { offer: input.offerId, response: input.response, barrier: input.barrier },
  });
}
