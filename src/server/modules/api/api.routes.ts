import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { refuseRecord } from '../../access.js';
import { presentChronology } from '../chronology/chronology.presenter.js';
import { getChronology } from '../chronology/chronology.queries.js';
import { chronologyQuerySchema, toFilter } from '../chronology/chronology.schemas.js';
import { appendEntry } from '../chronology/commands/append-entry.js';
import { actorOf, routeOf } from '../../request.js';
import { presentPerson } from '../people/people.presenter.js';
import { getPersonSummary } from '../people/people.queries.js';
import { chronologySchema, errorSchema, personSchema, recordEventBodySchema } from './api.schemas.js';

const personParams = z.object({ personId: z.string().max(64) });
const security = [{ apiKey: [] }];

/** The JSON API for agency systems, under /api/v1. */
export async function apiRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/people/:personId', {
    schema: {
      tags: ['people'], summary: 'Get a person', security, params: personParams,
      response: { 200: personSchema, 401: errorSchema, 404: errorSchema },
    },
    config: { access: { kind: 'api_person', action: 'person.read' } },
  }, async (request) => {
    const actor = actorOf(request);
    const person = await getPersonSummary(ctx.db, request.params.personId);
    if (!person) return refuseRecord(ctx, request, { personId: request.params.personId });
    await recordAccess(ctx.db, { actor, action: 'person.read', personId: person.id, route: routeOf(request), outcome: 'allowed', requestId: request.id });
    return presentPerson(person, actor);
  });

  r.get('/people/:personId/chronology', {
    schema: {
      tags: ['chronology'], summary: "Get a person's chronology (newest first, paginated, filterable)", security,
      params: personParams, querystring: chronologyQuerySchema,
      response: { 200: chronologySchema, 400: errorSchema, 401: errorSchema, 404: errorSchema },
    },
    config: { access: { kind: 'api_person', action: 'chronology.read' } },
  }, async (request) => {
    const actor = actorOf(request);
    const page = await getChronology(ctx.db, actor, request.params.personId, toFilter(request.query), request.query.page, request.query.pageSize);
    await recordAccess(ctx.db, {
      actor, action: 'chronology.read', personId: request.params.personId, route: routeOf(request), outcome: 'allowed', requestId: request.id,
      detail: { page: page.page, entries: page.entries.length },
    });
    return presentChronology(page);
  });

  r.post('/people/:personId/events', {
    schema: {
      tags: ['chronology'], summary: "Record an event in a person's chronology (or a correction, with supersedes)", security,
      params: personParams, body: recordEventBodySchema,
      response: { 201: z.object({ id: z.string().uuid() }), 400: errorSchema, 401: errorSchema, 404: errorSchema },
    },
    config: { access: { kind: 'api_person', action: (request) => ((request.body as { supersedes?: string } | undefined)?.supersedes ? 'event.correct' : 'event.record') } },
  }, async (request, reply) => {
    const actor = actorOf(request);
    const b = request.body;
    const occurredAt = new Date(b.occurredAt.length === 10 ? `${b.occurredAt}T00:00:00Z` : b.occurredAt);
    const result = await ctx.db.transaction().execute((trx) => appendEntry(trx, actor, {
      personId: request.params.personId,
      eventTypeCode: b.eventTypeCode,
      occurredAt,
      occurredPrecision: b.occurredPrecision,
      summary: b.summary,
      narrative: b.narrative ?? null,
      place: b.place ?? null,
      factorCodes: b.factorCodes ?? [],
      sensitivity: b.sensitivity ?? 'standard',
      reliability: b.reliability ?? 'reported',
      ...(b.personRole ? { personRole: b.personRole } : {}),
      sourceSystem: b.sourceSystem,
      sourceRecordId: b.sourceRecordId ?? null,
      otherPeople: b.otherPeople ?? [],
      supersedes: b.supersedes ?? null,
      correctionReason: b.correctionReason ?? null,
      restriction: b.restriction
        ? { contact: b.restriction.contact, reason: b.restriction.reason ?? null, grantUserIds: b.restriction.grantUserIds ?? [], grantRoles: b.restriction.grantRoles ?? [] }
        : null,
    }, { via: 'api', route: routeOf(request), requestId: request.id }));
    reply.status(201);
    return result;
  });
}
