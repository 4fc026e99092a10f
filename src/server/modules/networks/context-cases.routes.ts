/**
 * Context cases (Contextual Safeguarding): a case opened on a place or a peer group, with its
 * assessment (what is happening there, strengths, harms; each save a new version), a plan of actions
 * owned by agencies and tracked to done, and the children it affects. A case belongs to its
 * partnership: another partnership's user finds it missing. Linked children are named only to a reader
 * who may open them (the others are counted), and only a child the user may open can be linked.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';
import { CONTEXT_ACTION_KINDS, isContextActionKind } from '../../../domain/networks/context-cases.js';
import { PLACE_KINDS } from '../../../domain/networks/kinds.js';
import { refuseRecord } from '../../access.js';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { formatDate, formatDateTime } from '../../format.js';
import { isUuid, routeOf, userOf } from '../../request.js';
import { samePersonIds } from '../chronology/chronology.policy.js';
import { displayNames } from '../people/people.queries.js';
import {
  CONTEXT_ROLES, childByReference, childRecordsOf, fieldErrors, openableIds, optionalDate, partnershipOrganisations, type FormError,
} from './context-cases.queries.js';

const idParams = z.object({ id: z.string().max(64) });
const actionParams = z.object({ id: z.string().max(64), actionId: z.string().max(64) });
const text = (max: number) => z.string().max(max).default('');
const readAccess = { kind: 'record', roles: CONTEXT_ROLES, action: 'context_case.read' } as const;
const recordAccessRule = { kind: 'record', roles: CONTEXT_ROLES, action: 'context_case.record' } as const;

export async function contextCaseRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const base = (request: FastifyRequest) => ({ user: userOf(request), csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'context-cases' });

  /** What a case is about, in words and a link. */
  const subjectOf = (c: { place_id: string | null; group_id: string | null; place_name: string | null; place_kind: string | null; group_name: string | null }) => (c.place_id
    ? { name: c.place_name!, kind: PLACE_KINDS[c.place_kind as keyof typeof PLACE_KINDS] ?? 'Place', href: `/places/${c.place_id}` }
    : { name: c.group_name!, kind: 'Peer group', href: `/groups/${c.group_id}` });

  const cases = () => ctx.db.selectFrom('context_case as c')
    .leftJoin('place as p', 'p.id', 'c.place_id').leftJoin('peer_group as g', 'g.id', 'c.group_id')
    .innerJoin('app_user as u', 'u.id', 'c.lead_user_id').innerJoin('organisation as o', 'o.id', 'c.organisation_id')
    .select(['c.id', 'c.partnership_id', 'c.place_id', 'c.group_id', 'c.status', 'c.opened_at', 'c.closed_at', 'c.closing_note',
      'p.name as place_name', 'p.kind as place_kind', 'g.name as group_name', 'u.name as lead', 'o.name as organisation']);

  // ---- The partnership's context cases ----------------------------------------------------------
  r.get('/context-cases', {
    schema: { querystring: z.object({ status: z.enum(['open', 'closed']).default('open') }) },
    config: {
      access: { kind: 'roles', roles: CONTEXT_ROLES, action: 'context_case.list' },
      nav: { text: 'Context cases', key: 'context-cases', order: 45, group: 'Children and families', hint: 'Cases on places and peer groups: assessment, plan and the children affected' },
    },
  }, async (request, reply) => {
    const actor = userOf(request);
    const status = request.query.status;
    const rows = await cases().select([
      sql<string>`(SELECT count(*) FROM context_case_action a WHERE a.case_id = c.id AND a.status = 'open')`.as('open_actions'),
      sql<string>`(SELECT count(*) FROM context_case_child k WHERE k.case_id = c.id)`.as('children'),
    ]).where('c.partnership_id', '=', actor.partnershipId).where('c.status', '=', status).orderBy('c.opened_at', 'desc').limit(500).execute();
    await recordAccess(ctx.db, { actor, action: 'context_case.list', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { status, found: rows.length } });
    return reply.view('networks/views/context-cases.njk', {
      ...base(request), status,
      cases: rows.map((c) => ({
        href: `/context-cases/${c.id}`, subject: subjectOf(c), opened: formatDate(c.opened_at), closed: c.closed_at ? formatDate(c.closed_at) : null,
        lead: `${c.lead}, ${c.organisation}`, openActions: Number(c.open_actions), children: Number(c.children),
      })),
    });
  });

  // ---- A case -----------------------------------------------------------------------------------
  /** The case, when it is of the actor's partnership; otherwise refused as missing. */
  async function findCase(request: FastifyRequest, id: string, opts: { open?: boolean } = {}) {
    const actor = userOf(request);
    const found = isUuid(id) ? await cases().where('c.id', '=', id).executeTakeFirst() : undefined;
    if (!found || found.partnership_id !== actor.partnershipId) return refuseRecord(ctx, request, { detail: { contextCaseId: isUuid(id) ? id : null } });
    if (opts.open && found.status !== 'open') return refuseRecord(ctx, request, { detail: { contextCaseId: id, closed: true } });
    return found;
  }

  const currentAssessment = (caseId: string) => ctx.db.selectFrom('context_case_assessment as a').innerJoin('app_user as u', 'u.id', 'a.recorded_by_user_id')
    .select(['a.version', 'a.happening', 'a.strengths', 'a.harms', 'a.recorded_at', 'u.name as by'])
    .where('a.case_id', '=', caseId).orderBy('a.version', 'desc').limit(1).executeTakeFirst();

  async function renderCase(request: FastifyRequest, reply: FastifyReply, id: string, values: Record<string, string>, errors: FormError[]) {
    const actor = userOf(request);
    const c = await findCase(request, id);
    const assessment = await currentAssessment(c.id);
    const actions = await ctx.db.selectFrom('context_case_action as a').innerJoin('organisation as o', 'o.id', 'a.owner_organisation_id')
      .leftJoin('app_user as u', 'u.id', 'a.done_by_user_id')
      .select(['a.id', 'a.kind', 'a.description', 'a.due_on', 'a.status', 'a.done_at', 'a.done_note', 'o.name as owner', 'u.name as done_by'])
      .where('a.case_id', '=', c.id).orderBy('a.status').orderBy('a.due_on').orderBy('a.created_at').execute();
    const linked = await ctx.db.selectFrom('context_case_child as k').innerJoin('app_user as u', 'u.id', 'k.linked_by_user_id')
      .innerJoin('organisation as o', 'o.id', 'k.linked_by_organisation_id')
      .select(['k.person_id', 'k.reason', 'k.linked_at', 'u.name as by', 'o.name as organisation']).where('k.case_id', '=', c.id).orderBy('k.linked_at').execute();
    // A merged child is one child (their surviving record). Children are named (with the reason) only to
    // someone who may open them; the others are counted.
    const records = await childRecordsOf(ctx.db, linked.map((k) => k.person_id));
    const childOf = (id: string) => records.get(id) ?? id;
    const all = [...new Set(linked.map((k) => childOf(k.person_id)))];
    const links = await openableIds(ctx.db, actor, all);
    const shown = linked.filter((k) => links.has(childOf(k.person_id))).map((k) => ({ ...k, person_id: childOf(k.person_id) }));
    const names = await displayNames(ctx.db, [...new Set(shown.map((k) => k.person_id))]);
    const organisations = await partnershipOrganisations(ctx.db, actor);
    await recordAccess(ctx.db, { actor, action: 'context_case.read', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { contextCaseId: c.id, personIds: [...new Set(shown.map((k) => k.person_id))] } });
    const today = new Date().toISOString().slice(0, 10);
    reply.status(errors.length ? 400 : 200);
    return reply.view('networks/views/context-case.njk', {
      ...base(request), values, errors, fieldErrors: fieldErrors(errors),
      c: {
        id: c.id, open: c.status === 'open', subject: subjectOf(c), opened: formatDate(c.opened_at), lead: c.lead, organisation: c.organisation,
        closed: c.closed_at ? formatDate(c.closed_at) : null, closingNote: c.closing_note,
      },
      assessment: assessment ? { ...assessment, when: formatDateTime(assessment.recorded_at) } : null,
      actions: actions.map((a) => ({
        id: a.id, kind: CONTEXT_ACTION_KINDS[a.kind], description: a.description, owner: a.owner, due: formatDate(a.due_on), overdue: a.status === 'open' && a.due_on < today,
        done: a.status === 'done', doneNote: a.done_note, doneBy: a.done_by, doneAt: a.done_at ? formatDate(a.done_at) : null,
      })),
      children: shown.map((k) => ({ name: names.get(k.person_id) ?? 'Name not recorded', href: `/people/${k.person_id}`, reason: k.reason, by: `${k.by}, ${k.organisation}`, when: formatDate(k.linked_at) })),
      others: all.filter((p) => !links.has(p)).length,
      actionKinds: Object.entries(CONTEXT_ACTION_KINDS).map(([value, label]) => ({ value, text: label, selected: values.actionKind === value })),
      organisations: [{ value: '', text: 'Choose an agency' }, ...organisations.map((o) => ({ value: o.id, text: o.name, selected: values.ownerOrganisationId === o.id }))],
    });
  }

  r.get('/context-cases/:id', { schema: { params: idParams }, config: { access: readAccess } }, async (request, reply) => renderCase(request, reply, request.params.id, {}, []));

  // ---- The assessment ---------------------------------------------------------------------------
  async function renderAssessment(request: FastifyRequest, reply: FastifyReply, id: string, values: Record<string, string> | null, errors: FormError[]) {
    const c = await findCase(request, id, { open: true });
    const current = await currentAssessment(c.id);
    reply.status(errors.length ? 400 : 200);
    return reply.view('networks/views/context-case-assessment.njk', {
      ...base(request), errors, fieldErrors: fieldErrors(errors), c: { id: c.id, subject: subjectOf(c) },
      version: current ? current.version : 0,
      values: values ?? { happening: current?.happening ?? '', strengths: current?.strengths ?? '', harms: current?.harms ?? '' },
    });
  }

  r.get('/context-cases/:id/assessment', { schema: { params: idParams }, config: { access: recordAccessRule } }, async (request, reply) => renderAssessment(request, reply, request.params.id, null, []));

  r.post('/context-cases/:id/assessment', {
    schema: { params: idParams, body: z.object({ _csrf: z.string().optional(), happening: text(12000), strengths: text(12000), harms: text(12000) }) },
    config: { access: recordAccessRule },
  }, async (request, reply) => {
    const actor = userOf(request);
    const c = await findCase(request, request.params.id, { open: true });
    const v = request.body;
    const [happening, strengths, harms] = [v.happening.trim(), v.strengths.trim(), v.harms.trim()];
    const errors: FormError[] = [];
    if (happening.length < 10) errors.push({ field: 'happening', href: '#happening', text: 'Say what is happening in this context, in at least 10 characters' });
    for (const [field, value, label] of [['happening', happening, 'What is happening'], ['strengths', strengths, 'Strengths'], ['harms', harms, 'Harms']] as const) {
      if (value.length > 10000) errors.push({ field, href: `#${field}`, text: `${label} must be 10000 characters or fewer` });
    }
    if (errors.length) return renderAssessment(request, reply, c.id, v, errors);
    await ctx.db.transaction().execute(async (trx) => {
      const last = await trx.selectFrom('context_case_assessment').select((eb) => eb.fn.max('version').as('v')).where('case_id', '=', c.id).executeTakeFirst();
      const version = Number(last?.v ?? 0) + 1;
      await trx.insertInto('context_case_assessment').values({ case_id: c.id, version, happening, strengths: strengths || null, harms: harms || null, recorded_by_user_id: actor.userId }).execute();
      await recordAccess(trx, { actor, action: 'context_case.record', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { contextCaseId: c.id, assessmentVersion: version } });
    });
    return reply.redirect(`/context-cases/${c.id}`, 303);
  });

  // ---- The plan ---------------------------------------------------------------------------------
  r.post('/context-cases/:id/actions', {
    schema: {
      params: idParams,
      body: z.object({ _csrf: z.string().optional(), actionKind: text(40), description: text(4000), ownerOrganisationId: text(64), 'due-day': text(10), 'due-month': text(10), 'due-year': text(10) }),
    },
    config: { access: recordAccessRule },
  }, async (request, reply) => {
    const actor = userOf(request);
    const c = await findCase(request, request.params.id, { open: true });
    const v = request.body;
    const errors: FormError[] = [];
    const description = v.description.trim();
    if (!isContextActionKind(v.actionKind)) errors.push({ field: 'actionKind', href: '#actionKind', text: 'Choose the kind of action' });
    if (description.length < 3) errors.push({ field: 'description', href: '#description', text: 'Say what will be done, in at least 3 characters' });
    else if (description.length > 2000) errors.push({ field: 'description', href: '#description', text: 'What will be done must be 2000 characters or fewer' });
    const owners = new Set((await partnershipOrganisations(ctx.db, actor)).map((o) => o.id));
    if (!owners.has(v.ownerOrganisationId)) errors.push({ field: 'ownerOrganisationId', href: '#ownerOrganisationId', text: 'Choose the agency that owns the action' });
    const due = optionalDate(v, 'due', 'The due date', errors);
    if (!due && !errors.some((e) => e.field === 'due')) errors.push({ field: 'due', href: '#due-day', text: 'Enter the date the action is due' });
    if (errors.length) return renderCase(request, reply, c.id, v, errors);
    await ctx.db.transaction().execute(async (trx) => {
      const row = await trx.insertInto('context_case_action').values({
        case_id: c.id, kind: v.actionKind as keyof typeof CONTEXT_ACTION_KINDS, description, owner_organisation_id: v.ownerOrganisationId, due_on: due!,
        done_at: null, done_by_user_id: null, done_note: null, created_by_user_id: actor.userId,
      }).returning('id').executeTakeFirstOrThrow();
      await recordAccess(trx, { actor, action: 'context_case.record', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { contextCaseId: c.id, actionId: row.id, added: true } });
    });
    return reply.redirect(`/context-cases/${c.id}#plan`, 303);
  });

  r.post('/context-cases/:id/actions/:actionId/complete', {
    schema: { params: actionParams, body: z.object({ _csrf: z.string().optional(), note: text(4000) }) },
    config: { access: recordAccessRule },
  }, async (request, reply) => {
    const actor = userOf(request);
    const c = await findCase(request, request.params.id, { open: true });
    const action = isUuid(request.params.actionId) ? await ctx.db.selectFrom('context_case_action').select(['id', 'status'])
      .where('id', '=', request.params.actionId).where('case_id', '=', c.id).executeTakeFirst() : undefined;
    if (!action) return refuseRecord(ctx, request, { detail: { contextCaseId: c.id, actionId: isUuid(request.params.actionId) ? request.params.actionId : null } });
    const note = request.body.note.trim();
    const errors: FormError[] = [];
    const field = `note-${action.id}`;
    if (action.status === 'done') errors.push({ field, href: `#${field}`, text: 'This action is already done' });
    else if (!note) errors.push({ field, href: `#${field}`, text: 'Say what was done' });
    else if (note.length > 2000) errors.push({ field, href: `#${field}`, text: 'What was done must be 2000 characters or fewer' });
    if (errors.length) return renderCase(request, reply, c.id, { [field]: request.body.note }, errors);
    await ctx.db.transaction().execute(async (trx) => {
      await trx.updateTable('context_case_action').set({ status: 'done', done_at: new Date(), done_by_user_id: actor.userId, done_note: note })
        .where('id', '=', action.id).where('status', '=', 'open').execute();
      await recordAccess(trx, { actor, action: 'context_case.record', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { contextCaseId: c.id, actionId: action.id, done: true } });
    });
    return reply.redirect(`/context-cases/${c.id}#plan`, 303);
  });

  // ---- The children it affects ------------------------------------------------------------------
  r.post('/context-cases/:id/children', {
    schema: { params: idParams, body: z.object({ _csrf: z.string().optional(), child: text(100), reason: text(4000) }) },
    config: { access: recordAccessRule },
  }, async (request, reply) => {
    const actor = userOf(request);
    const c = await findCase(request, request.params.id, { open: true });
    const v = request.body;
    const errors: FormError[] = [];
    const personId = await childByReference(ctx.db, actor, v.child);
    if (!personId) errors.push({ field: 'child', href: '#child', text: 'Enter the reference of a child you work with, as shown on their record (for example JG-7K3Q-2M9X)' });
    else if (await ctx.db.selectFrom('context_case_child').select('id').where('case_id', '=', c.id).where('person_id', 'in', samePersonIds(ctx.db, personId)).executeTakeFirst()) {
      errors.push({ field: 'child', href: '#child', text: 'This child is already linked to the case' });
    }
    const reason = v.reason.trim();
    if (reason.length < 3) errors.push({ field: 'reason', href: '#reason', text: 'Say how this context affects the child, in at least 3 characters' });
    else if (reason.length > 2000) errors.push({ field: 'reason', href: '#reason', text: 'The reason must be 2000 characters or fewer' });
    if (errors.length) return renderCase(request, reply, c.id, v, errors);
    await ctx.db.transaction().execute(async (trx) => {
      await trx.insertInto('context_case_child').values({ case_id: c.id, person_id: personId!, reason, linked_by_user_id: actor.userId, linked_by_organisation_id: actor.organisationId }).execute();
      await recordAccess(trx, { actor, action: 'context_case.record', personId: personId!, route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { contextCaseId: c.id, linked: true } });
    });
    return reply.redirect(`/context-cases/${c.id}#children`, 303);
  });

  // ---- Closing ----------------------------------------------------------------------------------
  r.post('/context-cases/:id/close', {
    schema: { params: idParams, body: z.object({ _csrf: z.string().optional(), closingNote: text(6000) }) },
    config: { access: recordAccessRule },
  }, async (request, reply) => {
    const actor = userOf(request);
    const c = await findCase(request, request.params.id, { open: true });
    const note = request.body.closingNote.trim();
    const errors: FormError[] = [];
    if (note.length < 10) errors.push({ field: 'closingNote', href: '#closingNote', text: 'Say why the case is closing, in at least 10 characters' });
    else if (note.length > 5000) errors.push({ field: 'closingNote', href: '#closingNote', text: 'The reason for closing must be 5000 characters or fewer' });
    if (errors.length) return renderCase(request, reply, c.id, request.body, errors);
    await ctx.db.transaction().execute(async (trx) => {
      await trx.updateTable('context_case').set({ status: 'closed', closed_at: new Date(), closed_by_user_id: actor.userId, closing_note: note })
        .where('id', '=', c.id).where('status', '=', 'open').execute();
      await recordAccess(trx, { actor, action: 'context_case.record', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { contextCaseId: c.id, closed: true } });
    });
    return reply.redirect(`/context-cases/${c.id}`, 303);
  });
}
