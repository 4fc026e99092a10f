import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';
import { refuseRecord } from '../../access.js';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { isUuid, routeOf, userOf } from '../../request.js';
import { BREAK_GLASS_ROLES } from '../people/people.policy.js';
import { displayNames } from '../people/people.queries.js';

/** How long break-glass access lasts. */
export const BREAK_GLASS_MINUTES = 120;

/** Break-glass: time-limited access with a stated reason; the data protection officer reviews every use. */
export async function breakGlassRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/break-glass', {
    schema: { querystring: z.object({ person: z.string().max(64).optional() }) },
    config: { access: { kind: 'roles', roles: BREAK_GLASS_ROLES, action: 'break_glass.open' } },
  }, async (request, reply) => {
    const actor = userOf(request);
    return reply.view('break-glass/views/open.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'find',
      values: { person: request.query.person ?? '', reason: '' }, errors: [], minutes: BREAK_GLASS_MINUTES,
    });
  });

  r.post('/break-glass', {
    schema: { body: z.object({ _csrf: z.string().optional(), person: z.string().max(200).default(''), reason: z.string().max(5000).default('') }) },
    config: { access: { kind: 'roles', roles: BREAK_GLASS_ROLES, action: 'break_glass.open' } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const person = request.body.person.trim();
    const reason = request.body.reason.trim();
    const errors: { href: string; text: string }[] = [];
    if (!isUuid(person)) errors.push({ href: '#person', text: 'Enter the person reference, like 2f1c0a7e-…, from the referral or the other professional' });
    if (reason.length < 20) errors.push({ href: '#reason', text: 'Explain why you need this record now, in at least 20 characters' });
    const exists = errors.length === 0
      ? await ctx.db.selectFrom('person').select('id').where('id', '=', person).executeTakeFirst()
      : undefined;
    if (errors.length === 0 && !exists) errors.push({ href: '#person', text: 'There is no record with that reference. Check it with whoever gave it to you' });
    if (errors.length) {
      reply.status(400);
      return reply.view('break-glass/views/open.njk', {
        user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'find', values: { person, reason }, errors, minutes: BREAK_GLASS_MINUTES,
      });
    }
    await ctx.db.transaction().execute(async (trx) => {
      const grant = await trx.insertInto('break_glass')
        .values({ user_id: actor.userId, person_id: person, reason, expires_at: sql<Date>`now() + ${`${BREAK_GLASS_MINUTES} minutes`}::interval` as never })
        .returning('id').executeTakeFirstOrThrow();
      await recordAccess(trx, {
        actor, action: 'break_glass.open', personId: person, route: routeOf(request), outcome: 'allowed', requestId: request.id,
        detail: { breakGlassId: grant.id },
      });
    });
    return reply.redirect(`/people/${person}`, 303);
  });

  r.get('/admin/break-glass', {
    config: {
      access: { kind: 'roles', roles: ['data_protection_officer'], action: 'break_glass.list' },
      nav: { text: 'Emergency access', key: 'break-glass', order: 80 },
    },
  }, async (request, reply) => {
    const actor = userOf(request);
    const rows = await ctx.db
      .selectFrom('break_glass as b')
      .innerJoin('app_user as u', 'u.id', 'b.user_id')
      .innerJoin('organisation as o', 'o.id', 'u.organisation_id')
      .leftJoin('break_glass_review as r', 'r.break_glass_id', 'b.id')
      .leftJoin('app_user as rv', 'rv.id', 'r.reviewed_by')
      .select(['b.id', 'b.person_id', 'b.reason', 'b.started_at', 'b.expires_at', 'u.name as user_name', 'o.name as organisation_name',
        'r.reviewed_at', 'rv.name as reviewer_name', 'r.note'])
      .orderBy(sql`r.reviewed_at IS NULL`, 'desc')
      .orderBy('b.started_at', 'desc')
      .limit(500)
      .execute();
    const names = await displayNames(ctx.db, [...new Set(rows.map((x) => x.person_id))]);
    await recordAccess(ctx.db, {
      actor, action: 'break_glass.list', route: routeOf(request), outcome: 'allowed', requestId: request.id,
      detail: { personIds: [...new Set(rows.map((x) => x.person_id))] },
    });
    return reply.view('break-glass/views/review-list.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'admin',
      rows: rows.map((x) => ({ ...x, person_name: names.get(x.person_id) ?? '' })),
      unreviewed: rows.filter((x) => !x.reviewed_at).length, errors: [],
    });
  });

  r.post('/admin/break-glass/:id/review', {
    schema: { params: z.object({ id: z.string().max(64) }), body: z.object({ _csrf: z.string().optional(), note: z.string().max(2000).default('') }) },
    config: { access: { kind: 'record', roles: ['data_protection_officer'], action: 'break_glass.review' } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const use = isUuid(request.params.id) ? await ctx.db.selectFrom('break_glass').select(['id', 'person_id']).where('id', '=', request.params.id).executeTakeFirst() : undefined;
    if (!use) return refuseRecord(ctx, request, { detail: { breakGlassId: isUuid(request.params.id) ? request.params.id : null } });
    await ctx.db.transaction().execute(async (trx) => {
      await trx.insertInto('break_glass_review').values({ break_glass_id: use.id, reviewed_by: actor.userId, note: request.body.note.trim() || null })
        .onConflict((oc) => oc.column('break_glass_id').doNothing()).execute();
      await recordAccess(trx, {
        actor, action: 'break_glass.review', personId: use.person_id, route: routeOf(request), outcome: 'allowed', requestId: request.id,
        detail: { breakGlassId: use.id },
      });
    });
    return reply.redirect('/admin/break-glass', 303);
  });
}

/** When the actor's access to this person is by break-glass alone, until when it lasts. */
export async function breakGlassUntil(ctx: AppContext, userId: string, personId: string): Promise<Date | null> {
  const row = await ctx.db.selectFrom('break_glass').select((eb) => eb.fn.max('expires_at').as('until'))
    .where('user_id', '=', userId).where('person_id', '=', personId).where('expires_at', '>', sql<Date>`now()`).executeTakeFirst();
  return (row?.until as Date | null) ?? null;
}
