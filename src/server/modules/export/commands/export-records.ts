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
import type { Kysely } from 'kysely';
import type { Database } from '../../../../db/database.js';
import { INTERCHANGE_V1 } from '../../../../intake/interchange.js';
import type { Actor } from '../../../actor.js';
import { recordAccessMany, type AccessRecord } from '../../../audit/record-access.js';
import { entryScope, mergeGroupSql } from '../../chronology/chronology.policy.js';
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
        const personOf = (personId: string) => people.get(personId)!(sourceSystem);
        const grading = gradingOf.get(row.id);
        const restriction = restrictionOf.get(row.id);
        await req.write({
          format: INTERCHANGE_V1, organisation: org.id, sourceSystem, recordId,
          person: personOf(main!.personId), role: main!.role,
          event: {
            code: row.event_type_code!, occurredAt: row.occurred_at.toISOString(), precision: row.occurred_precision,
            summary: row.summary!, narrative: row.narrative, place: row.place, factorCodes: row.factor_codes,
            sensitivity: row.sensitivity, reliability: row.reliability!,
            ...(grading ? { grading: { system: grading.grading_system, sourceEvaluation: grading.source_evaluation, intelligenceEvaluation: grading.intelligence_evaluation, handlingCode: grading.handling_code, handlingConditions: grading.handling_conditions } } : {}),
            recordedAt: row.recorded_at!.toISOString(),
            ...(row.supersedes && row.correction_reason ? { correctionReason: row.correction_reason } : {}),
            ...(row.sensitivity === 'restricted' && restriction ? { restriction: { contact: restriction.contact, reason: restriction.reason } } : {}),
          },
          ...(others.length ? { otherPeople: others.map((o) => ({ role: o.role, person: personOf(o.personId) })) } : {}),
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
