import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../../../db/database.js';
import { ETHNICITY_CODES, ethnicityGroup } from '../../../domain/ethnicity.js';
import type { Actor } from '../../actor.js';
import { mergedRecordAnchorsSql } from '../chronology/chronology.policy.js';
import { visiblePersonIds } from '../people/people.policy.js';
import { datedEntriesOf, EXTRA_FAMILIAL_FACTORS, tilesOf, type TileDef, type TileParams } from './tiles.js';

/**
 * The dashboard framework's queries: a tile's items mapped to children (merged records as one
 * child, the partnership's children only), counted per label; the children broken down by ethnic
 * group, sex and age band at the date; the children behind a number that a reader may see.
 * Only counts leave these functions, except `tileChildren`, which returns the children its reader
 * may see (through visiblePersonIds, in SQL).
 */

/** The period a dashboard shows: the twelve months before the end of the "as of" day (UTC). */
export function periodOf(partnershipId: string, asOf: string): TileParams & { asOf: string } {
  const to = new Date(`${asOf}T00:00:00Z`);
  to.setUTCDate(to.getUTCDate() + 1);
  const from = new Date(to);
  from.setUTCFullYear(from.getUTCFullYear() - 1);
  return { partnershipId, from, to, asOf };
}

/** The entry types that imply an extra-familial factor, from the vocabularies the database holds. */
export async function efhTypeCodes(db: Kysely<Database>): Promise<string[]> {
  const rows = await sql<{ code: string }>`SELECT DISTINCT code FROM event_type WHERE implies_factors && ${sql.val([...EXTRA_FAMILIAL_FACTORS])}::text[] ORDER BY code`.execute(db);
  return rows.rows.map((r) => r.code);
}

/** The tiles, with the cohort's entry types read from the database. */
export async function loadTiles(db: Kysely<Database>): Promise<TileDef[]> {
  return tilesOf(await efhTypeCodes(db));
}

/** The counted items of a tile as (child, label): the partnership's children, merged records as one (audits choose cohorts from them). */
export function childItemsOf(tile: TileDef, p: TileParams): RawBuilder<{ child: string; label: string }> {
  const mapped = sql`SELECT coalesce(m.anchor, i.person_id) AS child, i.label FROM ${tile.items(p)} i
    LEFT JOIN ${mergedRecordAnchorsSql()} m ON m.seed = i.person_id`;
  if (tile.ownPartnership) return sql`(${mapped})`;
  return sql`(SELECT x.child, x.label FROM (${mapped}) x WHERE ${partnershipOf(sql`x.child`)} = ${p.partnershipId})`;
}

/**
 * The partnership of one person record, by the rule of the person_partnership view (that of its current
 * address, the latest by valid_from), as a scalar subquery: an index probe per record. The view itself
 * sorts every address whenever it is read, which a count over a whole partnership cannot afford per item.
 */
export function partnershipOf(person: RawBuilder<unknown>): RawBuilder<string | null> {
  return sql<string | null>`(SELECT pa.partnership_id FROM person_address a JOIN partnership_area pa ON pa.borough = a.borough
    WHERE a.person_id = ${person} AND (a.valid_from IS NULL OR a.valid_from <= current_date) AND (a.valid_to IS NULL OR a.valid_to >= current_date)
    ORDER BY a.valid_from DESC NULLS LAST, a.id LIMIT 1)`;
}

/** Counts per label (items and distinct children), and the totals. */
export interface TileCounts {
  rows: { label: string; items: number; children: number }[];
  total: { items: number; children: number };
}

/** Counts a tile's items and children per label, with the totals (children counted once). One statement. */
export async function tileCounts(db: Kysely<Database>, tile: TileDef, p: TileParams): Promise<TileCounts> {
  const rows = await sql<{ label: string | null; items: number; children: number; total: number }>`
    SELECT i.label, count(*)::int AS items, count(DISTINCT i.child)::int AS children, grouping(i.label)::int AS total
    FROM ${childItemsOf(tile, p)} i GROUP BY ROLLUP (i.label)`.execute(db);
  const total = rows.rows.find((r) => r.total === 1);
  return {
    rows: rows.rows.filter((r) => r.total === 0).map((r) => ({ label: r.label ?? '', items: r.items, children: r.children })),
    total: { items: total?.items ?? 0, children: total?.children ?? 0 },
  };
}

/** The ethnic group of a DfE code, as SQL over `p.ethnicity`. */
const ETHNICITY_GROUP_SQL = sql.raw(`CASE p.ethnicity ${ETHNICITY_CODES.map((c) => `WHEN '${c}' THEN '${ethnicityGroup(c).replace(/'/g, "''")}'`).join(' ')} ELSE 'Not known or refused' END`);

/** The dimensions a tile breaks down by. Children whose band is unknown (or 18 and over) are "Not known". */
export const NOT_KNOWN = 'Not known';

/** Children counted by a tile (or one of its labels), by ethnic group, sex and age band at the date. */
export async function tileBreakdownCounts(db: Kysely<Database>, tile: TileDef, p: TileParams & { asOf: string }, label?: string): Promise<Map<string, Map<string, number>>> {
  const ageSql = sql`CASE WHEN p.date_of_birth IS NULL THEN ${NOT_KNOWN}
      ELSE (SELECT CASE WHEN a < 0 OR a > 17 THEN ${NOT_KNOWN} WHEN a <= 4 THEN '0 to 4' WHEN a <= 9 THEN '5 to 9' WHEN a <= 14 THEN '10 to 14' ELSE '15 to 17' END
            FROM (SELECT date_part('year', age(${p.asOf}::date, p.date_of_birth))::int AS a) ages) END`;
  const rows = await sql<{ dimension: string; category: string; children: number }>`
    WITH kids AS (SELECT DISTINCT i.child FROM ${childItemsOf(tile, p)} i ${label === undefined ? sql`` : sql`WHERE i.label = ${label}`})
    SELECT d.dimension, d.category, count(*)::int AS children
    FROM kids JOIN person p ON p.id = kids.child
    CROSS JOIN LATERAL (VALUES ('ethnicity_group', ${ETHNICITY_GROUP_SQL}), ('sex', p.sex), ('age_band', ${ageSql})) d(dimension, category)
    GROUP BY 1, 2`.execute(db);
  const out = new Map<string, Map<string, number>>();
  for (const r of rows.rows) out.set(r.dimension, (out.get(r.dimension) ?? new Map<string, number>()).set(r.category, r.children));
  return out;
}

/** One child behind a number, as its reader may see them. */
export interface ChildBehind {
  id: string;
  name: string | null;
  date_of_birth: string | null;
  labels: string[];
}

/**
 * The children behind a tile's number (or one label's), limited in SQL to those the reader may see
 * (visiblePersonIds): the children shown, and how many children the number holds in all.
 */
export async function tileChildren(db: Kysely<Database>, actor: Actor, tile: TileDef, p: TileParams, label?: string, limit = 501): Promise<{ children: ChildBehind[]; total: number }> {
  const rows = await sql<{ id: string | null; name: string | null; date_of_birth: string | null; labels: string[] | null; total: number }>`
    WITH kids AS (SELECT i.child, array_agg(DISTINCT i.label ORDER BY i.label) AS labels FROM ${childItemsOf(tile, p)} i
                  ${label === undefined ? sql`` : sql`WHERE i.label = ${label}`} GROUP BY i.child),
    shown AS (SELECT k.* FROM kids k WHERE k.child IN (${visiblePersonIds(db, actor)}))
    SELECT s.child AS id, s.labels,
      (SELECT concat_ws(' ', n.given_names, n.family_name) FROM person_name n WHERE n.person_id = s.child
        ORDER BY (n.kind = 'legal') DESC, (n.kind = 'known_as') DESC, n.valid_from DESC NULLS LAST, n.id LIMIT 1) AS name,
      to_char(p.date_of_birth, 'YYYY-MM-DD') AS date_of_birth,
      (SELECT count(*)::int FROM kids) AS total
    FROM (SELECT 1) one LEFT JOIN shown s ON true LEFT JOIN person p ON p.id = s.child
    ORDER BY 3 NULLS LAST, 1 LIMIT ${limit}`.execute(db);
  const total = rows.rows[0]?.total ?? 0;
  return {
    children: rows.rows.filter((r) => r.id !== null).map((r) => ({ id: r.id!, name: r.name, date_of_birth: r.date_of_birth, labels: r.labels ?? [] })),
    total,
  };
}

/**
 * The cohort's trend: the number of children in the cohort at the end of each of the twelve months
 * to the date (each counting the year before it), as the data stood at each month's end.
 */
export async function cohortTrend(db: Kysely<Database>, types: readonly string[], p: TileParams): Promise<{ month: string; children: number }[]> {
  const ends: Date[] = [];
  for (let k = 11; k >= 0; k -= 1) {
    const end = new Date(Date.UTC(p.to.getUTCFullYear(), p.to.getUTCMonth() - k, 1));
    ends.push(k === 0 ? p.to : end);
  }
  const wide: TileParams = { partnershipId: p.partnershipId, from: new Date(Date.UTC(ends[0]!.getUTCFullYear() - 1, ends[0]!.getUTCMonth(), ends[0]!.getUTCDate())), to: p.to };
  // One statement: the cohort's entries over the two years, each month end counting its own year.
  const rows = await sql<{ k: number; children: number }>`
    WITH e AS (SELECT i.child, i.occurred_at, i.recorded_at FROM ${cohortEntries(types, wide)} i),
    months AS (SELECT k, t FROM unnest(${sql.val(ends.map((d) => d.toISOString()))}::timestamptz[]) WITH ORDINALITY AS m(t, k))
    SELECT months.k::int AS k, count(DISTINCT e.child)::int AS children FROM months
    LEFT JOIN e ON e.occurred_at < months.t AND e.occurred_at >= months.t - interval '1 year' AND e.recorded_at < months.t
    GROUP BY months.k ORDER BY months.k`.execute(db);
  return rows.rows.map((r) => {
    const end = new Date(ends[r.k - 1]!.getTime() - 86_400_000);
    return { month: end.toISOString().slice(0, 10), children: r.children };
  });
}

/** The cohort's entries with their dates (for the trend), for the partnership's children. */
function cohortEntries(types: readonly string[], p: TileParams): RawBuilder<{ child: string; occurred_at: Date; recorded_at: Date }> {
  return sql`(SELECT v.person_id AS child, v.occurred_at, v.recorded_at
    FROM ${datedEntriesOf(types, p)} v
    WHERE ${partnershipOf(sql`v.person_id`)} = ${p.partnershipId})`;
}
