import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import { recordAccess } from '../../audit/record-access.js';
import { refuseRecord } from '../../access.js';
import { AppError } from '../../errors.js';
import { parseDateParts } from '../../forms.js';
import type { Actor } from '../../actor.js';
import { actorOf, routeOf } from '../../request.js';
import { getPersonSummary } from '../people/people.queries.js';
import { CATEGORY_LABELS } from './categories.js';
import { appendEntry } from './commands/append-entry.js';

const params = z.object({ personId: z.string().max(64) });
const many = z.union([z.string().max(60), z.array(z.string().max(60)).max(40)]).optional()
  .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]));

/** The record-an-event form's fields, as posted. Everything is text: the handler explains what is wrong. */
const formBody = z.object({
  _csrf: z.string().max(200).optional(),
  eventTypeCode: z.string().max(80).default(''),
  'occurred-day': z.string().max(10).default(''),
  'occurred-month': z.string().max(10).default(''),
  'occurred-year': z.string().max(10).default(''),
  occurredTime: z.string().max(10).default(''),
  approximate: z.string().max(10).optional(),
  summary: z.string().max(5000).default(''),
  narrative: z.string().max(20_000).default(''),
  place: z.string().max(1000).default(''),
  factorCodes: many,
  sensitivity: z.string().max(20).default('standard'),
  reliability: z.string().max(20).default('reported'),
  supersedes: z.string().max(64).default(''),
  correctionReason: z.string().max(5000).default(''),
  restrictionContact: z.string().max(300).default(''),
});
type FormValues = z.infer<typeof formBody>;

async function formOptions(ctx: AppContext) {
  const [types, factors] = await Promise.all([
    ctx.db.selectFrom('event_type').select(['code', 'label', 'category']).orderBy('category').orderBy('label').execute(),
    ctx.db.selectFrom('factor').select(['code', 'label', 'kind']).orderBy('kind').orderBy('label').execute(),
  ]);
  const groups = Object.entries(CATEGORY_LABELS).map(([code, label]) => ({ label, types: types.filter((t) => t.category === code) }));
  return { groups, factors };
}

async function renderForm(
  ctx: AppContext, request: FastifyRequest, reply: FastifyReply, actor: Actor, personId: string,
  values: Partial<FormValues>, errors: { href: string; text: string; field: string }[], status = 200,
) {
  const person = await getPersonSummary(ctx.db, personId);
  if (!person) return refuseRecord(ctx, request, { personId });
  await recordAccess(ctx.db, { actor, action: 'person.read', personId, route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { view: 'record-event-form' } });
  const fieldErrors = Object.fromEntries(errors.map((e) => [e.field, { text: e.text }]));
  reply.status(status);
  return reply.view('chronology/views/record-event.njk', {
    user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'find',
    person: { id: person.id, displayName: person.displayName }, values, errors, fieldErrors, ...(await formOptions(ctx)),
  });
}

const FIELD_HREF: Record<string, string> = {
  eventTypeCode: '#eventTypeCode', occurredAt: '#occurred-day', summary: '#summary', factorCodes: '#factorCodes',
  supersedes: '#summary', correctionReason: '#correctionReason', sensitivity: '#sensitivity', reliability: '#reliability',
  'restriction.contact': '#restrictionContact',
};

/** Record an event (or a correction) through a form. */
export async function chronologyRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/people/:personId/events/new', {
    schema: { params, querystring: z.object({ supersedes: z.string().uuid().optional() }) },
    config: { access: { kind: 'person', action: 'event.record' } },
  }, async (request, reply) => {
    const actor = actorOf(request);
    const values: Partial<FormValues> = { sensitivity: 'standard', reliability: 'reported' };
    if (request.query.supersedes) {
      const original = await ctx.db
        .selectFrom('event').selectAll()
        .where('id', '=', request.query.supersedes)
        .where('organisation_id', '=', actor.organisationId)
        .where('id', 'in', ctx.db.selectFrom('event_person').select('event_id').where('person_id', '=', request.params.personId))
        .executeTakeFirst();
      // Only an entry of this person that the actor's organisation recorded can be corrected.
      if (!original) return refuseRecord(ctx, request, { action: 'event.correct', personId: request.params.personId, detail: { supersedes: request.query.supersedes } });
      const d = original.occurred_at;
      Object.assign(values, {
        supersedes: original.id, eventTypeCode: original.event_type_code, summary: original.summary,
        narrative: original.narrative ?? '', place: original.place ?? '', factorCodes: original.factor_codes,
        sensitivity: original.sensitivity, reliability: original.reliability,
        'occurred-day': original.occurred_precision === 'month' ? '' : String(d.getUTCDate()),
        'occurred-month': String(d.getUTCMonth() + 1), 'occurred-year': String(d.getUTCFullYear()),
        occurredTime: original.occurred_precision === 'time' ? d.toISOString().slice(11, 16) : '',
        approximate: original.occurred_precision === 'approximate' ? 'yes' : undefined,
      });
    }
    return renderForm(ctx, request, reply, actor, request.params.personId, values, []);
  });

  r.post('/people/:personId/events', {
    schema: { params, body: formBody },
    config: { access: { kind: 'person', action: (request) => ((request.body as FormValues).supersedes ? 'event.correct' : 'event.record') } },
  }, async (request, reply) => {
    const v = request.body;
    const personId = request.params.personId;
    const actor = actorOf(request);
    const errors: { href: string; text: string; field: string }[] = [];
    if (!v.eventTypeCode) errors.push({ field: 'eventTypeCode', href: '#eventTypeCode', text: 'Select what happened' });
    const date = parseDateParts(v['occurred-day'], v['occurred-month'], v['occurred-year']);
    if (!date.ok) errors.push({ field: 'occurredAt', href: `#occurred-${date.field}`, text: `The date it happened ${date.error}` });
    const time = v.occurredTime.trim();
    if (time && !/^([01]?\d|2[0-3]):[0-5]\d$/.test(time)) errors.push({ field: 'occurredTime', href: '#occurredTime', text: 'Enter the time as hours and minutes, like 14:30' });
    if (time && date.ok && date.precision === 'month') errors.push({ field: 'occurredTime', href: '#occurred-day', text: 'Enter the day if you know the time' });
    const summary = v.summary.trim();
    if (!summary) errors.push({ field: 'summary', href: '#summary', text: 'Enter a summary of what happened' });
    else if (summary.length > 500) errors.push({ field: 'summary', href: '#summary', text: 'Summary must be 500 characters or fewer' });
    if (!['standard', 'restricted'].includes(v.sensitivity)) errors.push({ field: 'sensitivity', href: '#sensitivity', text: 'Select whether the entry is restricted' });
    if (!['confirmed', 'reported', 'unverified'].includes(v.reliability)) errors.push({ field: 'reliability', href: '#reliability', text: 'Select how reliable the information is' });
    if (v.sensitivity === 'restricted' && !v.restrictionContact.trim()) errors.push({ field: 'restrictionContact', href: '#restrictionContact', text: 'Enter whom others should ask about this restricted entry' });
    if (v.supersedes && !v.correctionReason.trim()) errors.push({ field: 'correctionReason', href: '#correctionReason', text: 'Enter why this entry is being corrected' });
    if (errors.length || !date.ok) return renderForm(ctx, request, reply, actor, personId, v, errors, 400);

    const precision = v.approximate ? 'approximate' : time ? 'time' : date.precision;
    const occurredAt = new Date(`${date.date}T${time ? time.padStart(5, '0') : '00:00'}:00Z`);
    try {
      const result = await ctx.db.transaction().execute((trx) => appendEntry(trx, actor, {
        personId, eventTypeCode: v.eventTypeCode, occurredAt, occurredPrecision: precision, summary,
        narrative: v.narrative, place: v.place, factorCodes: v.factorCodes,
        sensitivity: v.sensitivity as 'standard' | 'restricted', reliability: v.reliability as 'confirmed' | 'reported' | 'unverified',
        sourceSystem: 'jigsaw', sourceRecordId: null,
        supersedes: v.supersedes || null, correctionReason: v.correctionReason || null,
        restriction: v.sensitivity === 'restricted' ? { contact: v.restrictionContact } : null,
      }, { via: 'form', route: routeOf(request), requestId: request.id }));
      return reply.redirect(`/people/${personId}?recorded=${result.id}#event-${result.id}`, 303);
    } catch (err) {
      if (err instanceof AppError && err.details) {
        const mapped = err.details.map((d) => ({ field: d.field, href: FIELD_HREF[d.field] ?? '#eventTypeCode', text: d.message }));
        return renderForm(ctx, request, reply, actor, personId, v, mapped, 400);
      }
      throw err;
    }
  });
}
