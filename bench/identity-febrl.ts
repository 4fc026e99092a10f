// Deduplicates the FEBRL benchmark files with the pure matching code, using no labels; the rec_id
// column is read only afterwards, to count true and false pairs.
import { readFileSync } from 'node:fs';
import { deduplicate } from '../src/domain/matching/dedupe.js';
import type { MatchRecord } from '../src/domain/matching/types.js';
import type { Line } from './report.js';
import { pathToFileURL } from 'node:url';
import { sharedDataDir } from '../test/shared-data.js';

const FEBRL_DIR = pathToFileURL(`${sharedDataDir()}/febrl/`);

/** Parses a FEBRL CSV (", " separated) into match records and the answer key (kept apart). */
export function readFebrl(file: string): { records: MatchRecord[]; truth: string[] } {
  const lines = readFileSync(new URL(file, FEBRL_DIR), 'utf8').split(/\r?\n/).filter((l) => l.trim().length > 0);
  const header = lines[0]!.split(',').map((h) => h.trim());
  const col = (name: string) => header.indexOf(name);
  const records: MatchRecord[] = [];
  const truth: string[] = [];
  for (const line of lines.slice(1)) {
    const f = line.split(',').map((v) => v.trim());
    const get = (name: string) => { const v = f[col(name)]; return v && v.length > 0 ? v : null; };
    const dob = get('date_of_birth');
    truth.push(/^rec-(\d+)-/.exec(get('rec_id') ?? '')?.[1] ?? '');
    records.push({
      givenNames: get('given_name'),
      familyName: get('surname'),
      otherNames: [],
      dateOfBirth: dob && /^\d{8}$/.test(dob) ? dob : null,
      sex: 'not_known',
      postcode: get('postcode'),
      addressLine: [get('street_number'), get('address_1'), get('address_2'), get('suburb'), get('state')].filter(Boolean).join(' ') || null,
      identifiers: get('soc_sec_id') ? [{ scheme: 'local_id', value: get('soc_sec_id')! }] : [],
    });
  }
  return { records, truth };
}

/** Precision, recall and F1 over pairs: predicted pairs are those within one cluster. */
export function pairMetrics(clusterOf: number[], truth: string[]): { tp: number; fp: number; fn: number; precision: number; recall: number; f1: number } {
  const pairsWithin = (groups: Map<string, number[]>) => [...groups.values()].reduce((s, g) => s + (g.length * (g.length - 1)) / 2, 0);
  const group = (key: (i: number) => string) => {
    const m = new Map<string, number[]>();
    clusterOf.forEach((_, i) => { const k = key(i); const l = m.get(k); if (l) l.push(i); else m.set(k, [i]); });
    return m;
  };
  const predicted = pairsWithin(group((i) => String(clusterOf[i])));
  const actual = pairsWithin(group((i) => truth[i]!));
  const tp = pairsWithin(group((i) => `${clusterOf[i]}|${truth[i]}`));
  const precision = predicted ? tp / predicted : 1;
  const recall = actual ? tp / actual : 1;
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  return { tp, fp: predicted - tp, fn: actual - tp, precision, recall, f1 };
}

/** Runs the deduplication of each FEBRL file and returns the figures. */
export function benchFebrl(files = ['dataset1.csv', 'dataset2.csv', 'dataset3.csv']): Line[] {
  const out: Line[] = [];
  for (const file of files) {
    const { records, truth } = readFebrl(file);
    const started = performance.now();
    const result = deduplicate(records, { version: `febrl-${file}` });
    const seconds = (performance.now() - started) / 1000;
    const m = pairMetrics(result.clusterOf, truth);
    const name = `identity.febrl.${file.replace('.csv', '')}`;
    out.push(
      { name: `${name}.records`, value: records.length, unit: 'records' },
      { name: `${name}.blocked_pairs`, value: result.pairs.length, unit: 'pairs' },
      { name: `${name}.precision`, value: m.precision, unit: 'ratio' },
      { name: `${name}.recall`, value: m.recall, unit: 'ratio' },
      { name: `${name}.f1`, value: m.f1, unit: 'ratio' },
      { name: `${name}.false_pairs`, value: m.fp, unit: 'pairs' },
      { name: `${name}.missed_pairs`, value: m.fn, unit: 'pairs' },
      { name: `${name}.records_per_s`, value: records.length / seconds, unit: 'records/s' },
    );
  }
  return out;
}
