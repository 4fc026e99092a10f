import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import { fuzzystrmatch } from '@electric-sql/pglite/contrib/fuzzystrmatch';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { pgcrypto } from '@electric-sql/pglite/contrib/pgcrypto';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './database.js';
import { lockDataDir } from './lock.js';
import { PGliteDialect } from './pglite-dialect.js';
import { FatalMessages, failOnBackendExit } from './pglite-exit.js';

/** Which engine a connection runs on. */
export type Engine = 'pglite' | 'postgres';

/** An open database: the Kysely handle, its engine, and how to close it cleanly. */
export interface Db {
  db: Kysely<Database>;
  engine: Engine;
  /** Runs SQL straight on the driver, bypassing Kysely (benchmarks compare our layers against it). */
  rawQuery(text: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
  /** Calls back on each NOTIFY on a channel (sent at commit) with its payload; resolves with the function that stops listening. */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  /** PGlite only: the data directory as an uncompressed tarball, to open copies from (loadDataDir). */
  dumpDataDir?(): Promise<Blob>;
  close(): Promise<void>;
}

/** Where to connect: a PostgreSQL server URL, or a PGlite data directory (or memory). */
export type DbTarget = { databaseUrl: string } | { dataDir: string } | { memory: true; loadDataDir?: Blob };

const DATE_OID = 1082;
const INT8_OID = 20;

/** How to open: `role` makes every statement run as that database role (see actAsRole). */
export interface OpenOptions {
  role?: string;
}

/**
 * Opens PGlite (locked data directory or in memory) or a PostgreSQL server pool, as the login's own
 * role, or acting as `opts.role` (the application's role: src/db/app-db.ts opens the application's
 * connection; migrations use the owner's).
 */
export async function openDb(target: DbTarget, opts: OpenOptions = {}): Promise<Db> {
  if ('databaseUrl' in target) return openServer(opts.role ? withRole(target.databaseUrl, opts.role) : target.databaseUrl);
  const d = await openEmbedded('dataDir' in target ? target.dataDir : undefined, 'loadDataDir' in target ? target.loadDataDir : undefined);
  if (opts.role) {
    try {
      await actAsRole(d, opts.role);
    } catch (err) {
      await d.close();
      throw err;
    }
  }
  return d;
}

const SAFE_ROLE = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * A server URL whose every connection (pooled and listening) starts as `role`: a startup option
 * (`options=-c role=...`), so a connection that may not act as the role fails to open rather than
 * running as the login, and RESET ROLE returns to it. A login that is a member of the owner can
 * still SET ROLE back (docs/security-model.md): production gives the application its own login.
 */
export function withRole(url: string, role: string): string {
  if (!SAFE_ROLE.test(role)) throw new Error(`Not a safe database role name: ${JSON.stringify(role)}`);
  const u = new URL(url);
  const existing = u.searchParams.get('options');
  u.searchParams.set('options', [existing, `-c role=${role}`].filter(Boolean).join(' '));
  return u.toString();
}

/**
 * PGlite has one in-process user (a superuser): its one session acts as `role` from here on. SQL
 * that runs RESET ROLE or SET ROLE NONE undoes it; the server, with its own login, cannot.
 */
export async function actAsRole(d: Db, role: string): Promise<void> {
  if (!SAFE_ROLE.test(role)) throw new Error(`Not a safe database role name: ${JSON.stringify(role)}`);
  if (d.engine !== 'pglite') throw new Error('actAsRole is for PGlite: a server connection takes its role when it opens (withRole)');
  await d.rawQuery(`SET ROLE ${role}`);
}

async function openEmbedded(dataDir: string | undefined, loadDataDir: Blob | undefined): Promise<Db> {
  const release = dataDir ? lockDataDir(dataDir) : () => {};
  let client: PGlite;
  const fatal = new FatalMessages();
  try {
    client = await PGlite.create({
      onStderr: fatal.onStderr,
      ...(dataDir ? { dataDir } : {}),
      ...(loadDataDir ? { loadDataDir } : {}),
      extensions: { pg_trgm, fuzzystrmatch, pgcrypto },
      // Dates stay 'YYYY-MM-DD' text and bigints become numbers, the same as on the server.
      parsers: { [pgliteTypes.DATE]: (v: string) => v, [INT8_OID]: (v: string) => Number(v) },
    });
  } catch (err) {
    release();
    throw err;
  }
  // A FATAL error fails every later statement instead of spinning the process (see pglite-exit.ts).
  failOnBackendExit(client, fatal);
  const dialect = new PGliteDialect(client);
  const db = new Kysely<Database>({ dialect });
  const driverQueue = dialect.queue;
  let closed = false;
  return {
    db,
    engine: 'pglite',
    // Shares the dialect's queue so it never interleaves with a transaction in progress.
    rawQuery: async (text, params = []) => {
      const conn = await driverQueue.acquire();
      try {
        return await client.query(text, params);
      } finally {
        conn();
      }
    },
    dumpDataDir: async () => {
      const conn = await driverQueue.acquire();
      try {
        return await client.dumpDataDir('none');
      } finally {
        conn();
      }
    },
    // LISTEN goes through the same queue, so it never lands inside another holder's transaction.
    listen: async (channel, onNotify) => {
      const conn = await driverQueue.acquire();
      let unlisten: () => Promise<void>;
      try {
        unlisten = await client.listen(channel, (payload) => onNotify(payload ?? ''));
      } finally {
        conn();
      }
      return async () => {
        if (closed) return;
        const c = await driverQueue.acquire();
        try {
          await unlisten();
        } finally {
          c();
        }
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
      await client.close(); // checkpoints the data directory
      release();
    },
  };
}

async function openServer(url: string): Promise<Db> {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
        if (oid === DATE_OID) return (v: string) => v;
        if (oid === INT8_OID) return (v: string) => Number(v);
        return pg.types.getTypeParser(oid, format);
      }) as typeof pg.types.getTypeParser,
    },
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  let closed = false;
  return {
    db,
    engine: 'postgres',
    rawQuery: async (text, params = []) => pool.query(text, params),
    // A connection of its own, outside the pool, held for as long as the listener lives.
    listen: async (channel, onNotify) => {
      const client = new pg.Client({ connectionString: url });
      client.on('error', () => {}); // a lost listener only slows wake-ups: the worker also polls
      await client.connect();
      client.on('notification', (n) => {
        if (n.channel === channel) onNotify(n.payload ?? '');
      });
      await client.query(`LISTEN "${channel.replace(/"/g, '""')}"`);
      return async () => {
        await client.end().catch(() => {});
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      // The pool's end resolves before its connections have closed: wait for each to go, so a
      // database dropped straight after never cuts off a connection this process still holds.
      let open = pool.totalCount;
      const gone = new Promise<void>((resolve) => {
        if (open === 0) resolve();
        pool.on('remove', () => {
          open -= 1;
          if (open <= 0) resolve();
        });
      });
      await db.destroy();
      await gone;
    },
  };
}
