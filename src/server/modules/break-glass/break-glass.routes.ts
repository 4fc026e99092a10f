import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import { z } from 'zod';
import { refuseRecord } from '../../access.js';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { NotFoundError } from '../../errors.js';
import { isUuid, routeOf, userOf } from '../../request.js';
import { BREAK_GLASS_ROLES } from '../people/people.policy.js';
import { displayNames } from '../people/people.queries.js';

/** How long break-glass access lasts. */
export const BREAK_GLASS_MINUTES = 120;
/** How many times one user may break the glass in a window of this many hours. */
export const BREAK_GLASS_LIMIT = 3;
export const BREAK_GLASS_WINDOW_HOURS = 24;

/**
 * What is wrong with a break-glass reason, or null: it must say something a reviewer can check, so
 * it needs at least 40 characters, six words of which four differ, and no run of one character.
 */
export function breakGlassReasonProblem(reason: string): string | null {
  if (reason.length < 40) return 'Explain why you need this record now, in at least 40 characters';
  if (/(.)\1{4,}/u.test(reason)) return 'Explain why you need this record now in words, without repeating a character';
  const words = reason.toLowerCase().match(/\p{L}{2,}/gu) ?? [];
  if (words.length < 6) return 'Explain why you need this record now in at least 6 words: what has happened and what you need to know';
  if (new Set(words).size < 4) return 'Explain why you need this record now in your own words, not the same words repeated';
  return null;
}

/** How many times a user has broken the glass since a time (attempts on references with no record included). */
export async function breakGlassUsesSince(db: Kysely<Database>, userId: string, since: Date): Promise<number> {
  const row = await db.selectFrom('access_log').select((eb) => eb.fn.countAll<string>().as('n'))
    .where('user_id', '=', userId).where('action', '=', 'break_glass.open').where('route', '=', 'POST /break-glass').where('at', '>', since)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

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
      values: { person: request.query.person ?? '', reason: '' }, errors: [], minutes: BREAK_GLASS_MINUTES, limit: BREAK_GLASS_LIMIT, windowHours: BREAK_GLASS_WINDOW_HOURS,
    });
  });

  r.post('/break-glass', {
    schema: { body: z.object({ _csrf: z.string().optional(), person: z.string().max(200).default(''), reason: z.string().max(5000).default('') }) },
    config: { access: { kind: 'roles', roles: BREAK_GLASS_ROLES, action: 'break_glass.open' } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const person = request.body.person.trim();
    const reason = request.body.reason.trim();
    const render = (errors: { href: string; text: string }[], status: number) => {
      reply.status(status);
      return reply.view('break-glass/views/open.njk', {
        user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'find', values: { person, reason }, errors, minutes: BREAK_GLASS_MINUTES, limit: BREAK_GLASS_LIMIT, windowHours: BREAK_GLASS_WINDOW_HOURS,
      });
    };
    const errors: { href: string; text: string }[] = [];
    if (!isUuid(person)) errors.push({ href: '#person', text: 'Enter the person reference, like 2f1c0a7e-…, from the referral or the other professional' });
    const reasonProblem = breakGlassReasonProblem(reason);
    if (reasonProblem) errors.push({ href: '#reason', text: reasonProblem });
    if (errors.length) return render(errors, 400);
    // One user's uses are counted and the grant written under a per-user lock, so two requests at once
    // cannot both take the last use. A reference with no record counts as a use and answers exactly as
    // one with a record does (to the record's address, which says whether they may see it), so the
    // form never tells whether a child exists.
    const outcome = await ctx.db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(hashtext(${`break_glass:${actor.userId}`}))`.execute(trx);
      if ((await breakGlassUsesSince(trx, actor.userId, new Date(Date.now() - BREAK_GLASS_WINDOW_HOURS * 3_600_000))) >= BREAK_GLASS_LIMIT) return 'limit' as const;
      const exists = await trx.selectFrom('person').select('id').where('id', '=', person).where('erased_at', 'is', null).executeTakeFirst();
      if (!exists) {
        try {
          await refuseRecord({ db: trx }, request, { personId: person });
        } catch (err) {
          if (!(err instanceof NotFoundError)) throw err;
        }
        return 'opened' as const;
      }
      const grant = await trx.insertInto('break_glass')
        .values({ user_id: actor.userId, person_id: person, reason, expires_at: sql<Date>`now() + ${`${BREAK_GLASS_MINUTES} minutes`}::interval` as never })
        .returning('id').executeTakeFirstOrThrow();
      await recordAccess(trx, {
        actor, action: 'break_glass.open', personId: person, route: routeOf(request), outcome: 'allowed', requestId: request.id,
        detail: { breakGlassId: grant.id },
      });
      return 'opened' as const;
    });
    if (outcome === 'limit') {
      return render([{
        href: '#reason',
        text: `You have used emergency access ${BREAK_GLASS_LIMIT} times in the last ${BREAK_GLASS_WINDOW_HOURS} hours, the most allowed. Ask a colleague who works with the child, your manager or the data protection officer`,
      }], 429);
    }
    return reply.redirect(`/people/${person}`, 303);
  });

  r.get('/admin/break-glass', {
    config: {
      access: { kind: 'roles', roles: ['data_protection_officer'], action: 'break_glass.list' },
      nav: { text: 'Emergency access', key: 'break-glass', order: 80, group: 'Information governance', hint: 'Emergency access with a stated reason, and its review',
        waiting: { label: 'to review', count: async (db) => Number((await db.selectFrom('break_glass as b').leftJoin('break_glass_review as r', 'r.break_glass_id', 'b.id').select((eb) => eb.fn.countAll().as('n')).where('r.reviewed_at', 'is', null).executeTakeFirst())?.n ?? 0) } },
    },
  }, async (request, reply) => {
    const actor = userOf(request);
    const rows = await ctx.db
      .selectFrom('break_glass as b')
      .innerJoin('app_user as u', 'u.id', 'b.user_id')
      .innerJoin('organisation as o', 'o.id', 'u.organisation_id')
      .leftJoin('break_glass_review as r', 'r.break_glass_id', 'b.id')
      .leftJoin('app_user as rv', 'rv.id', 'r.reviewed_by')
      .select(['b.id', 'b.person_id', 'b.user_id', 'b.reason', 'b.started_at', 'b.expires_at', 'u.name as user_name', 'o.name as organisation_name',
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
      rows: rows.map((x) => ({ ...x, person_name: names.get(x.person_id) ?? '', own_use: !mayReviewBreakGlass(actor, x) })),
      unreviewed: rows.filter((x) => !x.reviewed_at).length, errors: [],
    });
  });

  r.post('/admin/break-glass/:id/review', {
    schema: { params: z.object({ id: z.string().max(64) }), body: z.object({ _csrf: z.string().optional(), note: z.string().max(2000).default('') }) },
    config: { access: { kind: 'record', roles: ['data_protection_officer'], action: 'break_glass.review' } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const use = isUuid(request.params.id) ? await ctx.db.selectFrom('break_glass').select(['id', 'person_id', 'user_id']).where('id', '=', request.params.id).executeTakeFirst() : undefined;
    if (!use) return refuseRecord(ctx, request, { detail: { breakGlassId: isUuid(request.params.id) ? request.params.id : null } });
    // Nobody reviews their own use of emergency access (the database refuses it too).
    if (!mayReviewBreakGlass(actor, use)) return refuseRecord(ctx, request, { personId: use.person_id, detail: { breakGlassId: use.id, ownUse: true } });
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

/** The review policy: a use of emergency access is reviewed by someone other than the person who used it. */
export function mayReviewBreakGlass(reviewer: { userId: string }, use: { user_id: string }): boolean {
  return reviewer.userId !== use.user_id;
}

/** When the actor's access to this person is by break-glass alone, until when it lasts. */
export async function breakGlassUntil(ctx: AppContext, userId: string, personId: string): Promise<Date | null> {
  const row = await ctx.db.selectFrom('break_glass').select((eb) => eb.fn.max('expires_at').as('until'))
    .where('user_id', '=', userId).where('person_id', '=', personId).where('expires_at', '>', sql<Date>`now()`).executeTakeFirst();
  return (row?.until as Date | null) ?? null;
}
