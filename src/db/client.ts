import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import { fuzzystrmatch } from '@electric-sql/pglite/contrib/fuzzystrmatch';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { pgcrypto } from '@electric-sql/pglite/contrib/pgcrypto';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './database.js';
import { lockDataDir } from './lock.js';
import { PGliteDialect } from './pglite-dialect.js';

/** Which engine a connection runs on. */
export type Engine = 'pglite' | 'postgres';

/** An open database: the Kysely handle, its engine, and how to close it cleanly. */
export interface Db {
  db: Kysely<Database>;
  engine: Engine;
  /** Runs SQL straight on the driver, bypassing Kysely (benchmarks compare our layers against it). */
  rawQuery(text: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
  /** Calls back on each NOTIFY on a channel (sent at commit); resolves with the function that stops listening. */
  listen(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** Where to connect: a PostgreSQL server URL, or a PGlite data directory (or memory). */
export type DbTarget = { databaseUrl: string } | { dataDir: string } | { memory: true };

const DATE_OID = 1082;
const INT8_OID = 20;

/** Opens PGlite (locked data directory or in memory) or a PostgreSQL server pool. */
export async function openDb(target: DbTarget): Promise<Db> {
  if ('databaseUrl' in target) return openServer(target.databaseUrl);
  return openEmbedded('dataDir' in target ? target.dataDir : undefined);
}

async function openEmbedded(dataDir: string | undefined): Promise<Db> {
  const release = dataDir ? lockDataDir(dataDir) : () => {};
  let client: PGlite;
  try {
    client = await PGlite.create({
      ...(dataDir ? { dataDir } : {}),
      extensions: { pg_trgm, fuzzystrmatch, pgcrypto },
      // Dates stay 'YYYY-MM-DD' text and bigints become numbers, the same as on the server.
      parsers: { [pgliteTypes.DATE]: (v: string) => v, [INT8_OID]: (v: string) => Number(v) },
    });
  } catch (err) {
    release();
    throw err;
  }
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
    // LISTEN goes through the same queue, so it never lands inside another holder's transaction.
    listen: async (channel, onNotify) => {
      const conn = await driverQueue.acquire();
      let unlisten: () => Promise<void>;
      try {
        unlisten = await client.listen(channel, () => onNotify());
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
        if (n.channel === channel) onNotify();
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
