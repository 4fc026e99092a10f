/**
 * Labels for judging a linkage model: which agency records are the same person, as a person who
 * knows the records decided. Read from a CSV file and matched to the agency records held.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import type { MatchRecord } from '../../../domain/matching/types.js';
import { readCsv, type CsvRecord } from '../../../intake/csv.js';
import { recordFromIncoming } from './incoming.js';
import type { IncomingPerson } from './resolve-person.js';

/** One labelled agency record: its id in the sending system, and the label naming the person it is of. */
export interface Label {
  organisationId: string | null;
  sourceSystem: string | null;
  sourceRecordId: string;
  label: string;
}

/** Why a labels file cannot be used, in words for the person running the command. */
export class LabelsError extends Error {}

/**
 * Reads a labels CSV: a header with `source_record_id` and `label` (the person each record is of:
 * records with the same label are the same person), and optionally `organisation_id` and
 * `source_system` to tell apart records of several agencies with the same id.
 */
export async function parseLabels(text: string): Promise<Label[]> {
  const rows: CsvRecord[] = [];
  for await (const r of readCsv((async function* () { yield text; })())) rows.push(r);
  const header = (rows[0]?.fields ?? []).map((h) => h.trim().toLowerCase());
  const col = (name: string) => header.indexOf(name);
  if (col('source_record_id') < 0 || col('label') < 0) {
    throw new LabelsError(`The labels file needs a header with the columns source_record_id and label (and optionally organisation_id, source_system); its header is "${header.join(',')}"`);
  }
  const out: Label[] = [];
  for (const row of rows.slice(1)) {
    const get = (name: string) => (col(name) >= 0 ? row.fields[col(name)]?.trim() || null : null);
    const id = get('source_record_id');
    const label = get('label');
    if (!id || !label) throw new LabelsError(`Line ${row.line} of the labels file needs both a source_record_id and a label`);
    out.push({ organisationId: get('organisation_id'), sourceSystem: get('source_system'), sourceRecordId: id, label });
  }
  if (out.length < 2) throw new LabelsError('The labels file names fewer than two records: nothing to compare');
  return out;
}

/** The latest version of each labelled agency record held, with its label; labels naming no record held are counted. */
export async function labelledRecords(db: Kysely<Database>, labels: Label[]): Promise<{ records: MatchRecord[]; labels: string[]; notFound: number }> {
  const rows = (await sql<{ organisation_id: string; source_system: string; source_record_id: string; person_data: IncomingPerson }>`
    SELECT s.organisation_id, s.source_system, s.source_record_id, v.person_data FROM source_record s
    JOIN LATERAL (SELECT person_data FROM source_record_version WHERE source_record_ref = s.id ORDER BY received_at DESC LIMIT 1) v ON true
    WHERE s.source_record_id = ANY(${sql.val([...new Set(labels.map((l) => l.sourceRecordId))])}::text[])`.execute(db)).rows;
  const records: MatchRecord[] = [];
  const out: string[] = [];
  let notFound = 0;
  for (const l of labels) {
    const held = rows.filter((r) => r.source_record_id === l.sourceRecordId
      && (l.organisationId === null || r.organisation_id === l.organisationId) && (l.sourceSystem === null || r.source_system === l.sourceSystem));
    if (held.length !== 1) { notFound += 1; continue; }
    records.push(recordFromIncoming(held[0]!.person_data));
    out.push(l.label);
  }
  return { records, labels: out, notFound };
}
