import { Migrator, type Kysely, type MigrationResultSet } from 'kysely';
import type { Database } from './database.js';
import { migrations } from './migrations/index.js';

function migrator(db: Kysely<Database>): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'kysely_migration',
    migrationLockTableName: 'kysely_migration_lock',
    // Areas add migrations independently; a later-numbered one may already have run.
    allowUnorderedMigrations: true,
  });
}

function check(result: MigrationResultSet): string[] {
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    const message = result.error instanceof Error ? result.error.message : String(result.error);
    throw new Error(`Migration ${failed?.migrationName ?? ''} failed: ${message}`);
  }
  return (result.results ?? []).map((r) => `${r.direction} ${r.migrationName}`);
}

/** Runs every pending migration; returns what ran. */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  return check(await migrator(db).migrateToLatest());
}

/** Reverts every migration, newest first (used by the up-and-down migration test). */
export async function migrateAllDown(db: Kysely<Database>): Promise<string[]> {
  const m = migrator(db);
  const ran: string[] = [];
  for (;;) {
    const executed = (await m.getMigrations()).filter((x) => x.executedAt);
    if (executed.length === 0) return ran;
    ran.push(...check(await m.migrateDown()));
  }
}
