import { Migrator, type Kysely, type MigrationResultSet } from 'kysely';
import type { Database } from './database.js';
import { DEFAULT_APP_ROLE, grantAppRole } from './grants.js';
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

/**
 * Runs every pending migration, as the connection's role (the tables' owner), then (re)grants the
 * application's role what it needs on every table, including any a migration just added
 * (grants.ts); returns what ran.
 */
export async function migrateToLatest(db: Kysely<Database>, opts: { appRole?: string } = {}): Promise<string[]> {
  const ran = check(await migrator(db).migrateToLatest());
  await grantAppRole(db, opts.appRole ?? DEFAULT_APP_ROLE);
  return ran;
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
