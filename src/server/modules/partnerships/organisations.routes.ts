import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AGENCY_KINDS } from '../../../domain/vocabulary.js';
import { refuseRecord, type RouteAccess } from '../../access.js';
import type { Actor } from '../../actor.js';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { isUuid, routeOf, userOf } from '../../request.js';
import { addOrganisation, changeOrganisation, listOrganisations, organisationProblems, type OrganisationInput } from './commands/operate-organisations.js';
import { OperatorError } from './commands/operate-partnerships.js';
import { PARTNERSHIP_ADMIN_ROLES } from './partnerships.routes.js';

type Admin = Actor & { kind: 'user' };
type FormError = { href: string; text: string };

const orgBody = z.object({
  _csrf: z.string().max(200).optional(),
  code: z.string().max(100).default(''), name: z.string().max(300).default(''), kind: z.string().max(60).default(''), borough: z.string().max(200).default(''),
});

/**
 * The partnership administrator's organisations: the member organisations of their own partnership with
 * their codes, adding one (it joins the administrator's partnership) and changing one. An organisation
 * outside the administrator's partnership is refused as not found, with a denied row.
 */
export async function organisationRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const read: RouteAccess = { kind: 'roles', roles: PARTNERSHIP_ADMIN_ROLES, action: 'partnership.read' };
  const configure: RouteAccess = { kind: 'roles', roles: PARTNERSHIP_ADMIN_ROLES, action: 'partnership.configure' };
  // An organisation named by its id: the rule admits the administrator, and memberOf refuses one outside their partnership.
  const configureOne: RouteAccess = { kind: 'record', roles: PARTNERSHIP_ADMIN_ROLES, action: 'partnership.configure' };
  const kindItems = (chosen: string) => [{ value: '', text: 'Choose a kind' }, ...AGENCY_KINDS.map((k) => ({ value: k, text: k.replaceAll('_', ' '), selected: k === chosen }))];

  function form(request: FastifyRequest, reply: FastifyReply, actor: Admin, values: OrganisationInput, id: string | null, errors: FormError[] = []) {
    reply.status(errors.length ? 400 : 200);
    return reply.view('partnerships/views/organisation-form.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'partnership', errors, id, values, kindItems: kindItems(values.kind),
      err: Object.fromEntries(errors.map((e) => [e.href.slice(1), { text: e.text }])),
    });
  }

  /** The organisation, if it is a member of the administrator's partnership; otherwise refused as not found. */
  async function memberOf(request: FastifyRequest, actor: Admin, id: string) {
    const org = isUuid(id) ? (await listOrganisations(ctx.db, actor.partnershipId)).find((o) => o.id === id) : undefined;
    return org ?? refuseRecord(ctx, request, { detail: { organisationId: isUuid(id) ? id : null } });
  }

  function problemsOf(values: OrganisationInput): FormError[] {
    return Object.entries(organisationProblems(values)).map(([field, text]) => ({ href: `#${field}`, text }));
  }

  r.get('/partnership/organisations', { config: { access: read } }, async (request, reply) => {
    const actor = userOf(request);
    const organisations = await listOrganisations(ctx.db, actor.partnershipId);
    await recordAccess(ctx.db, { actor, action: 'partnership.read', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { partnershipId: actor.partnershipId, organisations: organisations.length } });
    return reply.view('partnerships/views/organisations.njk', { user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'partnership', organisations });
  });

  r.get('/partnership/organisations/new', { config: { access: configure } }, async (request, reply) =>
    form(request, reply, userOf(request), { code: '', name: '', kind: '', borough: '' }, null));

  r.post('/partnership/organisations', { schema: { body: orgBody }, config: { access: configure } }, async (request, reply) => {
    const actor = userOf(request);
    const values = { code: request.body.code, name: request.body.name, kind: request.body.kind, borough: request.body.borough };
    const errors = problemsOf(values);
    if (errors.length) return form(request, reply, actor, values, null, errors);
    try {
      await addOrganisation(ctx.db, values, { actor, route: routeOf(request), partnershipId: actor.partnershipId });
    } catch (err) {
      if (err instanceof OperatorError) return form(request, reply, actor, values, null, [{ href: '#code', text: err.message }]);
      throw err;
    }
    return reply.redirect('/partnership/organisations', 303);
  });

  r.get('/partnership/organisations/:organisationId', {
    schema: { params: z.object({ organisationId: z.string().max(100) }) }, config: { access: configureOne },
  }, async (request, reply) => {
    const actor = userOf(request);
    const org = await memberOf(request, actor, request.params.organisationId);
    return form(request, reply, actor, { code: org.code ?? '', name: org.name, kind: org.kind, borough: org.borough }, org.id);
  });

  r.post('/partnership/organisations/:organisationId', {
    schema: { params: z.object({ organisationId: z.string().max(100) }), body: orgBody }, config: { access: configureOne },
  }, async (request, reply) => {
    const actor = userOf(request);
    const org = await memberOf(request, actor, request.params.organisationId);
    const values = { code: request.body.code, name: request.body.name, kind: request.body.kind, borough: request.body.borough };
    const errors = problemsOf(values);
    if (errors.length) return form(request, reply, actor, values, org.id, errors);
    try {
      await changeOrganisation(ctx.db, org.id, values, { actor, route: routeOf(request) });
    } catch (err) {
      if (err instanceof OperatorError) return form(request, reply, actor, values, org.id, [{ href: '#code', text: err.message }]);
      throw err;
    }
    return reply.redirect('/partnership/organisations', 303);
  });
}
