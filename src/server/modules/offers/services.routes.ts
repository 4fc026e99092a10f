/**
 * The early help service directory of the user's partnership: search by a child's age, postcode and
 * need; a service's page with the offers made and accepted through it; import and export in Open
 * Referral UK JSON (the partnership administrator imports). The directory holds no personal data.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { suppressed } from '../../../domain/rules/fairness.js';
import { holdsRole, refuseRecord } from '../../access.js';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { isUuid, routeOf, userOf } from '../../request.js';
import { parseHsds, toHsds, type HsdsProblem } from './hsds.js';
import { ACCEPTANCE_ROLES } from './offers.routes.js';
import { boroughOfPostcode, importServices, needsOf, offerCounts, postcodeDistrict, searchServices, toDirectoryService } from './services.queries.js';

const text = (max: number) => z.string().max(max).default('');

/** The service directory. */
export async function serviceRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const base = (request: FastifyRequest) => ({ user: userOf(request), csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'services' });

  r.get('/services', {
    schema: { querystring: z.object({ age: text(3), postcode: text(10), need: text(100) }) },
    config: { access: { kind: 'signed_in' }, nav: { text: 'Services', key: 'services', order: 60, group: 'Children and families', hint: 'The early help directory, searched by age and postcode' } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const q = request.query;
    const errors: { href: string; text: string }[] = [];
    const age = q.age.trim() ? Number(q.age) : null;
    if (age !== null && (!Number.isInteger(age) || age < 0 || age > 25)) errors.push({ href: '#age', text: 'Enter the child\'s age in years, from 0 to 25' });
    let borough: string | null = null;
    if (q.postcode.trim()) {
      if (!postcodeDistrict(q.postcode)) errors.push({ href: '#postcode', text: 'Enter a postcode, like NB4 7QD' });
      else if (!(borough = await boroughOfPostcode(ctx.db, q.postcode))) errors.push({ href: '#postcode', text: 'That postcode is not in an area Jigsaw knows' });
    }
    const services = errors.length ? [] : await searchServices(ctx.db, actor.partnershipId, { age: age !== null && Number.isInteger(age) ? age : null, borough, need: q.need.trim() || null });
    const counts = await offerCounts(ctx.db, services.map((s) => s.id));
    reply.status(errors.length ? 400 : 200);
    return reply.view('offers/views/services.njk', {
      ...base(request), values: q, errors, borough, searched: Boolean(q.age || q.postcode || q.need),
      needs: [{ value: '', text: 'Any need' }, ...(await needsOf(ctx.db, actor.partnershipId)).map((n) => ({ value: n, text: n.replace(/_/g, ' '), selected: n === q.need }))],
      services: services.map((s) => ({ ...s, made: suppressed(counts.get(s.id)?.made ?? 0), accepted: suppressed(counts.get(s.id)?.accepted ?? 0) })),
      mayImport: holdsRole(actor, ['partnership_admin']), mayReadAcceptance: holdsRole(actor, ACCEPTANCE_ROLES),
    });
  });

  r.get('/services/export.json', { config: { access: { kind: 'signed_in' } } }, async (request, reply) => {
    const actor = userOf(request);
    const rows = await ctx.db.selectFrom('service').selectAll().where('partnership_id', '=', actor.partnershipId).orderBy('name').orderBy('id').execute();
    await recordAccess(ctx.db, { actor, action: 'service.export', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { services: rows.length } });
    return reply.header('content-type', 'application/json; charset=utf-8').header('content-disposition', 'attachment; filename="services.json"')
      .send(JSON.stringify(toHsds(rows.map(toDirectoryService)), null, 2));
  });

  const importRule = { kind: 'roles', roles: ['partnership_admin'], action: 'service.import' } as const;
  const renderImport = (request: FastifyRequest, reply: FastifyReply, values: { json: string }, problems: HsdsProblem[], result: { added: number; updated: number } | null) => {
    reply.status(problems.length ? 400 : 200);
    return reply.view('offers/views/services-import.njk', {
      ...base(request), values, result, problems,
      errors: problems.length ? [{ href: '#json', text: `${problems.length} service${problems.length === 1 ? '' : 's'} could not be read: nothing was imported` }] : [],
    });
  };

  r.get('/services/import', { config: { access: importRule } }, async (request, reply) => renderImport(request, reply, { json: '' }, [], null));

  r.post('/services/import', {
    schema: { body: z.object({ _csrf: z.string().optional(), json: z.string().max(2_000_000).default('') }) },
    config: { access: importRule },
  }, async (request, reply) => {
    const actor = userOf(request);
    const { services, problems } = parseHsds(request.body.json);
    if (!problems.length && services.length === 0) problems.push({ index: 0, id: null, message: 'There are no services in the file' });
    if (problems.length) return renderImport(request, reply, { json: request.body.json }, problems, null);
    const result = await ctx.db.transaction().execute(async (trx) => {
      const counts = await importServices(trx, actor.partnershipId, services);
      await recordAccess(trx, { actor, action: 'service.import', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { ...counts, partnership: actor.partnershipId } });
      return counts;
    });
    return renderImport(request, reply, { json: '' }, [], result);
  });

  r.get('/services/:serviceId', {
    schema: { params: z.object({ serviceId: z.string().max(64) }) },
    config: { access: { kind: 'record', action: 'service.read' } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const { serviceId } = request.params;
    const service = isUuid(serviceId)
      ? await ctx.db.selectFrom('service').selectAll().where('id', '=', serviceId).where('partnership_id', '=', actor.partnershipId).executeTakeFirst()
      : undefined;
    if (!service) return refuseRecord(ctx, request, { personId: null, detail: { service: isUuid(serviceId) ? serviceId : null } });
    const counts = (await offerCounts(ctx.db, [service.id])).get(service.id) ?? { made: 0, accepted: 0 };
    return reply.view('offers/views/service.njk', { ...base(request), service, made: suppressed(counts.made), accepted: suppressed(counts.accepted) });
  });
}
