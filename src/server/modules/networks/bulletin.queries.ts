/**
 * The monthly intelligence bulletin's figures, computed in SQL over what one reader may see: the
 * entries of the reader's partnership's children that the reader sees whole and current (through the
 * chronology's scope, merged records as one child), in the month and the month before. Only counts
 * leave these functions, except `childrenMentionedOften`, which returns the children its reader may
 * see (visiblePersonIds, in SQL) and nobody else.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import type { Actor } from '../../actor.js';
import { entriesById, entryScope } from '../chronology/chronology.policy.js';
import { partnershipOf } from '../oversight/dashboard.queries.js';
import type { TileDef } from '../oversight/tiles.js';
import { visiblePersonIds } from '../people/people.policy.js';
import { ownVisible } from './networks.queries.js';

/** The month a bulletin covers, [from, to), with the month before it [previousFrom, from). UTC month boundaries. */
export interface BulletinMonth {
  key: string;
  from: Date;
  to: Date;
  previousFrom: Date;
  previousKey: string;
  /** The month's last day (ages for the breakdown are taken at it). */
  lastDay: string;
}

const MONTH = /^(\d{4})-(\d{2})$/;
const keyOf = (d: Date) => d.toISOString().slice(0, 7);

/** The month asked for (the last complete month when none), or an error in words. */
export function monthOf(asked: string | undefined, now = new Date()): { month: BulletinMonth; error: string | null } {
  const lastComplete = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  const value = asked?.trim();
  let start = lastComplete;
  let error: string | null = null;
  if (value) {
    const m = MONTH.exec(value);
    const month = m ? Number(m[2]) : 0;
    if (!m || month < 1 || month > 12) error = 'Enter the month as year and month, like 2026-10';
    else {
      const asked = new Date(Date.UTC(Number(m[1]), month - 1, 1));
      if (asked.getTime() > Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)) error = 'The month must be this month or earlier';
      else start = asked;
    }
  }
  const to = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
  const previousFrom = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() - 1, 1));
  return {
    month: { key: keyOf(start), from: start, to, previousFrom, previousKey: keyOf(previousFrom), lastDay: new Date(to.getTime() - 86_400_000).toISOString().slice(0, 10) },
    error,
  };
}

/** The roles a person may have in an entry that make them a child mentioned in it (a parent is not). */
const CHILD_ROLES = ['subject', 'victim', 'suspect', 'witness', 'associate', 'affected'];

/** Counts the bulletin shows, before suppression. */
export interface BulletinCounts {
  places: { id: string; name: string; kind: string; ward: string | null; entries: number; previous: number; incidents: number }[];
  timeOfDay: { band: number; entries: number }[];
  dayOfWeek: { dow: number; entries: number }[];
  factors: { code: string; label: string; entries: number; previous: number }[];
  types: { code: string; label: string; entries: number; previous: number }[];
  linksByKind: { kind: string; links: number; previous: number }[];
  grading: { grading: string; entries: number; links: number }[];
  totals: { entries: number; previous: number; children: number; previousChildren: number };
}

export const NOT_GRADED = 'not_graded';
/** Time bands of three hours, UK time; -1 when the entry's time of day is not recorded. */
export const TIME_BANDS = ['00:00 to 02:59', '03:00 to 05:59', '06:00 to 08:59', '09:00 to 11:59', '12:00 to 14:59', '15:00 to 17:59', '18:00 to 20:59', '21:00 to 23:59'];

/** The bulletin's counts for a reader and month, in a few statements over the same scope. */
export async function bulletinCounts(db: Kysely<Database>, reader: Actor, partnershipId: string, m: BulletinMonth, allTypes: readonly string[]): Promise<BulletinCounts> {
  const s = () => scopedOf(reader, partnershipId, m.previousFrom, m.to, m.from, allTypes);
  const entries = sql`(SELECT DISTINCT id, occurred_at, occurred_precision, event_type_code, type_label, factors, this_month FROM ${s()} x)`;
  const [places, times, themes, totals, links, grading] = await Promise.all([
    sql<{ id: string; name: string; kind: string; ward: string | null; entries: number; previous: number; incidents: number }>`
      SELECT p.id, CASE WHEN p.kind = 'online' THEN 'Online space on ' || p.platform ELSE p.name END AS name, p.kind, p.ward,
        count(DISTINCT e.id) FILTER (WHERE e.this_month)::int AS entries, count(DISTINCT e.id) FILTER (WHERE NOT e.this_month)::int AS previous,
        count(DISTINCT ie.incident_id) FILTER (WHERE e.this_month)::int AS incidents
      FROM ${entries} e JOIN event_place ep ON ep.event_id = e.id JOIN place p ON p.id = ep.place_id
      LEFT JOIN incident_entry ie ON ie.event_id = e.id
      WHERE p.kind <> 'address'
      GROUP BY p.id, p.name, p.kind, p.ward, p.platform
      HAVING count(*) FILTER (WHERE e.this_month) > 0
      ORDER BY 5 DESC, 2, 1 LIMIT 10`.execute(db),
    sql<{ band: number | null; dow: number | null; entries: number }>`
      SELECT t.band, t.dow, count(*)::int AS entries FROM (
        SELECT CASE WHEN e.occurred_precision = 'time' THEN extract(hour FROM e.occurred_at AT TIME ZONE 'Europe/London')::int / 3 ELSE -1 END AS band,
          CASE WHEN e.occurred_precision IN ('time', 'date') THEN extract(isodow FROM e.occurred_at AT TIME ZONE 'Europe/London')::int ELSE -1 END AS dow
        FROM ${entries} e WHERE e.this_month) t
      GROUP BY GROUPING SETS ((t.band), (t.dow))`.execute(db),
    sql<{ dimension: string; code: string; label: string | null; entries: number; previous: number }>`
      SELECT 'factor' AS dimension, f AS code, (SELECT fa.label FROM factor fa WHERE fa.code = f) AS label,
        count(*) FILTER (WHERE e.this_month)::int AS entries, count(*) FILTER (WHERE NOT e.this_month)::int AS previous
      FROM ${entries} e CROSS JOIN LATERAL unnest(e.factors) f GROUP BY f
      UNION ALL
      SELECT 'type', e.event_type_code, min(e.type_label), count(*) FILTER (WHERE e.this_month)::int, count(*) FILTER (WHERE NOT e.this_month)::int
      FROM ${entries} e GROUP BY e.event_type_code`.execute(db),
    sql<{ entries: number; previous: number; children: number; previous_children: number }>`
      SELECT count(DISTINCT x.id) FILTER (WHERE x.this_month)::int AS entries, count(DISTINCT x.id) FILTER (WHERE NOT x.this_month)::int AS previous,
        count(DISTINCT x.child) FILTER (WHERE x.this_month)::int AS children, count(DISTINCT x.child) FILTER (WHERE NOT x.this_month)::int AS previous_children
      FROM ${s()} x`.execute(db),
    newLinks(db, reader, partnershipId, m, allTypes),
    sql<{ grading: string; entries: number }>`
      SELECT coalesce(g.source_evaluation || g.intelligence_evaluation, ${NOT_GRADED}) AS grading, count(*)::int AS entries
      FROM ${entries} e LEFT JOIN event_grading g ON g.event_id = e.id AND g.grading_system = '3x5x2'
      WHERE e.this_month GROUP BY 1`.execute(db),
  ]);
  const linkGrading = new Map<string, number>();
  for (const l of links.rows) if (l.this_month) linkGrading.set(l.grading, (linkGrading.get(l.grading) ?? 0) + 1);
  const gradings = new Set([...grading.rows.map((g) => g.grading), ...linkGrading.keys()]);
  const byKind = new Map<string, { links: number; previous: number }>();
  for (const l of links.rows) {
    const k = byKind.get(l.kind) ?? { links: 0, previous: 0 };
    if (l.this_month) k.links += 1;
    else k.previous += 1;
    byKind.set(l.kind, k);
  }
  const t = totals.rows[0]!;
  return {
    places: places.rows,
    timeOfDay: times.rows.filter((r) => r.band !== null).map((r) => ({ band: r.band!, entries: r.entries })),
    dayOfWeek: times.rows.filter((r) => r.dow !== null).map((r) => ({ dow: r.dow!, entries: r.entries })),
    factors: themes.rows.filter((r) => r.dimension === 'factor').map((r) => ({ code: r.code, label: r.label ?? r.code, entries: r.entries, previous: r.previous })),
    types: themes.rows.filter((r) => r.dimension === 'type').map((r) => ({ code: r.code, label: r.label ?? r.code, entries: r.entries, previous: r.previous })),
    linksByKind: [...byKind.entries()].map(([kind, v]) => ({ kind, ...v })),
    grading: [...gradings].map((g) => ({ grading: g, entries: grading.rows.find((r) => r.grading === g)?.entries ?? 0, links: linkGrading.get(g) ?? 0 })),
    totals: { entries: t.entries, previous: t.previous, children: t.children, previousChildren: t.previous_children },
  };
}

function scopedOf(reader: Actor, partnershipId: string, from: Date, to: Date, monthFrom: Date, allTypes: readonly string[]) {
  return sql<{ child: string; id: string; occurred_at: Date; occurred_precision: string; organisation_id: string; event_type_code: string; type_label: string; factors: string[]; this_month: boolean }>`(
    SELECT v.person_id AS child, v.id, v.occurred_at, v.occurred_precision, v.organisation_id, v.event_type_code, v.type_label,
      ARRAY(SELECT DISTINCT f FROM unnest(v.implied_factors || v.factor_codes) f ORDER BY 1) AS factors, v.occurred_at >= ${monthFrom} AS this_month
    FROM ${entryScope(reader, { all: true, only: { types: allTypes, from, to } })} v
    WHERE v.access = 'full' AND v.current AND v.roles && ${sql.val(CHILD_ROLES)}::text[]
      AND ${partnershipOf(sql`v.person_id`)} = ${partnershipId})`;
}

/**
 * Links between children first recorded in the month or the month before: relationships recorded then
 * that the reader may see (as a child's network shows them), touching a child of the partnership; and
 * pairs of the partnership's children named together in an entry the reader sees whole, for the first
 * time in the year before (a pair counts in the month of its first such entry). One row per link, with
 * its grading (the relationship's, else its source entry's; a named-together pair's first entry's).
 */
async function newLinks(db: Kysely<Database>, reader: Actor, partnershipId: string, m: BulletinMonth, allTypes: readonly string[]) {
  const yearBefore = new Date(Date.UTC(m.previousFrom.getUTCFullYear() - 1, m.previousFrom.getUTCMonth(), 1));
  return sql<{ kind: string; grading: string; this_month: boolean }>`
    WITH rel AS (
      SELECT r.kind, coalesce(r.grading, g.source_evaluation || g.intelligence_evaluation, ${NOT_GRADED}) AS grading, r.recorded_at >= ${m.from} AS this_month
      FROM person_relationship r
      LEFT JOIN ${entriesById(reader)} ve ON ve.id = r.source_event_id
      LEFT JOIN event_grading g ON g.event_id = r.source_event_id AND g.grading_system = '3x5x2'
      WHERE r.recorded_at >= ${m.previousFrom} AND r.recorded_at < ${m.to} AND ${ownVisible(reader, 'r')}
        AND (${partnershipOf(sql`r.person_id`)} = ${partnershipId} OR ${partnershipOf(sql`r.related_person_id`)} = ${partnershipId})
    ),
    s AS ${scopedOf(reader, partnershipId, yearBefore, m.to, m.from, allTypes)},
    pairs AS (
      SELECT a.child AS a, b.child AS b, a.id, a.occurred_at FROM s a JOIN s b ON b.id = a.id AND a.child < b.child
    ),
    firsts AS (
      SELECT DISTINCT ON (a, b) a, b, id, occurred_at FROM pairs ORDER BY a, b, occurred_at, id
    )
    SELECT kind, grading, this_month FROM rel
    UNION ALL
    SELECT 'named_together', coalesce(g.source_evaluation || g.intelligence_evaluation, ${NOT_GRADED}), f.occurred_at >= ${m.from}
    FROM firsts f LEFT JOIN event_grading g ON g.event_id = f.id AND g.grading_system = '3x5x2'
    WHERE f.occurred_at >= ${m.previousFrom}`.execute(db);
}

/** One child among those named in the most entries in the month, as its reader may see them. */
export interface ChildMentioned {
  id: string;
  entries: number;
  agencies: number;
}

/**
 * The children named in the most entries in the month, across agencies, limited in SQL to those the
 * reader may see (visiblePersonIds): at least two entries, most first. Children the reader may not see
 * are neither listed nor counted.
 */
export async function childrenMentionedOften(db: Kysely<Database>, reader: Actor, partnershipId: string, m: BulletinMonth, allTypes: readonly string[], limit = 20): Promise<ChildMentioned[]> {
  const rows = await sql<ChildMentioned>`
    WITH s AS ${scopedOf(reader, partnershipId, m.from, m.to, m.from, allTypes)}
    SELECT s.child AS id, count(DISTINCT s.id)::int AS entries, count(DISTINCT s.organisation_id)::int AS agencies
    FROM s WHERE s.child IN (${visiblePersonIds(db, reader)})
    GROUP BY s.child HAVING count(DISTINCT s.id) >= 2
    ORDER BY 2 DESC, 3 DESC, 1 LIMIT ${limit}`.execute(db);
  return rows.rows;
}

/**
 * The children mentioned in the month as a dashboard tile (one item per child), so that oversight's
 * breakdown by ethnic group, sex and age band (tileBreakdownCounts) counts them as it counts a tile.
 */
export function mentionedTile(reader: Actor, m: BulletinMonth, allTypes: readonly string[]): TileDef {
  return {
    key: 'bulletin-mentioned', title: 'Children mentioned', description: 'Children named in an entry in the month', labelHeading: 'Children', itemHeading: 'Children',
    items: (p) => sql`(SELECT DISTINCT x.child AS person_id, 'mentioned' AS label FROM ${scopedOf(reader, p.partnershipId, m.from, m.to, m.from, allTypes)} x)`,
  };
}

/** Every entry type the vocabularies hold (the scope is narrowed by period; every type is read). */
export async function allTypeCodes(db: Kysely<Database>): Promise<string[]> {
  return (await db.selectFrom('event_type').select('code').orderBy('code').execute()).map((r) => r.code);
}
