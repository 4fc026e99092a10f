import { openDb } from '../src/db/client.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { sql } from 'kysely';

/**
 * Gives the server test database a clean, migrated schema once per run, as the tables' owner (the
 * login in DATABASE_URL), which also grants the application's role; tests then share it, acting as that role.
 */
export default async function setup(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is required for the postgres test project');
  const db = await openDb({ databaseUrl: url });
  try {
    await sql`DROP SCHEMA IF EXISTS public CASCADE`.execute(db.db);
    await sql`CREATE SCHEMA public`.execute(db.db);
    await migrateToLatest(db.db);
  } finally {
    await db.close();
  }
}
