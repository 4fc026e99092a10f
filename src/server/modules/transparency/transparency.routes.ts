import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { NotFoundError } from '../../errors.js';
import { CATEGORY_LABELS } from '../chronology/categories.js';
import { actorOf, guardPerson, routeOf } from '../people/people.guard.js';
import { isUuid } from '../people/people.policy.js';
import { getPersonSummary } from '../people/people.queries.js';
import { buildSubjectAccessExport } from './subject-access.js';
import { whatWeHold } from './what-we-hold.js';

const isDpo = (roles: readonly string[]) => roles.includes('data_protection_officer');

/** Subject access export (for the DPO) and the "what we hold and why" summary (for practitioners). */
export async function transparencyRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  const dpoOnly = async (request: Parameters<typeof actorOf>[0], personId: string | null) => {
    const actor = actorOf(request);
    if (actor.kind !== 'user' || !isDpo(actor.roles)) {
      await recordAccess(ctx.db, { actor, action: 'subject_access.export', personId: personId && isUuid(personId) ? personId : null, route: routeOf(request), outcome: 'denied', requestId: request.id });
      throw new NotFoundError();
    }
    return actor;
  };

  r.get('/admin/subject-access', { schema: { querystring: z.object({ person: z.string().max(64).optional() }) } }, async (request, reply) => {
    const actor = await dpoOnly(request, null);
    const person = request.query.person?.trim() ?? '';
    const errors: { href: string; text: string }[] = [];
    let found: { id: string; displayName: string } | null = null;
    if (person) {
      const summary = isUuid(person) ? await getPersonSummary(ctx.db, person) : null;
      if (!summary) errors.push({ href: '#person', text: 'There is no record with that reference' });
      else {
        found = { id: summary.id, displayName: summary.displayName };
        await recordAccess(ctx.db, { actor, action: 'subject_access.export', personId: summary.id, route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { view: 'lookup' } });
      }
    }
    reply.status(errors.length ? 400 : 200);
    return reply.view('transparency/views/subject-access.njk', { user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'admin', person, found, errors });
  });

  r.get('/admin/subject-access/:personId/export.json', { schema: { params: z.object({ personId: z.string().max(64) }) } }, async (request, reply) => {
    const actor = await dpoOnly(request, request.params.personId);
    const data = isUuid(request.params.personId) ? await buildSubjectAccessExport(ctx.db, request.params.personId) : null;
    if (!data) throw new NotFoundError();
    await recordAccess(ctx.db, { actor, action: 'subject_access.export', personId: data.personId, route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { format: 'json' } });
    reply.header('Content-Disposition', `attachment; filename="subject-access-${data.personId}.json"`);
    return reply.type('application/json').send(JSON.stringify(data, null, 2));
  });

  r.get('/admin/subject-access/:personId/document', { schema: { params: z.object({ personId: z.string().max(64) }) } }, async (request, reply) => {
    const actor = await dpoOnly(request, request.params.personId);
    const data = isUuid(request.params.personId) ? await buildSubjectAccessExport(ctx.db, request.params.personId) : null;
    if (!data) throw new NotFoundError();
    await recordAccess(ctx.db, { actor, action: 'subject_access.export', personId: data.personId, route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { format: 'document' } });
    return reply.view('transparency/views/subject-access-document.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'admin', data, categoryLabels: CATEGORY_LABELS,
    });
  });

  r.get('/people/:personId/what-we-hold', { schema: { params: z.object({ personId: z.string().max(64) }) } }, async (request, reply) => {
    const actor = await guardPerson(ctx, request, 'person.read', request.params.personId);
    const summary = await whatWeHold(ctx.db, request.params.personId);
    if (!summary) throw new NotFoundError();
    await recordAccess(ctx.db, { actor, action: 'what_we_hold.read', personId: request.params.personId, route: routeOf(request), outcome: 'allowed', requestId: request.id });
    return reply.view('transparency/views/what-we-hold.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'find', summary, categoryLabels: CATEGORY_LABELS,
    });
  });
}
