/**
 * A lossless way out: an organisation's records in the interchange format (docs/formats/interchange-v1.md),
 * as the organisation holds them, so that importing the export into an empty database gives the same
 * chronologies. Every version of every entry it recorded (a correction after the entry it corrects,
 * under the same record id), with its people and their roles, places, factors, gradings,
 * restrictions and when it was recorded; each person as the organisation knows them (the latest
 * record its systems sent, else the person as its workers see them). Entries are read through the
 * chronology's visibility scope as the organisation's own system, which sees its own entries whole.
 * Every person exported has a row on their access log.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../../db/database.js';
import { INTERCHANGE_V1 } from '../../../../intake/interchange.js';
import type { Actor } from '../../../actor.js';
import { recordAccessMany, type AccessRecord } from '../../../audit/record-access.js';
import { childRecordSql, entryScope, mergeGroupSql } from '../../chronology/chronology.policy.js';
import { exportedPerson, fallbackPerson, type ExportedPerson, type HeldRecord } from '../export.people.js';

/** Who asked for an export, for the access log (null: the operator's command line). */
export interface ExportRequest {
  organisationId: string;
  actor: Actor | null;
  route: string;
  requestId?: string;
  /** Receives each record, in an order that imports back correctly (a correction after what it corrects). */
  write: (record: Record<string, unknown>) => void | Promise<void>;
}

/** What an export wrote. */
export interface ExportSummary {
  organisationId: string;
  organisationName: string;
  /** Records written: one per version of an entry. */
  records: number;
  /** Of them, corrections of an earlier version. */
  corrections: number;
  people: number;
}

interface EntryRow {
  person_id: string;
  id: string;
  roles: string[];
  occurred_at: Date;
  occurred_precision: string;
  event_type_code: string | null;
  summary: string | null;
  narrative: string | null;
  place: string | null;
  factor_codes: string[];
  recorded_at: Date | null;
  source_system: string | null;
  source_record_id: string | null;
  reliability: string | null;
  sensitivity: string;
  supersedes: string | null;
  correction_reason: string | null;
  restricted_contact: string | null;
  access: string;
}

const ROLE_ORDER = ['subject', 'victim', 'suspect', 'witness', 'associate', 'parent'];
const byRole = (a: string, b: string) => ROLE_ORDER.indexOf(a) - ROLE_ORDER.indexOf(b);

/** Writes one organisation's records through `req.write` and logs the export on each person's access log. */
export async function exportOrganisationRecords(db: Kysely<Database>, req: ExportRequest): Promise<ExportSummary> {
  return db.transaction().execute(async (trx) => {
    const org = await trx.selectFrom('organisation').select(['id', 'name']).where('id', '=', req.organisationId).executeTakeFirstOrThrow();
    // The organisation's own system: it sees every entry it recorded whole, restricted ones included.
    const reader: Actor = { kind: 'system', apiKeyId: '', organisationId: org.id, organisationName: org.name };
    const rows = (await trx.selectFrom(entryScope(reader, { all: true }).as('v'))
      .select(['v.person_id', 'v.id', 'v.roles', 'v.occurred_at', 'v.occurred_precision', 'v.event_type_code', 'v.summary', 'v.narrative', 'v.place',
        'v.factor_codes', 'v.recorded_at', 'v.source_system', 'v.source_record_id', 'v.reliability', 'v.sensitivity', 'v.supersedes',
        'v.correction_reason', 'v.restricted_contact', 'v.access'])
      .where('v.organisation_id', '=', org.id)
      .orderBy('v.sort_recorded_at').orderBy('v.id').orderBy('v.person_id')
      .execute()) as EntryRow[];
    const entries = new Map<string, { row: EntryRow; people: { personId: string; roles: string[] }[] }>();
    for (const r of rows) {
      if (r.access !== 'full') throw new Error(`entry ${r.id} of the exporting organisation is not readable whole by it`);
      const e = entries.get(r.id) ?? { row: r, people: [] };
      e.people.push({ personId: r.person_id, roles: [...r.roles].sort(byRole) });
      entries.set(r.id, e);
    }
    const ids = [...entries.keys()];
    const [gradings, restrictions] = ids.length ? await Promise.all([
      trx.selectFrom('event_grading').selectAll().where('event_id', 'in', ids).execute(),
      trx.selectFrom('event_restriction').select(['event_id', 'contact', 'reason']).where('event_id', 'in', ids).execute(),
    ]) : [[], []];
    const gradingOf = new Map(gradings.map((g) => [g.event_id, g]));
    const restrictionOf = new Map(restrictions.map((r) => [r.event_id, r]));
    const networks = await entryNetworks(trx, ids);

    const people = await heldPeople(trx, org.id, [...new Set(rows.map((r) => r.person_id))]);

    // Versions of one record: the root (what no other exported entry corrects) first, then each correction.
    const correctedBy = new Map<string, string>();
    for (const { row } of entries.values()) if (row.supersedes && entries.has(row.supersedes)) correctedBy.set(row.supersedes, row.id);
    const usedKeys = new Set<string>();
    let written = 0;
    for (const { row: root } of entries.values()) {
      if (root.supersedes && entries.has(root.supersedes)) continue;
      const sourceSystem = root.source_system ?? 'jigsaw';
      // Form entries have no source record id: the entry's own id names the record. Two unrelated
      // entries under one id would read back as one corrected record, so a repeat is told apart.
      let recordId = root.source_record_id ?? `jigsaw-entry-${root.id}`;
      for (let n = 2; usedKeys.has(`${sourceSystem}\u0000${recordId}`); n++) recordId = `${root.source_record_id ?? root.id}#${n}`;
      usedKeys.add(`${sourceSystem}\u0000${recordId}`);
      for (let id: string | undefined = root.id; id; id = correctedBy.get(id)) {
        const { row, people: named } = entries.get(id)!;
        const slots = named.flatMap((p) => p.roles.map((role) => ({ personId: p.personId, role })));
        slots.sort((a, b) => byRole(a.role, b.role));
        const [main, ...others] = slots;
        // Each person's online handles the entry carries go with the person's first appearance in the record.
        const network = networks.get(row.id);
        const firstSlot = new Set<string>();
        const personOf = (personId: string): ExportedPerson => {
          const handles = firstSlot.has(personId) ? undefined : network?.handles.get(personId);
          firstSlot.add(personId);
          return { ...people.get(personId)!(sourceSystem), ...(handles ? { onlineHandles: handles } : {}) };
        };
        const mainPerson = personOf(main!.personId);
        const otherPersons = others.map((o) => ({ role: o.role, person: personOf(o.personId) }));
        const refOf = new Map<string, string>();
        for (const [i, slot] of [main!, ...others].entries()) if (!refOf.has(slot.personId)) refOf.set(slot.personId, String((i ? otherPersons[i - 1]!.person : mainPerson).recordId));
        const relationships = (network?.relationships ?? []).flatMap((r) => {
          const from = refOf.get(r.personId);
          const to = refOf.get(r.relatedPersonId);
          return from && to && from !== to ? [{ from, to, kind: r.kind, ...present({ grading: r.grading, validFrom: r.validFrom, validTo: r.validTo }), sensitivity: r.sensitivity }] : [];
        });
        const grading = gradingOf.get(row.id);
        const restriction = restrictionOf.get(row.id);
        await req.write({
          format: INTERCHANGE_V1, organisation: org.id, sourceSystem, recordId,
          person: mainPerson, role: main!.role,
          event: {
            code: row.event_type_code!, occurredAt: row.occurred_at.toISOString(), precision: row.occurred_precision,
            summary: row.summary!, narrative: row.narrative, place: row.place, factorCodes: row.factor_codes,
            sensitivity: row.sensitivity, reliability: row.reliability!,
            ...(grading ? { grading: { system: grading.grading_system, sourceEvaluation: grading.source_evaluation, intelligenceEvaluation: grading.intelligence_evaluation, handlingCode: grading.handling_code, handlingConditions: grading.handling_conditions } } : {}),
            recordedAt: row.recorded_at!.toISOString(),
            ...(row.supersedes && row.correction_reason ? { correctionReason: row.correction_reason } : {}),
            ...(row.sensitivity === 'restricted' && restriction ? { restriction: { contact: restriction.contact, reason: restriction.reason } } : {}),
          },
          ...(otherPersons.length ? { otherPeople: otherPersons } : {}),
          ...(network?.place ? { place: network.place } : {}),
          ...(relationships.length ? { relationships } : {}),
        });
        written++;
      }
    }
    const access: AccessRecord[] = [...people.keys()].map((personId) => ({
      actor: req.actor, action: 'export.records', personId, route: req.route, outcome: 'allowed', ...(req.requestId ? { requestId: req.requestId } : {}),
      detail: { organisationId: org.id, entries: rows.filter((r) => r.person_id === personId).length },
    }));
    access.push({
      actor: req.actor, action: 'export.records', route: req.route, outcome: 'allowed', ...(req.requestId ? { requestId: req.requestId } : {}),
      detail: { organisationId: org.id, records: written, corrections: correctedBy.size, people: people.size },
    });
    await recordAccessMany(trx, access);
    return { organisationId: org.id, organisationName: org.name, records: written, corrections: correctedBy.size, people: people.size };
  });
}

const present = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined));

/** What an entry carries beyond itself: where it happened, relationships and handles it is the source of, people as surviving records. */
interface ExportedNetwork {
  place: Record<string, unknown> | null;
  relationships: { personId: string; relatedPersonId: string; kind: string; grading: string | null; validFrom: string | null; validTo: string | null; sensitivity: string }[];
  handles: Map<string, { platform: string; handle: string }[]>;
}

/**
 * The places, relationships and online handles whose source is one of the given entries (the
 * organisation's own), with each person named by their surviving record, as the entries' people are.
 */
async function entryNetworks(trx: Kysely<Database>, ids: string[]): Promise<Map<string, ExportedNetwork>> {
  const out = new Map<string, ExportedNetwork>();
  if (!ids.length) return out;
  const [places, relationships, handles] = await Promise.all([
    trx.selectFrom('event_place as ep').innerJoin('place as p', 'p.id', 'ep.place_id')
      .select(['ep.event_id', 'p.kind', 'p.name', 'p.postcode', 'p.ward', 'p.borough', 'p.platform', 'p.handle']).where('ep.event_id', 'in', ids).orderBy('p.id').execute(),
    trx.selectFrom('person_relationship').select(['source_event_id', 'person_id', 'related_person_id', 'kind', 'grading', 'valid_from', 'valid_to', 'sensitivity'])
      .where('source_event_id', 'in', ids).orderBy('id').execute(),
    trx.selectFrom('person_place as pp').innerJoin('place as p', 'p.id', 'pp.place_id')
      .select(['pp.source_event_id', 'pp.person_id', 'p.platform', 'p.handle']).where('pp.source_event_id', 'in', ids)
      .where('pp.kind', '=', 'member').where('p.kind', '=', 'online').orderBy('pp.id').execute(),
  ]);
  const people = [...new Set([...relationships.flatMap((r) => [r.person_id, r.related_person_id]), ...handles.map((h) => h.person_id)])];
  const anchors = people.length
    ? new Map((await sql<{ seed: string; anchor: string }>`SELECT seed, anchor FROM ${childRecordSql(people)} c`.execute(trx)).rows.map((r) => [r.seed, r.anchor]))
    : new Map<string, string>();
  const anchor = (id: string) => anchors.get(id) ?? id;
  const of = (eventId: string) => {
    let n = out.get(eventId);
    if (!n) out.set(eventId, n = { place: null, relationships: [], handles: new Map() });
    return n;
  };
  // An entry names one place in the format: the first linked to it.
  for (const p of places) of(p.event_id).place ??= present({ kind: p.kind, name: p.name, postcode: p.postcode, ward: p.ward, borough: p.borough, platform: p.platform, handle: p.handle });
  for (const r of relationships) {
    of(r.source_event_id!).relationships.push({
      personId: anchor(r.person_id), relatedPersonId: anchor(r.related_person_id), kind: r.kind, grading: r.grading,
      validFrom: r.valid_from, validTo: r.valid_to, sensitivity: r.sensitivity,
    });
  }
  for (const h of handles) {
    if (!h.platform || !h.handle) continue;
    const list = of(h.source_event_id!).handles;
    list.set(anchor(h.person_id), [...(list.get(anchor(h.person_id)) ?? []), { platform: h.platform, handle: h.handle }].slice(0, 20));
  }
  return out;
}

/**
 * Each child (the surviving record of merged records) as the organisation holds them, per source
 * system: the latest record its systems sent (preferring the entry's own system), else the person
 * as its workers see them under the child's Jigsaw id.
 */
async function heldPeople(trx: Kysely<Database>, organisationId: string, anchors: string[]): Promise<Map<string, (sourceSystem: string) => ExportedPerson>> {
  const out = new Map<string, (sourceSystem: string) => ExportedPerson>();
  if (!anchors.length) return out;
  const groups = await trx.selectFrom(mergeGroupSql(anchors).as('g')).select(['g.seed', 'g.person_id']).execute();
  const records = groups.map((g) => g.person_id);
  const held = await trx.selectFrom('source_record as s')
    .innerJoin('source_record_version as v', 'v.source_record_ref', 's.id')
    .select(['s.person_id', 's.source_system', 's.source_record_id', 's.created_at', 'v.person_data', 'v.received_at', 'v.id as version_id'])
    .where('s.organisation_id', '=', organisationId).where('s.person_id', 'in', records)
    .orderBy('s.created_at').orderBy('v.received_at').orderBy('v.id')
    .execute();
  const latest = new Map<string, HeldRecord>();
  for (const h of held) latest.set(`${h.person_id}\u0000${h.source_system}\u0000${h.source_record_id}`, { personId: h.person_id, sourceSystem: h.source_system, recordId: h.source_record_id, data: h.person_data });
  const heldBy = new Map<string, HeldRecord[]>();
  for (const g of groups) heldBy.set(g.seed, [...(heldBy.get(g.seed) ?? []), ...[...latest.values()].filter((h) => h.personId === g.person_id)]);
  const needFallback = anchors.filter((a) => !(heldBy.get(a) ?? []).length);
  const fallbacks = await fallbackPerson(trx, organisationId, needFallback);
  for (const anchor of anchors) {
    const mine = heldBy.get(anchor) ?? [];
    out.set(anchor, (sourceSystem) => (mine.length ? exportedPerson(mine.find((h) => h.sourceSystem === sourceSystem) ?? mine[0]!) : fallbacks.get(anchor)!));
  }
  return out;
}
