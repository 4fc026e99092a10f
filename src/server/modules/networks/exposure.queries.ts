/**
 * Exposure to violence through a network: who, within one or two steps of a child (relationships the
 * reader may see, in force today), was harmed in serious violence (Papachristos: each step from a
 * victim lowers the risk; most shootings follow an earlier one in the network by about 125 days).
 *
 * The rules find exposures as the partnership, walking out from the victims of the period; a reader
 * is shown how a child is linked to a victim by walking out from the child over what that reader may
 * see, so an edge from an entry they may not see is never shown to them.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import { INCIDENT_EVENT_TYPES, incidentKindOf, isVictimIn, type IncidentKind } from '../../../domain/networks/kinds.js';
import type { Exposure } from '../../../domain/rules/evaluate.js';
import { entriesById, entryScope, type EntryReader } from '../chronology/chronology.policy.js';
import { anchorsOf, recordsOf, relationshipEdges, type Edge } from './networks.queries.js';

const DAY = 86_400_000;

/** One child exposed: the exposure, and the person between the child and the victim (two steps). */
export interface FoundExposure {
  childId: string;
  via: string | null;
  exposure: Exposure;
}

interface VictimRow {
  person_id: string; id: string; event_type_code: string; summary: string | null; occurred_at: Date; roles: string[]; incident_id: string | null;
}

/** The victims of serious violence of the given kinds in a period, each with the entry recording it, as the reader sees entries. */
async function victimsOf(db: Kysely<Database>, reader: EntryReader, kinds: readonly IncidentKind[], from: Date, to: Date): Promise<Omit<Exposure, 'steps'>[]> {
  const rows = await sql<VictimRow>`
    SELECT v.person_id, v.id, v.event_type_code, v.summary, v.occurred_at, v.roles,
      (SELECT ie.incident_id FROM incident_entry ie WHERE ie.event_id = v.id) AS incident_id
    FROM ${entryScope(reader, { all: true, only: { types: INCIDENT_EVENT_TYPES, from, to } })} v
    WHERE v.access = 'full' AND v.current`.execute(db);
  const out: Omit<Exposure, 'steps'>[] = [];
  for (const r of rows.rows) {
    const kind = incidentKindOf(r.event_type_code, r.summary);
    if (!kind || !kinds.includes(kind) || !isVictimIn(r.event_type_code, r.roles)) continue;
    out.push({ eventId: r.id, eventTypeCode: r.event_type_code, summary: r.summary, incidentId: r.incident_id, occurredAt: new Date(r.occurred_at), kind, victimId: r.person_id });
  }
  return out;
}

/** Relationship edges in force of the given people (any of their records), as surviving records, without loops. */
async function neighbours(db: Kysely<Database>, reader: EntryReader, ids: readonly string[]): Promise<Edge[]> {
  if (ids.length === 0) return [];
  const edges = await relationshipEdges(db, reader, await recordsOf(db, ids));
  const anchors = await anchorsOf(db, [...new Set(edges.flatMap((e) => [e.a, e.b]))]);
  return edges.map((e) => ({ ...e, a: anchors.get(e.a) ?? e.a, b: anchors.get(e.b) ?? e.b })).filter((e) => e.a !== e.b);
}

/**
 * Every child (under 18 at `asOf`, or age unknown) within `steps` steps of a victim of serious violence
 * of the given kinds in the `withinDays` before `asOf`, over the relationships the reader may see; the
 * victim's entries are those the reader sees whole. A child who is themselves the victim is not exposed
 * to their own harm (other rules read a child's own chronology).
 */
export async function exposuresInNetworks(
  db: Kysely<Database>, reader: EntryReader, opts: { kinds: readonly IncidentKind[]; withinDays: number; steps: 1 | 2 }, asOf: Date,
): Promise<FoundExposure[]> {
  const victims = await victimsOf(db, reader, opts.kinds, new Date(asOf.getTime() - opts.withinDays * DAY), new Date(asOf.getTime() + 1));
  if (victims.length === 0) return [];
  const victimIds = [...new Set(victims.map((v) => v.victimId))];
  const first = await neighbours(db, reader, victimIds);
  const reached: { childId: string; via: string | null; victimId: string; steps: 1 | 2 }[] = first.map((e) => ({ childId: e.b, via: null, victimId: e.a, steps: 1 }));
  if (opts.steps === 2) {
    const victimsOfFirst = new Map<string, Set<string>>();
    for (const e of first) victimsOfFirst.set(e.b, (victimsOfFirst.get(e.b) ?? new Set()).add(e.a));
    for (const e of await neighbours(db, reader, [...victimsOfFirst.keys()])) {
      for (const victimId of victimsOfFirst.get(e.a) ?? []) reached.push({ childId: e.b, via: e.a, victimId, steps: 2 });
    }
  }
  const candidates = [...new Set(reached.map((r) => r.childId))];
  if (candidates.length === 0) return [];
  const children = new Set((await db.selectFrom('person').select('id').where('id', 'in', candidates)
    .where((eb) => eb.or([eb('date_of_birth', 'is', null), eb('date_of_birth', '>', sql<string>`(${asOf}::timestamptz - interval '18 years')::date`)]))
    .execute()).map((p) => p.id));
  const byVictim = new Map<string, Omit<Exposure, 'steps'>[]>();
  for (const v of victims) byVictim.set(v.victimId, [...(byVictim.get(v.victimId) ?? []), v]);
  const out: FoundExposure[] = [];
  for (const r of reached) {
    if (r.childId === r.victimId || !children.has(r.childId)) continue;
    for (const v of byVictim.get(r.victimId) ?? []) out.push({ childId: r.childId, via: r.via, exposure: { ...v, steps: r.steps } });
  }
  return out;
}

/** How a child is linked to the victim of an exposure, as one reader may see it. */
export interface ExposurePath {
  victimId: string;
  steps: 1 | 2;
  /** The person between the child and the victim (two steps). */
  via: string | null;
  /** The child's edge (to the victim, or to the person between), then the edge on to the victim. */
  edges: Edge[];
}

/**
 * The links from a child to the victims named in the given entries, one or two steps, over what the
 * reader may see: the entries must be ones the reader sees whole (else the victim is not known to
 * them) and each relationship must be visible to them. Nearest paths first.
 */
export async function exposurePaths(db: Kysely<Database>, reader: EntryReader, childId: string, eventIds: readonly string[], steps: 1 | 2): Promise<ExposurePath[]> {
  if (eventIds.length === 0) return [];
  const named = await sql<{ person_id: string; event_type_code: string; roles: string[] }>`
    SELECT ep.person_id, ve.event_type_code, array_agg(ep.role) AS roles
    FROM ${entriesById(reader)} ve JOIN event_person ep ON ep.event_id = ve.id
    WHERE ve.id = ANY(${sql.val([...eventIds])}::uuid[]) AND ve.access = 'full' AND ve.current
    GROUP BY ep.person_id, ve.event_type_code`.execute(db);
  const victimRecords = named.rows.filter((r) => isVictimIn(r.event_type_code, r.roles)).map((r) => r.person_id);
  const anchors = await anchorsOf(db, victimRecords);
  const victims = new Set(victimRecords.map((id) => anchors.get(id) ?? id));
  victims.delete(childId);
  if (victims.size === 0) return [];
  const first = await neighbours(db, reader, [childId]);
  const paths: ExposurePath[] = first.filter((e) => victims.has(e.b)).map((e) => ({ victimId: e.b, steps: 1, via: null, edges: [e] }));
  if (steps === 2) {
    const between = new Map<string, Edge>();
    for (const e of first) if (!victims.has(e.b) && e.b !== childId && !between.has(e.b)) between.set(e.b, e);
    for (const e of await neighbours(db, reader, [...between.keys()])) {
      if (victims.has(e.b)) paths.push({ victimId: e.b, steps: 2, via: e.a, edges: [between.get(e.a)!, e] });
    }
  }
  return paths;
}
