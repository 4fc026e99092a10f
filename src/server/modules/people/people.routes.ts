import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { refuseRecord } from '../../access.js';
import { ethnicityLabel } from '../../../domain/ethnicity.js';
import { entryLabel, presentChronology } from '../chronology/chronology.presenter.js';
import { getChronology, getFilterOptions, getTimelineMarks } from '../chronology/chronology.queries.js';
import { chronologyQuerySchema, toFilter } from '../chronology/chronology.schemas.js';
import { renderTimelineSvg } from '../chronology/timeline-svg.js';
import { CATEGORY_LABELS } from '../chronology/categories.js';
import { actorOf, routeOf } from '../../request.js';
import { presentPerson } from './people.presenter.js';
import { getPersonSummary, searchPeople } from './people.queries.js';
import { personRecordsView } from '../identity/identity.person-panel.js';
import { parseDateParts } from '../../forms.js';
import { loadRiskPanel } from '../assessments/person-panel.js';
import { loadPlanAndOffersPanel } from '../plans/person-section.js';
import { loadWorkingPanel } from '../allocation/person-panel.js';
import { latestSignificant, loadGlance } from './person-glance.js';
import { personReference } from '../../../domain/person-reference.js';
import { personDetailsRoute } from './person-details.js';

const searchQuery = z.object({
  name: z.string().max(200).optional(),
  identifier: z.string().max(40).optional(),
  'dob-day': z.string().max(4).optional(),
  'dob-month': z.string().max(4).optional(),
  'dob-year': z.string().max(6).optional(),
});

/** Entries on each page of the person page's chronology (the timeline above it draws them all): twenty keeps the page readable. */
export const PERSON_PAGE_ENTRIES = 20;

/** Find a person, and the person page with its visual timeline and chronology. */
export async function peopleRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  personDetailsRoute(app, ctx);

  r.get('/people', {
    schema: { querystring: searchQuery },
    config: { access: { kind: 'signed_in' }, nav: { text: 'Find a person', key: 'find', order: 20, bar: true } },
  }, async (request, reply) => {
    const actor = actorOf(request);
    const q = request.query;
    const errors: { href: string; text: string }[] = [];
    const dobGiven = Boolean(q['dob-day'] || q['dob-month'] || q['dob-year']);
    const dob = dobGiven ? parseDateParts(q['dob-day'], q['dob-month'], q['dob-year'], { requireDay: true }) : null;
    if (dob && !dob.ok) errors.push({ href: '#dob-day', text: `Date of birth ${dob.error}` });
    const name = q.name?.trim() ?? '';
    const identifier = q.identifier?.trim() ?? '';
    if (name && name.length < 2) errors.push({ href: '#name', text: 'Enter at least 2 letters of the name' });
    const searched = Boolean(name || identifier || dobGiven);
    let results: Awaited<ReturnType<typeof searchPeople>> = [];
    if (searched && errors.length === 0) {
      results = await searchPeople(ctx.db, actor, {
        ...(name ? { name } : {}), ...(identifier ? { identifier } : {}), ...(dob?.ok ? { dateOfBirth: dob.date } : {}),
      });
      await recordAccess(ctx.db, {
        actor, action: 'person.search', route: routeOf(request), outcome: 'allowed', requestId: request.id,
        detail: { resultCount: results.length, personIds: results.map((h) => h.id) },
      });
    }
    reply.status(errors.length ? 400 : 200);
    return reply.view('people/views/find.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'find',
      query: q, searched, results, errors,
    });
  });

  r.get('/people/:personId', {
    schema: { params: z.object({ personId: z.string().max(64) }), querystring: chronologyQuerySchema.extend({ recorded: z.string().uuid().optional(), pageSize: z.coerce.number().int().min(1).max(500).default(PERSON_PAGE_ENTRIES) }) },
    config: { access: { kind: 'person', action: 'chronology.read' } },
  }, async (request, reply) => {
    const actor = actorOf(request);
    const personId = request.params.personId;
    const filter = toFilter(request.query);
    const [summary, chronology, marks, options] = await Promise.all([
      getPersonSummary(ctx.db, personId),
      getChronology(ctx.db, actor, personId, filter, request.query.page, request.query.pageSize),
      getTimelineMarks(ctx.db, actor, personId, filter),
      getFilterOptions(ctx.db, actor, personId),
    ]);
    if (!summary) return refuseRecord(ctx, request, { personId });
    const riskPanel = await loadRiskPanel(ctx.db, actor, personId);
    const working = await loadWorkingPanel(ctx.db, actor, personId);
    const planPanel = await loadPlanAndOffersPanel(ctx.db, personId);
    // The reader's alerts about the child, what counts as significant, and their emergency access: one statement.
    const glance = await loadGlance(ctx.db, actor, personId);
    await recordAccess(ctx.db, {
      actor, action: 'chronology.read', personId, route: routeOf(request), outcome: 'allowed', requestId: request.id,
      detail: { page: chronology.page, entries: chronology.entries.length },
    });
    const person = presentPerson(summary, actor);
    const now = new Date();
    const first = marks[0]?.occurred_at;
    const from = first ? new Date(Math.min(first.getTime(), now.getTime() - 30 * 86_400_000)) : new Date(now.getTime() - 365 * 86_400_000);
    const lanes = [...new Map(marks.map((m) => [m.organisation_id, { key: m.organisation_id, label: m.organisation_name }])).values()];
    const svg = renderTimelineSvg({
      title: `Timeline of events for ${person.displayName}`,
      from,
      to: now,
      lanes,
      events: marks.map((m) => ({
        id: m.id, laneKey: m.organisation_id, category: m.category as never, occurredAt: m.occurred_at,
        label: `${entryLabel(m)} (${m.organisation_name})`, restricted: m.access !== 'full', href: `#event-${m.id}`,
      })),
    });
    const query = request.query;
    const identityRecords = await personRecordsView(ctx.db, actor, personId);
    const presented = presentChronology(chronology);
    return reply.view('people/views/person.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'find',
      person, reference: personReference(person.id), ethnicity: person.ethnicity ? ethnicityLabel(person.ethnicity) : null,
      chronology: presented, svg,
      openAlerts: glance.openAlerts,
      // The newest entries first: only on the chronology's first page, unfiltered.
      significant: chronology.page === 1 && Object.keys(filter).length === 0 ? latestSignificant(presented.entries, glance.significantTypes) : [], options, categoryLabels: CATEGORY_LABELS,
      filter: { agency: query.agency ?? [], category: query.category ?? [], factor: query.factor ?? [], from: query.from ?? '', to: query.to ?? '' },
      filtered: Object.keys(filter).length > 0,
      recorded: request.query.recorded ?? null,
      emergencyUntil: glance.emergencyUntil,
      riskPanel,
      working,
      planPanel,
      identityRecords,
      pageLink: (page: number) => {
        const params = new URLSearchParams();
        for (const a of query.agency ?? []) params.append('agency', a);
        for (const c of query.category ?? []) params.append('category', c);
        for (const f of query.factor ?? []) params.append('factor', f);
        if (query.from) params.set('from', query.from);
        if (query.to) params.set('to', query.to);
        params.set('page', String(page));
        return `?${params.toString()}`;
      },
    });
  });
}
