import { parseArgs } from 'node:util';
import type { Config } from '../../server/config.js';
import { rebuildMatchIndex } from '../../server/modules/identity/match-index.js';
import { readFile } from 'node:fs/promises';
import { TrainingRefused, trainAndStoreModel, type TrainedReport } from '../../server/modules/identity/commands/train-model.js';
import { LabelsError, parseLabels, type Label } from '../../server/modules/identity/identity.labels.js';
import { priorWeightOf } from '../../server/modules/identity/identity.train.js';
import { describeDb, openConfiguredDb } from './open.js';

const USAGE = `Usage: jigsaw identity <subcommand>

Subcommands:
  reindex   delete every person's stored blocking keys and match profiles (the match index) and
            compute them again from the records held now; run it after the blocking rules change
  train [--sample N] [--seed S] [--labels FILE]
            train a new linkage model without labels from the agency records held (at most N of
            them, 5000 unless given) against the people held, store it with a new version, and use
            it for every later import; prints the model in use and the new one side by side.
            Comparisons the records do not hold keep their weights; a model with an implausible
            prior is not stored. --labels names a CSV (source_record_id,label, optionally
            organisation_id and source_system; one label per person) to print F1 before and after`;

type Subcommand = (config: Config, args: string[]) => Promise<number>;

/** `jigsaw identity reindex`: rebuilds the match index and prints how many people and keys it holds. */
async function reindex(config: Config, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { help: { type: 'boolean', short: 'h', default: false } }, allowPositionals: true });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length > 0) {
    console.error(`jigsaw identity reindex takes no arguments, got "${positionals.join(' ')}"`);
    return 1;
  }
  const db = await openConfiguredDb(config);
  try {
    console.log(`Database: ${describeDb(config)}`);
    let lastShown = 0;
    const report = await rebuildMatchIndex(db.db, {
      onProgress: (done, total) => {
        if (process.stderr.isTTY && (done === total || Date.now() - lastShown > 250)) {
          lastShown = Date.now();
          process.stderr.write(`\rIndexing: ${done}/${total} people`);
          if (done === total) process.stderr.write('\n');
        }
      },
    });
    console.log(`Rebuilt the match index: ${report.people} people, ${report.keys} keys in ${(report.durationMs / 1000).toFixed(1)} s`);
    return 0;
  } finally {
    await db.close();
  }
}

const fixed = (x: number, d = 2) => (x >= 0 ? ' ' : '') + x.toFixed(d);

/** Prints a training report: what it learnt, the model in use and the new one side by side, and label scores. */
export function printTrainingReport(report: TrainedReport, out: (line: string) => void = console.log): void {
  out(`agency records: ${report.records}; people held: ${report.population}; people sampled for u: ${report.peopleSampled}`);
  for (const s of report.sessions) out(`session ${s.name}: ${s.pairs} pairs, about ${s.expectedMatches} matching`);
  out(`${'weight (bits)'.padEnd(38)} ${report.previous.version.padStart(22)} ${report.version.padStart(22)}`);
  out(`${'prior (lambda)'.padEnd(38)} ${`${report.previous.lambda.toExponential(2)} ${fixed(priorWeightOf(report.previous.lambda))}`.padStart(22)} ${`${report.lambda.toExponential(2)} ${fixed(priorWeightOf(report.lambda))}`.padStart(22)}`);
  for (const l of report.levels) {
    const kept = report.kept.includes(l.comparison) ? '  (kept: too few values held to learn)' : '';
    out(`${`${l.comparison} ${l.level}`.padEnd(38)} ${fixed(l.before).padStart(22)} ${fixed(l.after).padStart(22)}${kept}`);
  }
  if (report.labelled) {
    const { before, after, records, notFound } = report.labelled;
    out(`labelled records: ${records}${notFound ? ` (${notFound} labels name no agency record held, or more than one)` : ''}; pairs of the same person: ${before.truePairs}`);
    out(`F1 of automatic links: before ${before.f1.toFixed(4)} (precision ${before.precision.toFixed(4)}, recall ${before.recall.toFixed(4)}); after ${after.f1.toFixed(4)} (precision ${after.precision.toFixed(4)}, recall ${after.recall.toFixed(4)})`);
  }
}

/** `jigsaw identity train [--sample N] [--seed S] [--labels FILE]`: trains and stores a model version, and prints its report. */
async function train(config: Config, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true,
    options: { sample: { type: 'string' }, seed: { type: 'string' }, labels: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length > 0) {
    console.error(`jigsaw identity train takes only --sample, --seed and --labels, got "${positionals.join(' ')}"`);
    return 1;
  }
  const whole = (name: string, v: string | undefined, min: number, max: number): number | undefined | null => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!/^\d+$/.test(v) || n < min || n > max) { console.error(`--${name} must be a whole number from ${min} to ${max}, got "${v}"`); return null; }
    return n;
  };
  const sample = whole('sample', values.sample, 200, 1_000_000);
  const seed = whole('seed', values.seed, 0, 2 ** 31 - 1);
  if (sample === null || seed === null) return 1;
  let labels: Label[] | undefined;
  if (values.labels !== undefined) {
    try {
      labels = await parseLabels(await readFile(values.labels, 'utf8'));
    } catch (err) {
      if (err instanceof LabelsError) { console.error(err.message); return 1; }
      if ((err as { code?: string }).code === 'ENOENT') { console.error(`--labels: no file "${values.labels}"`); return 1; }
      throw err;
    }
  }
  const db = await openConfiguredDb(config);
  try {
    console.log(`Database: ${describeDb(config)}`);
    const report = await trainAndStoreModel(db.db, { sample, seed, labels });
    printTrainingReport(report);
    console.log(`Stored and in use: model ${report.version}`);
    return 0;
  } catch (err) {
    if (err instanceof TrainingRefused) {
      if (err.report) printTrainingReport(err.report);
      console.error(`WARNING: ${err.message}`);
      return 1;
    }
    throw err;
  } finally {
    await db.close();
  }
}

const SUBCOMMANDS: Record<string, Subcommand> = { reindex, train };

/** `jigsaw identity <subcommand> [options]`: identity resolution maintenance; each subcommand parses its own options. */
export async function runIdentityCommand(config: Config, args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined) {
    console.error(`jigsaw identity needs a subcommand.\n\n${USAGE}`);
    return 1;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    console.log(USAGE);
    return 0;
  }
  const run = Object.hasOwn(SUBCOMMANDS, name) ? SUBCOMMANDS[name] : undefined;
  if (!run) {
    console.error(`Unknown identity subcommand "${name}".\n\n${USAGE}`);
    return 1;
  }
  return run(config, rest);
}
