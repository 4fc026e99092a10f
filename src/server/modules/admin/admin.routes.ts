import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { refuseRecord } from '../../access.js';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { actorOf, isUuid, routeOf } from '../../request.js';
import { canReviewIdentity, mayUnmerge } from '../identity/identity.policy.js';
import { getPersonRecords } from '../identity/identity.queries.js';
import { ACCESS_LOG_ROLES, accessLogLookupIds, authorizePerson, canReadAccessLog } from '../people/people.policy.js';
import { displayNames, peopleByReference, searchPeople } from '../people/people.queries.js';
import { idRangeOfReference, personReference } from '../../../domain/person-reference.js';
import { accessLogPage, type AccessLogFilter, type AccessLogPage } from '../transparency/transparency.queries.js';

/** Rows on one page of "who has seen this record". */
export const ACCESS_LOG_PAGE_SIZE = 50;

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const realDay = (v: string) => DAY.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`)) && new Date(`${v}T00:00:00Z`).toISOString().startsWith(v);

/** "Who has seen this record": the access log of one person, for administrators, the DPO and team managers. */
export async function adminRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/admin/access-log', {
    schema: {
      querystring: z.object({
        person: z.string().max(64).optional(),
        name: z.string().max(200).optional(),
        outcome: z.string().max(10).optional(),
        organisation: z.string().max(64).optional(),
        user: z.string().max(64).optional(),
        from: z.string().max(10).optional(),
        to: z.string().max(10).optional(),
        page: z.string().max(6).optional(),
      }),
    },
    // Administrators and the DPO see any record's access log; a team manager sees it for the
    // children they may see. Everyone else is told the page does not exist.
    config: {
      access: { kind: 'roles', roles: [...ACCESS_LOG_ROLES, 'team_manager'], action: 'access_log.read' },
      nav: { text: 'Who has seen a record', key: 'admin', order: 40, group: 'Information governance', hint: 'Find a person by name or reference and read who opened their record, and why' },
    },
  }, async (request, reply) => {
    const actor = actorOf(request);
    const global = canReadAccessLog(actor);
    const q = request.query;
    const typed = q.person?.trim() ?? '';
    const name = q.name?.trim() ?? '';
    const values = {
      outcome: q.outcome?.trim() ?? '', organisation: q.organisation?.trim() ?? '', user: q.user?.trim() ?? '',
      from: q.from?.trim() ?? '', to: q.to?.trim() ?? '',
    };
    const errors: { href: string; text: string }[] = [];
    // A person is named by their short reference (JG-7K3Q-2M9X, on the person page), or found by name; an internal id still works.
    let person = '';
    let candidates: { id: string; displayName: string; dateOfBirth: string | null; reference: string }[] = [];
    const within = accessLogLookupIds(ctx.db, actor);
    if (typed && isUuid(typed)) person = typed;
    else if (typed) {
      const range = idRangeOfReference(typed);
      const found = range ? await peopleByReference(ctx.db, range, within) : [];
      if (!range) errors.push({ href: '#person', text: 'Enter a person reference like JG-7K3Q-2M9X, as shown on the person page' });
      else if (found.length === 0) errors.push({ href: '#person', text: 'No one you may look up has that reference: check it, or find the person by name' });
      else if (found.length === 1) person = found[0]!.id;
      else candidates = found.map((c) => ({ ...c, reference: personReference(c.id) }));
    } else if (name) {
      if (name.length < 2) errors.push({ href: '#name', text: 'Enter at least 2 letters of the name' });
      else {
        const hits = await searchPeople(ctx.db, actor, { name }, 20, within);
        candidates = hits.map((h) => ({ id: h.id, displayName: h.displayName, dateOfBirth: h.dateOfBirth, reference: personReference(h.id) }));
      }
    }
    if (candidates.length) {
      // Names and dates of birth shown to tell people apart are a read of each of them.
      await recordAccess(ctx.db, {
        actor, action: 'person.search', route: routeOf(request), outcome: 'allowed', requestId: request.id,
        detail: { purpose: 'access_log', resultCount: candidates.length, personIds: candidates.map((c) => c.id) },
      });
    }
    if (values.outcome && values.outcome !== 'allowed' && values.outcome !== 'denied') errors.push({ href: '#outcome', text: 'Choose allowed, refused or any outcome' });
    if (values.organisation && !isUuid(values.organisation)) errors.push({ href: '#organisation', text: 'Choose an organisation from the list' });
    if (values.user && !isUuid(values.user)) errors.push({ href: '#user', text: 'Choose a user from the list' });
    if (values.from && !realDay(values.from)) errors.push({ href: '#from', text: 'The "from" date must be a real date, like 2026-11-01' });
    if (values.to && !realDay(values.to)) errors.push({ href: '#to', text: 'The "to" date must be a real date, like 2026-11-30' });
    if (values.from && values.to && realDay(values.from) && realDay(values.to) && values.from > values.to) errors.push({ href: '#to', text: 'The "to" date must be the same as or after the "from" date' });
    const pageNumber = q.page === undefined || q.page === '' ? 1 : Number(q.page);
    if (!Number.isInteger(pageNumber) || pageNumber < 1) errors.push({ href: '#page', text: 'The page number must be a whole number, 1 or more' });
    let result: AccessLogPage | null = null;
    const merges: Awaited<ReturnType<typeof getPersonRecords>>['merges'] = [];
    if (person && errors.length === 0) {
      if (!global && !(await authorizePerson(ctx.db, actor, 'person.read', person))) await refuseRecord(ctx, request, { personId: person });
      const filter: AccessLogFilter = {
        outcome: values.outcome === 'allowed' || values.outcome === 'denied' ? values.outcome : undefined,
        organisationId: values.organisation || undefined, userId: values.user || undefined, from: values.from || undefined, to: values.to || undefined,
      };
      result = await accessLogPage(ctx.db, person, filter, { page: pageNumber, pageSize: ACCESS_LOG_PAGE_SIZE });
      await recordAccess(ctx.db, { actor, action: 'access_log.read', personId: person, route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { page: pageNumber } });
      // The merges in force that this viewer may undo (the DPO reads no person page to do it from).
      if (canReviewIdentity(actor)) {
        for (const m of (await getPersonRecords(ctx.db, person)).merges) if (await mayUnmerge(ctx.db, actor, m.id)) merges.push(m);
      }
    }
    const pages = result ? Math.max(1, Math.ceil(result.total / ACCESS_LOG_PAGE_SIZE)) : 1;
    const reference = person ? personReference(person) : '';
    const personName = result ? (await displayNames(ctx.db, [person])).get(person) ?? 'Name not recorded' : null;
    const link = (p: number) => `/admin/access-log?${new URLSearchParams({ person: reference, ...Object.fromEntries(Object.entries(values).filter(([, v]) => v)), page: String(p) }).toString()}`;
    reply.status(errors.length ? 400 : 200);
    return reply.view('admin/views/access-log.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'admin', person: reference || typed, name, personName, candidates, values, errors, searched: Boolean(person),
      rows: result?.rows ?? [], total: result?.total ?? 0,
      orgItems: [{ value: '', text: 'Any' }, ...(result?.organisations ?? []).map((o) => ({ value: o.id, text: o.name }))],
      userItems: [{ value: '', text: 'Anyone' }, ...(result?.users ?? []).map((u) => ({ value: u.id, text: u.name }))],
      page: pageNumber, pages, merges,
      first: result && result.total ? (pageNumber - 1) * ACCESS_LOG_PAGE_SIZE + 1 : 0,
      last: result ? Math.min(result.total, pageNumber * ACCESS_LOG_PAGE_SIZE) : 0,
      previous: pageNumber > 1 && result ? link(pageNumber - 1) : null,
      next: result && pageNumber < pages ? link(pageNumber + 1) : null,
    });
  });
}
