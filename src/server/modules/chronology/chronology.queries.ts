import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import { samePersonIds } from '../identity/identity.merges.js';
import type { RestrictionGrants } from '../people/people.policy.js';

/** Filters shared by the chronology page and the API. */
export interface ChronologyFilter {
  organisationIds?: string[];
  categories?: string[];
  factors?: string[];
  from?: string; // YYYY-MM-DD inclusive
  to?: string; // YYYY-MM-DD inclusive
}

/** One chronology entry with its provenance, as stored. */
export interface ChronologyEntry {
  id: string;
  eventTypeCode: string;
  eventTypeLabel: string;
  category: string;
  vocabularyVersion: string;
  occurredAt: Date;
  occurredPrecision: string;
  recordedAt: Date;
  recordedByName: string | null;
  recordedVia: string;
  organisationId: string;
  organisationName: string;
  organisationKind: string;
  sourceSystem: string;
  sourceRecordId: string | null;
  summary: string;
  narrative: string | null;
  place: string | null;
  factorCodes: string[];
  impliedFactors: string[];
  sensitivity: string;
  reliability: string;
  supersedes: string | null;
  correctionReason: string | null;
  roles: string[];
  /** For restricted entries: whom to ask, and who besides the recording organisation may see it. */
  restriction?: { contact: string | null; grants: RestrictionGrants };
}

/** A page of current entries, each with the earlier versions it corrected (newest first). */
export interface ChronologyPage {
  entries: (ChronologyEntry & { earlierVersions: ChronologyEntry[] })[];
  total: number;
  page: number;
  pageSize: number;
}

function baseQuery(db: Kysely<Database>, personId: string) {
  return db
    .selectFrom('event as e')
    .innerJoin('event_type as t', 't.code', 'e.event_type_code')
    .innerJoin('organisation as o', 'o.id', 'e.organisation_id')
    // Merged person records are read as one: events on any record of the merged person.
    .where('e.id', 'in', db.selectFrom('event_person').select('event_id').where('person_id', 'in', samePersonIds(db, personId)));
}

function applyFilter<Q extends ReturnType<typeof baseQuery>>(q: Q, f: ChronologyFilter): Q {
  let out = q as ReturnType<typeof baseQuery>;
  if (f.organisationIds?.length) out = out.where('e.organisation_id', 'in', f.organisationIds);
  if (f.categories?.length) out = out.where('t.category', 'in', f.categories);
  if (f.factors?.length) {
    const factors = f.factors;
    out = out.where(sql<boolean>`(e.factor_codes && ${sql.val(factors)}::text[] OR t.implies_factors && ${sql.val(factors)}::text[])`);
  }
  if (f.from) out = out.where('e.occurred_at', '>=', sql<Date>`${f.from}::date`);
  if (f.to) out = out.where('e.occurred_at', '<', sql<Date>`${f.to}::date + 1`);
  return out as Q;
}

const notSuperseded = sql<boolean>`NOT EXISTS (SELECT 1 FROM event s WHERE s.supersedes = e.id)`;

function selectEntry(q: ReturnType<typeof baseQuery>, personId: string) {
  return q
    .leftJoin('app_user as u', 'u.id', 'e.recorded_by_user_id')
    .select([
      'e.id', 'e.event_type_code', 't.label as type_label', 't.category', 'e.vocabulary_version', 'e.occurred_at',
      'e.occurred_precision', 'e.recorded_at', 'u.name as recorded_by_name', 'e.recorded_via', 'e.organisation_id',
      'o.name as organisation_name', 'o.kind as organisation_kind', 'e.source_system', 'e.source_record_id', 'e.summary',
      'e.narrative', 'e.place', 'e.factor_codes', 't.implies_factors', 'e.sensitivity', 'e.reliability', 'e.supersedes',
      'e.correction_reason',
      sql<string[]>`ARRAY(SELECT DISTINCT ep.role FROM event_person ep WHERE ep.event_id = e.id AND ep.person_id IN ${samePersonIds(null, personId)} ORDER BY ep.role)`.as('roles'),
    ]);
}

type EntryRow = Awaited<ReturnType<ReturnType<typeof selectEntry>['execute']>>[number];

function toEntry(r: EntryRow): ChronologyEntry {
  return {
    id: r.id, eventTypeCode: r.event_type_code, eventTypeLabel: r.type_label, category: r.category,
    vocabularyVersion: r.vocabulary_version, occurredAt: r.occurred_at, occurredPrecision: r.occurred_precision,
    recordedAt: r.recorded_at, recordedByName: r.recorded_by_name, recordedVia: r.recorded_via,
    organisationId: r.organisation_id, organisationName: r.organisation_name, organisationKind: r.organisation_kind,
    sourceSystem: r.source_system, sourceRecordId: r.source_record_id, summary: r.summary, narrative: r.narrative,
    place: r.place, factorCodes: r.factor_codes, impliedFactors: r.implies_factors, sensitivity: r.sensitivity,
    reliability: r.reliability, supersedes: r.supersedes, correctionReason: r.correction_reason, roles: r.roles,
  };
}

/** A page of a person's chronology, newest first, with corrections joined to what they corrected. */
export async function getChronology(
  db: Kysely<Database>,
  personId: string,
  filter: ChronologyFilter,
  page = 1,
  pageSize = 50,
): Promise<ChronologyPage> {
  const current = applyFilter(baseQuery(db, personId), filter).where(notSuperseded);
  // The total comes with the page (a window count before LIMIT), saving a round trip.
  const rows = await selectEntry(current, personId)
    .select(sql<number>`count(*) OVER ()`.as('total'))
    .orderBy('e.occurred_at', 'desc')
    .orderBy('e.recorded_at', 'desc')
    .orderBy('e.id')
    .limit(pageSize)
    .offset((page - 1) * pageSize)
    .execute();
  const total = rows.length > 0
    ? Number(rows[0]!.total)
    : page === 1
      ? 0
      : Number((await current.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const entries = rows.map(toEntry);
  const corrected = entries.filter((e) => e.supersedes).map((e) => e.id);
  const earlier = corrected.length ? await earlierVersions(db, personId, corrected) : new Map<string, ChronologyEntry[]>();
  await attachRestrictions(db, [...entries, ...[...earlier.values()].flat()]);
  return {
    entries: entries.map((e) => ({ ...e, earlierVersions: earlier.get(e.id) ?? [] })),
    total,
    page,
    pageSize,
  };
}

/** For each correcting entry, the chain of entries it superseded (newest first). */
async function earlierVersions(db: Kysely<Database>, personId: string, ids: string[]): Promise<Map<string, ChronologyEntry[]>> {
  const chain = await sql<{ root: string; id: string; depth: number }>`
    WITH RECURSIVE chain(root, id, supersedes, depth) AS (
      SELECT e.id, e.id, e.supersedes, 0 FROM event e WHERE e.id = ANY(${sql.val(ids)}::uuid[])
      UNION ALL
      SELECT c.root, p.id, p.supersedes, c.depth + 1 FROM chain c JOIN event p ON p.id = c.supersedes WHERE c.depth < 100
    )
    SELECT root, id, depth FROM chain WHERE depth > 0`.execute(db);
  const out = new Map<string, ChronologyEntry[]>();
  if (chain.rows.length === 0) return out;
  const rows = await selectEntry(
    db
      .selectFrom('event as e')
      .innerJoin('event_type as t', 't.code', 'e.event_type_code')
      .innerJoin('organisation as o', 'o.id', 'e.organisation_id')
      .where('e.id', 'in', chain.rows.map((c) => c.id)),
    personId,
  ).execute();
  const byId = new Map(rows.map((r) => [r.id, toEntry(r)]));
  for (const c of [...chain.rows].sort((a, b) => a.depth - b.depth)) {
    const entry = byId.get(c.id);
    if (!entry) continue;
    const list = out.get(c.root) ?? [];
    list.push(entry);
    out.set(c.root, list);
  }
  return out;
}

/** Light rows for the visual timeline: every current entry matching the filter. */
export async function getTimelineMarks(db: Kysely<Database>, personId: string, filter: ChronologyFilter) {
  const rows: ({ id: string; organisation_id: string; organisation_name: string; category: string; label: string; occurred_at: Date; sensitivity: string } & Pick<ChronologyEntry, 'restriction'>)[] =
    await applyFilter(baseQuery(db, personId), filter)
      .where(notSuperseded)
      .select(['e.id', 'e.organisation_id', 'o.name as organisation_name', 't.category', 't.label', 'e.occurred_at', 'e.sensitivity'])
      .orderBy('e.occurred_at')
      .execute();
  await attachRestrictions(db, rows);
  return rows;
}

/** The agencies, categories and factors present in a person's chronology (for filter options). */
export async function getFilterOptions(db: Kysely<Database>, personId: string) {
  const [agencies, categories, factors] = await Promise.all([
    baseQuery(db, personId).select(['o.id', 'o.name']).distinct().orderBy('o.name').execute(),
    baseQuery(db, personId).select('t.category').distinct().orderBy('t.category').execute(),
    db.selectFrom('factor').select(['code', 'label', 'kind']).orderBy('label').execute(),
  ]);
  return { agencies, categories: categories.map((c) => c.category), factors };
}

/** Loads whom to ask and the named grants for the restricted entries among these, in two queries. */
export async function attachRestrictions(db: Kysely<Database>, entries: { id: string; sensitivity: string; restriction?: ChronologyEntry['restriction'] }[]): Promise<void> {
  const restricted = entries.filter((e) => e.sensitivity === 'restricted');
  if (restricted.length === 0) return;
  const ids = [...new Set(restricted.map((e) => e.id))];
  const [contacts, grants] = await Promise.all([
    db.selectFrom('event_restriction').select(['event_id', 'contact']).where('event_id', 'in', ids).execute(),
    db.selectFrom('event_restriction_grant').select(['event_id', 'user_id', 'role', 'organisation_id']).where('event_id', 'in', ids).execute(),
  ]);
  for (const e of restricted) {
    e.restriction = {
      contact: contacts.find((c) => c.event_id === e.id)?.contact ?? null,
      grants: {
        userIds: grants.filter((g) => g.event_id === e.id && g.user_id).map((g) => g.user_id!),
        roles: grants.filter((g) => g.event_id === e.id && g.role).map((g) => ({ role: g.role!, organisationId: g.organisation_id })),
      },
    };
  }
}
