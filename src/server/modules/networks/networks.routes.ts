/**
 * Contextual safeguarding pages: a child's network (one or two steps, as a list and a table, with a
 * graph drawn over it when scripts run), recording a relationship, an incident and its affected
 * cohort with the welfare checks, referring the cohort to a panel, and a welfare check. Places, peer
 * groups and context cases are in places.routes.ts, groups.routes.ts and context-cases.routes.ts.
 * Everything shown is computed over what the viewer may see (networks.queries.ts); every person shown
 * is on their access log.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';
import {
  COHORT_REASON_TEXT, INCIDENT_KINDS, PLACE_KINDS, RECORDABLE_KINDS, RELATIONSHIP_KINDS, isGrading,
  type PlaceKind, type RelationshipKind,
} from '../../../domain/networks/kinds.js';
import { CASE_HOLDING_ROLES, refuseRecord } from '../../access.js';
import type { Role } from '../../actor.js';
import { recordAccess, recordAccessMany } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { formatDate, formatDateTime } from '../../format.js';
import { parseDateParts } from '../../forms.js';
import { isUuid, routeOf, userOf } from '../../request.js';
import { entriesById } from '../chronology/chronology.policy.js';
import { displayNames } from '../people/people.queries.js';
import { visiblePersonIds } from '../people/people.policy.js';
import { groupsBridged } from '../../../domain/networks/measures.js';
import { linkEntryByHand } from './incidents.commands.js';
import { contextCaseRoutes } from './context-cases.routes.js';
import { groupRoutes } from './groups.routes.js';
import { cohortOf, networkOf, recordsOf, type Edge } from './networks.queries.js';
import { placeRoutes } from './places.routes.js';

type FormError = { href: string; text: string; field: string };
const fieldErrors = (errors: FormError[]) => Object.fromEntries(errors.map((e) => [e.field, { text: e.text }]));

/** Who reads incidents, cohorts and places: those who hold cases, and analysts. */

/** Edge kinds that make a family: its members are together without a link between them on the page. */
const FAMILY_EDGE_KINDS: ReadonlySet<string> = new Set(['parent', 'carer', 'sibling', 'other_family']);
export const NETWORK_READERS: readonly Role[] = [...CASE_HOLDING_ROLES, 'analyst'];
/** Who may put a cohort on a panel's agenda. */
export const COHORT_REFERRERS: readonly Role[] = ['panel_coordinator', 'team_manager'];

const EDGE_TEXT: Record<Edge['kind'], string> = {
  ...RELATIONSHIP_KINDS,
  named_together: 'Named together in an entry',
  same_place: 'At the same place within a week',
  shared_place: 'Shares a place',
};

/** Support for children who grieve, shown with every cohort. */
const SIGNPOSTING = [
  { name: 'The partnership\'s service directory: bereavement and trauma support', href: '/services?need=bereavement' },
  { name: 'Child Bereavement UK helpline (0800 02 888 40)', href: null },
  { name: 'Winston\'s Wish helpline for bereaved children and young people (08088 020 021)', href: null },
  { name: 'The school\'s designated safeguarding lead and the local CAMHS single point of access', href: null },
];

const params = z.object({ personId: z.string().uuid() });
const idParams = z.object({ id: z.string().max(64) });
const text = (max: number) => z.string().max(max).default('');

export async function networkRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const base = (request: FastifyRequest) => ({ user: userOf(request), csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'find' });

  /** The ids among these the actor may open (links are offered only to them). */
  async function openable(request: FastifyRequest, ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await ctx.db.selectFrom('person').select('person.id').where('person.id', 'in', ids)
      .where('person.id', 'in', visiblePersonIds(ctx.db, userOf(request))).execute();
    return new Set(rows.map((x) => x.id));
  }

  // ---- A child's network ------------------------------------------------------------------------
  async function renderNetwork(request: FastifyRequest, reply: FastifyReply, personId: string, steps: 1 | 2, values: Record<string, string>, errors: FormError[]) {
    const actor = userOf(request);
    const network = await networkOf(ctx.db, actor, personId, steps);
    const names = await displayNames(ctx.db, [personId, ...network.people]);
    const links = await openable(request, network.people);
    const nameOf = (id: string) => names.get(id) ?? 'Name not recorded';
    const row = (e: Edge) => ({
      from: nameOf(e.a), to: nameOf(e.b), toId: e.b, toHref: links.has(e.b) ? `/people/${e.b}` : null,
      kind: EDGE_TEXT[e.kind] + (e.placeName ? `: ${e.placeName}${e.placeKind ? ` (${PLACE_KINDS[e.placeKind as PlaceKind] ?? e.placeKind})` : ''}` : ''),
      placeHref: e.placeId ? `/places/${e.placeId}` : null,
      evidence: e.evidence, reliability: e.reliability, ended: e.validTo && e.validTo < new Date().toISOString().slice(0, 10) ? formatDate(e.validTo) : null,
    });
    // One row on the child's log that names everyone shown (`personIds`: each of them finds it in "who has seen this record").
    await recordAccess(ctx.db, { actor, action: 'network.read', personId, route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { steps, personIds: network.people } });
    // Measures over what this viewer may see, put in words about this child only: a prompt, never a score.
    const pairs = [...network.first, ...network.second].map((e) => [e.a, e.b] as const);
    // Neighbours known to be together without a link between them: one family; the people of one place
    // (a school year, a youth provision). Only two steps show whether the others are linked, so the
    // prompt is made there.
    const together = new Map<string, string[]>();
    for (const e of network.first) {
      const key = FAMILY_EDGE_KINDS.has(e.kind) ? 'family' : e.placeId ? `place:${e.placeId}` : null;
      if (key) together.set(key, [...(together.get(key) ?? []), e.b]);
    }
    const bridged = groupsBridged(pairs, personId, [...together.values()]);
    const prompt = network.people.length === 0 || steps !== 2 ? null
      : bridged >= 2 ? `Within what you may see, ${nameOf(personId)} links ${bridged} groups of people that are otherwise apart. It may be worth asking how ${nameOf(personId)} knows each of them.`
        : null;
    // The graph's data: names and kinds only, drawn by the enhancement script over the same rows as the table.
    const graph = {
      nodes: [{ id: personId, label: nameOf(personId), root: true }, ...network.people.map((p) => ({ id: p, label: nameOf(p), root: false }))],
      edges: [...network.first, ...network.second].map((e) => ({ source: e.a, target: e.b, label: EDGE_TEXT[e.kind] })),
    };
    reply.status(errors.length ? 400 : 200);
    return reply.view('networks/views/network.njk', {
      ...base(request), child: { id: personId, name: nameOf(personId) }, steps, prompt,
      first: network.first.map(row), second: network.second.map(row), graphJson: JSON.stringify(graph).replace(/</g, '\\u003c'),
      kinds: RECORDABLE_KINDS.map((k) => ({ value: k, text: RELATIONSHIP_KINDS[k], selected: values.kind === k })),
      people: network.people.map((p) => ({ value: p, text: nameOf(p), selected: values.relatedPersonId === p })),
      values, errors, fieldErrors: fieldErrors(errors),
    });
  }

  r.get('/people/:personId/network', {
    schema: { params, querystring: z.object({ steps: z.enum(['1', '2']).default('1') }) },
    config: { access: { kind: 'person', action: 'network.read' } },
  }, async (request, reply) => renderNetwork(request, reply, request.params.personId, request.query.steps === '2' ? 2 : 1, {}, []));

  r.post('/people/:personId/network/relationships', {
    schema: {
      params,
      body: z.object({
        _csrf: z.string().optional(), relatedPersonId: text(64), kind: text(40), grading: text(4), sensitivity: text(20), note: text(3000),
        'validFrom-day': text(10), 'validFrom-month': text(10), 'validFrom-year': text(10),
      }),
    },
    config: { access: { kind: 'person', action: 'network.record', roles: CASE_HOLDING_ROLES } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const { personId } = request.params;
    const v = request.body;
    const errors: FormError[] = [];
    const own = await recordsOf(ctx.db, [personId]);
    // The other person: someone already in the child's network as the actor sees it, or a child the actor may open.
    const network = await networkOf(ctx.db, actor, personId, 1);
    const known = isUuid(v.relatedPersonId) && !own.includes(v.relatedPersonId)
      && (network.people.includes(v.relatedPersonId) || (await openable(request, [v.relatedPersonId])).has(v.relatedPersonId));
    if (!known) errors.push({ field: 'relatedPersonId', href: '#relatedPersonId', text: 'Choose the other person from the list: someone in this child\'s network or a child you work with' });
    if (!RECORDABLE_KINDS.includes(v.kind as RelationshipKind)) errors.push({ field: 'kind', href: '#kind', text: 'Choose how they are related' });
    const grading = v.grading.trim().toUpperCase();
    if (grading && !isGrading(grading)) errors.push({ field: 'grading', href: '#grading', text: 'Give the grading as the source (1 to 3) then the intelligence (A to E), for example 2B, or leave it empty' });
    if (!['standard', 'restricted'].includes(v.sensitivity)) errors.push({ field: 'sensitivity', href: '#sensitivity', text: 'Choose who may see this relationship' });
    let validFrom: string | null = null;
    if (v['validFrom-day'] || v['validFrom-month'] || v['validFrom-year']) {
      const d = parseDateParts(v['validFrom-day'], v['validFrom-month'], v['validFrom-year'], { requireDay: true });
      if (!d.ok) errors.push({ field: 'validFrom', href: `#validFrom-${d.field}`, text: `The date the relationship started ${d.error}` });
      else if (d.date > new Date().toISOString().slice(0, 10)) errors.push({ field: 'validFrom', href: '#validFrom-day', text: 'The date the relationship started must be today or in the past' });
      else validFrom = d.date;
    }
    if (v.note.length > 2000) errors.push({ field: 'note', href: '#note', text: 'The note must be 2000 characters or fewer' });
    if (errors.length) return renderNetwork(request, reply, personId, 1, v, errors);
    await ctx.db.transaction().execute(async (trx) => {
      const row = await trx.insertInto('person_relationship').values({
        person_id: personId, related_person_id: v.relatedPersonId, kind: v.kind, valid_from: validFrom, valid_to: null, source_event_id: null,
        recorded_by_user_id: actor.userId, recorded_by_organisation_id: actor.organisationId, grading: grading || null,
        sensitivity: v.sensitivity as 'standard' | 'restricted', note: v.note.trim() || null,
      }).returning('id').executeTakeFirstOrThrow();
      await recordAccessMany(trx, [personId, v.relatedPersonId].map((p) => ({
        actor, action: 'network.record' as const, personId: p, route: routeOf(request), outcome: 'allowed' as const, requestId: request.id,
        detail: { relationshipId: row.id, kind: v.kind, between: [personId, v.relatedPersonId] },
      })));
    });
    return reply.redirect(`/people/${personId}/network`, 303);
  });

  // ---- Incidents and their cohort ---------------------------------------------------------------
  /** The incident, when the actor sees at least one of its entries whole; otherwise refused as missing. */
  async function findIncident(request: FastifyRequest, id: string) {
    const actor = userOf(request);
    const incident = isUuid(id) ? await ctx.db.selectFrom('incident').selectAll().where('id', '=', id).executeTakeFirst() : undefined;
    if (!incident) return refuseRecord(ctx, request, { detail: { incidentId: isUuid(id) ? id : null } });
    const entries = await sql<{ id: string; type_label: string | null; summary: string | null; organisation_name: string; occurred_at: Date; linked_by: string }>`
      SELECT ve.id, ve.type_label, ve.summary, ve.organisation_name, ve.occurred_at, ie.linked_by
      FROM incident_entry ie JOIN ${entriesById(actor)} ve ON ve.id = ie.event_id
      WHERE ie.incident_id = ${id}::uuid AND ve.access = 'full' AND ve.current ORDER BY ve.occurred_at`.execute(ctx.db);
    // Seeing an entry is not enough (sharing agreements reach every organisation): the incident is the
    // reader's when their organisation recorded one of its entries, they may see a child named in it, or
    // they hold (or may see the child of) one of its welfare checks.
    const involved = entries.rows.length > 0 && (await sql<{ ok: boolean }>`SELECT (
        EXISTS (SELECT 1 FROM incident_entry ie JOIN event e ON e.id = ie.event_id WHERE ie.incident_id = ${id}::uuid AND e.organisation_id = ${actor.organisationId}::uuid)
        OR EXISTS (SELECT 1 FROM incident_entry ie JOIN event_person ep ON ep.event_id = ie.event_id
          WHERE ie.incident_id = ${id}::uuid AND ep.event_id = ANY(${sql.val(entries.rows.map((e) => e.id))}::uuid[]) AND ep.person_id IN (${visiblePersonIds(ctx.db, actor)}))
        OR EXISTS (SELECT 1 FROM welfare_check w WHERE w.incident_id = ${id}::uuid AND (w.assignee_user_id = ${actor.userId}::uuid
          OR (w.front_door_organisation_id = ${actor.organisationId}::uuid AND ${actor.roles.some((x) => CASE_HOLDING_ROLES.includes(x))})
          OR w.person_id IN (${visiblePersonIds(ctx.db, actor)})))
      ) AS ok`.execute(ctx.db)).rows[0]?.ok;
    if (!involved) return refuseRecord(ctx, request, { detail: { incidentId: id } });
    return { incident, entries: entries.rows };
  }

  r.get('/incidents/:id', { schema: { params: idParams }, config: { access: { kind: 'record', roles: NETWORK_READERS, action: 'incident.read' } } }, async (request, reply) => renderIncident(request, reply, request.params.id, [], {}));

  async function renderIncident(request: FastifyRequest, reply: FastifyReply, id: string, errors: FormError[], values: Record<string, string>) {
    const actor = userOf(request);
    const { incident, entries } = await findIncident(request, id);
    const cohort = await cohortOf(ctx.db, actor, incident.id);
    const ids = [...cohort.keys()];
    const names = await displayNames(ctx.db, ids);
    const links = await openable(request, ids);
    const checks = new Map((ids.length ? await ctx.db.selectFrom('welfare_check').select(['id', 'person_id', 'status', 'completed_at'])
      .where('incident_id', '=', incident.id).where('person_id', 'in', ids).execute() : []).map((c) => [c.person_id, c]));
    const nameOf = (id: string | null) => (id ? names.get(id) ?? 'Name not recorded' : '');
    const children = ids.map((id) => ({
      id, name: nameOf(id), href: links.has(id) ? `/people/${id}` : null,
      reasons: cohort.get(id)!.map((x) => ({ text: x.via ? `${COHORT_REASON_TEXT[x.kind]} ${nameOf(x.via)}` : COHORT_REASON_TEXT[x.kind], evidence: x.evidence, reliability: x.reliability })),
      check: checks.get(id) ? { id: checks.get(id)!.id, done: checks.get(id)!.status === 'done', when: checks.get(id)!.completed_at ? formatDateTime(checks.get(id)!.completed_at!) : null } : null,
    })).sort((a, b) => a.name.localeCompare(b.name));
    const done = children.filter((c) => c.check?.done).length;
    const withCheck = children.filter((c) => c.check).length;
    await recordAccess(ctx.db, { actor, action: 'incident.read', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { incidentId: incident.id, personIds: ids } });
    return reply.view('networks/views/incident.njk', {
      ...base(request), nav: 'incidents',
      incident: { id: incident.id, kind: INCIDENT_KINDS[incident.kind].label, serious: incident.serious, when: formatDateTime(incident.occurred_at) },
      entries: entries.map((e) => ({ label: e.type_label, summary: e.summary, organisation: e.organisation_name, when: formatDateTime(e.occurred_at), linkedBy: e.linked_by })),
      children, leftOut: cohort.leftOut, cap: cohort.cap, done, withCheck, signposting: SIGNPOSTING, mayRefer: actor.roles.some((x) => COHORT_REFERRERS.includes(x)),
      mayLink: actor.roles.some((x) => CASE_HOLDING_ROLES.includes(x)), errors, fieldErrors: fieldErrors(errors), values,
    });
  }

  r.post('/incidents/:id/entries', {
    schema: { params: idParams, body: z.object({ _csrf: z.string().optional(), eventId: text(100) }) },
    config: { access: { kind: 'record', roles: CASE_HOLDING_ROLES, action: 'incident.link' } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const { incident } = await findIncident(request, request.params.id);
    const eventId = request.body.eventId.trim();
    const fail = async (text: string) => {
      reply.status(400);
      return renderIncident(request, reply, incident.id, [{ field: 'eventId', href: '#eventId', text }], request.body);
    };
    // The entry must be one the actor sees whole, current, about a child they may see.
    const entry = isUuid(eventId) ? (await sql<{ id: string }>`
      SELECT ve.id FROM ${entriesById(actor)} ve WHERE ve.id = ${eventId}::uuid AND ve.access = 'full' AND ve.current
        AND EXISTS (SELECT 1 FROM event_person ep WHERE ep.event_id = ve.id AND ep.person_id IN (${visiblePersonIds(ctx.db, actor)}))`.execute(ctx.db)).rows[0] : undefined;
    if (!entry) return fail('Enter the reference of an entry you can see in full, about a child you work with');
    const linked = await ctx.db.transaction().execute((trx) => linkEntryByHand(trx, actor, incident.id, entry.id, routeOf(request)));
    if (!linked) return fail('That entry is already part of an incident');
    return reply.redirect(`/incidents/${incident.id}`, 303);
  });

  r.post('/incidents/:id/refer', {
    schema: { params: idParams, body: z.object({ _csrf: z.string().optional() }) },
    config: { access: { kind: 'record', roles: COHORT_REFERRERS, action: 'incident.refer' } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const { incident } = await findIncident(request, request.params.id);
    const cohort = await cohortOf(ctx.db, actor, incident.id);
    // The children of the cohort the reader sees who have a welfare check (not a child who died).
    const seen = [...cohort.keys()];
    const ids = seen.length ? (await ctx.db.selectFrom('welfare_check').select('person_id').where('incident_id', '=', incident.id).where('person_id', 'in', seen).execute()).map((w) => w.person_id) : [];
    const reason = `Critical-moment cohort after a ${INCIDENT_KINDS[incident.kind].label.toLowerCase()} on ${formatDate(incident.occurred_at.toISOString().slice(0, 10))}`;
    await ctx.db.transaction().execute(async (trx) => {
      const already = new Set((ids.length ? await trx.selectFrom('panel_referral').select('person_id').where('person_id', 'in', ids)
        .where('source', '=', 'critical_moment').where('reason', '=', reason).where('partnership_id', '=', actor.partnershipId).execute() : []).map((x) => x.person_id));
      const fresh = ids.filter((p) => !already.has(p));
      if (fresh.length) {
        await trx.insertInto('panel_referral').values(fresh.map((p) => ({
          person_id: p, partnership_id: actor.partnershipId, source: 'critical_moment', reason, referred_by_user_id: actor.userId, organisation_id: actor.organisationId,
        }))).execute();
      }
      await recordAccess(trx, { actor, action: 'incident.refer', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { incidentId: incident.id, personIds: fresh } });
    });
    return reply.redirect(`/incidents/${incident.id}?referred=1`, 303);
  });

  // ---- Welfare checks ---------------------------------------------------------------------------
  /** A check is its assignee's, the front door's (its organisation's case holders), or anyone's who may see the child. */
  async function findCheck(request: FastifyRequest, id: string) {
    const actor = userOf(request);
    const check = isUuid(id) ? await ctx.db.selectFrom('welfare_check as w').innerJoin('incident as i', 'i.id', 'w.incident_id')
      .leftJoin('app_user as u', 'u.id', 'w.completed_by_user_id')
      .select(['w.id', 'w.person_id', 'w.incident_id', 'w.assignee_user_id', 'w.front_door_organisation_id', 'w.status', 'w.completed_at', 'w.outcome', 'u.name as completed_by', 'i.kind', 'i.occurred_at'])
      .where('w.id', '=', id).executeTakeFirst() : undefined;
    if (!check) return refuseRecord(ctx, request, { detail: { welfareCheckId: isUuid(id) ? id : null } });
    const mine = check.assignee_user_id === actor.userId || (check.front_door_organisation_id === actor.organisationId && actor.roles.some((x) => CASE_HOLDING_ROLES.includes(x)));
    if (!mine && !(await openable(request, [check.person_id])).has(check.person_id)) {
      return refuseRecord(ctx, request, { personId: check.person_id, detail: { welfareCheckId: id } });
    }
    return check;
  }

  async function renderCheck(request: FastifyRequest, reply: FastifyReply, id: string, values: Record<string, string>, errors: FormError[]) {
    const actor = userOf(request);
    const check = await findCheck(request, id);
    const name = (await displayNames(ctx.db, [check.person_id])).get(check.person_id) ?? 'Name not recorded';
    await recordAccess(ctx.db, { actor, action: 'welfare_check.read', personId: check.person_id, route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { welfareCheckId: check.id } });
    reply.status(errors.length ? 400 : 200);
    return reply.view('networks/views/welfare-check.njk', {
      ...base(request), nav: 'alerts',
      check: {
        id: check.id, done: check.status === 'done', outcome: check.outcome, completedBy: check.completed_by, completedAt: check.completed_at ? formatDateTime(check.completed_at) : null,
        incidentHref: `/incidents/${check.incident_id}`, incidentKind: INCIDENT_KINDS[check.kind].label, incidentWhen: formatDateTime(check.occurred_at),
      },
      child: { id: check.person_id, name, href: (await openable(request, [check.person_id])).has(check.person_id) ? `/people/${check.person_id}` : null },
      signposting: SIGNPOSTING, values, errors, fieldErrors: fieldErrors(errors),
    });
  }

  const checkAccess = { kind: 'record', roles: CASE_HOLDING_ROLES, action: 'welfare_check.read' } as const;
  r.get('/welfare-checks/:id', { schema: { params: idParams }, config: { access: checkAccess } }, async (request, reply) => renderCheck(request, reply, request.params.id, {}, []));

  r.post('/welfare-checks/:id/complete', {
    schema: { params: idParams, body: z.object({ _csrf: z.string().optional(), outcome: text(6000) }) },
    config: { access: { ...checkAccess, action: 'welfare_check.complete' } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const check = await findCheck(request, request.params.id);
    const outcome = request.body.outcome.trim();
    const errors: FormError[] = [];
    if (check.status === 'done') errors.push({ field: 'outcome', href: '#outcome', text: 'This welfare check is already recorded as done' });
    else if (outcome.length < 10) errors.push({ field: 'outcome', href: '#outcome', text: 'Say how the child is and what was done, in at least 10 characters' });
    else if (outcome.length > 5000) errors.push({ field: 'outcome', href: '#outcome', text: 'The outcome must be 5000 characters or fewer' });
    if (errors.length) return renderCheck(request, reply, check.id, request.body, errors);
    await ctx.db.transaction().execute(async (trx) => {
      const done = await trx.updateTable('welfare_check').set({ status: 'done', completed_at: new Date(), completed_by_user_id: actor.userId, outcome })
        .where('id', '=', check.id).where('status', '=', 'open').returning('id').executeTakeFirst();
      if (!done) return;
      await trx.updateTable('alert').set({ acknowledged_at: new Date() }).where('welfare_check_id', '=', check.id).where('acknowledged_at', 'is', null).execute();
      await recordAccess(trx, { actor, action: 'welfare_check.complete', personId: check.person_id, route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { welfareCheckId: check.id } });
    });
    return reply.redirect(`/welfare-checks/${check.id}`, 303);
  });

  // ---- Places, peer groups and context cases (places.routes.ts, groups.routes.ts, context-cases.routes.ts) ----
  await placeRoutes(app, ctx);
  await groupRoutes(app, ctx);
  await contextCaseRoutes(app, ctx);
}
