import { sql, type Kysely, type RawBuilder, type SelectQueryBuilder } from 'kysely';
import type { Database } from '../../../db/database.js';
import type { Actor } from '../../actor.js';

/**
 * What a reader may see of a chronology entry, and which person records are one child, decided
 * once, in SQL. Every reader of entries (the chronology page and API, the timeline, the risk panel,
 * the home page, considerations and their evidence, the rules, "what we hold", subject access,
 * retention) selects from `entryScope`, never from the event table directly, so a rule about
 * visibility or merged records is changed here and nowhere else.
 */

/** How much of an entry the reader may see: all of it, or only that it exists (and why not more). */
export type EntryAccess = 'full' | 'restricted' | 'not_shared';

/**
 * Who is reading. An actor (a signed-in user or an organisation's system) sees entries under the
 * partnership's sharing agreements and restrictions. The partnership itself reads whole entries
 * for its own duties: the early identification rules, a subject access export prepared by the data
 * protection officer (every item, marked for review), and retention.
 */
export type EntryReader = Actor | { kind: 'partnership'; purpose: 'rules' | 'subject_access' | 'retention' | 'transfer' | 'critical_moment' | 'oversight' };

/**
 * Whose entries: these person records (each read with every record merged with it), or every child;
 * every child's entries may be narrowed to some types occurring in a period (the dashboards' counts),
 * so a reader of a few types over a year does not read every entry.
 *
 * `entries` narrows the given people's entries to these entry ids (entries just recorded, those an
 * alert or an episode names). Narrow here rather than filtering the scope's `id` afterwards: a filter
 * on `id` reaches the entry's primary-key probe, and PostgreSQL 15 then searches the index once for each
 * listed id at every probe (an import chunk's missing-episode read took 35 ms where this takes 3).
 */
export type EntryPeople = { ids: readonly string[]; entries?: readonly string[] } | { all: true; only?: { types: readonly string[]; from: Date; to: Date } };

/** One entry of one child as the reader may see it. Content columns are null (or empty) unless access is 'full'. */
export interface VisibleEntry {
  /** The child: the surviving record of merged records, so merged records read as one child. */
  person_id: string;
  id: string;
  access: EntryAccess;
  /** False for an entry a correction has superseded (an earlier version). */
  current: boolean;
  occurred_at: Date;
  occurred_precision: string;
  organisation_id: string;
  organisation_name: string;
  organisation_kind: string;
  category: string;
  vocabulary_version: string;
  sensitivity: string;
  /** For a restricted entry: whom to ask (shown to everyone who may see the child). */
  restricted_contact: string | null;
  /** This child's roles in the entry (across all their records). */
  roles: string[];
  /** For ordering only: when the entry was recorded. */
  sort_recorded_at: Date;
  // Content: withheld unless access is 'full'.
  event_type_code: string | null;
  type_label: string | null;
  summary: string | null;
  narrative: string | null;
  place: string | null;
  factor_codes: string[];
  implied_factors: string[];
  recorded_at: Date | null;
  recorded_by_name: string | null;
  recorded_via: string | null;
  source_system: string | null;
  source_record_id: string | null;
  reliability: string | null;
  supersedes: string | null;
  correction_reason: string | null;
}

// Merges in force: every merge row without an unmerge row, as pairs (a survives, b was folded in).
// Merged records are read through this indirection, because event_person (like the rest of the
// chronology) is never rewritten.
const ACTIVE_MERGES = sql`SELECT m.survivor_person_id AS a, m.merged_person_id AS b FROM person_merge m
  WHERE NOT EXISTS (SELECT 1 FROM person_unmerge u WHERE u.merge_id = m.id)`;

/**
 * Which person records are one child, as CTEs over `active` (the merges in force): `grp` holds
 * every record of each seed's merge group, and `canon` the group's surviving record for each seed
 * (`anchor`): the lowest id among its records that no merge folded into another (a merge tree
 * always has one). Seeds come from the given SQL (a set of uuids named `s`).
 */
function mergeGroups(seeds: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`grp(seed, person_id) AS (
      SELECT s, s FROM ${seeds}
      UNION
      SELECT g.seed, CASE WHEN act.a = g.person_id THEN act.b ELSE act.a END
      FROM grp g JOIN active act ON act.a = g.person_id OR act.b = g.person_id
    ),
    canon AS (
      SELECT seed, (min(person_id::text) FILTER (WHERE person_id NOT IN (SELECT b FROM active)))::uuid AS anchor FROM grp GROUP BY seed
    )`;
}

const givenIds = (ids: readonly string[]) => sql`unnest(${sql.val([...ids])}::uuid[]) s`;

/** The ids of every person record currently merged with this one (itself included), as a subquery. */
export function samePersonIds(_db: Kysely<Database> | null, personId: string): RawBuilder<string> {
  return sql<string>`(WITH RECURSIVE active(a, b) AS (${ACTIVE_MERGES}), ${mergeGroups(sql`(SELECT ${personId}::uuid AS s) given`)}
    SELECT person_id FROM grp)`;
}

/**
 * The people in a set of person ids, widened to every record merged with one of them: an involvement
 * on either record of a merged child grants access to both. Keeps the shape of the given query.
 */
export function withMergedPersons<DB, TB extends keyof DB>(
  db: Kysely<Database>,
  ids: SelectQueryBuilder<DB, TB, { person_id: string }>,
): SelectQueryBuilder<DB, TB, { person_id: string }> {
  const partners = db
    .selectFrom(sql<{ person_id: string }>`(WITH RECURSIVE active(a, b) AS (${ACTIVE_MERGES}), ${mergeGroups(sql`(SELECT person_id AS s FROM (${ids}) visible) given`)}
      SELECT person_id FROM grp)`.as('merged'))
    .select('merged.person_id');
  // Only when some merge is in force does the (recursive) widening run at all.
  return ids.union(partners.where(sql<boolean>`EXISTS (SELECT 1 FROM person_merge)`) as never);
}

/** The narrowing to some entries, on their links (event_person ep), so the entries are then probed one by one. */
const entriesOnly = (entries?: readonly string[]) => (entries ? sql`AND ep.event_id = ANY(${sql.val([...entries])}::uuid[])` : sql``);

/** The given records' children, each with every record of theirs, and the entries linked to them with this child's roles. */
function membersCte(ids: readonly string[], entries?: readonly string[]): RawBuilder<unknown> {
  return sql`${mergeGroups(givenIds(ids))},
    members AS (SELECT DISTINCT c.anchor, g.person_id FROM grp g JOIN canon c USING (seed)),
    links AS (
      SELECT m.anchor, ep.event_id, array_agg(ep.role) AS roles
      FROM event_person ep JOIN members m ON m.person_id = ep.person_id
      -- The records as an array computed once, so their links are index probes whatever the statistics
      -- say (a join let the planner scan every link held: the cost grew with the chronology, not the children).
      WHERE ep.person_id = ANY(ARRAY(SELECT person_id FROM members)) ${entriesOnly(entries)}
      GROUP BY m.anchor, ep.event_id
    )`;
}

/** Every child: each record that a merge folded into another is read as the group's surviving record. */
function allCte(only?: { types: readonly string[]; from: Date; to: Date }): RawBuilder<unknown> {
  const narrowed = only
    ? sql`WHERE ep.event_id IN (SELECT x.id FROM event x WHERE x.event_type_code = ANY(${sql.val([...only.types])}::text[])
        AND x.occurred_at >= ${only.from} AND x.occurred_at < ${only.to})`
    : sql``;
  return sql`${mergeGroups(sql`(SELECT a AS s FROM active UNION SELECT b FROM active) merged`)},
    links AS (
      SELECT coalesce(c.anchor, ep.person_id) AS anchor, ep.event_id, array_agg(ep.role) AS roles
      FROM event_person ep LEFT JOIN canon c ON c.seed = ep.person_id
      ${narrowed}
      GROUP BY 1, ep.event_id
    )`;
}

/** The access column for a reader, as SQL over `e` (event) and `t` (event_type). */
function accessSql(reader: EntryReader): RawBuilder<EntryAccess> {
  if (reader.kind === 'partnership') return sql<EntryAccess>`'full'`;
  const org = reader.organisationId;
  // An entry is shared with the reader's organisation when it recorded it, or under an agreement in force.
  const shared = sql`(e.organisation_id = ${org}::uuid OR EXISTS (
      SELECT 1 FROM sharing_agreement a
      WHERE (a.recipient_organisation_id IS NULL OR a.recipient_organisation_id = ${org}::uuid)
        AND a.valid_from <= current_date AND (a.valid_to IS NULL OR a.valid_to >= current_date)
        AND (a.provider_organisation_id IS NULL OR a.provider_organisation_id = e.organisation_id)
        AND (cardinality(a.categories) = 0 OR t.category = ANY(a.categories))))`;
  // A restricted entry's content: its recording organisation, and the users and roles it names (never a system).
  const granted = reader.kind === 'user'
    ? sql`(e.organisation_id = ${org}::uuid OR EXISTS (
        SELECT 1 FROM event_restriction_grant g WHERE g.event_id = e.id
          AND (g.user_id = ${reader.userId}::uuid
            OR (g.role = ANY(${sql.val([...reader.roles])}::text[]) AND (g.organisation_id IS NULL OR g.organisation_id = ${org}::uuid)))))`
    : sql`(e.organisation_id = ${org}::uuid)`;
  return sql<EntryAccess>`CASE WHEN NOT ${shared} THEN 'not_shared'
    WHEN e.sensitivity = 'restricted' AND NOT ${granted} THEN 'restricted' ELSE 'full' END`;
}

const ENTRY_COLUMNS = sql`e.*, t.label AS t_label, t.category AS t_category, t.implies_factors AS t_implies,
  o.name AS o_name, o.kind AS o_kind, u.name AS u_name`;
const ENTRY_JOINS = sql`JOIN event_type t ON t.code = e.event_type_code
  JOIN organisation o ON o.id = e.organisation_id
  LEFT JOIN app_user u ON u.id = e.recorded_by_user_id`;

/**
 * The entries of some children as one reader may see them, as a derived table: select from
 * `entryScope(...).as('v')`. Merged records are read as one child; superseded versions are included
 * with `current` false (filter on it for the current chronology). Content is withheld in SQL, so
 * a reader cannot show, filter or count by what it may not see.
 *
 * The reader's access is decided once per entry in an inner query; the masking around it is plain
 * SQL the planner can merge into the reader's query, so work a page does not show (the child's
 * roles in entries beyond the page) is not done.
 */
export function entryScope(reader: EntryReader, people: EntryPeople): RawBuilder<VisibleEntry> {
  const access = accessSql(reader);
  let inner: RawBuilder<unknown>;
  let roles: RawBuilder<unknown>;
  if (!('all' in people) && people.ids.length === 1) {
    // One child (a chronology page): the entries of any of their records, and their roles read per entry shown.
    // The child's records as an array computed once, so each lookup is an index probe whatever the statistics say.
    const group = sql`ARRAY(WITH RECURSIVE active(a, b) AS (${ACTIVE_MERGES}), ${mergeGroups(givenIds(people.ids))} SELECT person_id FROM grp)`;
    const anchor = sql`(WITH RECURSIVE active(a, b) AS (${ACTIVE_MERGES}), ${mergeGroups(givenIds(people.ids))} SELECT anchor FROM canon)`;
    inner = sql`SELECT ${anchor} AS anchor, ${ENTRY_COLUMNS}, ${access} AS access
      FROM event e ${ENTRY_JOINS}
      WHERE e.id IN (SELECT ep.event_id FROM event_person ep WHERE ep.person_id = ANY(${group}) ${entriesOnly(people.entries)})
      OFFSET 0`;
    roles = sql`ARRAY(SELECT DISTINCT ep.role FROM event_person ep WHERE ep.event_id = s.id AND ep.person_id = ANY(${group}) ORDER BY 1)`;
  } else {
    const membership = 'all' in people ? allCte(people.only) : membersCte(people.ids, people.entries);
    // Narrowed to some types in a period: the same condition on the entries, so both sides of the join are index ranges.
    const only = 'all' in people && people.only
      ? sql`WHERE e.event_type_code = ANY(${sql.val([...people.only.types])}::text[]) AND e.occurred_at >= ${people.only.from} AND e.occurred_at < ${people.only.to}`
      : sql``;
    inner = sql`WITH RECURSIVE active(a, b) AS (${ACTIVE_MERGES}), ${membership}
      SELECT l.anchor, l.roles, ${ENTRY_COLUMNS}, ${access} AS access
      FROM links l JOIN event e ON e.id = l.event_id ${ENTRY_JOINS} ${only}`;
    // Usually one role; several (or the same one through two merged records) are listed once, in order.
    roles = sql`CASE WHEN cardinality(s.roles) = 1 THEN s.roles ELSE ARRAY(SELECT DISTINCT r FROM unnest(s.roles) r ORDER BY r) END`;
  }
  return sql<VisibleEntry>`(SELECT s.anchor AS person_id, s.id, s.access,
      -- Superseded when a correction points at it (corrections are few: the partial index holds them).
      NOT EXISTS (SELECT 1 FROM event x WHERE x.supersedes IS NOT NULL AND x.supersedes = s.id) AS current,
      s.occurred_at, s.occurred_precision, s.organisation_id, s.o_name AS organisation_name, s.o_kind AS organisation_kind,
      s.t_category AS category, s.vocabulary_version, s.sensitivity,
      CASE WHEN s.sensitivity = 'restricted' THEN (SELECT r.contact FROM event_restriction r WHERE r.event_id = s.id) END AS restricted_contact,
      ${roles} AS roles,
      s.recorded_at AS sort_recorded_at,
      CASE WHEN s.access = 'full' THEN s.event_type_code END AS event_type_code,
      CASE WHEN s.access = 'full' THEN s.t_label END AS type_label,
      CASE WHEN s.access = 'full' THEN s.summary END AS summary,
      CASE WHEN s.access = 'full' THEN s.narrative END AS narrative,
      CASE WHEN s.access = 'full' THEN s.place END AS place,
      CASE WHEN s.access = 'full' THEN s.factor_codes ELSE '{}'::text[] END AS factor_codes,
      CASE WHEN s.access = 'full' THEN s.t_implies ELSE '{}'::text[] END AS implied_factors,
      CASE WHEN s.access = 'full' THEN s.recorded_at END AS recorded_at,
      CASE WHEN s.access = 'full' THEN s.u_name END AS recorded_by_name,
      CASE WHEN s.access = 'full' THEN s.recorded_via END AS recorded_via,
      CASE WHEN s.access = 'full' THEN s.source_system END AS source_system,
      CASE WHEN s.access = 'full' THEN s.source_record_id END AS source_record_id,
      CASE WHEN s.access = 'full' THEN s.reliability END AS reliability,
      CASE WHEN s.access = 'full' THEN s.supersedes END AS supersedes,
      CASE WHEN s.access = 'full' THEN s.correction_reason END AS correction_reason
    FROM (${inner}) s)`;
}

/** Every record of each given record's merge group, the record itself included: rows (seed, person_id). */
export function mergeGroupSql(ids: readonly string[]): RawBuilder<{ seed: string; person_id: string }> {
  return sql<{ seed: string; person_id: string }>`(WITH RECURSIVE active(a, b) AS (${ACTIVE_MERGES}), ${mergeGroups(givenIds(ids))}
    SELECT seed, person_id FROM grp)`;
}

/**
 * The surviving record of each given person record's merge group (itself when not merged), so
 * lists show a merged child once. Plain SQL over a uuid array; returns (seed, anchor).
 */
export function childRecordSql(ids: readonly string[]): RawBuilder<{ seed: string; anchor: string }> {
  return sql<{ seed: string; anchor: string }>`(WITH RECURSIVE active(a, b) AS (${ACTIVE_MERGES}), ${mergeGroups(givenIds(ids))}
    SELECT seed, anchor FROM canon)`;
}

/** One entry, found by its own id, as a reader may see it (content columns null unless access is 'full'). */
export interface EntryById {
  id: string;
  access: EntryAccess;
  current: boolean;
  occurred_at: Date;
  organisation_id: string;
  organisation_name: string;
  category: string;
  event_type_code: string | null;
  type_label: string | null;
  summary: string | null;
  reliability: string | null;
}

/**
 * Entries found by their own ids rather than through a child (the network's edges, incidents, places):
 * the same access decision and masking as `entryScope`, as a derived table to join on `id`. A reader
 * that makes an edge, a link or a count from an entry keeps only rows whose access is 'full', so no
 * edge comes from an entry its viewer may not see. People named in an entry are read from
 * event_person only for entries the reader sees whole.
 */
export function entriesById(reader: EntryReader): RawBuilder<EntryById> {
  const access = accessSql(reader);
  return sql<EntryById>`(SELECT s.id, s.access,
      NOT EXISTS (SELECT 1 FROM event x WHERE x.supersedes IS NOT NULL AND x.supersedes = s.id) AS current,
      s.occurred_at, s.organisation_id, s.o_name AS organisation_name, s.t_category AS category,
      CASE WHEN s.access = 'full' THEN s.event_type_code END AS event_type_code,
      CASE WHEN s.access = 'full' THEN s.t_label END AS type_label,
      CASE WHEN s.access = 'full' THEN s.summary END AS summary,
      CASE WHEN s.access = 'full' THEN s.reliability END AS reliability
    FROM (SELECT ${ENTRY_COLUMNS}, ${access} AS access FROM event e ${ENTRY_JOINS}) s)`;
}

/**
 * Every person record folded into another by a merge in force, with its child's surviving record:
 * rows (seed, anchor). A reader of a table keyed by person record maps through it (records not listed
 * are their own child) so that merged records count as one child.
 */
export function mergedRecordAnchorsSql(): RawBuilder<{ seed: string; anchor: string }> {
  return sql<{ seed: string; anchor: string }>`(WITH RECURSIVE active(a, b) AS (${ACTIVE_MERGES}), ${mergeGroups(sql`(SELECT a AS s FROM active UNION SELECT b FROM active) merged`)}
    SELECT seed, anchor FROM canon WHERE seed <> anchor)`;
}
