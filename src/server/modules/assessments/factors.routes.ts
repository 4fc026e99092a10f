import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { loadVocabulary } from '../../../domain/vocabulary.js';
import { holdsRole, refuseRecord } from '../../access.js';
import type { Actor, Role } from '../../actor.js';
import type { AppContext } from '../../context.js';
import { AppError } from '../../errors.js';
import { actorOf, routeOf, userOf } from '../../request.js';
import { reviseFactor } from './commands/revise-factor.js';

/** Only partnership administrators revise factor definitions; the vocabulary is readable by everyone signed in. */
export const FACTOR_EDITOR_ROLES: readonly Role[] = ['partnership_admin'];

export function canReviseFactors(actor: Actor): boolean {
  return holdsRole(actor, FACTOR_EDITOR_ROLES);
}

const reviseBody = z.object({
  _csrf: z.string().max(200).optional(),
  label: z.string().max(300).default(''),
  definition: z.string().max(5000).default(''),
  evidence: z.string().max(5000).default(''),
  cinFactors: z.string().max(500).default(''),
  changeReason: z.string().max(5000).default(''),
});

/** The factor vocabulary with its CIN census mapping, each factor's versions, and revision. */
export async function factorRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const cinLabels = new Map(loadVocabulary('1').cinFactorCodes.map((c) => [c.code, c.label]));

  r.get('/factors', { config: { access: { kind: 'signed_in' }, nav: { text: 'Factors', key: 'factors', order: 62, group: 'Children and families', hint: 'What each vulnerability, risk and protective factor means' } } }, async (request, reply) => {
    const actor = actorOf(request);
    const rows = await ctx.db
      .selectFrom('factor_version as v')
      .selectAll()
      .where((eb) => eb('v.version', '=', eb.selectFrom('factor_version as x').select((x) => x.fn.max('x.version').as('m')).whereRef('x.code', '=', 'v.code')))
      .orderBy('v.kind')
      .orderBy('v.label')
      .execute();
    const factors = rows.map((f) => ({ ...f, cin: f.cin_factors.map((c) => ({ code: c, label: cinLabels.get(c) ?? c })) }));
    return reply.view('assessments/views/factors.njk', { user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'factors', factors });
  });

  async function renderFactor(request: FastifyRequest, reply: FastifyReply, actor: Actor, code: string, values: Record<string, string> | null, errors: { field: string; message: string }[], status = 200) {
    const versions = await ctx.db.selectFrom('factor_version as v').leftJoin('app_user as u', 'u.id', 'v.changed_by_user_id').selectAll('v').select('u.name as changed_by_name')
      .where('v.code', '=', code).orderBy('v.version', 'desc').execute();
    if (!versions.length) return refuseRecord(ctx, request, { detail: { code } });
    const current = versions[0]!;
    reply.status(status);
    return reply.view('assessments/views/factor.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'factors', canRevise: canReviseFactors(actor),
      versions: versions.map((v) => ({ ...v, cin: v.cin_factors.map((c) => ({ code: c, label: cinLabels.get(c) ?? c })) })), current,
      values: values ?? { label: current.label, definition: current.definition, evidence: current.evidence, cinFactors: current.cin_factors.join(', ') },
      errors: errors.map((e) => ({ href: `#${e.field}`, text: e.message })), fieldErrors: Object.fromEntries(errors.map((e) => [e.field, { text: e.message }])),
    });
  }

  r.get('/factors/:code', {
    schema: { params: z.object({ code: z.string().max(80) }) },
    config: { access: { kind: 'record', action: 'factor.read' } },
  }, async (request, reply) => renderFactor(request, reply, actorOf(request), request.params.code, null, []));

  r.post('/factors/:code', {
    schema: { params: z.object({ code: z.string().max(80) }), body: reviseBody },
    config: { access: { kind: 'record', action: 'factor.revise', roles: FACTOR_EDITOR_ROLES } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const known = await ctx.db.selectFrom('factor_version').select('code').where('code', '=', request.params.code).limit(1).executeTakeFirst();
    if (!known) return refuseRecord(ctx, request, { detail: { code: request.params.code } });
    const b = request.body;
    const cinFactors = b.cinFactors.split(/[\s,]+/).map((c) => c.trim().toUpperCase()).filter(Boolean);
    try {
      await reviseFactor(ctx.db, actor, request.params.code, { label: b.label, definition: b.definition, evidence: b.evidence, cinFactors, changeReason: b.changeReason }, { route: routeOf(request), requestId: request.id });
    } catch (err) {
      if (err instanceof AppError && err.details) return renderFactor(request, reply, actor, request.params.code, b, err.details, 400);
      throw err;
    }
    return reply.redirect(`/factors/${request.params.code}`, 303);
  });
}
