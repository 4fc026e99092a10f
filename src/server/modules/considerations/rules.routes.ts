import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { describeRule, RuleDefinitionSchema } from '../../../domain/rules/rule-language.js';
import { holdsRole } from '../../access.js';
import type { Actor, Role } from '../../actor.js';
import type { AppContext } from '../../context.js';
import { AppError } from '../../errors.js';
import { routeOf, userOf } from '../../request.js';
import { checkRuleChange, reviseRule } from './commands/revise-rule.js';
import { listRules } from './rules.queries.js';

/** Only partnership administrators change rules; everyone signed in may read them, because rules must be transparent. */
export const RULE_EDITOR_ROLES: readonly Role[] = ['partnership_admin'];

export function canChangeRules(actor: Actor): boolean {
  return holdsRole(actor, RULE_EDITOR_ROLES);
}

const ruleBody = z.object({
  _csrf: z.string().max(200).optional(),
  code: z.string().max(60).default(''),
  name: z.string().max(300).default(''),
  rationale: z.string().max(10_000).default(''),
  definition: z.string().max(20_000).default(''),
  changeReason: z.string().max(5000).default(''),
  active: z.string().max(10).optional(),
});

/** The partnership's early identification rules: read by all, changed by the partnership administrator. */
export async function ruleRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  function form(request: FastifyRequest, reply: FastifyReply, actor: Actor, values: Record<string, unknown>, errors: { field: string; message: string }[], status = 200) {
    reply.status(status);
    return reply.view('considerations/views/rule-form.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'rules', values,
      errors: errors.map((e) => ({ href: `#${e.field}`, text: e.message })),
      fieldErrors: Object.fromEntries(errors.map((e) => [e.field, { text: errors.filter((x) => x.field === e.field).map((x) => x.message).join('. ') }])),
    });
  }

  r.get('/rules', { config: { access: { kind: 'signed_in' }, nav: { text: 'Early identification rules', key: 'rules', order: 63, group: 'Oversight and figures', hint: 'The patterns the partnership agreed to prompt a practitioner about' } } }, async (request, reply) => {
    const actor = userOf(request);
    // The rules of the reader's own partnership: each partnership runs its own.
    const rules = (await listRules(ctx.db, actor.partnershipId)).map((rule) => ({
      ...rule,
      versions: rule.versions.map((v) => {
        const parsed = RuleDefinitionSchema.safeParse(typeof v.definition === 'string' ? JSON.parse(v.definition) : v.definition);
        return { ...v, description: parsed.success ? describeRule(parsed.data) : 'Definition not readable', json: JSON.stringify(v.definition, null, 2) };
      }),
    }));
    const partnership = await ctx.db.selectFrom('partnership').select('name').where('id', '=', actor.partnershipId).executeTakeFirst();
    return reply.view('considerations/views/rules.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'rules', rules, canChange: canChangeRules(actor), partnershipName: partnership?.name,
    });
  });

  r.get('/rules/edit', {
    schema: { querystring: z.object({ code: z.string().max(60).optional() }) },
    config: { access: { kind: 'roles', roles: RULE_EDITOR_ROLES, action: 'rule.change' } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const rule = request.query.code ? (await listRules(ctx.db, actor.partnershipId)).find((x) => x.code === request.query.code) : undefined;
    const v = rule?.versions[0];
    const values = v
      ? { code: rule.code, name: v.name, rationale: v.rationale, definition: JSON.stringify(v.definition, null, 2), active: rule.active ? 'yes' : undefined, existing: true }
      : { code: '', definition: JSON.stringify({ kind: 'critical_moment', match: { eventTypes: ['witness_to_serious_violence'] }, withinDays: 90 }, null, 2), active: 'yes' };
    return form(request, reply, actor, values, []);
  });

  r.post('/rules', { schema: { body: ruleBody }, config: { access: { kind: 'roles', roles: RULE_EDITOR_ROLES, action: 'rule.change' } } }, async (request, reply) => {
    const actor = userOf(request);
    const b = request.body;
    const change = { code: b.code.trim(), name: b.name, rationale: b.rationale, definition: b.definition, changeReason: b.changeReason, active: b.active === 'yes' };
    const { problems } = await checkRuleChange(ctx.db, change);
    if (problems.length) return form(request, reply, actor, b, problems, 400);
    try {
      await reviseRule(ctx.db, actor, change, { route: routeOf(request), requestId: request.id });
    } catch (err) {
      if (err instanceof AppError && err.details) return form(request, reply, actor, b, err.details, 400);
      throw err;
    }
    return reply.redirect(`/rules#rule-${change.code}`, 303);
  });
}
