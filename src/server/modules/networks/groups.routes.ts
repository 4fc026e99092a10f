/**
 * Peer groups of a partnership: the list, recording a group, a group's page (members over time, each
 * membership as visible as a relationship is, named only to someone who may open the child), adding
 * a child the recorder may open as a member (with its source and grading, as a relationship has),
 * ending a membership, and opening a context case on the group. A group belongs to its partnership:
 * another partnership's user finds it missing unless a child they may open is a member they may see;
 * only its own partnership records on it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';
import { isGrading } from '../../../domain/networks/kinds.js';
import { refuseRecord } from '../../access.js';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { formatDate } from '../../format.js';
import { isUuid, routeOf, userOf } from '../../request.js';
import { entriesById, samePersonIds } from '../chronology/chronology.policy.js';
import { displayNames } from '../people/people.queries.js';
import {
  CONTEXT_ROLES, childByReference, fieldErrors, openContextCase, openContextCasesOf, openableIds, optionalDate, type FormError,
} from './context-cases.queries.js';

const idParams = z.object({ id: z.string().max(64) });
const memberParams = z.object({ id: z.string().max(64), memberId: z.string().max(64) });
const text = (max: number) => z.string().max(max).default('');
const dateFields = (name: string) => ({ [`${name}-day`]: text(10), [`${name}-month`]: text(10), [`${name}-year`]: text(10) });

export async function groupRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const base = (request: FastifyRequest) => ({ user: userOf(request), csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'places' });

  // ---- The partnership's groups -----------------------------------------------------------------
  r.get('/groups', { config: { access: { kind: 'roles', roles: CONTEXT_ROLES, action: 'group.list' } } }, async (request, reply) => {
    const actor = userOf(request);
    const groups = await ctx.db.selectFrom('peer_group as g')
      .select(['g.id', 'g.name', 'g.borough',
        sql<boolean>`EXISTS (SELECT 1 FROM context_case c WHERE c.group_id = g.id AND c.status = 'open')`.as('open_case')])
      .where('g.partnership_id', '=', actor.partnershipId).orderBy('g.name').orderBy('g.id').limit(500).execute();
    await recordAccess(ctx.db, { actor, action: 'group.list', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { found: groups.length } });
    return reply.view('networks/views/groups.njk', {
      ...base(request), groups: groups.map((g) => ({ href: `/groups/${g.id}`, name: g.name, borough: g.borough, openCase: g.open_case })),
    });
  });

  // ---- Recording a group ------------------------------------------------------------------------
  const renderNew = (request: FastifyRequest, reply: FastifyReply, values: Record<string, string>, errors: FormError[]) => {
    reply.status(errors.length ? 400 : 200);
    return reply.view('networks/views/group-new.njk', { ...base(request), values, errors, fieldErrors: fieldErrors(errors) });
  };
  const recordGroup = { kind: 'roles', roles: CONTEXT_ROLES, action: 'group.record' } as const;
  r.get('/groups/new', { config: { access: recordGroup } }, async (request, reply) => renderNew(request, reply, {}, []));

  r.post('/groups', {
    schema: { body: z.object({ _csrf: z.string().optional(), name: text(400), borough: text(200), description: text(6000) }) },
    config: { access: recordGroup },
  }, async (request, reply) => {
    const actor = userOf(request);
    const v = request.body;
    const [name, borough, description] = [v.name.trim(), v.borough.trim(), v.description.trim()];
    const errors: FormError[] = [];
    if (!name) errors.push({ field: 'name', href: '#name', text: 'Enter the name the group is known by' });
    else if (name.length > 200) errors.push({ field: 'name', href: '#name', text: 'The name must be 200 characters or fewer' });
    if (borough.length > 100) errors.push({ field: 'borough', href: '#borough', text: 'The borough must be 100 characters or fewer' });
    if (description.length > 5000) errors.push({ field: 'description', href: '#description', text: 'The description must be 5000 characters or fewer' });
    if (errors.length) return renderNew(request, reply, v, errors);
    const id = await ctx.db.transaction().execute(async (trx) => {
      const row = await trx.insertInto('peer_group').values({
        name, borough: borough || null, description: description || null, recorded_by_organisation_id: actor.organisationId, partnership_id: actor.partnershipId,
      }).returning('id').executeTakeFirstOrThrow();
      await recordAccess(trx, { actor, action: 'group.record', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { groupId: row.id } });
      return row.id;
    });
    return reply.redirect(`/groups/${id}`, 303);
  });

  // ---- A group's page ---------------------------------------------------------------------------
  async function findGroup(request: FastifyRequest, id: string, opts: { record?: boolean } = {}) {
    const actor = userOf(request);
    const group = isUuid(id) ? await ctx.db.selectFrom('peer_group').selectAll().where('id', '=', id).executeTakeFirst() : undefined;
    if (!group) return refuseRecord(ctx, request, { detail: { groupId: isUuid(id) ? id : null } });
    const own = group.partnership_id === actor.partnershipId;
    if (opts.record && !own) return refuseRecord(ctx, request, { detail: { groupId: id } });
    // Members over time, each membership as visible as a relationship: by hand (standard, or the reader's organisation's), or from an entry seen whole.
    const members = await sql<{ id: string; person_id: string; valid_from: string | null; valid_to: string | null; grading: string | null; evidence: string | null; by_hand: boolean }>`
      SELECT m.id, m.person_id, m.valid_from::text AS valid_from, m.valid_to::text AS valid_to, m.grading, coalesce(ve.type_label, o.name) AS evidence,
        m.source_event_id IS NULL AS by_hand
      FROM peer_group_member m
      LEFT JOIN ${entriesById(actor)} ve ON ve.id = m.source_event_id
      LEFT JOIN organisation o ON o.id = m.recorded_by_organisation_id
      WHERE m.group_id = ${group.id}::uuid
        AND (m.sensitivity = 'standard' OR m.recorded_by_organisation_id = ${actor.organisationId}::uuid)
        AND (m.source_event_id IS NULL OR (ve.access = 'full' AND ve.current))
      ORDER BY m.valid_from NULLS FIRST, m.person_id, m.id`.execute(ctx.db);
    const all = [...new Set(members.rows.map((m) => m.person_id))];
    const links = await openableIds(ctx.db, actor, all);
    if (!own && links.size === 0) return refuseRecord(ctx, request, { detail: { groupId: id } });
    return { group, own, members: members.rows, all, links };
  }

  async function renderGroup(request: FastifyRequest, reply: FastifyReply, id: string, values: Record<string, string>, errors: FormError[]) {
    const actor = userOf(request);
    const { group, own, members, all, links } = await findGroup(request, id);
    const shown = all.filter((p) => links.has(p));
    const names = await displayNames(ctx.db, shown);
    const cases = own ? await openContextCasesOf(ctx.db, { groupId: group.id }) : [];
    await recordAccess(ctx.db, { actor, action: 'group.read', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { groupId: group.id, personIds: shown } });
    const today = new Date().toISOString().slice(0, 10);
    reply.status(errors.length ? 400 : 200);
    return reply.view('networks/views/group.njk', {
      ...base(request), group, mayRecord: own, cases, values, errors, fieldErrors: fieldErrors(errors),
      members: members.filter((m) => links.has(m.person_id)).map((m) => {
        const current = !m.valid_to || m.valid_to >= today;
        return {
          id: m.id, name: names.get(m.person_id) ?? 'Name not recorded', href: `/people/${m.person_id}`,
          from: m.valid_from ? formatDate(m.valid_from) : 'Not known', to: m.valid_to ? formatDate(m.valid_to) : null,
          current, evidence: m.evidence, reliability: m.grading ? `graded ${m.grading}` : 'not graded',
          mayEnd: own && current && m.by_hand && !m.valid_to,
        };
      }),
      others: all.length - shown.length,
    });
  }

  r.get('/groups/:id', { schema: { params: idParams }, config: { access: { kind: 'record', roles: CONTEXT_ROLES, action: 'group.read' } } },
    async (request, reply) => renderGroup(request, reply, request.params.id, {}, []));

  // ---- Memberships ------------------------------------------------------------------------------
  r.post('/groups/:id/members', {
    schema: { params: idParams, body: z.object({ _csrf: z.string().optional(), child: text(100), grading: text(10), sensitivity: text(20), ...dateFields('validFrom') }) },
    config: { access: { kind: 'record', roles: CONTEXT_ROLES, action: 'group.record' } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const { group } = await findGroup(request, request.params.id, { record: true });
    const v = request.body as Record<string, string>;
    const errors: FormError[] = [];
    const personId = await childByReference(ctx.db, actor, v.child ?? '');
    if (!personId) errors.push({ field: 'child', href: '#child', text: 'Enter the reference of a child you work with, as shown on their record (for example JG-7K3Q-2M9X)' });
    const grading = (v.grading ?? '').trim().toUpperCase();
    if (grading && !isGrading(grading)) errors.push({ field: 'grading', href: '#grading', text: 'Give the grading as the source (1 to 3) then the intelligence (A to E), for example 2B, or leave it empty' });
    if (!['standard', 'restricted'].includes(v.sensitivity ?? '')) errors.push({ field: 'sensitivity', href: '#sensitivity', text: 'Choose who may see this membership' });
    const from = optionalDate(v, 'validFrom', 'The date the child joined the group', errors, { notFuture: true });
    if (personId && !errors.length) {
      const current = await ctx.db.selectFrom('peer_group_member').select('id').where('group_id', '=', group.id).where('person_id', 'in', samePersonIds(ctx.db, personId))
        .where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>=', sql<string>`current_date`)])).executeTakeFirst();
      if (current) errors.push({ field: 'child', href: '#child', text: 'This child is already a member of the group: end that membership first' });
    }
    if (errors.length) return renderGroup(request, reply, group.id, v, errors);
    await ctx.db.transaction().execute(async (trx) => {
      const row = await trx.insertInto('peer_group_member').values({
        group_id: group.id, person_id: personId!, source_event_id: null, recorded_by_organisation_id: actor.organisationId, recorded_by_user_id: actor.userId,
        grading: grading || null, sensitivity: v.sensitivity as 'standard' | 'restricted', valid_from: from, valid_to: null,
      }).returning('id').executeTakeFirstOrThrow();
      await recordAccess(trx, { actor, action: 'group.record', personId: personId!, route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { groupId: group.id, memberId: row.id, added: true } });
    });
    return reply.redirect(`/groups/${group.id}`, 303);
  });

  r.post('/groups/:id/members/:memberId/end', {
    schema: { params: memberParams, body: z.object({ _csrf: z.string().optional() }) },
    config: { access: { kind: 'record', roles: CONTEXT_ROLES, action: 'group.record' } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const { group, members, links } = await findGroup(request, request.params.id, { record: true });
    // A membership recorded by hand, still current, that the actor sees, of a child they may open.
    const member = members.find((m) => m.id === request.params.memberId && m.by_hand && !m.valid_to && links.has(m.person_id));
    if (!member) return refuseRecord(ctx, request, { detail: { groupId: group.id, memberId: isUuid(request.params.memberId) ? request.params.memberId : null } });
    // A membership ends on the day it is ended here.
    const to = new Date().toISOString().slice(0, 10);
    await ctx.db.transaction().execute(async (trx) => {
      await trx.updateTable('peer_group_member').set({ valid_to: to }).where('id', '=', member.id).where('valid_to', 'is', null).execute();
      await recordAccess(trx, { actor, action: 'group.record', personId: member.person_id, route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { groupId: group.id, memberId: member.id, ended: to } });
    });
    return reply.redirect(`/groups/${group.id}`, 303);
  });

  // ---- Opening a context case on a group --------------------------------------------------------
  r.post('/groups/:id/context-cases', {
    schema: { params: idParams, body: z.object({ _csrf: z.string().optional() }) },
    config: { access: { kind: 'record', roles: CONTEXT_ROLES, action: 'context_case.record' } },
  }, async (request, reply) => {
    const { group } = await findGroup(request, request.params.id, { record: true });
    const id = await openContextCase(ctx, request, { groupId: group.id });
    return reply.redirect(`/context-cases/${id}`, 303);
  });
}
