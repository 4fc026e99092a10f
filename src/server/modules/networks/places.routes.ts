/**
 * Places of a partnership: the list (find by name or kind), recording a place, a place's page
 * (children linked, named only to someone who may open them, and when things happen there), linking a
 * child the recorder may open to it, and opening a context case on it. A place belongs to its
 * partnership: another partnership's user finds it missing, unless a child they may open is linked to
 * it (a child's network page links every place it shows); only its own partnership records on it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';
import { PERSON_PLACE_KINDS, PLACE_KINDS, isGrading, type PlaceKind } from '../../../domain/networks/kinds.js';
import { refuseRecord } from '../../access.js';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { formatDate } from '../../format.js';
import { isUuid, routeOf, userOf } from '../../request.js';
import { entriesById } from '../chronology/chronology.policy.js';
import { displayNames } from '../people/people.queries.js';
import {
  CONTEXT_ROLES, childByReference, fieldErrors, openContextCase, openContextCasesOf, openableIds, optionalDate, type FormError,
} from './context-cases.queries.js';

const idParams = z.object({ id: z.string().max(64) });
const text = (max: number) => z.string().max(max).default('');
const POSTCODE = /^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$/;

const placeBody = z.object({
  _csrf: z.string().optional(), kind: text(40), name: text(400), postcode: text(40), ward: text(200), borough: text(200), platform: text(200), handle: text(400),
});
const linkBody = z.object({
  _csrf: z.string().optional(), child: text(100), kind: text(40), grading: text(10), sensitivity: text(20),
  'validFrom-day': text(10), 'validFrom-month': text(10), 'validFrom-year': text(10),
  'validTo-day': text(10), 'validTo-month': text(10), 'validTo-year': text(10),
});

export async function placeRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const base = (request: FastifyRequest) => ({ user: userOf(request), csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'places' });

  // ---- The partnership's places -----------------------------------------------------------------
  r.get('/places', {
    schema: { querystring: z.object({ q: z.string().max(200).default(''), kind: z.string().max(40).default('') }) },
    config: {
      access: { kind: 'roles', roles: CONTEXT_ROLES, action: 'place.list' },
      nav: { text: 'Places and groups', key: 'places', order: 44, group: 'Children and families', hint: 'Schools, youth centres, parks and online spaces; peer groups; context cases' },
    },
  }, async (request, reply) => {
    const actor = userOf(request);
    const q = request.query.q.trim();
    const kind = Object.hasOwn(PLACE_KINDS, request.query.kind) ? request.query.kind as PlaceKind : null;
    let query = ctx.db.selectFrom('place').select(['id', 'kind', 'name', 'postcode', 'ward', 'borough', 'platform', 'handle'])
      .where('partnership_id', '=', actor.partnershipId);
    if (q) query = query.where(sql<boolean>`(name ILIKE ${`%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`} OR postcode ILIKE ${`${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`})`);
    if (kind) query = query.where('kind', '=', kind);
    const places = await query.orderBy('name').orderBy('id').limit(101).execute();
    const cases = new Set(places.length ? (await ctx.db.selectFrom('context_case').select('place_id').where('status', '=', 'open')
      .where('place_id', 'in', places.map((p) => p.id)).execute()).map((c) => c.place_id) : []);
    await recordAccess(ctx.db, { actor, action: 'place.list', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { found: places.length } });
    return reply.view('networks/views/places.njk', {
      ...base(request), q, kind: kind ?? '', more: places.length > 100,
      kinds: [{ value: '', text: 'Any kind' }, ...Object.entries(PLACE_KINDS).map(([value, label]) => ({ value, text: label, selected: value === kind }))],
      places: places.slice(0, 100).map((p) => ({
        href: `/places/${p.id}`, name: p.name, kind: PLACE_KINDS[p.kind], where: [p.postcode, p.ward, p.borough].filter(Boolean).join(', ') || (p.platform ? `${p.platform}: ${p.handle}` : ''),
        openCase: cases.has(p.id),
      })),
    });
  });

  // ---- Recording a place ------------------------------------------------------------------------
  const renderNew = (request: FastifyRequest, reply: FastifyReply, values: Record<string, string>, errors: FormError[]) => {
    reply.status(errors.length ? 400 : 200);
    return reply.view('networks/views/place-new.njk', {
      ...base(request), values, errors, fieldErrors: fieldErrors(errors),
      kinds: Object.entries(PLACE_KINDS).map(([value, label]) => ({ value, text: label, checked: values.kind === value })),
    });
  };
  const recordPlace = { kind: 'roles', roles: CONTEXT_ROLES, action: 'place.record' } as const;
  r.get('/places/new', { config: { access: recordPlace } }, async (request, reply) => renderNew(request, reply, {}, []));

  r.post('/places', { schema: { body: placeBody }, config: { access: recordPlace } }, async (request, reply) => {
    const actor = userOf(request);
    const v = request.body;
    const errors: FormError[] = [];
    const name = v.name.trim();
    const postcode = v.postcode.trim().toUpperCase().replace(/\s+/g, ' ');
    const [ward, borough, platform, handle] = [v.ward.trim(), v.borough.trim(), v.platform.trim(), v.handle.trim()];
    if (!Object.hasOwn(PLACE_KINDS, v.kind)) errors.push({ field: 'kind', href: '#kind', text: 'Choose what kind of place it is' });
    if (!name) errors.push({ field: 'name', href: '#name', text: 'Enter the name of the place' });
    else if (name.length > 200) errors.push({ field: 'name', href: '#name', text: 'The name must be 200 characters or fewer' });
    if (postcode && !POSTCODE.test(postcode)) errors.push({ field: 'postcode', href: '#postcode', text: 'Enter a real postcode, like BF1 2AB, or leave it empty' });
    if (ward.length > 100) errors.push({ field: 'ward', href: '#ward', text: 'The ward must be 100 characters or fewer' });
    if (borough.length > 100) errors.push({ field: 'borough', href: '#borough', text: 'The borough must be 100 characters or fewer' });
    if (v.kind === 'online') {
      if (!platform) errors.push({ field: 'platform', href: '#platform', text: 'Enter the platform of the online space, for example a messaging app' });
      else if (platform.length > 100) errors.push({ field: 'platform', href: '#platform', text: 'The platform must be 100 characters or fewer' });
      if (!handle) errors.push({ field: 'handle', href: '#handle', text: 'Enter the handle, group name or channel of the online space' });
      else if (handle.length > 200) errors.push({ field: 'handle', href: '#handle', text: 'The handle must be 200 characters or fewer' });
    }
    if (errors.length) return renderNew(request, reply, v, errors);
    const online = v.kind === 'online';
    const id = await ctx.db.transaction().execute(async (trx) => {
      const row = await trx.insertInto('place').values({
        kind: v.kind as PlaceKind, name, postcode: postcode || null, ward: ward || null, borough: borough || null,
        platform: online ? platform : null, handle: online ? handle : null,
        recorded_by_organisation_id: actor.organisationId, partnership_id: actor.partnershipId,
      }).returning('id').executeTakeFirstOrThrow();
      await recordAccess(trx, { actor, action: 'place.record', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { placeId: row.id } });
      return row.id;
    });
    return reply.redirect(`/places/${id}`, 303);
  });

  // ---- A place's page ---------------------------------------------------------------------------
  /** The place and the children linked to it the reader may see; refused as missing to another partnership with no child of theirs there. */
  async function findPlace(request: FastifyRequest, id: string, opts: { record?: boolean } = {}) {
    const actor = userOf(request);
    const place = isUuid(id) ? await ctx.db.selectFrom('place').selectAll().where('id', '=', id).executeTakeFirst() : undefined;
    if (!place) return refuseRecord(ctx, request, { detail: { placeId: isUuid(id) ? id : null } });
    const own = place.partnership_id === actor.partnershipId;
    if (opts.record && !own) return refuseRecord(ctx, request, { detail: { placeId: id } });
    // Children linked: their own links to the place the actor may see, and the people of entries at it the actor sees whole.
    const linked = await sql<{ person_id: string; how: string; evidence: string | null; since: string | null }>`
      SELECT pp.person_id, pp.kind AS how, coalesce(ve.type_label, o.name) AS evidence, pp.valid_from::text AS since
      FROM person_place pp
      LEFT JOIN ${entriesById(actor)} ve ON ve.id = pp.source_event_id
      LEFT JOIN organisation o ON o.id = pp.recorded_by_organisation_id
      WHERE pp.place_id = ${place.id}::uuid AND (pp.valid_to IS NULL OR pp.valid_to >= current_date)
        AND (pp.sensitivity = 'standard' OR pp.recorded_by_organisation_id = ${actor.organisationId}::uuid)
        AND (pp.source_event_id IS NULL OR (ve.access = 'full' AND ve.current))
      UNION ALL
      SELECT ep.person_id, 'named_in_entry', ve.type_label, ve.occurred_at::date::text
      FROM event_place epl JOIN ${entriesById(actor)} ve ON ve.id = epl.event_id AND ve.access = 'full' AND ve.current
      JOIN event_person ep ON ep.event_id = epl.event_id
      WHERE epl.place_id = ${place.id}::uuid`.execute(ctx.db);
    const all = [...new Set(linked.rows.map((x) => x.person_id))];
    const links = await openableIds(ctx.db, actor, all);
    if (!own && links.size === 0) return refuseRecord(ctx, request, { detail: { placeId: id } });
    return { place, own, linked: linked.rows, all, links };
  }

  async function renderPlace(request: FastifyRequest, reply: FastifyReply, id: string, values: Record<string, string>, errors: FormError[]) {
    const actor = userOf(request);
    const { place, own, linked, all, links } = await findPlace(request, id);
    const times = await sql<{ dow: number; hour_band: number; n: string }>`
      SELECT extract(isodow FROM ve.occurred_at AT TIME ZONE 'Europe/London')::int AS dow,
        (extract(hour FROM ve.occurred_at AT TIME ZONE 'Europe/London')::int / 6) AS hour_band, count(*) AS n
      FROM event_place epl JOIN ${entriesById(actor)} ve ON ve.id = epl.event_id AND ve.access = 'full' AND ve.current
      WHERE epl.place_id = ${place.id}::uuid GROUP BY 1, 2`.execute(ctx.db);
    // Children are named only to someone who may see them; the others are counted.
    const ids = all.filter((p) => links.has(p));
    const names = await displayNames(ctx.db, ids);
    const bands = ['Night (00:00 to 05:59)', 'Morning (06:00 to 11:59)', 'Afternoon (12:00 to 17:59)', 'Evening (18:00 to 23:59)'];
    const days = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
    const grid = bands.map((band, b) => ({ band, cells: days.map((_, d) => Number(times.rows.find((t) => t.dow === d + 1 && t.hour_band === b)?.n ?? 0)) }));
    const cases = own ? await openContextCasesOf(ctx.db, { placeId: place.id }) : [];
    await recordAccess(ctx.db, { actor, action: 'place.read', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { placeId: place.id, personIds: ids } });
    const howText: Record<string, string> = { ...PERSON_PLACE_KINDS, named_in_entry: 'Named in an entry here' };
    reply.status(errors.length ? 400 : 200);
    return reply.view('networks/views/place.njk', {
      ...base(request),
      place: { ...place, kindText: PLACE_KINDS[place.kind] },
      linked: linked.filter((x) => links.has(x.person_id)).map((x) => ({ name: names.get(x.person_id) ?? 'Name not recorded', href: `/people/${x.person_id}`, how: howText[x.how] ?? x.how, evidence: x.evidence, since: x.since ? formatDate(x.since) : null })),
      others: all.length - ids.length,
      days, grid, total: times.rows.reduce((s, t) => s + Number(t.n), 0),
      mayRecord: own, cases,
      linkKinds: Object.entries(PERSON_PLACE_KINDS).map(([value, label]) => ({ value, text: label, selected: values.kind === value })),
      values, errors, fieldErrors: fieldErrors(errors),
    });
  }

  r.get('/places/:id', { schema: { params: idParams }, config: { access: { kind: 'record', roles: CONTEXT_ROLES, action: 'place.read' } } },
    async (request, reply) => renderPlace(request, reply, request.params.id, {}, []));

  // ---- Linking a child to a place ---------------------------------------------------------------
  r.post('/places/:id/children', {
    schema: { params: idParams, body: linkBody },
    config: { access: { kind: 'record', roles: CONTEXT_ROLES, action: 'place.record' } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const { place } = await findPlace(request, request.params.id, { record: true });
    const v = request.body;
    const errors: FormError[] = [];
    const personId = await childByReference(ctx.db, actor, v.child);
    if (!personId) errors.push({ field: 'child', href: '#child', text: 'Enter the reference of a child you work with, as shown on their record (for example JG-7K3Q-2M9X)' });
    if (!Object.hasOwn(PERSON_PLACE_KINDS, v.kind)) errors.push({ field: 'kind', href: '#kind', text: 'Choose how the child is linked to the place' });
    const grading = v.grading.trim().toUpperCase();
    if (grading && !isGrading(grading)) errors.push({ field: 'grading', href: '#grading', text: 'Give the grading as the source (1 to 3) then the intelligence (A to E), for example 2B, or leave it empty' });
    if (!['standard', 'restricted'].includes(v.sensitivity)) errors.push({ field: 'sensitivity', href: '#sensitivity', text: 'Choose who may see this link' });
    const from = optionalDate(v, 'validFrom', 'The date the link started', errors, { notFuture: true });
    const to = optionalDate(v, 'validTo', 'The date the link ended', errors);
    if (from && to && to < from) errors.push({ field: 'validTo', href: '#validTo-day', text: 'The date the link ended must be the same as or after the date it started' });
    if (errors.length) return renderPlace(request, reply, place.id, v, errors);
    await ctx.db.transaction().execute(async (trx) => {
      const row = await trx.insertInto('person_place').values({
        person_id: personId!, place_id: place.id, kind: v.kind as keyof typeof PERSON_PLACE_KINDS, source_event_id: null,
        recorded_by_user_id: actor.userId, recorded_by_organisation_id: actor.organisationId, grading: grading || null,
        sensitivity: v.sensitivity as 'standard' | 'restricted', valid_from: from, valid_to: to,
      }).returning('id').executeTakeFirstOrThrow();
      await recordAccess(trx, { actor, action: 'place.record', personId: personId!, route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { placeId: place.id, personPlaceId: row.id, kind: v.kind } });
    });
    return reply.redirect(`/places/${place.id}`, 303);
  });

  // ---- Opening a context case on a place --------------------------------------------------------
  r.post('/places/:id/context-cases', {
    schema: { params: idParams, body: z.object({ _csrf: z.string().optional() }) },
    config: { access: { kind: 'record', roles: CONTEXT_ROLES, action: 'context_case.record' } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const { place } = await findPlace(request, request.params.id, { record: true });
    const id = await openContextCase(ctx, request, { placeId: place.id });
    return reply.redirect(`/context-cases/${id}`, 303);
  });
}
