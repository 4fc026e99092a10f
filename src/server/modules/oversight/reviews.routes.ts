import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';
import { holdsRole, refuseRecord } from '../../access.js';
import type { Role } from '../../actor.js';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { isUuid, routeOf, userOf } from '../../request.js';
import { TILE_KEYS } from './tiles.js';

/**
 * Learning reviews (rapid reviews, local child safeguarding practice reviews, thematic audits) and
 * their recommendations, tracked to done with the evidence that shows they worked (a dashboard measure
 * or an audit). Recommendations whose theme recurs across reviews are flagged; the board sees open
 * recommendations by age. Everything is the reader's own partnership's; nothing here names a child.
 */

/** Who reads reviews and recommendations. */
export const REVIEW_READ_ROLES: readonly Role[] = ['partnership_lead', 'scrutineer', 'quality_assurance_lead'];
/** Who records reviews and recommendations and moves them on. */
export const REVIEW_MANAGE_ROLES: readonly Role[] = ['partnership_lead', 'quality_assurance_lead'];

export const REVIEW_KINDS = { rapid_review: 'Rapid review', lcspr: 'Local child safeguarding practice review', thematic_audit: 'Thematic audit' } as const;
/** Themes recommendations are filed under, so that recurring ones are found. */
export const THEMES = {
  information_sharing: 'Information sharing between agencies', exploitation: 'Exploitation and extra-familial harm', missing: 'Missing episodes and return home interviews',
  education: 'School inclusion, exclusion and attendance', panels_and_plans: 'Panels, plans and actions', moves: 'Moves, transfers and relocation',
  voice_of_child: 'The voice of the child and family', disproportionality: 'Disproportionality and fairness', health: 'Health and was not brought', other: 'Other',
} as const;
const STATUSES = { open: 'Open', in_progress: 'In progress', done: 'Done', not_accepted: 'Not accepted' } as const;
const AGE_BANDS = ['Under 3 months', '3 to 6 months', '6 to 12 months', 'Over 12 months'] as const;

const field = z.string().max(20_000).optional();
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const validDate = (v: string | undefined) => !!v && DATE.test(v) && new Date(`${v}T00:00:00Z`).toISOString().slice(0, 10) === v;

/** Review and recommendation pages. */
export async function reviewRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const base = (request: FastifyRequest) => ({ user: userOf(request), csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'reviews' });

  r.get('/reviews', {
    config: { access: { kind: 'roles', roles: REVIEW_READ_ROLES, action: 'review.list' }, nav: { text: 'Reviews', key: 'reviews', order: 47, group: 'Oversight and figures', hint: 'Learning review recommendations, tracked to done' } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const reviews = await ctx.db.selectFrom('learning_review as l').leftJoin('review_recommendation as r', 'r.review_id', 'l.id')
      .select((eb) => ['l.id', 'l.kind', 'l.title', sql<string>`to_char(l.published_on, 'YYYY-MM-DD')`.as('published_on'), eb.fn.count<number>('r.id').as('recommendations'),
        sql<number>`count(r.id) FILTER (WHERE r.status IN ('open', 'in_progress'))`.as('open')])
      .where('l.partnership_id', '=', actor.partnershipId).groupBy('l.id').orderBy('l.published_on', 'desc').execute();
    // The board's view: open recommendations by age since their review was published, and how many are past their due date.
    const ages = await sql<{ band: number; n: number; overdue: number }>`
      SELECT CASE WHEN age(current_date, l.published_on) < interval '3 months' THEN 0 WHEN age(current_date, l.published_on) < interval '6 months' THEN 1
        WHEN age(current_date, l.published_on) < interval '12 months' THEN 2 ELSE 3 END AS band,
        count(*)::int AS n, (count(*) FILTER (WHERE r.due_on < current_date))::int AS overdue
      FROM review_recommendation r JOIN learning_review l ON l.id = r.review_id
      WHERE l.partnership_id = ${actor.partnershipId} AND r.status IN ('open', 'in_progress') GROUP BY 1`.execute(ctx.db);
    const byAge = AGE_BANDS.map((label, i) => ({ label, n: ages.rows.find((a) => a.band === i)?.n ?? 0, overdue: ages.rows.find((a) => a.band === i)?.overdue ?? 0 }));
    const recurring = await recurringThemes(actor.partnershipId);
    await recordAccess(ctx.db, { actor, action: 'review.list', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { partnershipId: actor.partnershipId, reviews: reviews.length } });
    return reply.view('oversight/views/reviews.njk', {
      ...base(request), reviews: reviews.map((x) => ({ ...x, kindText: REVIEW_KINDS[x.kind] })), byAge,
      recurring: recurring.map((t) => ({ theme: THEMES[t.theme as keyof typeof THEMES] ?? t.theme, reviews: t.reviews })),
      mayManage: holdsRole(actor, REVIEW_MANAGE_ROLES), kinds: REVIEW_KINDS, values: {}, errors: [],
    });
  });

  /** Themes with recommendations in two or more reviews of the partnership. */
  async function recurringThemes(partnershipId: string) {
    return (await sql<{ theme: string; reviews: number }>`SELECT r.theme, count(DISTINCT r.review_id)::int AS reviews
      FROM review_recommendation r JOIN learning_review l ON l.id = r.review_id WHERE l.partnership_id = ${partnershipId}
      GROUP BY r.theme HAVING count(DISTINCT r.review_id) >= 2 ORDER BY 2 DESC, 1`.execute(ctx.db)).rows;
  }

  r.post('/reviews', {
    schema: { body: z.object({ _csrf: z.string().max(200).optional(), kind: field, title: field, publishedOn: field, findings: field }) },
    config: { access: { kind: 'roles', roles: REVIEW_MANAGE_ROLES, action: 'review.manage' } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const b = request.body;
    const errors: { href: string; text: string }[] = [];
    if (!b.kind || !(b.kind in REVIEW_KINDS)) errors.push({ href: '#kind', text: 'Choose the kind of review' });
    if (!b.title || b.title.trim().length < 3 || b.title.length > 200) errors.push({ href: '#title', text: 'Enter the review\'s title (3 to 200 characters)' });
    if (!validDate(b.publishedOn?.trim())) errors.push({ href: '#publishedOn', text: 'Enter the date it was published, like 2026-03-31' });
    if (!b.findings?.trim()) errors.push({ href: '#findings', text: 'Enter the review\'s findings' });
    if (errors.length) {
      reply.status(400);
      return reply.view('oversight/views/reviews.njk', { ...base(request), reviews: [], byAge: [], recurring: [], mayManage: true, kinds: REVIEW_KINDS, values: b, errors });
    }
    const id = await ctx.db.transaction().execute(async (trx) => {
      const row = await trx.insertInto('learning_review').values({
        partnership_id: actor.partnershipId, kind: b.kind as keyof typeof REVIEW_KINDS, title: b.title!.trim(), published_on: b.publishedOn!.trim(), findings: b.findings!.trim(), created_by_user_id: actor.userId,
      }).returning('id').executeTakeFirstOrThrow();
      await recordAccess(trx, { actor, action: 'review.manage', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { reviewId: row.id, made: 'review' } });
      return row.id;
    });
    return reply.redirect(`/reviews/${id}`, 303);
  });

  /** A review of the reader's own partnership, or a refusal (404 and a denied row). */
  async function reviewOf(request: FastifyRequest, id: string) {
    const actor = userOf(request);
    const row = isUuid(id)
      ? await ctx.db.selectFrom('learning_review').selectAll().select(sql<string>`to_char(published_on, 'YYYY-MM-DD')`.as('published')).where('id', '=', id).where('partnership_id', '=', actor.partnershipId).executeTakeFirst()
      : undefined;
    if (!row) return refuseRecord(ctx, request, { detail: { reviewId: id } });
    return row;
  }

  async function renderReview(request: FastifyRequest, id: string, extra: Record<string, unknown> = {}) {
    const actor = userOf(request);
    const review = await reviewOf(request, id);
    const recommendations = await ctx.db.selectFrom('review_recommendation as r').innerJoin('app_user as u', 'u.id', 'r.owner_user_id')
      .select(['r.id', 'r.text', 'r.theme', 'r.status', 'r.agencies', 'r.evidence_kind', 'r.evidence_ref', 'r.evidence_note', 'u.name as owner',
        sql<string>`to_char(r.due_on, 'YYYY-MM-DD')`.as('due_on'), sql<boolean>`r.due_on < current_date AND r.status IN ('open', 'in_progress')`.as('overdue')])
      .where('r.review_id', '=', review.id).orderBy('r.created_at').execute();
    const recurring = new Set((await recurringThemes(actor.partnershipId)).map((t) => t.theme));
    const orgs = await ctx.db.selectFrom('organisation_partnership as op').innerJoin('organisation as o', 'o.id', 'op.organisation_id').select(['o.id', 'o.name'])
      .where('op.partnership_id', '=', actor.partnershipId).orderBy('o.name').execute();
    const owners = await ctx.db.selectFrom('app_user').select(['id', 'name', 'job_title']).where('partnership_id', '=', actor.partnershipId).where('active', '=', true)
      .where(sql<boolean>`roles && ARRAY['partnership_lead', 'quality_assurance_lead', 'team_manager', 'designated_safeguarding_lead', 'partnership_admin']::text[]`).orderBy('name').limit(500).execute();
    const orgName = new Map(orgs.map((o) => [o.id, o.name]));
    await recordAccess(ctx.db, { actor, action: 'review.list', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { reviewId: review.id } });
    return {
      ...base(request), review: { ...review, kindText: REVIEW_KINDS[review.kind] }, themes: THEMES, statuses: STATUSES, tiles: TILE_KEYS, orgs, owners,
      recommendations: recommendations.map((x) => ({ ...x, themeText: THEMES[x.theme as keyof typeof THEMES] ?? x.theme, recurring: recurring.has(x.theme), statusText: STATUSES[x.status], agencyNames: x.agencies.map((a) => orgName.get(a) ?? 'another agency') })),
      mayManage: holdsRole(actor, REVIEW_MANAGE_ROLES), values: {}, errors: [], ...extra,
    };
  }

  r.get('/reviews/:id', {
    schema: { params: z.object({ id: z.string().max(100) }) },
    config: { access: { kind: 'record', roles: REVIEW_READ_ROLES, action: 'review.list' } },
  }, async (request, reply) => reply.view('oversight/views/review.njk', await renderReview(request, request.params.id)));

  r.post('/reviews/:id/recommendations', {
    schema: { params: z.object({ id: z.string().max(100) }), body: z.object({ _csrf: z.string().max(200).optional(), text: field, theme: field, ownerUserId: field, dueOn: field, agencies: z.union([z.string().max(100), z.array(z.string().max(100)).max(100)]).optional() }) },
    config: { access: { kind: 'record', roles: REVIEW_MANAGE_ROLES, action: 'review.manage' } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const review = await reviewOf(request, request.params.id);
    const b = request.body;
    const agencies = (Array.isArray(b.agencies) ? b.agencies : b.agencies ? [b.agencies] : []).filter(isUuid);
    const errors: { href: string; text: string }[] = [];
    if (!b.text || b.text.trim().length < 3) errors.push({ href: '#text', text: 'Enter the recommendation' });
    if (!b.theme || !(b.theme in THEMES)) errors.push({ href: '#theme', text: 'Choose the recommendation\'s theme' });
    if (!validDate(b.dueOn?.trim())) errors.push({ href: '#dueOn', text: 'Enter the date it is due, like 2026-09-30' });
    const owner = b.ownerUserId && isUuid(b.ownerUserId)
      ? await ctx.db.selectFrom('app_user').select('id').where('id', '=', b.ownerUserId).where('partnership_id', '=', actor.partnershipId).executeTakeFirst() : undefined;
    if (!owner) errors.push({ href: '#ownerUserId', text: 'Choose who owns the recommendation' });
    const known = agencies.length ? await ctx.db.selectFrom('organisation_partnership').select('organisation_id').where('partnership_id', '=', actor.partnershipId).where('organisation_id', 'in', agencies).execute() : [];
    if (known.length !== agencies.length) errors.push({ href: '#agencies', text: 'Choose agencies of the partnership' });
    if (errors.length) {
      reply.status(400);
      return reply.view('oversight/views/review.njk', await renderReview(request, review.id, { values: b, errors }));
    }
    await ctx.db.transaction().execute(async (trx) => {
      const row = await trx.insertInto('review_recommendation').values({ review_id: review.id, text: b.text!.trim(), theme: b.theme!, owner_user_id: owner!.id, agencies, due_on: b.dueOn!.trim() })
        .returning('id').executeTakeFirstOrThrow();
      await recordAccess(trx, { actor, action: 'review.manage', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { reviewId: review.id, recommendationId: row.id } });
    });
    return reply.redirect(`/reviews/${review.id}`, 303);
  });

  r.post('/recommendations/:id', {
    schema: { params: z.object({ id: z.string().max(100) }), body: z.object({ _csrf: z.string().max(200).optional(), status: field, evidenceKind: field, evidenceRef: field, evidenceNote: field }) },
    config: { access: { kind: 'record', roles: REVIEW_MANAGE_ROLES, action: 'review.manage' } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const id = request.params.id;
    const rec = isUuid(id)
      ? await ctx.db.selectFrom('review_recommendation as r').innerJoin('learning_review as l', 'l.id', 'r.review_id').select(['r.id', 'r.review_id', 'r.status'])
        .where('r.id', '=', id).where('l.partnership_id', '=', actor.partnershipId).executeTakeFirst()
      : undefined;
    if (!rec) return refuseRecord(ctx, request, { detail: { recommendationId: id } });
    const b = request.body;
    const errors: { href: string; text: string }[] = [];
    const status = b.status && b.status in STATUSES ? (b.status as keyof typeof STATUSES) : null;
    if (!status) errors.push({ href: `#status-${rec.id}`, text: 'Choose the recommendation\'s status' });
    const kind = b.evidenceKind === 'dashboard' || b.evidenceKind === 'audit' ? b.evidenceKind : null;
    const ref = b.evidenceRef?.trim() || null;
    if (kind === 'dashboard' && !(TILE_KEYS as readonly string[]).includes(ref ?? '')) errors.push({ href: `#evidenceRef-${rec.id}`, text: 'Name the dashboard measure that shows it worked' });
    if (kind === 'audit' && !(ref && isUuid(ref) && await ctx.db.selectFrom('case_audit').select('id').where('id', '=', ref).where('partnership_id', '=', actor.partnershipId).executeTakeFirst())) {
      errors.push({ href: `#evidenceRef-${rec.id}`, text: 'Choose an audit of the partnership that shows it worked' });
    }
    if (status === 'done' && !kind) errors.push({ href: `#evidenceKind-${rec.id}`, text: 'A recommendation is done only with the evidence that shows it worked: a dashboard measure or an audit' });
    if (errors.length) {
      reply.status(400);
      return reply.view('oversight/views/review.njk', await renderReview(request, rec.review_id, { errors }));
    }
    await ctx.db.transaction().execute(async (trx) => {
      await trx.updateTable('review_recommendation').set({
        status: status!, evidence_kind: kind, evidence_ref: kind ? ref : null, evidence_note: b.evidenceNote?.trim() || null,
        done_at: status === 'done' ? (rec.status === 'done' ? sql<Date>`done_at` : sql<Date>`now()`) : null,
      }).where('id', '=', rec.id).execute();
      await recordAccess(trx, { actor, action: 'review.manage', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { recommendationId: rec.id, status } });
    });
    return reply.redirect(`/reviews/${rec.review_id}#rec-${rec.id}`, 303);
  });
}
