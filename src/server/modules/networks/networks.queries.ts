/**
 * A child's network and a critical-moment cohort, computed in SQL over what one reader may see.
 *
 * Edges come from four places: relationships recorded between people (person_relationship), people
 * named together in an entry, presence at the same place within a window (event_place), and shared
 * places (person_place: the same school year, the same youth provision). An edge whose source is an
 * entry exists for a reader only when the reader sees that entry whole (`entriesById` / `entryScope`,
 * access 'full', current); a restricted relationship recorded by hand exists only for the organisation
 * that recorded it. Merged records are read as one child: walks start from every record of the child
 * and the people found are shown as their surviving record.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../../../db/database.js';
import { COHORT_CAP, COHORT_REASON_CLOSENESS, PEER_KINDS, RELATIONSHIP_KINDS as RELATIONSHIP_LABEL_KINDS, type CohortReasonKind, type RelationshipKind } from '../../../domain/networks/kinds.js';
import { childRecordSql, entriesById, entryScope, mergeGroupSql, type EntryReader } from '../chronology/chronology.policy.js';

/** One edge from a person the walk started from (`a`) to another (`b`), with its evidence. */
export interface Edge {
  a: string;
  b: string;
  /** A relationship's kind; `named_together`; `same_place` (entries at one place within the window); `shared_place`. */
  kind: RelationshipKind | 'named_together' | 'same_place' | 'shared_place';
  /** Where it came from: an entry (its type, organisation and date) or the organisation that recorded it. */
  evidence: string;
  eventId: string | null;
  /** How reliable: the entry's reliability, else a 3x5x2 grading, else "not graded". */
  reliability: string;
  grading: string | null;
  validTo: string | null;
  placeId: string | null;
  placeName: string | null;
  placeKind: string | null;
}

const WINDOW_DAYS = 7;

/** Whether a row (relationship, person_place) of the given alias, with a source entry joined as `ve`, is visible to the reader. */
export function ownVisible(reader: EntryReader, alias: string): RawBuilder<boolean> {
  const t = sql.raw(alias);
  const byHand = reader.kind === 'partnership' ? sql`true` : sql`(${t}.sensitivity = 'standard' OR ${t}.recorded_by_organisation_id = ${reader.organisationId}::uuid)`;
  return sql<boolean>`(${byHand} AND (${t}.source_event_id IS NULL OR (ve.access = 'full' AND ve.current)))`;
}

const uuidArray = (ids: readonly string[]) => sql`${sql.val([...ids])}::uuid[]`;

/** Every record of each given record (merges), as an array of ids. */
export async function recordsOf(db: Kysely<Database>, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await sql<{ person_id: string }>`SELECT DISTINCT person_id FROM ${mergeGroupSql(ids)} g`.execute(db);
  return rows.rows.map((r) => r.person_id);
}

/** The surviving record of each given record. */
export async function anchorsOf(db: Kysely<Database>, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await sql<{ seed: string; anchor: string }>`SELECT seed, anchor FROM ${childRecordSql(ids)} c`.execute(db);
  return new Map(rows.rows.map((r) => [r.seed, r.anchor]));
}

interface EdgeRow {
  a: string; b: string; kind: string; event_id: string | null; type_label: string | null; occurred_at: Date | null;
  organisation_name: string | null; reliability: string | null; grading: string | null; valid_to: string | null;
  place_id: string | null; place_name: string | null; place_kind: string | null;
}

function toEdge(r: EdgeRow): Edge {
  const when = r.occurred_at ? r.occurred_at.toISOString().slice(0, 10) : null;
  const evidence = r.event_id
    ? `${r.type_label ?? 'An entry'}${r.organisation_name ? `, recorded by ${r.organisation_name}` : ''}${when ? ` (${when})` : ''}`
    : `Recorded by ${r.organisation_name ?? 'an organisation'}`;
  return {
    a: r.a, b: r.b, kind: r.kind as Edge['kind'], evidence, eventId: r.event_id,
    reliability: r.reliability ?? (r.grading ? `graded ${r.grading}` : 'not graded'), grading: r.grading,
    validTo: r.valid_to ? String(r.valid_to).slice(0, 10) : null, placeId: r.place_id, placeName: r.place_name, placeKind: r.place_kind,
  };
}

/**
 * Relationships of the given records, in either direction, that the reader may see (kinds limited when
 * given; in force today unless `includeEnded`). Reads the walk indexes.
 */
export async function relationshipEdges(
  db: Kysely<Database>, reader: EntryReader, ids: readonly string[], opts: { kinds?: readonly string[]; includeEnded?: boolean } = {},
): Promise<Edge[]> {
  if (ids.length === 0) return [];
  const kinds = opts.kinds ? sql`AND r.kind = ANY(${sql.val([...opts.kinds])}::text[])` : sql``;
  const inForce = opts.includeEnded ? sql`` : sql`AND (r.valid_to IS NULL OR r.valid_to >= current_date)`;
  const from = (start: string, end: string) => sql`
    SELECT r.${sql.raw(start)} AS a, r.${sql.raw(end)} AS b, r.kind, r.source_event_id AS event_id, ve.type_label, ve.occurred_at,
      coalesce(ve.organisation_name, o.name) AS organisation_name, ve.reliability, coalesce(r.grading, g.source_evaluation || g.intelligence_evaluation) AS grading,
      r.valid_to::text AS valid_to, NULL::uuid AS place_id, NULL::text AS place_name, NULL::text AS place_kind
    FROM person_relationship r
    LEFT JOIN ${entriesById(reader)} ve ON ve.id = r.source_event_id
    LEFT JOIN event_grading g ON g.event_id = r.source_event_id AND g.grading_system = '3x5x2'
    LEFT JOIN organisation o ON o.id = r.recorded_by_organisation_id
    WHERE r.${sql.raw(start)} = ANY(${uuidArray(ids)}) ${kinds} ${inForce} AND ${ownVisible(reader, 'r')}`;
  const rows = await sql<EdgeRow>`${from('person_id', 'related_person_id')} UNION ALL ${from('related_person_id', 'person_id')}`.execute(db);
  return rows.rows.map(toEdge);
}

/** People named with the given child (any of their records) in an entry the reader sees whole (since a date, when given). */
export async function namedTogetherEdges(db: Kysely<Database>, reader: EntryReader, ids: readonly string[], since?: Date): Promise<Edge[]> {
  if (ids.length === 0) return [];
  const records = await recordsOf(db, ids);
  const after = since ? sql`AND v.occurred_at >= ${since}` : sql``;
  const rows = await sql<EdgeRow>`
    SELECT mine.person_id AS a, other.person_id AS b, 'named_together' AS kind, v.id AS event_id, v.type_label, v.occurred_at,
      v.organisation_name, v.reliability, g.source_evaluation || g.intelligence_evaluation AS grading, NULL::text AS valid_to,
      NULL::uuid AS place_id, NULL::text AS place_name, NULL::text AS place_kind
    FROM ${entryScope(reader, { ids })} v
    JOIN event_person mine ON mine.event_id = v.id AND mine.person_id = ANY(${uuidArray(records)})
    JOIN event_person other ON other.event_id = v.id AND other.person_id <> ALL(${uuidArray(records)})
    LEFT JOIN event_grading g ON g.event_id = v.id AND g.grading_system = '3x5x2'
    WHERE v.access = 'full' AND v.current ${after}`.execute(db);
  return dedupe(rows.rows.map(toEdge));
}

/**
 * People in entries at the same place as the given child's entries within a week either side, where
 * the reader sees both entries whole.
 */
export async function samePlaceEdges(db: Kysely<Database>, reader: EntryReader, ids: readonly string[]): Promise<Edge[]> {
  if (ids.length === 0) return [];
  const records = await recordsOf(db, ids);
  const rows = await sql<EdgeRow>`
    SELECT DISTINCT ON (other.person_id, p.id) v.person_id AS a, other.person_id AS b, 'same_place' AS kind, w.id AS event_id, w.type_label, w.occurred_at,
      w.organisation_name, w.reliability, NULL::text AS grading, NULL::text AS valid_to, p.id AS place_id, p.name AS place_name, p.kind AS place_kind
    FROM ${entryScope(reader, { ids })} v
    JOIN event_place here ON here.event_id = v.id
    JOIN event_place there ON there.place_id = here.place_id AND there.event_id <> v.id
    JOIN ${entriesById(reader)} w ON w.id = there.event_id AND w.access = 'full' AND w.current
      AND w.occurred_at BETWEEN v.occurred_at - make_interval(days => ${WINDOW_DAYS}) AND v.occurred_at + make_interval(days => ${WINDOW_DAYS})
    JOIN event_person other ON other.event_id = w.id AND other.person_id <> ALL(${uuidArray(records)})
    JOIN place p ON p.id = here.place_id
    WHERE v.access = 'full' AND v.current
    ORDER BY other.person_id, p.id, w.occurred_at DESC`.execute(db);
  return rows.rows.map(toEdge);
}

/**
 * People who share a place with the given records, in force today: the same school and school year
 * (classmates), the same youth provision. Each person's link to the place must be visible to the reader.
 */
export async function sharedPlaceEdges(db: Kysely<Database>, reader: EntryReader, ids: readonly string[], kinds: readonly ('school' | 'youth_centre')[] = ['school', 'youth_centre']): Promise<Edge[]> {
  if (ids.length === 0) return [];
  const rows = await sql<EdgeRow>`
    WITH mine AS (
      SELECT pp.person_id, pp.place_id, pp.source_event_id, pe.date_of_birth
      FROM person_place pp
      JOIN person pe ON pe.id = pp.person_id
      LEFT JOIN ${entriesById(reader)} ve ON ve.id = pp.source_event_id
      WHERE pp.person_id = ANY(${uuidArray(ids)}) AND pp.kind IN ('enrolled', 'attends')
        AND (pp.valid_to IS NULL OR pp.valid_to >= current_date) AND ${ownVisible(reader, 'pp')}
    )
    SELECT DISTINCT ON (o.person_id, pl.id) m.person_id AS a, o.person_id AS b, 'shared_place' AS kind, o.source_event_id AS event_id,
      ve.type_label, ve.occurred_at, coalesce(ve.organisation_name, org.name) AS organisation_name, ve.reliability, o.grading,
      o.valid_to::text AS valid_to, pl.id AS place_id, pl.name AS place_name, pl.kind AS place_kind
    FROM mine m
    JOIN place pl ON pl.id = m.place_id AND pl.kind = ANY(${sql.val([...kinds])}::text[])
    JOIN person_place o ON o.place_id = m.place_id AND o.person_id <> m.person_id AND o.kind IN ('enrolled', 'attends')
      AND (o.valid_to IS NULL OR o.valid_to >= current_date)
    JOIN person op ON op.id = o.person_id
    LEFT JOIN ${entriesById(reader)} ve ON ve.id = o.source_event_id
    LEFT JOIN organisation org ON org.id = o.recorded_by_organisation_id
    WHERE ${ownVisible(reader, 'o')}
      -- Classmates: the same school year (1 September to 31 August births).
      AND (pl.kind <> 'school' OR (m.date_of_birth IS NOT NULL AND op.date_of_birth IS NOT NULL
        AND extract(year FROM m.date_of_birth - interval '8 months') = extract(year FROM op.date_of_birth - interval '8 months')))
    ORDER BY o.person_id, pl.id`.execute(db);
  return rows.rows.map(toEdge);
}

function dedupe(edges: Edge[]): Edge[] {
  const seen = new Set<string>();
  return edges.filter((e) => {
    const key = `${e.a}|${e.b}|${e.kind}|${e.eventId ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** A child's network as one reader may see it: the edges of the first step, and relationships of the second. */
export interface Network {
  childId: string;
  first: Edge[];
  second: Edge[];
  /** Every person shown, as their surviving record. */
  people: string[];
}

/** A child's network to one or two steps, over what the reader may see. */
export async function networkOf(db: Kysely<Database>, reader: EntryReader, childId: string, steps: 1 | 2): Promise<Network> {
  const records = await recordsOf(db, [childId]);
  const own = new Set(records);
  const first = [
    ...(await relationshipEdges(db, reader, records, { includeEnded: true })),
    ...(await namedTogetherEdges(db, reader, [childId])),
    ...(await samePlaceEdges(db, reader, [childId])),
    ...(await sharedPlaceEdges(db, reader, records)),
  ].filter((e) => !own.has(e.b));
  const anchors = await anchorsOf(db, [...new Set(first.map((e) => e.b))]);
  for (const e of first) { e.a = childId; e.b = anchors.get(e.b) ?? e.b; }
  let second: Edge[] = [];
  if (steps === 2) {
    // The second step follows relationships only (friends of friends, a sibling's rival), not shared places or co-presence.
    const frontier = [...new Set(first.filter((e) => e.kind in RELATIONSHIP_LABEL_KINDS).map((e) => e.b))];
    const frontierRecords = await recordsOf(db, frontier);
    const raw = await relationshipEdges(db, reader, frontierRecords);
    const anchors2 = await anchorsOf(db, [...new Set(raw.flatMap((e) => [e.a, e.b]))]);
    second = dedupe(raw.map((e) => ({ ...e, a: anchors2.get(e.a) ?? e.a, b: anchors2.get(e.b) ?? e.b })).filter((e) => e.b !== childId && !own.has(e.b) && e.a !== e.b));
  }
  const people = [...new Set([...first.map((e) => e.b), ...second.map((e) => e.b)])];
  return { childId, first: dedupe(first), second, people };
}

/** One reason a child is in a cohort. */
export interface CohortReason {
  kind: CohortReasonKind;
  /** The child (surviving record) the reason runs through: the one named in the incident, or the friend between. */
  via: string | null;
  evidence: string;
  reliability: string;
}

/** The people named in an incident's entries that the reader sees whole, as surviving records, with their roles. */
export async function incidentPeople(db: Kysely<Database>, reader: EntryReader, incidentId: string): Promise<{ personId: string; roles: string[] }[]> {
  const rows = await sql<{ person_id: string; roles: string[] }>`
    SELECT ep.person_id, array_agg(DISTINCT ep.role ORDER BY ep.role) AS roles
    FROM incident_entry ie
    JOIN ${entriesById(reader)} ve ON ve.id = ie.event_id AND ve.access = 'full' AND ve.current
    JOIN event_person ep ON ep.event_id = ie.event_id
    WHERE ie.incident_id = ${incidentId}::uuid
    GROUP BY ep.person_id`.execute(db);
  const anchors = await anchorsOf(db, rows.rows.map((r) => r.person_id));
  const out = new Map<string, Set<string>>();
  for (const r of rows.rows) {
    const id = anchors.get(r.person_id) ?? r.person_id;
    out.set(id, new Set([...(out.get(id) ?? []), ...r.roles]));
  }
  return [...out].map(([personId, roles]) => ({ personId, roles: [...roles].sort() }));
}

/** A cohort cut to its closest children: `leftOut` more were found beyond the cap. */
export type Cohort = Map<string, CohortReason[]> & { leftOut: number; cap: number };

/**
 * Cuts a cohort to its `cap` closest children: named in the incident, then one step (siblings, friends and
 * associates, rivals, exploitation links, named together), then two steps, then classmates and peers at the
 * same provision; a child's closest reason places them. Says how many were left out.
 */
export function capCohort(cohort: Map<string, CohortReason[]>, cap: number = COHORT_CAP): Cohort {
  const closeness = new Map([...cohort].map(([id, reasons]) => [id, Math.min(...reasons.map((r) => COHORT_REASON_CLOSENESS[r.kind]))]));
  const ordered = [...cohort.keys()].sort((a, b) => closeness.get(a)! - closeness.get(b)! || cohort.get(b)!.length - cohort.get(a)!.length || (a < b ? -1 : a > b ? 1 : 0));
  const kept = new Map(ordered.slice(0, cap).map((id) => [id, cohort.get(id)!]));
  return Object.assign(kept, { leftOut: Math.max(0, ordered.length - cap), cap });
}

/**
 * The affected cohort of an incident as the reader may see it: the children named in it, their
 * siblings, friends and associates within two steps, classmates, peers at the same youth provision,
 * rivals (retaliation risk), exploitation links, and people named with them in the last year; each
 * with every reason they are in it. Children only (under 25 at the incident, or age unknown). At most
 * `cap` children, the closest first (`capCohort`), with how many more were left out.
 */
export async function cohortOf(db: Kysely<Database>, reader: EntryReader, incidentId: string, cap: number = COHORT_CAP): Promise<Cohort> {
  const incident = await db.selectFrom('incident').select(['occurred_at']).where('id', '=', incidentId).executeTakeFirst();
  const cohort = new Map<string, CohortReason[]>();
  if (!incident) return capCohort(cohort, cap);
  const add = (id: string, reason: CohortReason) => cohort.set(id, [...(cohort.get(id) ?? []), reason]);
  const named = await incidentPeople(db, reader, incidentId);
  for (const n of named) add(n.personId, { kind: 'named', via: null, evidence: `Named in the incident as ${n.roles.join(', ')}`, reliability: 'as recorded' });
  const seeds = named.map((n) => n.personId);
  if (seeds.length === 0) return capCohort(cohort, cap);
  const seedRecords = await recordsOf(db, seeds);
  const yearBefore = new Date(incident.occurred_at.getTime() - 365 * 86_400_000);
  const step1 = [
    ...(await relationshipEdges(db, reader, seedRecords, { kinds: ['sibling', ...PEER_KINDS, 'rival', 'suspected_exploiter'] })),
    ...(await sharedPlaceEdges(db, reader, seedRecords)),
    ...(await namedTogetherEdges(db, reader, seeds, yearBefore)),
  ];
  const anchors = await anchorsOf(db, [...new Set(step1.flatMap((e) => [e.a, e.b]))]);
  const kindOf = (e: Edge): CohortReasonKind => {
    if (e.kind === 'sibling') return 'sibling';
    if (e.kind === 'rival') return 'rival';
    if (e.kind === 'suspected_exploiter') return 'exploitation';
    if (e.kind === 'shared_place') return e.placeKind === 'school' ? 'classmate' : 'youth_provision';
    if (e.kind === 'named_together') return 'named_together';
    return 'peer';
  };
  const peers = new Set<string>();
  const seedSet = new Set(seeds);
  for (const e of step1) {
    const a = anchors.get(e.a) ?? e.a;
    const b = anchors.get(e.b) ?? e.b;
    if (a === b) continue;
    const kind = kindOf(e);
    add(b, { kind, via: a, evidence: e.placeName ? `${e.placeName}: ${e.evidence}` : e.evidence, reliability: e.reliability });
    if (kind === 'peer' && !seedSet.has(b)) peers.add(b);
  }
  // Two steps: friends and associates of the friends and associates.
  const step2 = await relationshipEdges(db, reader, await recordsOf(db, [...peers]), { kinds: PEER_KINDS });
  const anchors2 = await anchorsOf(db, [...new Set(step2.flatMap((e) => [e.a, e.b]))]);
  for (const e of step2) {
    const a = anchors2.get(e.a) ?? e.a;
    const b = anchors2.get(e.b) ?? e.b;
    if (a === b || seedSet.has(b)) continue;
    add(b, { kind: 'peer_of_peer', via: a, evidence: e.evidence, reliability: e.reliability });
  }
  // Children only: under 25 when it happened (or age unknown).
  const ids = [...cohort.keys()];
  const adults = new Set((await db.selectFrom('person').select('id').where('id', 'in', ids)
    .where('date_of_birth', 'is not', null)
    .where(sql<boolean>`date_of_birth <= (${incident.occurred_at}::timestamptz - interval '25 years')::date`).execute()).map((r) => r.id));
  for (const id of adults) cohort.delete(id);
  return capCohort(cohort, cap);
}

/** A link between two of a set of people: an edge, or membership of the same peer group (`placeName` is then the group's name). */
export type LinkAmong = Omit<Edge, 'kind'> & { kind: Edge['kind'] | 'same_group' };

/** Members of the same peer group in force among the given records, each membership visible to the reader as a relationship is. */
async function sameGroupEdges(db: Kysely<Database>, reader: EntryReader, records: readonly string[]): Promise<LinkAmong[]> {
  const member = (alias: string) => sql`
    SELECT ${sql.raw(alias)}.id, ${sql.raw(alias)}.group_id, ${sql.raw(alias)}.person_id, ${sql.raw(alias)}.source_event_id, ${sql.raw(alias)}.grading,
      ${sql.raw(alias)}.valid_to, ve.type_label, ve.occurred_at, coalesce(ve.organisation_name, o.name) AS organisation_name, ve.reliability
    FROM peer_group_member ${sql.raw(alias)}
    LEFT JOIN ${entriesById(reader)} ve ON ve.id = ${sql.raw(alias)}.source_event_id
    LEFT JOIN organisation o ON o.id = ${sql.raw(alias)}.recorded_by_organisation_id
    WHERE ${sql.raw(alias)}.person_id = ANY(${uuidArray(records)}) AND (${sql.raw(alias)}.valid_to IS NULL OR ${sql.raw(alias)}.valid_to >= current_date)
      AND ${ownVisible(reader, alias)}`;
  const rows = await sql<EdgeRow>`
    WITH m AS (${member('m')})
    SELECT DISTINCT ON (x.person_id, y.person_id, g.id) x.person_id AS a, y.person_id AS b, 'same_group' AS kind, y.source_event_id AS event_id, y.type_label,
      y.occurred_at, y.organisation_name, y.reliability, y.grading, y.valid_to::text AS valid_to, g.id AS place_id, g.name AS place_name, 'group' AS place_kind
    FROM m x JOIN m y ON y.group_id = x.group_id AND y.person_id <> x.person_id
    JOIN peer_group g ON g.id = x.group_id
    ORDER BY x.person_id, y.person_id, g.id`.execute(db);
  return rows.rows.map((r) => ({ ...toEdge(r), kind: 'same_group' as const }));
}

/**
 * The links among a set of people (the children on a panel's agenda) as the reader may see them, the same
 * edges as a child's network: relationships between two of them, entries naming two of them, entries at
 * one place within a week, the same school year or youth provision, and the same peer group. Each link is
 * given once per pair, kind and evidence, with `a` and `b` the pair's surviving records (in the set's order).
 */
export async function edgesAmong(db: Kysely<Database>, reader: EntryReader, ids: readonly string[]): Promise<LinkAmong[]> {
  if (ids.length < 2) return [];
  const records = await recordsOf(db, ids);
  const anchors = await anchorsOf(db, records);
  // Each given person as their surviving record, in the given order.
  const order = new Map<string, number>();
  ids.forEach((id, i) => { const anchor = anchors.get(id) ?? id; if (!order.has(anchor)) order.set(anchor, i); });
  const raw: LinkAmong[] = [
    ...(await relationshipEdges(db, reader, records)),
    ...(await sharedPlaceEdges(db, reader, records)),
    ...(await sameGroupEdges(db, reader, records)),
  ];
  // Named together and at one place: read per child, as those walks leave out the other records they start from.
  for (const id of ids) raw.push(...(await namedTogetherEdges(db, reader, [id])), ...(await samePlaceEdges(db, reader, [id])));
  const seen = new Set<string>();
  const out: LinkAmong[] = [];
  for (const e of raw) {
    // Only links between two of the given people: both ends are records of the set.
    let a = anchors.get(e.a) ?? e.a;
    let b = anchors.get(e.b);
    if (b === undefined || a === b || !order.has(a) || !order.has(b)) continue;
    if (order.get(a)! > order.get(b)!) [a, b] = [b, a];
    const key = `${a}|${b}|${e.kind}|${e.eventId ?? ''}|${e.placeId ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ ...e, a, b });
  }
  return out;
}
