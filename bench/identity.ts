// `npx tsx bench/identity.ts`: identity-resolution benchmarks, printed as `name: value unit` lines.
// FEBRL deduplication runs in memory; the linkage of incoming records against existing people runs on
// the PostgreSQL server named by DATABASE_URL, in a scratch database created and dropped here.
import { sql } from 'kysely';
import { openDb } from '../src/db/client.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { benchFebrl } from './identity-febrl.js';
import { benchLinkage } from './identity-linkage.js';
import type { Line } from './report.js';

const EXISTING = Number(process.env.IDENTITY_EXISTING ?? 1_000_000);
const INCOMING = Number(process.env.IDENTITY_INCOMING ?? 100_000);

function print(lines: Line[]): void {
  for (const l of lines) console.log(`${l.name}: ${Number.isInteger(l.value) ? l.value : l.value.toFixed(4)} ${l.unit}`);
}

print(benchFebrl());

if (process.env.DATABASE_URL) {
  const admin = await openDb({ databaseUrl: process.env.DATABASE_URL });
  await sql`DROP DATABASE IF EXISTS jigsaw_identity_bench`.execute(admin.db);
  await sql`CREATE DATABASE jigsaw_identity_bench`.execute(admin.db);
  const url = new URL(process.env.DATABASE_URL);
  url.pathname = '/jigsaw_identity_bench';
  const d = await openDb({ databaseUrl: url.toString() });
  try {
    await migrateToLatest(d.db);
    print(await benchLinkage(d.db, { existing: EXISTING, incoming: INCOMING }));
  } finally {
    await d.close();
    await sql`DROP DATABASE IF EXISTS jigsaw_identity_bench`.execute(admin.db);
    await admin.close();
  }
} else {
  console.log('# DATABASE_URL is not set: the linkage benchmark on the PostgreSQL server is skipped');
}
