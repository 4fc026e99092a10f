/**
 * Offers of help to a child and family: the child's offers, recording one, recording that it was made
 * and the response with its barrier in their own words; and the partnership's acceptance figures.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { OfferOfHelpTable } from '../../../db/database.js';
import { refuseRecord } from '../../access.js';
import type { Role } from '../../actor.js';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { formatDate, formatDateTime } from '../../format.js';
import { parseDateParts } from '../../forms.js';
import { isUuid, routeOf, userOf } from '../../request.js';
import { displayNames } from '../people/people.queries.js';
import { OFFER_BARRIERS, OFFER_MODES, OFFER_RESPONSES, recordOffer, recordOfferMade, recordOfferResponse, type OfferMade } from './offers.commands.js';
import { acceptanceFigures, offersOf, type OfferRow } from './offers.queries.js';

/** Who records offers and their responses: those who work with children and can see the child. */
export const OFFER_WRITERS: readonly Role[] = ['practitioner', 'team_manager', 'designated_safeguarding_lead', 'panel_coordinator'];
/** Who reads the partnership's acceptance figures. */
export const ACCEPTANCE_ROLES: readonly Role[] = ['analyst', 'team_manager'];

type FormError = { href: string; text: string; field: string };
const text = (max: number) => z.string().max(max).default('');
const params = z.object({ personId: z.string().max(64) });
const offerParams = z.object({ personId: z.string().max(64), offerId: z.string().max(64) });
const fieldErrors = (errors: FormError[]) => Object.fromEntries(errors.map((e) => [e.field, { text: e.text }]));
const madeFields = { 'offeredOn-day': text(10), 'offeredOn-month': text(10), 'offeredOn-year': text(10), mode: text(20), moment: text(500) };

/** Reads when, how and at what moment an offer was made. */
function readMade(v: Record<string, string>, errors: FormError[]): OfferMade | null {
  const d = parseDateParts(v['offeredOn-day'], v['offeredOn-month'], v['offeredOn-year'], { requireDay: true });
  if (!d.ok) errors.push({ field: 'offeredOn', href: `#offeredOn-${d.field}`, text: `The date of the offer ${d.error}` });
  else if (d.date > new Date().toISOString().slice(0, 10)) errors.push({ field: 'offeredOn', href: '#offeredOn-day', text: 'The date of the offer must be today or in the past' });
  if (!(v.mode && v.mode in OFFER_MODES)) errors.push({ field: 'mode', href: '#mode', text: 'Choose how the offer was made' });
  if (!d.ok || !(v.mode && v.mode in OFFER_MODES) || errors.length) return null;
  return { offeredOn: d.date, mode: v.mode as OfferMade['mode'], moment: v.moment?.trim() || null };
}

function presentOffer(o: OfferRow) {
  return {
    ...o,
    offered: o.offered_on ? formatDate(o.offered_on) : null,
    modeText: o.mode ? OFFER_MODES[o.mode] : null,
    responseText: o.response ? OFFER_RESPONSES[o.response] : null,
    barrierText: o.barrier ? OFFER_BARRIERS[o.barrier] : null,
    answered: o.responded_at ? formatDateTime(o.responded_at) : null,
  };
}

/** Offers of help and acceptance. */
export async function offerRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const writeRule = { kind: 'person', action: 'offer.record', roles: OFFER_WRITERS } as const;
  const base = (request: FastifyRequest) => ({ user: userOf(request), csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'find' });
  const childOf = async (personId: string) => ({ id: personId, name: (await displayNames(ctx.db, [personId])).get(personId) ?? 'Name not recorded' });
  const modeItems = (selected?: string) => Object.entries(OFFER_MODES).map(([value, t]) => ({ value, text: t, checked: value === selected }));

  r.get('/people/:personId/offers', { schema: { params }, config: { access: { kind: 'person', action: 'offer.read' } } }, async (request, reply) => {
    const actor = userOf(request);
    const { personId } = request.params;
    const offers = await offersOf(ctx.db, personId);
    await recordAccess(ctx.db, { actor, action: 'offer.read', personId, route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { offers: offers.map((o) => o.id) } });
    return reply.view('offers/views/offers.njk', { ...base(request), child: await childOf(personId), offers: offers.map(presentOffer), mayWrite: actor.roles.some((x) => OFFER_WRITERS.includes(x)) });
  });

  async function renderNew(request: FastifyRequest, reply: FastifyReply, personId: string, values: Record<string, string>, errors: FormError[]) {
    reply.status(errors.length ? 400 : 200);
    const services = await ctx.db.selectFrom('service').select(['id', 'name', 'provider_name']).where('partnership_id', '=', userOf(request).partnershipId)
      .where('status', '=', 'active').orderBy('name').execute();
    return reply.view('offers/views/offer-new.njk', {
      ...base(request), child: await childOf(personId), values, errors, fieldErrors: fieldErrors(errors), modes: modeItems(values.mode),
      services: [{ value: '', text: 'Not in the directory (name it below)' }, ...services.map((s) => ({ value: s.id, text: `${s.name} (${s.provider_name})`, selected: s.id === values.serviceId }))],
    });
  }

  r.get('/people/:personId/offers/new', { schema: { params }, config: { access: writeRule } }, async (request, reply) => renderNew(request, reply, request.params.personId, {}, []));

  r.post('/people/:personId/offers', {
    schema: { params, body: z.object({ _csrf: z.string().optional(), serviceId: text(64), serviceName: text(300), ...madeFields }) },
    config: { access: writeRule },
  }, async (request, reply) => {
    const { personId } = request.params;
    const v = request.body as Record<string, string>;
    const errors: FormError[] = [];
    const serviceId = v.serviceId && isUuid(v.serviceId) ? v.serviceId : null;
    if (!serviceId && !v.serviceName?.trim()) errors.push({ field: 'serviceName', href: '#serviceName', text: 'Choose the service from the directory, or name it' });
    const made = readMade(v, errors);
    if (errors.length || !made) return renderNew(request, reply, personId, v, errors);
    await ctx.db.transaction().execute((trx) => recordOffer(trx, userOf(request), { personId, serviceId, serviceName: v.serviceName ?? '', made }, { route: routeOf(request), requestId: request.id }));
    return reply.redirect(`/people/${personId}/offers`, 303);
  });

  async function offerFor(request: FastifyRequest, personId: string, offerId: string): Promise<OfferRow> {
    const offer = isUuid(offerId) ? (await offersOf(ctx.db, personId)).find((o) => o.id === offerId) : undefined;
    if (!offer) return refuseRecord(ctx, request, { personId, detail: { offer: isUuid(offerId) ? offerId : null } });
    return offer;
  }

  async function renderOffer(request: FastifyRequest, reply: FastifyReply, personId: string, offer: OfferRow, values: Record<string, string>, errors: FormError[]) {
    reply.status(errors.length ? 400 : 200);
    return reply.view('offers/views/offer.njk', {
      ...base(request), child: await childOf(personId), offer: presentOffer(offer), values, errors, fieldErrors: fieldErrors(errors),
      mayWrite: userOf(request).roles.some((x) => OFFER_WRITERS.includes(x)), modes: modeItems(values.mode),
      responses: Object.entries(OFFER_RESPONSES).map(([value, t]) => ({ value, text: t, checked: value === values.response })),
      barriers: Object.entries(OFFER_BARRIERS).map(([value, t]) => ({ value, text: t, checked: value === values.barrier })),
    });
  }

  r.get('/people/:personId/offers/:offerId', { schema: { params: offerParams }, config: { access: { kind: 'person', action: 'offer.read' } } }, async (request, reply) => {
    const { personId, offerId } = request.params;
    const offer = await offerFor(request, personId, offerId);
    await recordAccess(ctx.db, { actor: userOf(request), action: 'offer.read', personId, route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { offer: offer.id } });
    return renderOffer(request, reply, personId, offer, {}, []);
  });

  r.post('/people/:personId/offers/:offerId', {
    schema: { params: offerParams, body: z.object({ _csrf: z.string().optional(), ...madeFields, response: text(20), barrier: text(20), ownWords: text(5000) }) },
    config: { access: { kind: 'person', action: 'offer.respond', roles: OFFER_WRITERS } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const { personId, offerId } = request.params;
    const offer = await offerFor(request, personId, offerId);
    const v = request.body as Record<string, string>;
    const errors: FormError[] = [];
    const meta = { route: routeOf(request), requestId: request.id };
    if (!offer.offered_on) {
      // Made from a consideration: first record when, how and at what moment it was made.
      const made = readMade(v, errors);
      if (errors.length || !made) return renderOffer(request, reply, personId, offer, v, errors);
      await ctx.db.transaction().execute((trx) => recordOfferMade(trx, actor, { personId, offerId: offer.id, made }, meta));
      return reply.redirect(`/people/${personId}/offers/${offer.id}`, 303);
    }
    if (offer.response) errors.push({ field: 'response', href: '#response', text: 'The response to this offer has already been recorded' });
    else if (!(v.response && v.response in OFFER_RESPONSES)) errors.push({ field: 'response', href: '#response', text: 'Choose the response' });
    const accepted = v.response === 'accepted';
    if (!offer.response && v.response && !accepted) {
      if (!(v.barrier && v.barrier in OFFER_BARRIERS)) errors.push({ field: 'barrier', href: '#barrier', text: 'Choose what stood in the way' });
      if (!v.ownWords?.trim()) errors.push({ field: 'ownWords', href: '#ownWords', text: 'Write what the child and family said, in their own words' });
    }
    if (errors.length) return renderOffer(request, reply, personId, offer, v, errors);
    await ctx.db.transaction().execute((trx) => recordOfferResponse(trx, actor, {
      personId, offerId: offer.id, response: v.response as NonNullable<OfferOfHelpTable['response']>,
      barrier: accepted ? null : v.barrier as OfferOfHelpTable['barrier'], ownWords: v.ownWords?.trim() || null,
    }, meta));
    return reply.redirect(`/people/${personId}/offers`, 303);
  });

  r.get('/offers/acceptance', { config: { access: { kind: 'roles', roles: ACCEPTANCE_ROLES, action: 'offer.acceptance.read' }, nav: { text: 'Offers of help: figures', key: 'offer-figures', order: 64, group: 'Oversight and figures', hint: 'How often help is accepted, and what stands in the way' } } }, async (request, reply) => {
    const actor = userOf(request);
    const figures = await acceptanceFigures(ctx.db, actor.partnershipId);
    await recordAccess(ctx.db, { actor, action: 'offer.acceptance.read', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { partnership: actor.partnershipId } });
    return reply.view('offers/views/acceptance.njk', { user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'offer-figures', figures });
  });
}
