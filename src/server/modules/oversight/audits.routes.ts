import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';
import { holdsRole, refuseRecord } from '../../access.js';
import type { Role } from '../../actor.js';
import { recordAccess, recordAccessMany } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { isUuid, routeOf, userOf } from '../../request.js';
import { visiblePersonIds } from '../people/people.policy.js';
import { childItemsOf, efhTypeCodes, periodOf } from './dashboard.queries.js';
import { THEMES } from './reviews.routes.js';
import { TILE_KEYS, tilesOf } from './tiles.js';

/**
 * Multi-agency case audits. A quality assurance lead chooses a cohort from live data (at random among
 * the partnership's children with an agency involved, or from the children behind a dashboard measure)
 * and the audit's questions. Each agency involved with a case grades its own practice and the
 * multi-agency practice for each question on the inspection scale, with findings; graders see only the
 * cases of children they may see (visiblePersonIds). The quality assurance lead, the partnership lead and
 * scrutineers see results by agency and by theme, never the children: cases are named A1, A2, ...
 * Findings become actions tracked to done.
 */

/** Who reads audits and their results. */
export const AUDIT_READ_ROLES: readonly Role[] = ['quality_assurance_lead', 'partnership_lead', 'scrutineer'];
/** Who grades their agency's practice: its team managers and designated safeguarding leads. */
export const AUDIT_GRADER_ROLES: readonly Role[] = ['team_manager', 'designated_safeguarding_lead'];
const QA: readonly Role[] = ['quality_assurance_lead'];

export const GRADES = { outstanding: 'Outstanding', good: 'Good', requires_improvement: 'Requires improvement', inadequate: 'Inadequate' } as const;
type Grade = keyof typeof GRADES;

const field = z.string().max(20_000).optional();
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const idParams = z.object({ id: z.string().max(100) });

/** Audit pages. */
export async function auditRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const base = (request: FastifyRequest) => ({ user: userOf(request), csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'audits' });

  r.get('/audits', {
    config: { access: { kind: 'roles', roles: [...AUDIT_READ_ROLES, ...AUDIT_GRADER_ROLES], action: 'audit.list' }, nav: { text: 'Audits', key: 'audits', order: 48, group: 'Oversight and figures', hint: 'Multi-agency case audits and their grades by agency' } },
  }, async (request, reply) => reply.view('oversight/views/audits.njk', await listView(request, {})));

  async function listView(request: FastifyRequest, extra: Record<string, unknown>) {
    const actor = userOf(request);
    const reader = holdsRole(actor, AUDIT_READ_ROLES);
    // Oversight roles see the partnership's audits; graders, the audits with a case they may see.
    let q = ctx.db.selectFrom('case_audit as a').select(['a.id', 'a.title', 'a.theme', 'a.selection', sql<string>`to_char(a.created_at, 'YYYY-MM-DD')`.as('created'),
      sql<number>`(SELECT count(*)::int FROM case_audit_case c WHERE c.audit_id = a.id)`.as('cases')]).where('a.partnership_id', '=', actor.partnershipId);
    if (!reader) q = q.where((eb) => eb.exists(eb.selectFrom('case_audit_case as c').select('c.id').whereRef('c.audit_id', '=', 'a.id').where('c.person_id', 'in', visiblePersonIds(ctx.db, actor))));
    const audits = await q.orderBy('a.created_at', 'desc').execute();
    // Results by theme across the partnership's audits: grades of the multi-agency practice.
    const byTheme = reader ? (await sql<{ theme: string; grade: Grade; n: number }>`
      SELECT a.theme, g.grade, count(*)::int AS n FROM case_audit a JOIN case_audit_case c ON c.audit_id = a.id JOIN case_audit_grade g ON g.case_id = c.id
      WHERE a.partnership_id = ${actor.partnershipId} AND g.practice = 'multi_agency' GROUP BY 1, 2`.execute(ctx.db)).rows : [];
    const themes = [...new Set(byTheme.map((t) => t.theme))].sort().map((theme) => ({
      theme: THEMES[theme as keyof typeof THEMES] ?? theme, counts: (Object.keys(GRADES) as Grade[]).map((g) => byTheme.find((t) => t.theme === theme && t.grade === g)?.n ?? 0),
    }));
    await recordAccess(ctx.db, { actor, action: 'audit.list', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { partnershipId: actor.partnershipId, audits: audits.length } });
    return {
      ...base(request), audits: audits.map((a) => ({ ...a, themeText: THEMES[a.theme as keyof typeof THEMES] ?? a.theme })), themes, grades: GRADES, themeOptions: THEMES, tiles: TILE_KEYS,
      mayCreate: holdsRole(actor, QA), values: {}, errors: [], ...extra,
    };
  }

  r.post('/audits', {
    schema: { body: z.object({ _csrf: z.string().max(200).optional(), title: field, theme: field, questions: field, selection: field, measure: field, size: field }) },
    config: { access: { kind: 'roles', roles: QA, action: 'audit.create' } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const b = request.body;
    const errors: { href: string; text: string }[] = [];
    const questions = (b.questions ?? '').split(/\r?\n/).map((x) => x.trim()).filter(Boolean);
    const size = Number(b.size);
    if (!b.title || b.title.trim().length < 3 || b.title.length > 200) errors.push({ href: '#title', text: 'Enter the audit\'s title (3 to 200 characters)' });
    if (!b.theme || !(b.theme in THEMES)) errors.push({ href: '#theme', text: 'Choose the audit\'s theme' });
    if (questions.length < 1 || questions.length > 20) errors.push({ href: '#questions', text: 'Enter from 1 to 20 questions, one a line' });
    if (!Number.isInteger(size) || size < 1 || size > 50) errors.push({ href: '#size', text: 'Enter how many children to audit, from 1 to 50' });
    const selection = b.selection === 'measure' ? 'measure' : b.selection === 'random' ? 'random' : null;
    if (!selection) errors.push({ href: '#selection', text: 'Choose how the cohort is chosen' });
    const [tileKey, label] = (b.measure ?? '').split(':');
    if (selection === 'measure' && !(TILE_KEYS as readonly string[]).includes(tileKey ?? '')) errors.push({ href: '#measure', text: 'Choose the dashboard measure the cohort comes from' });
    if (errors.length) {
      reply.status(400);
      return reply.view('oversight/views/audits.njk', await listView(request, { values: b, errors }));
    }
    // The cohort from live data: at random among the partnership's children with an agency involved now, or from a measure's children.
    const pool = selection === 'measure'
      ? sql`(SELECT DISTINCT i.child AS person_id FROM ${childItemsOf(tilesOf(await efhTypeCodes(ctx.db)).find((t) => t.key === tileKey)!, periodOf(actor.partnershipId, new Date().toISOString().slice(0, 10)))} i
          ${label ? sql`WHERE i.label = ${label}` : sql``})`
      : sql`(SELECT pp.person_id FROM person_partnership pp WHERE pp.partnership_id = ${actor.partnershipId}
          AND EXISTS (SELECT 1 FROM involvement v WHERE v.person_id = pp.person_id AND v.started_on <= current_date AND (v.ended_on IS NULL OR v.ended_on >= current_date)))`;
    const chosen = (await sql<{ person_id: string }>`SELECT x.person_id FROM ${pool} x ORDER BY random() LIMIT ${size}`.execute(ctx.db)).rows;
    const id = await ctx.db.transaction().execute(async (trx) => {
      const audit = await trx.insertInto('case_audit').values({
        partnership_id: actor.partnershipId, title: b.title!.trim(), theme: b.theme!, questions, selection: selection!, measure: selection === 'measure' ? b.measure!.slice(0, 200) : null, created_by_user_id: actor.userId,
      }).returning('id').executeTakeFirstOrThrow();
      if (chosen.length) await trx.insertInto('case_audit_case').values(chosen.map((c, i) => ({ audit_id: audit.id, person_id: c.person_id, reference: `A${i + 1}` }))).execute();
      // Choosing a child for an audit is a use of their record: one row on each child's log.
      await recordAccessMany(trx, [
        { actor, action: 'audit.create', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { auditId: audit.id, cases: chosen.length } },
        ...chosen.map((c) => ({ actor, action: 'audit.create' as const, personId: c.person_id, route: routeOf(request), outcome: 'allowed' as const, requestId: request.id, detail: { auditId: audit.id } })),
      ]);
      return audit.id;
    });
    return reply.redirect(`/audits/${id}`, 303);
  });

  /** An audit the reader may open: their partnership's, for oversight roles; with a case they may see, for graders. */
  async function auditOf(request: FastifyRequest, id: string) {
    const actor = userOf(request);
    const row = isUuid(id) ? await ctx.db.selectFrom('case_audit').selectAll().where('id', '=', id).where('partnership_id', '=', actor.partnershipId).executeTakeFirst() : undefined;
    if (!row) return refuseRecord(ctx, request, { detail: { auditId: id } });
    const mine = await ctx.db.selectFrom('case_audit_case').select(['id', 'reference', 'person_id']).where('audit_id', '=', row.id)
      .where('person_id', 'in', visiblePersonIds(ctx.db, actor)).orderBy(sql`length(reference)`).orderBy('reference').execute();
    if (!holdsRole(actor, AUDIT_READ_ROLES) && mine.length === 0) return refuseRecord(ctx, request, { detail: { auditId: id } });
    return { audit: row, mine };
  }

  async function auditView(request: FastifyRequest, id: string, extra: Record<string, unknown> = {}) {
    const actor = userOf(request);
    const { audit, mine } = await auditOf(request, id);
    const reader = holdsRole(actor, AUDIT_READ_ROLES);
    const results = reader ? (await sql<{ organisation: string; practice: string; grade: Grade; n: number }>`
      SELECT o.name AS organisation, g.practice, g.grade, count(*)::int AS n FROM case_audit_case c JOIN case_audit_grade g ON g.case_id = c.id JOIN organisation o ON o.id = g.organisation_id
      WHERE c.audit_id = ${audit.id} GROUP BY 1, 2, 3 ORDER BY 1`.execute(ctx.db)).rows : [];
    const agencies = [...new Set(results.map((x) => x.organisation))].map((organisation) => ({
      organisation,
      own: (Object.keys(GRADES) as Grade[]).map((g) => results.find((x) => x.organisation === organisation && x.practice === 'own' && x.grade === g)?.n ?? 0),
      multi: (Object.keys(GRADES) as Grade[]).map((g) => results.find((x) => x.organisation === organisation && x.practice === 'multi_agency' && x.grade === g)?.n ?? 0),
    }));
    const findings = reader ? await ctx.db.selectFrom('case_audit_grade as g').innerJoin('case_audit_case as c', 'c.id', 'g.case_id').innerJoin('organisation as o', 'o.id', 'g.organisation_id')
      .select(['g.id', 'c.reference', 'g.question', 'g.practice', 'g.grade', 'g.finding', 'o.name as organisation']).where('c.audit_id', '=', audit.id).where('g.finding', 'is not', null)
      .orderBy(sql`length(c.reference)`).orderBy('c.reference').orderBy('g.question').execute() : [];
    const actions = await ctx.db.selectFrom('case_audit_action as a').innerJoin('organisation as o', 'o.id', 'a.owner_organisation_id')
      .select(['a.id', 'a.description', 'a.status', 'o.name as owner', sql<string>`to_char(a.due_on, 'YYYY-MM-DD')`.as('due_on'), sql<boolean>`a.status = 'open' AND a.due_on < current_date`.as('overdue')])
      .where('a.audit_id', '=', audit.id).orderBy('a.created_at').execute();
    const cases = reader ? await ctx.db.selectFrom('case_audit_case').select((eb) => [eb.fn.countAll<number>().as('n')]).where('audit_id', '=', audit.id).executeTakeFirstOrThrow() : { n: mine.length };
    const myGrades = mine.length ? await ctx.db.selectFrom('case_audit_grade').select(['case_id', 'question', 'practice', 'grade', 'finding'])
      .where('case_id', 'in', mine.map((m) => m.id)).where('organisation_id', '=', actor.organisationId).execute() : [];
    const orgs = await ctx.db.selectFrom('organisation_partnership as op').innerJoin('organisation as o', 'o.id', 'op.organisation_id').select(['o.id', 'o.name'])
      .where('op.partnership_id', '=', actor.partnershipId).orderBy('o.name').execute();
    // A grader sees the cases of children they may see: a view of each, on each child's log.
    await recordAccessMany(ctx.db, [
      { actor, action: 'audit.read', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { auditId: audit.id } },
      ...mine.map((m) => ({ actor, action: 'audit.read' as const, personId: m.person_id, route: routeOf(request), outcome: 'allowed' as const, requestId: request.id, detail: { auditId: audit.id, reference: m.reference } })),
    ]);
    return {
      ...base(request), audit: { ...audit, themeText: THEMES[audit.theme as keyof typeof THEMES] ?? audit.theme }, grades: GRADES, agencies, findings, actions, cases: Number(cases.n), orgs,
      mine: mine.map((m) => ({ ...m, grades: Object.fromEntries(myGrades.filter((g) => g.case_id === m.id).map((g) => [`${g.practice}-${g.question}`, g])) })),
      reader, mayAct: holdsRole(actor, QA), mayGrade: holdsRole(actor, AUDIT_GRADER_ROLES), values: {}, errors: [], ...extra,
    };
  }

  r.get('/audits/:id', {
    schema: { params: idParams },
    config: { access: { kind: 'record', roles: [...AUDIT_READ_ROLES, ...AUDIT_GRADER_ROLES], action: 'audit.read' } },
  }, async (request, reply) => reply.view('oversight/views/audit.njk', await auditView(request, request.params.id)));

  r.post('/audits/:id/cases/:caseId/grades', {
    schema: { params: z.object({ id: z.string().max(100), caseId: z.string().max(100) }), body: z.record(z.string().max(60), z.string().max(4000)) },
    config: { access: { kind: 'record', roles: AUDIT_GRADER_ROLES, action: 'audit.grade' } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const { audit, mine } = await auditOf(request, request.params.id);
    const auditCase = mine.find((m) => m.id === request.params.caseId);
    if (!auditCase) return refuseRecord(ctx, request, { detail: { auditId: audit.id, caseId: request.params.caseId } });
    const b = request.body;
    const rows: { question: number; practice: 'own' | 'multi_agency'; grade: Grade; finding: string | null }[] = [];
    const errors: { href: string; text: string }[] = [];
    audit.questions.forEach((_, i) => {
      for (const practice of ['own', 'multi_agency'] as const) {
        const key = `${practice}-${i + 1}`;
        const grade = b[key];
        if (!grade) continue;
        if (!(grade in GRADES)) errors.push({ href: `#${auditCase.id}-${key}`, text: `Question ${i + 1}: choose a grade` });
        else rows.push({ question: i + 1, practice, grade: grade as Grade, finding: b[`finding-${key}`]?.trim() || null });
      }
    });
    if (!rows.length && !errors.length) errors.push({ href: `#${auditCase.id}-own-1`, text: 'Grade at least one question' });
    if (errors.length) {
      reply.status(400);
      return reply.view('oversight/views/audit.njk', await auditView(request, audit.id, { errors }));
    }
    await ctx.db.transaction().execute(async (trx) => {
      await trx.insertInto('case_audit_grade').values(rows.map((x) => ({ case_id: auditCase.id, organisation_id: actor.organisationId, graded_by_user_id: actor.userId, ...x })))
        .onConflict((oc) => oc.columns(['case_id', 'organisation_id', 'question', 'practice']).doUpdateSet((eb) => ({
          grade: eb.ref('excluded.grade'), finding: eb.ref('excluded.finding'), graded_by_user_id: eb.ref('excluded.graded_by_user_id'), graded_at: sql<Date>`now()`,
        }))).execute();
      await recordAccess(trx, { actor, action: 'audit.grade', personId: auditCase.person_id, route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { auditId: audit.id, reference: auditCase.reference, grades: rows.length } });
    });
    return reply.redirect(`/audits/${audit.id}#case-${auditCase.reference}`, 303);
  });

  r.post('/audits/:id/actions', {
    schema: { params: idParams, body: z.object({ _csrf: z.string().max(200).optional(), description: field, ownerOrganisationId: field, dueOn: field, gradeId: field }) },
    config: { access: { kind: 'record', roles: QA, action: 'audit.action.update' } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const { audit } = await auditOf(request, request.params.id);
    const b = request.body;
    const errors: { href: string; text: string }[] = [];
    if (!b.description || b.description.trim().length < 3) errors.push({ href: '#description', text: 'Enter the action' });
    const owner = b.ownerOrganisationId && isUuid(b.ownerOrganisationId)
      ? await ctx.db.selectFrom('organisation_partnership').select('organisation_id').where('organisation_id', '=', b.ownerOrganisationId).where('partnership_id', '=', actor.partnershipId).executeTakeFirst() : undefined;
    if (!owner) errors.push({ href: '#ownerOrganisationId', text: 'Choose the agency that owns the action' });
    const due = b.dueOn?.trim();
    if (!due || !DATE.test(due) || new Date(`${due}T00:00:00Z`).toISOString().slice(0, 10) !== due) errors.push({ href: '#dueOn', text: 'Enter the date it is due, like 2026-09-30' });
    const grade = b.gradeId && isUuid(b.gradeId)
      ? await ctx.db.selectFrom('case_audit_grade as g').innerJoin('case_audit_case as c', 'c.id', 'g.case_id').select('g.id').where('g.id', '=', b.gradeId).where('c.audit_id', '=', audit.id).executeTakeFirst() : undefined;
    if (errors.length) {
      reply.status(400);
      return reply.view('oversight/views/audit.njk', await auditView(request, audit.id, { errors, values: b }));
    }
    await ctx.db.transaction().execute(async (trx) => {
      const row = await trx.insertInto('case_audit_action').values({ audit_id: audit.id, grade_id: grade?.id ?? null, description: b.description!.trim(), owner_organisation_id: owner!.organisation_id, due_on: due!, created_by_user_id: actor.userId })
        .returning('id').executeTakeFirstOrThrow();
      await recordAccess(trx, { actor, action: 'audit.action.update', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { auditId: audit.id, actionId: row.id, made: true } });
    });
    return reply.redirect(`/audits/${audit.id}#actions`, 303);
  });

  r.post('/audit-actions/:id/done', {
    schema: { params: idParams, body: z.object({ _csrf: z.string().max(200).optional() }) },
    config: { access: { kind: 'record', roles: QA, action: 'audit.action.update' } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const id = request.params.id;
    const action = isUuid(id) ? await ctx.db.selectFrom('case_audit_action as a').innerJoin('case_audit as au', 'au.id', 'a.audit_id').select(['a.id', 'a.audit_id'])
      .where('a.id', '=', id).where('au.partnership_id', '=', actor.partnershipId).executeTakeFirst() : undefined;
    if (!action) return refuseRecord(ctx, request, { detail: { actionId: id } });
    await ctx.db.transaction().execute(async (trx) => {
      await trx.updateTable('case_audit_action').set({ status: 'done', done_at: sql<Date>`coalesce(done_at, now())` }).where('id', '=', action.id).execute();
      await recordAccess(trx, { actor, action: 'audit.action.update', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { auditId: action.audit_id, actionId: action.id, done: true } });
    });
    return reply.redirect(`/audits/${action.audit_id}#actions`, 303);
  });
}
