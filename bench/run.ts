// `npm run bench`: prints `name: value unit` lines. Runs on embedded PGlite, and on the PostgreSQL
// server too when DATABASE_URL is set (a scratch database jigsaw_bench is created there and dropped).
import { openDb, type Db } from '../src/db/client.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { seedBorough } from '../src/synthetic/seed.js';
import { benchChronology } from './chronology.js';
import { print, type Line } from './report.js';
import { createScratchDatabase } from '../src/db/scratch.js';

const CHILDREN = Number(process.env.BENCH_CHILDREN ?? 2000);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 200);

async function seedRate(d: Db, label: string): Promise<Line[]> {
  const report = await seedBorough(d.db, { children: CHILDREN, seed: 42 });
  const seconds = report.durationMs / 1000;
  return [
    { name: `seed.${label}.children`, value: report.children, unit: 'children' },
    { name: `seed.${label}.people_per_s`, value: report.people / seconds, unit: 'people/s' },
    { name: `seed.${label}.events_per_s`, value: report.events / seconds, unit: 'events/s' },
  ];
}

async function onEngine(label: string, open: () => Promise<{ d: Db; cleanup: () => Promise<void> }>): Promise<void> {
  const { d, cleanup } = await open();
  try {
    await migrateToLatest(d.db);
    print(await seedRate(d, label));
    print(await benchChronology(d, label, [500, 5000], SAMPLES));
  } finally {
    await d.close();
    await cleanup();
  }
}

console.log(`# Jigsaw benchmarks (${CHILDREN} seeded children, ${SAMPLES} samples per latency figure)`);
await onEngine('pglite', async () => ({ d: await openDb({ memory: true }), cleanup: async () => {} }));

if (process.env.DATABASE_URL) {
  await onEngine('postgres', async () => {
    const scratch = await createScratchDatabase(process.env.DATABASE_URL!, 'jigsaw_bench');
    return { d: await openDb({ databaseUrl: scratch.url }), cleanup: () => scratch.drop() };
  });
} else {
  console.log('# DATABASE_URL is not set: the PostgreSQL server figures are skipped');
}
