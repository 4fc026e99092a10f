// The FEBRL benchmark through the product's own path: each data set is split into one interchange file
// per agency (as a data officer would send them), imported with the code `jigsaw import` calls into an
// empty database, linked through the stored match index with the model and thresholds in use, and only
// then counted against FEBRL's answer key (rec_id, which the import never sees). Figures without the
// shared soc_sec_id identifier are the headline; with it (sent as a local id) beside them.
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { sql } from 'kysely';
import type { Db } from '../src/db/client.js';
import { bestCandidates, blockedPairs, blockingKeys, MAX_CANDIDATES } from '../src/domain/matching/blocking.js';
import { prepareRecord } from '../src/domain/matching/prepare.js';
import type { MatchRecord } from '../src/domain/matching/types.js';
import { createLogger } from '../src/server/logging.js';
import { activeModel } from '../src/server/modules/identity/identity.model-store.js';
import { importBatch } from '../src/server/modules/intake/commands/import-batch.js';
import type { Line } from './report.js';
import { sharedDataDir } from '../test/shared-data.js';

const FEBRL_DIR = pathToFileURL(`${sharedDataDir()}/febrl/`);

/** One FEBRL row as the file holds it, with its answer-key cluster kept apart. */
export interface FebrlRow {
  recId: string;
  /** The original record's number: rows with the same one are the same person (the answer key). */
  truth: string;
  /** 0 for the original, k + 1 for duplicate k. */
  copy: number;
  given: string | null;
  surname: string | null;
  address: string | null;
  postcode: string | null;
  /** YYYYMMDD as written (possibly not a real date), or null. */
  dob: string | null;
  socSecId: string | null;
}

/** Parses a FEBRL CSV (", " separated). */
export function readFebrl(file: string): FebrlRow[] {
  const lines = readFileSync(new URL(file, FEBRL_DIR), 'utf8').split(/\r?\n/).filter((l) => l.trim().length > 0);
  const header = lines[0]!.split(',').map((h) => h.trim());
  return lines.slice(1).map((line) => {
    const f = line.split(',').map((v) => v.trim());
    const get = (name: string) => { const v = f[header.indexOf(name)]; return v && v.length > 0 ? v : null; };
    const recId = get('rec_id') ?? '';
    const m = /^rec-(\d+)-(org|dup-(\d+))$/.exec(recId);
    return {
      recId, truth: m?.[1] ?? recId, copy: m?.[3] !== undefined ? Number(m[3]) + 1 : 0,
      given: get('given_name'), surname: get('surname'), postcode: get('postcode'), socSecId: get('soc_sec_id'),
      address: [get('street_number'), get('address_1'), get('address_2'), get('suburb'), get('state')].filter(Boolean).join(' ') || null,
      dob: get('date_of_birth'),
    };
  });
}

/** The agencies a data set is split between: originals from the first, each duplicate from one of the others in turn. */
const AGENCIES = [
  { kind: 'school', name: 'FEBRL school' },
  { kind: 'gp', name: 'FEBRL general practice' },
  { kind: 'police', name: 'FEBRL police' },
  { kind: 'childrens_social_care', name: 'FEBRL children’s social care' },
] as const;
const agencyOf = (row: FebrlRow) => (row.copy === 0 ? 0 : 1 + ((row.copy - 1) % (AGENCIES.length - 1)));

/** YYYYMMDD as the interchange format's YYYY-MM-DD, as written (an impossible date stays impossible). */
const isoDob = (dob: string | null) => (dob && /^\d{8}$/.test(dob) ? `${dob.slice(0, 4)}-${dob.slice(4, 6)}-${dob.slice(6)}` : null);

/** One interchange v1 record for a FEBRL row, with an entry (every interchange record is an event about a person). */
export function interchangeOf(row: FebrlRow, organisationId: string, withIdentifier: boolean): object {
  return {
    format: 'jigsaw-interchange/1', organisation: organisationId, sourceSystem: 'FEBRL', recordId: `${row.recId}/referral`,
    person: {
      recordId: row.recId, givenNames: row.given, familyName: row.surname, dateOfBirth: isoDob(row.dob),
      identifiers: withIdentifier && row.socSecId ? [{ scheme: 'local_id', value: row.socSecId }] : [],
      address: { line: row.address, postcode: row.postcode },
    },
    event: { code: 'referral_to_early_help', occurredAt: '2026-01-15', summary: 'Synthetic benchmark record' },
  };
}

/** The matcher's view of a row as sent, for measuring the blocking rules on the same records. */
function matchRecordOf(row: FebrlRow, withIdentifier: boolean): MatchRecord {
  return {
    givenNames: row.given, familyName: row.surname, otherNames: [], dateOfBirth: isoDob(row.dob), sex: 'not_known',
    postcode: row.postcode, addressLine: row.address, identifiers: withIdentifier && row.socSecId ? [{ scheme: 'local_id', value: row.socSecId }] : [],
  };
}

/** Precision, recall and F1 over pairs: predicted pairs are those within one cluster. */
export function pairMetrics(clusterOf: string[], truth: string[]): { tp: number; fp: number; fn: number; precision: number; recall: number; f1: number } {
  const pairsWithin = (key: (i: number) => string) => {
    const sizes = new Map<string, number>();
    clusterOf.forEach((_, i) => { const k = key(i); sizes.set(k, (sizes.get(k) ?? 0) + 1); });
    let n = 0;
    for (const s of sizes.values()) n += (s * (s - 1)) / 2;
    return n;
  };
  const predicted = pairsWithin((i) => clusterOf[i]!);
  const actual = pairsWithin((i) => truth[i]!);
  const tp = pairsWithin((i) => `${clusterOf[i]}|${truth[i]}`);
  const precision = predicted ? tp / predicted : 1;
  const recall = actual ? tp / actual : 1;
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  return { tp, fp: predicted - tp, fn: actual - tp, precision, recall, f1 };
}

/**
 * Pair completeness (the share of true pairs the blocking rules bring together: a shared key within
 * its limit) and the reduction ratio (1 − compared pairs / all pairs), for the records as sent; and the
 * same once each record is compared with at most MAX_CANDIDATES others (bestCandidates, as the import
 * chooses among the people held: here every other record holds its keys), a pair counting when either
 * record chooses the other.
 */
export function blockingFigures(records: MatchRecord[], truth: string[]): { pairCompleteness: number; reductionRatio: number; blocked: number; cappedCompleteness: number; capped: number } {
  const prepared = records.map(prepareRecord);
  const pairs = blockedPairs(prepared);
  let found = 0;
  for (const [i, j] of pairs) if (truth[i] === truth[j]) found += 1;
  const sizes = new Map<string, number>();
  for (const t of truth) sizes.set(t, (sizes.get(t) ?? 0) + 1);
  let actual = 0;
  for (const s of sizes.values()) actual += (s * (s - 1)) / 2;
  const n = records.length;
  const keysOf = prepared.map(blockingKeys);
  const byKey = new Map<string, string[]>();
  keysOf.forEach((keys, i) => { for (const k of new Set(keys)) { const list = byKey.get(k); if (list) list.push(String(i)); else byKey.set(k, [String(i)]); } });
  const chosen = new Set<number>();
  keysOf.forEach((keys, j) => {
    for (const id of bestCandidates(keys, (k) => byKey.get(k)?.filter((x) => x !== String(j)))) {
      const i = Number(id);
      chosen.add(Math.min(i, j) * n + Math.max(i, j));
    }
  });
  let cappedFound = 0;
  for (const id of chosen) if (truth[Math.floor(id / n)] === truth[id % n]) cappedFound += 1;
  return {
    pairCompleteness: actual ? found / actual : 1, reductionRatio: 1 - pairs.length / ((n * (n - 1)) / 2), blocked: pairs.length,
    cappedCompleteness: actual ? cappedFound / actual : 1, capped: chosen.size,
  };
}

/**
 * Imports one FEBRL data set into an empty database, one interchange file per agency, and counts the
 * result: the person each agency record was resolved to is its cluster (a record sent to review is
 * kept apart as a provisional person, so it counts as not linked; a rejected record is a cluster of its own).
 */
export async function importAndCount(d: Db, file: string, withIdentifier: boolean, prefix: string): Promise<Line[]> {
  const rows = readFebrl(file);
  const orgs: string[] = [];
  for (const a of AGENCIES) {
    orgs.push((await d.db.insertInto('organisation').values({ name: a.name, kind: a.kind, borough: 'Benchborough' }).returning('id').executeTakeFirstOrThrow()).id);
  }
  const model = await activeModel(d.db);
  const started = performance.now();
  let rejected = 0;
  for (let a = 0; a < AGENCIES.length; a += 1) {
    const mine = rows.filter((r) => agencyOf(r) === a);
    if (!mine.length) continue;
    const text = mine.map((r) => JSON.stringify(interchangeOf(r, orgs[a]!, withIdentifier))).join('\n') + '\n';
    const report = await importBatch(d.db, {
      organisationId: orgs[a]!, format: 'jsonl', via: 'cli', actor: null, route: 'bench', maxBytes: 100 * 1024 * 1024, log: createLogger('warn'),
      sources: [{ name: `${AGENCIES[a]!.kind}.jsonl`, bytes: Readable.from([Buffer.from(text)]) }],
    });
    rejected += report.rejected;
  }
  const seconds = (performance.now() - started) / 1000;
  const held = (await sql<{ source_record_id: string; person_id: string; outcome: string }>`SELECT source_record_id, person_id, outcome FROM source_record
    WHERE source_system = 'FEBRL' AND organisation_id = ANY(${sql.val(orgs)}::uuid[])`.execute(d.db)).rows;
  const byRec = new Map(held.map((h) => [h.source_record_id, h]));
  const clusterOf = rows.map((r) => byRec.get(r.recId)?.person_id ?? `rejected:${r.recId}`);
  const truth = rows.map((r) => r.truth);
  const m = pairMetrics(clusterOf, truth);
  const reviews = held.filter((h) => h.outcome === 'review').length;
  // After review: each queued pair decided as a person who knew the answer would ("same" merges the
  // provisional person into the candidate; "different" keeps them apart).
  const items = (await sql<{ person_id: string; candidate_person_id: string }>`SELECT person_id, candidate_person_id FROM identity_review_item`.execute(d.db)).rows;
  const truthOfPerson = new Map<string, Set<string>>();
  rows.forEach((r, i) => { const p = clusterOf[i]!; const set = truthOfPerson.get(p) ?? new Set<string>(); set.add(r.truth); truthOfPerson.set(p, set); });
  const parent = new Map<string, string>();
  const find = (x: string): string => { let y = x; while (parent.has(y)) y = parent.get(y)!; return y; };
  for (const it of items) {
    const mine = truthOfPerson.get(it.person_id);
    const theirs = truthOfPerson.get(it.candidate_person_id);
    if (mine && theirs && [...mine].some((t) => theirs.has(t)) && find(it.person_id) !== find(it.candidate_person_id)) parent.set(find(it.person_id), find(it.candidate_person_id));
  }
  const afterReview = pairMetrics(clusterOf.map(find), truth);
  const blocking = blockingFigures(rows.map((r) => matchRecordOf(r, withIdentifier)), truth);
  return [
    { name: `${prefix}.records`, value: rows.length, unit: `records (${AGENCIES.length} agency files; model ${model.version}, link at ${model.linkThreshold}, review from ${model.reviewThreshold})` },
    { name: `${prefix}.rejected`, value: rejected, unit: 'records rejected by the import' },
    { name: `${prefix}.pair completeness`, value: blocking.pairCompleteness, unit: 'ratio (true pairs sharing a blocking key within its limit; target 0.995)' },
    { name: `${prefix}.reduction ratio`, value: blocking.reductionRatio, unit: `ratio (${blocking.blocked} pairs compared)` },
    { name: `${prefix}.pair completeness, ${MAX_CANDIDATES} candidates a record`, value: blocking.cappedCompleteness, unit: `ratio (true pairs still compared when each record is compared with at most ${MAX_CANDIDATES} others; ${blocking.capped} pairs)` },
    { name: `${prefix}.precision`, value: m.precision, unit: 'ratio' },
    { name: `${prefix}.recall`, value: m.recall, unit: 'ratio' },
    { name: `${prefix}.f1`, value: m.f1, unit: 'ratio (target 0.99)' },
    { name: `${prefix}.false_pairs`, value: m.fp, unit: 'pairs' },
    { name: `${prefix}.missed_pairs`, value: m.fn, unit: 'pairs' },
    { name: `${prefix}.review_share`, value: held.length ? reviews / held.length : 0, unit: `ratio (${reviews} records sent to review)` },
    { name: `${prefix}.f1_after_review`, value: afterReview.f1, unit: `ratio (each review decided rightly; precision ${afterReview.precision.toFixed(4)}, recall ${afterReview.recall.toFixed(4)})` },
    { name: `${prefix}.import_records_per_s`, value: rows.length / seconds, unit: 'records/s (the whole import: people, entries, access log)' },
  ];
}

/**
 * Runs FEBRL 1–3 (FEBRL_FILES, comma-separated, to choose), each without and then with the shared
 * identifier, each in an empty database from `fresh`; each data set's figures go to `onLines` as it ends.
 */
export async function benchFebrl(
  fresh: () => Promise<{ d: Db; close: () => Promise<void> }>, engine: string, onLines: (lines: Line[]) => void,
  files = (process.env.FEBRL_FILES ?? 'dataset1.csv,dataset2.csv,dataset3.csv').split(','),
): Promise<Line[]> {
  const out: Line[] = [];
  for (const file of files) {
    for (const withIdentifier of [false, true]) {
      const { d, close } = await fresh();
      try {
        const prefix = `identity.febrl.${engine}.${file.replace('.csv', '')}${withIdentifier ? '.with_soc_sec_id' : ''}`;
        const lines = await importAndCount(d, file, withIdentifier, prefix);
        onLines(lines);
        out.push(...lines);
      } finally {
        await close();
      }
    }
  }
  return out;
}
