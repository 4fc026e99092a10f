// `npx tsx bench/identity.ts`: identity-resolution benchmarks, printed as `name: value unit` lines.
// FEBRL deduplication runs in memory; the linkage of incoming records against existing people runs on
// the PostgreSQL server named by DATABASE_URL, in a scratch database created and dropped here.
import { openDb } from '../src/db/client.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { benchFebrl } from './identity-febrl.js';
import { benchLinkage } from './identity-linkage.js';
import type { Line } from './report.js';
import { createScratchDatabase } from '../src/db/scratch.js';

const EXISTING = Number(process.env.IDENTITY_EXISTING ?? 1_000_000);
const INCOMING = Number(process.env.IDENTITY_INCOMING ?? 100_000);

function print(lines: Line[]): void {
  for (const l of lines) console.log(`${l.name}: ${Number.isInteger(l.value) ? l.value : Math.abs(l.value) < 0.001 ? l.value.toExponential(3) : l.value.toFixed(4)} ${l.unit}`);
}

print(benchFebrl());

if (process.env.DATABASE_URL) {
  const scratch = await createScratchDatabase(process.env.DATABASE_URL, 'jigsaw_identity_bench');
  const d = await openDb({ databaseUrl: scratch.url });
  try {
    await migrateToLatest(d.db);
    print(await benchLinkage(d.db, { existing: EXISTING, incoming: INCOMING }));
  } finally {
    await d.close();
    await scratch.drop();
  }
} else {
  console.log('# DATABASE_URL is not set: the linkage benchmark on the PostgreSQL server is skipped');
}
