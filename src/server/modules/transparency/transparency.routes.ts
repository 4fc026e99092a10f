import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { refuseRecord, type RouteAccess } from '../../access.js';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { actorOf, isUuid, routeOf, userOf } from '../../request.js';
import { CATEGORY_LABELS } from '../chronology/categories.js';
import { getPersonSummary } from '../people/people.queries.js';
import { buildSubjectAccessExport } from './subject-access.js';
import { whatWeHold } from './what-we-hold.js';

/** Subject access is for the data protection officer; the export of one person is a record found by its id. */
const subjectAccess: RouteAccess = { kind: 'roles', roles: ['data_protection_officer'], action: 'subject_access.export' };
const subjectExport: RouteAccess = { kind: 'record', roles: ['data_protection_officer'], action: 'subject_access.export' };

/** Subject access export (for the DPO) and the "what we hold and why" summary (for practitioners). */
export async function transparencyRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/admin/subject-access', {
    schema: { querystring: z.object({ person: z.string().max(64).optional() }) },
    config: { access: subjectAccess, nav: { text: 'Subject access', key: 'subject-access', order: 90, group: 'Information governance', hint: 'Answer a subject access request: everything held about a person' } },
  }, async (request, reply) => {
    const actor = userOf(request);
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

  r.get('/admin/subject-access/:personId/export.json', { schema: { params: z.object({ personId: z.string().max(64) }) }, config: { access: subjectExport } }, async (request, reply) => {
    const actor = userOf(request);
    const data = isUuid(request.params.personId) ? await buildSubjectAccessExport(ctx.db, request.params.personId) : null;
    if (!data) return refuseRecord(ctx, request, { personId: request.params.personId });
    await recordAccess(ctx.db, { actor, action: 'subject_access.export', personId: data.personId, route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { format: 'json' } });
    reply.header('Content-Disposition', `attachment; filename="subject-access-${data.personId}.json"`);
    return reply.type('application/json').send(JSON.stringify(data, null, 2));
  });

  r.get('/admin/subject-access/:personId/document', { schema: { params: z.object({ personId: z.string().max(64) }) }, config: { access: subjectExport } }, async (request, reply) => {
    const actor = userOf(request);
    const data = isUuid(request.params.personId) ? await buildSubjectAccessExport(ctx.db, request.params.personId) : null;
    if (!data) return refuseRecord(ctx, request, { personId: request.params.personId });
    await recordAccess(ctx.db, { actor, action: 'subject_access.export', personId: data.personId, route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { format: 'document' } });
    return reply.view('transparency/views/subject-access-document.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'admin', data, categoryLabels: CATEGORY_LABELS,
    });
  });

  r.get('/people/:personId/what-we-hold', {
    schema: { params: z.object({ personId: z.string().max(64) }) },
    config: { access: { kind: 'person', action: 'person.read' } },
  }, async (request, reply) => {
    const actor = actorOf(request);
    const summary = await whatWeHold(ctx.db, actor, request.params.personId);
    if (!summary) return refuseRecord(ctx, request, { personId: request.params.personId });
    await recordAccess(ctx.db, { actor, action: 'what_we_hold.read', personId: request.params.personId, route: routeOf(request), outcome: 'allowed', requestId: request.id });
    return reply.view('transparency/views/what-we-hold.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'find', summary, categoryLabels: CATEGORY_LABELS,
    });
  });
}
