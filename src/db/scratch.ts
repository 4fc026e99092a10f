import { sql } from 'kysely';
import { openDb } from './client.js';

/** A scratch database on a PostgreSQL server, for tests and benchmarks that must not share one. */
export interface ScratchDatabase {
  url: string;
  /** True when an existing database of that name was kept (opts.reuse). */
  reused: boolean;
  /** Drops the database (unless opts.keep) and closes the admin connection. */
  drop(): Promise<void>;
}

/**
 * Creates a scratch database beside the one `serverUrl` names, replacing any left over by an
 * interrupted run; `reuse` keeps an existing one, `keep` leaves it in place after drop(), and
 * `force` drops it even while a (killed) process still holds connections to it; `template` copies
 * a database (already migrated) instead of starting empty.
 */
export async function createScratchDatabase(serverUrl: string, name: string, opts: { reuse?: boolean; keep?: boolean; force?: boolean; template?: string } = {}): Promise<ScratchDatabase> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`Not a safe database name: ${name}`);
  if (opts.template !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(opts.template)) throw new Error(`Not a safe database name: ${opts.template}`);
  const force = opts.force ? ' WITH (FORCE)' : '';
  const admin = await openDb({ databaseUrl: serverUrl });
  const exists = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_database WHERE datname = ${name}`.execute(admin.db)).rows[0]!.n > 0;
  const reused = Boolean(opts.reuse) && exists;
  if (!reused) {
    await sql.raw(`DROP DATABASE IF EXISTS ${name}${force}`).execute(admin.db);
    await sql.raw(`CREATE DATABASE ${name}${opts.template ? ` TEMPLATE ${opts.template}` : ''}`).execute(admin.db);
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    reused,
    async drop() {
      if (!opts.keep) await sql.raw(`DROP DATABASE IF EXISTS ${name}${force}`).execute(admin.db);
      await admin.close();
    },
  };
}
