// `npx tsx bench/intake.ts`: imports every DfE sample file, then imports them all again, and prints
// `name: value unit` lines (records per second, and whether the counts reconcile and the second pass
// changed nothing). PGlite in memory; also a scratch database on the PostgreSQL server when DATABASE_URL is set.
import { createReadStream, readdirSync } from 'node:fs';
import { basename } from 'node:path';
import { openDb, type Db } from '../src/db/client.js';
import { migrateToLatest } from '../src/db/migrate.js';
import type { IntakeFormat } from '../src/intake/types.js';
import { importBatch } from '../src/server/modules/intake/commands/import-batch.js';
import { runOutboxUntilIdle } from '../src/server/outbox/outbox.js';
import { outboxProcessors } from '../src/server/outbox/processors.js';
import { createLogger } from '../src/server/logging.js';
import { print, type Line } from './report.js';
import { sharedDataDir } from '../test/shared-data.js';
import { createScratchDatabase } from '../src/db/scratch.js';

const DIR = `${sharedDataDir()}/dfe-samples/`;
const BATCHES: [string, IntakeFormat, string[]][] = [
  ['cin_fake', 'cin-xml', [`${DIR}fake_CIN_data.xml`]],
  ['cin_2022', 'cin-xml', [`${DIR}cin-2022.xml`]],
  ['cin_2024', 'cin-xml', [`${DIR}CIN_Census_2024.xml`]],
  ['ssda903', 'ssda903', readdirSync(`${DIR}ssda903`).sort().map((f) => `${DIR}ssda903/${f}`)],
  ['ssda903_2020_episodes', 'ssda903', [`${DIR}SSDA903_2020_episodes.csv`]],
];

async function pass(d: Db, organisationId: string, label: string, pass: string): Promise<Line[]> {
  const lines: Line[] = [];
  for (const [name, format, paths] of BATCHES) {
    const started = performance.now();
    const report = await importBatch(d.db, {
      organisationId, format, via: 'cli', actor: null, route: 'bench', maxBytes: 100 * 1024 * 1024, log: createLogger('warn'),
      sources: paths.map((p) => ({ name: basename(p), bytes: createReadStream(p) })),
    });
    // The rate includes the early identification rules on the new entries, run from the outbox.
    await runOutboxUntilIdle(d.db, { processors: outboxProcessors(), log: { info: () => {}, warn: console.warn, error: console.error } });
    const seconds = (performance.now() - started) / 1000;
    const prefix = `intake.${label}.${pass}.${name}`;
    lines.push(
      { name: `${prefix}.received`, value: report.received, unit: 'records' },
      { name: `${prefix}.accepted`, value: report.accepted, unit: 'records' },
      { name: `${prefix}.rejected`, value: report.rejected, unit: 'records' },
      { name: `${prefix}.unchanged`, value: report.outcomes.unchanged, unit: 'records' },
      { name: `${prefix}.reconciled`, value: report.reconciled ? 1 : 0, unit: 'bool' },
      { name: `${prefix}.rate`, value: report.received / seconds, unit: 'records/s' },
    );
  }
  return lines;
}

async function onEngine(label: string, d: Db): Promise<void> {
  await migrateToLatest(d.db);
  const org = await d.db.insertInto('organisation').values({ name: 'Bench borough children\'s services', kind: 'childrens_social_care', borough: 'Benchborough' })
    .returning('id').executeTakeFirstOrThrow();
  print(await pass(d, org.id, label, 'first'));
  print(await pass(d, org.id, label, 'again'));
}

const memory = await openDb({ memory: true });
try {
  await onEngine('pglite', memory);
} finally {
  await memory.close();
}
if (process.env.DATABASE_URL) {
  const scratch = await createScratchDatabase(process.env.DATABASE_URL, 'jigsaw_bench_intake');
  const d = await openDb({ databaseUrl: scratch.url });
  try {
    await onEngine('postgres', d);
  } finally {
    await d.close();
    await scratch.drop();
  }
}
