import type { TestProject } from 'vitest/node';
import { openDb } from '../src/db/client.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../src/db/database.js';

/**
 * Gives the server test database a clean, migrated schema once per run, as the tables' owner (the
 * login in DATABASE_URL), which also grants the application's role; then copies it to a template
 * from which each test file gets a database of its own (test/helpers.ts openTestDb), so files never
 * read each other's rows and may run side by side. The template is dropped when the run ends.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is required for the postgres test project');
  const template = `jigsaw_tpl_${process.pid}`;
  const db = await openDb({ databaseUrl: url });
  try {
    await sql`DROP SCHEMA IF EXISTS public CASCADE`.execute(db.db);
    await sql`CREATE SCHEMA public`.execute(db.db);
    await migrateToLatest(db.db);
  } finally {
    await db.close();
  }
  const admin = await openDb({ databaseUrl: adminUrl(url) });
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  try {
    await dropLeftovers(admin.db);
    await sql.raw(`DROP DATABASE IF EXISTS ${template}`).execute(admin.db);
    await sql.raw(`CREATE DATABASE ${template} TEMPLATE "${name.replace(/"/g, '""')}"`).execute(admin.db);
  } finally {
    await admin.close();
  }
  project.provide('postgresTemplate', template);
  return async () => {
    const a = await openDb({ databaseUrl: adminUrl(url) });
    try {
      await sql.raw(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`).execute(a.db);
    } finally {
      await a.close();
    }
  };
}

/**
 * Drops test databases left by runs that were killed before they could drop their own: each name
 * carries the id of the process that made it, and a process no longer running will not come back.
 */
async function dropLeftovers(db: Kysely<Database>): Promise<void> {
  const { rows } = await sql<{ datname: string }>`SELECT datname FROM pg_database WHERE datname ~ '^jigsaw_(tpl|t)_[0-9]+'`.execute(db);
  for (const { datname } of rows) {
    const pid = Number(/^jigsaw_(?:tpl|t)_(\d+)/.exec(datname)![1]);
    if (isRunning(pid)) continue;
    await sql.raw(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`).execute(db);
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The same server's maintenance database, to copy and drop others from. */
function adminUrl(url: string): string {
  const u = new URL(url);
  u.pathname = '/postgres';
  return u.toString();
}

declare module 'vitest' {
  export interface ProvidedContext {
    postgresTemplate: string;
    pgliteSnapshot: string;
  }
}
