import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';
import { refuseRecord, type RouteAccess } from '../../access.js';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { CATEGORY_LABELS } from '../chronology/categories.js';
import { isUuid, routeOf, userOf } from '../../request.js';

const many = z.union([z.string().max(60), z.array(z.string().max(60)).max(20)]).optional().transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]));

/** Information sharing agreements, managed by the partnership administrator. */
export async function sharingRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  // The partnership administrator's pages; one of their records (by its id) is refused through refuseRecord.
  const admin: RouteAccess = { kind: 'roles', roles: ['partnership_admin'], action: 'sharing.manage' };
  const adminRecord: RouteAccess = { kind: 'record', roles: ['partnership_admin'], action: 'sharing.manage' };

  async function render(request: FastifyRequest, reply: FastifyReply, actor: ReturnType<typeof userOf>, errors: { href: string; text: string }[] = [], values: Record<string, unknown> = {}) {
    const [agreements, organisations] = await Promise.all([
      ctx.db.selectFrom('sharing_agreement as a')
        .leftJoin('organisation as p', 'p.id', 'a.provider_organisation_id')
        .leftJoin('organisation as rc', 'rc.id', 'a.recipient_organisation_id')
        .select(['a.id', 'a.name', 'a.purpose', 'a.categories', 'a.valid_from', 'a.valid_to', 'p.name as provider', 'rc.name as recipient',
          sql<boolean>`a.valid_to IS NULL OR a.valid_to >= current_date`.as('active'),
          // Agreements are deployment-wide and may span partnerships: show which partnerships each side belongs to.
          sql<string[]>`coalesce((SELECT array_agg(pa.name ORDER BY pa.name) FROM organisation_partnership op JOIN partnership pa ON pa.id = op.partnership_id WHERE op.organisation_id = a.provider_organisation_id), '{}')`.as('provider_partnerships'),
          sql<string[]>`coalesce((SELECT array_agg(pa.name ORDER BY pa.name) FROM organisation_partnership op JOIN partnership pa ON pa.id = op.partnership_id WHERE op.organisation_id = a.recipient_organisation_id), '{}')`.as('recipient_partnerships')])
        .orderBy('a.created_at').execute(),
      ctx.db.selectFrom('organisation').select(['id', 'name']).orderBy('name').execute(),
    ]);
    reply.status(errors.length ? 400 : 200);
    return reply.view('sharing/views/agreements.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'admin',
      agreements, organisations, categoryLabels: CATEGORY_LABELS, errors, values,
      err: Object.fromEntries(errors.map((e) => [e.href.slice(1), { text: e.text }])),
    });
  }

  r.get('/admin/sharing-agreements', {
    config: { access: admin, nav: { text: 'Sharing agreements', key: 'sharing', order: 60, group: 'Information governance', hint: 'Which organisations share which categories of information' } },
  }, async (request, reply) => render(request, reply, userOf(request)));

  r.post('/admin/sharing-agreements', {
    schema: {
      body: z.object({
        _csrf: z.string().optional(), name: z.string().max(200).default(''), purpose: z.string().max(2000).default(''),
        provider: z.string().max(64).default(''), recipient: z.string().max(64).default(''), categories: many,
      }),
    },
    config: { access: admin },
  }, async (request, reply) => {
    const actor = userOf(request);
    const b = request.body;
    const errors: { href: string; text: string }[] = [];
    if (!b.name.trim()) errors.push({ href: '#name', text: 'Enter a name for the agreement' });
    if (!b.purpose.trim()) errors.push({ href: '#purpose', text: 'Enter the purpose the information is shared for' });
    const orgIds = [b.provider, b.recipient].filter((x) => x !== '');
    if (orgIds.some((x) => !isUuid(x))) errors.push({ href: '#provider', text: 'Choose organisations from the lists' });
    else if (orgIds.length) {
      const found = await ctx.db.selectFrom('organisation').select('id').where('id', 'in', orgIds).execute();
      if (found.length !== new Set(orgIds).size) errors.push({ href: '#provider', text: 'Choose organisations from the lists' });
    }
    const unknown = b.categories.filter((c) => !(c in CATEGORY_LABELS));
    if (unknown.length) errors.push({ href: '#categories', text: `Unknown categories: ${unknown.join(', ')}` });
    if (errors.length) return render(request, reply, actor, errors, b);
    const created = await ctx.db.insertInto('sharing_agreement').values({
      name: b.name.trim(), purpose: b.purpose.trim(), provider_organisation_id: b.provider || null, recipient_organisation_id: b.recipient || null,
      categories: b.categories, created_by: actor.userId,
    }).returning('id').executeTakeFirstOrThrow();
    await recordAccess(ctx.db, { actor, action: 'sharing.manage', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { created: created.id } });
    return reply.redirect('/admin/sharing-agreements', 303);
  });

  r.post('/admin/sharing-agreements/:id/end', {
    schema: { params: z.object({ id: z.string().max(64) }), body: z.object({ _csrf: z.string().optional() }) },
    config: { access: adminRecord },
  }, async (request, reply) => {
    const actor = userOf(request);
    // Ending an agreement stops sharing from today; the agreement and its dates stay on record.
    const ended = !isUuid(request.params.id) ? null : await ctx.db.updateTable('sharing_agreement').set({ valid_to: sql<string>`greatest(valid_from, current_date - 1)` as never })
      .where('id', '=', request.params.id).where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>=', sql<string>`current_date`)]))
      .executeTakeFirst();
    if (!ended || Number(ended.numUpdatedRows) === 0) return refuseRecord(ctx, request, { detail: { agreementId: isUuid(request.params.id) ? request.params.id : null } });
    await recordAccess(ctx.db, { actor, action: 'sharing.manage', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { ended: request.params.id } });
    return reply.redirect('/admin/sharing-agreements', 303);
  });
}
