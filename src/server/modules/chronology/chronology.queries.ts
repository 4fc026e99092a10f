import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import { entryScope, type EntryReader, type VisibleEntry } from './chronology.policy.js';

/** Filters shared by the chronology page and the API. */
export interface ChronologyFilter {
  organisationIds?: string[];
  categories?: string[];
  factors?: string[];
  from?: string; // YYYY-MM-DD inclusive
  to?: string; // YYYY-MM-DD inclusive
}

/** One chronology entry as the reader may see it (content withheld in SQL: see chronology.policy.ts). */
export type ChronologyEntry = VisibleEntry;

/** A page of current entries, each with the earlier versions it corrected (newest first). */
export interface ChronologyPage {
  entries: (ChronologyEntry & { earlierVersions: ChronologyEntry[] })[];
  total: number;
  page: number;
  pageSize: number;
}

/** One child's entries as this reader may see them (merged records included), as table `v`. */
function scoped(db: Kysely<Database>, reader: EntryReader, personId: string) {
  return db.selectFrom(entryScope(reader, { ids: [personId] }).as('v'));
}

function applyFilter<Q extends ReturnType<typeof scoped>>(q: Q, f: ChronologyFilter): Q {
  let out = q as ReturnType<typeof scoped>;
  if (f.organisationIds?.length) out = out.where('v.organisation_id', 'in', f.organisationIds);
  if (f.categories?.length) out = out.where('v.category', 'in', f.categories);
  if (f.factors?.length) {
    // Factors of a withheld entry are empty in the scope, so filtering never reveals them.
    const factors = f.factors;
    out = out.where(sql<boolean>`(v.factor_codes && ${sql.val(factors)}::text[] OR v.implied_factors && ${sql.val(factors)}::text[])`);
  }
  if (f.from) out = out.where('v.occurred_at', '>=', sql<Date>`${f.from}::date`);
  if (f.to) out = out.where('v.occurred_at', '<', sql<Date>`${f.to}::date + 1`);
  return out as Q;
}

/** A page of a person's chronology, newest first, with corrections joined to what they corrected. */
export async function getChronology(
  db: Kysely<Database>,
  reader: EntryReader,
  personId: string,
  filter: ChronologyFilter,
  page = 1,
  pageSize = 50,
): Promise<ChronologyPage> {
  const current = applyFilter(scoped(db, reader, personId), filter).where('v.current', '=', true);
  // The total comes with the page (a window count before LIMIT), saving a round trip.
  const rows = await current
    .selectAll('v')
    .select(sql<number>`count(*) OVER ()`.as('total'))
    .orderBy('v.occurred_at', 'desc')
    .orderBy('v.sort_recorded_at', 'desc')
    .orderBy('v.id')
    .limit(pageSize)
    .offset((page - 1) * pageSize)
    .execute();
  const total = rows.length > 0
    ? Number(rows[0]!.total)
    : page === 1
      ? 0
      : Number((await current.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const entries: ChronologyEntry[] = rows.map(({ total: _total, ...entry }) => entry);
  // Only an entry the reader sees in full shows what it corrected (supersedes is withheld otherwise).
  const corrected = entries.filter((e) => e.supersedes).map((e) => e.id);
  const earlier = corrected.length ? await earlierVersions(db, reader, personId, corrected) : new Map<string, ChronologyEntry[]>();
  return {
    entries: entries.map((e) => ({ ...e, earlierVersions: earlier.get(e.id) ?? [] })),
    total,
    page,
    pageSize,
  };
}

/** For each correcting entry, the chain of entries it superseded (newest first), as the reader may see them. */
async function earlierVersions(db: Kysely<Database>, reader: EntryReader, personId: string, ids: string[]): Promise<Map<string, ChronologyEntry[]>> {
  const chain = await sql<{ root: string; id: string; depth: number }>`
    WITH RECURSIVE chain(root, id, supersedes, depth) AS (
      SELECT e.id, e.id, e.supersedes, 0 FROM event e WHERE e.id = ANY(${sql.val(ids)}::uuid[])
      UNION ALL
      SELECT c.root, p.id, p.supersedes, c.depth + 1 FROM chain c JOIN event p ON p.id = c.supersedes WHERE c.depth < 100
    )
    SELECT root, id, depth FROM chain WHERE depth > 0`.execute(db);
  const out = new Map<string, ChronologyEntry[]>();
  if (chain.rows.length === 0) return out;
  const rows = await db.selectFrom(entryScope(reader, { ids: [personId], entries: chain.rows.map((c) => c.id) }).as('v')).selectAll('v').execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
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
export async function getTimelineMarks(db: Kysely<Database>, reader: EntryReader, personId: string, filter: ChronologyFilter) {
  return applyFilter(scoped(db, reader, personId), filter)
    .where('v.current', '=', true)
    .select(['v.id', 'v.organisation_id', 'v.organisation_name', 'v.category', 'v.type_label', 'v.access', 'v.occurred_at'])
    .orderBy('v.occurred_at')
    .execute();
}

/** The agencies, categories and factors present in a person's chronology (for filter options). */
export async function getFilterOptions(db: Kysely<Database>, reader: EntryReader, personId: string) {
  const [present, factors] = await Promise.all([
    scoped(db, reader, personId).select(['v.organisation_id', 'v.organisation_name', 'v.category']).distinct().execute(),
    db.selectFrom('factor').select(['code', 'label', 'kind']).orderBy('label').execute(),
  ]);
  const agencies = [...new Map(present.map((p) => [p.organisation_id, { id: p.organisation_id, name: p.organisation_name }])).values()]
    .sort((a, b) => a.name.localeCompare(b.name));
  const categories = [...new Set(present.map((p) => p.category))].sort();
  return { agencies, categories, factors };
}
