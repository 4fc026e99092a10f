// `npx tsx bench/identity.ts`: identity-resolution benchmarks, printed as `name: value unit` lines.
// FEBRL 1–3 are imported through the product's path (interchange files per agency, the import `jigsaw
// import` runs, the stored match index and the model in use), each into an empty database: embedded
// PGlite by default, the PostgreSQL server named by DATABASE_URL when it is set. On the server, 100,000
// incoming records are then linked against 1,000,000 people held (the target: 60 s); on PGlite, in
// memory, 10,000 against 100,000 (the same code, at a size one embedded database holds in memory; no target).
// BENCH_IDENTITY=febrl or linkage runs one part; IDENTITY_EXISTING and IDENTITY_INCOMING change the sizes.
import { openDb, type Db } from '../src/db/client.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { createScratchDatabase } from '../src/db/scratch.js';
import { benchFebrl } from './identity-febrl.js';
import { benchLinkage } from './identity-linkage.js';
import type { Line } from './report.js';

const PART = process.env.BENCH_IDENTITY ?? 'all';
const SERVER = process.env.DATABASE_URL;
const EXISTING = Number(process.env.IDENTITY_EXISTING ?? (SERVER ? 1_000_000 : 100_000));
const INCOMING = Number(process.env.IDENTITY_INCOMING ?? (SERVER ? 100_000 : 10_000));

function print(lines: Line[]): void {
  for (const l of lines) console.log(`${l.name}: ${Number.isInteger(l.value) ? l.value : Math.abs(l.value) < 0.001 ? l.value.toExponential(3) : l.value.toFixed(4)} ${l.unit}`);
}

const short = (n: number) => (n >= 1_000_000 && n % 1_000_000 === 0 ? `${n / 1_000_000}M` : n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n));

if (PART === 'all' || PART === 'febrl') {
  if (SERVER) {
    // One migrated template; every data set starts from an empty copy of it.
    const template = await createScratchDatabase(SERVER, 'jigsaw_identity_febrl_template');
    const t = await openDb({ databaseUrl: template.url });
    await migrateToLatest(t.db);
    await t.close();
    try {
      await benchFebrl(async () => {
        const scratch = await createScratchDatabase(SERVER, 'jigsaw_identity_febrl', { template: 'jigsaw_identity_febrl_template' });
        const d = await openDb({ databaseUrl: scratch.url });
        return { d, close: async () => { await d.close(); await scratch.drop(); } };
      }, 'server', print);
    } finally {
      await template.drop();
    }
  } else {
    // Migrated once in memory; every data set starts from a copy of that empty database.
    const base: Db = await openDb({ memory: true });
    await migrateToLatest(base.db);
    const image = await base.dumpDataDir!();
    await base.close();
    await benchFebrl(async () => {
      const d = await openDb({ memory: true, loadDataDir: image });
      return { d, close: () => d.close() };
    }, 'pglite', print);
  }
}

if (PART === 'all' || PART === 'linkage') {
  if (SERVER) {
    // IDENTITY_KEEP=1 keeps the loaded people for the next run (which then skips loading them).
    const keep = process.env.IDENTITY_KEEP === '1';
    const scratch = await createScratchDatabase(SERVER, `jigsaw_identity_bench_${short(EXISTING).toLowerCase()}`, { reuse: keep, keep });
    const d = await openDb({ databaseUrl: scratch.url });
    try {
      await migrateToLatest(d.db);
      const lines = await benchLinkage(d.db, { existing: EXISTING, incoming: INCOMING, targetSeconds: 60 });
      print(lines);
      const total = lines.find((l) => l.name === 'identity.linkage.total_seconds')!.value;
      console.log(`link ${short(INCOMING)} vs ${short(EXISTING)}: ${total.toFixed(1)} s`);
    } finally {
      await d.close();
      await scratch.drop();
    }
  } else {
    const d = await openDb({ memory: true });
    try {
      await migrateToLatest(d.db);
      const lines = await benchLinkage(d.db, { existing: EXISTING, incoming: INCOMING, name: 'identity.linkage.pglite' });
      print(lines);
      const total = lines.find((l) => l.name === 'identity.linkage.pglite.total_seconds')!.value;
      console.log(`link ${short(INCOMING)} vs ${short(EXISTING)} (pglite): ${total.toFixed(1)} s`);
    } finally {
      await d.close();
    }
  }
}
