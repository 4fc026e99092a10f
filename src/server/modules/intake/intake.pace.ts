import { setImmediate as nextTurn } from 'node:timers/promises';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';

/**
 * About how long one chunk's transaction may hold the database while an import runs: a chunk's
 * records are resolved and written a few statements at a time, so a chunk has a fixed cost (its reads
 * and writes) that the budget must leave room for; a request waits at most about one chunk.
 */
export const CHUNK_BUDGET_MS = 50;

/**
 * On a PostgreSQL server a chunk's transaction holds no one else's connection, so chunks may be longer:
 * the import gives the event loop a turn within a chunk as well (yieldEvery), and larger chunks spend
 * less on each chunk's fixed statements.
 */
export const SERVER_CHUNK_BUDGET_MS = 400;

/** The chunk budget for the engine the import writes to: PGlite (one connection on this thread) or a server. */
export async function chunkBudgetFor(db: Kysely<Database>): Promise<number> {
  const row = (await sql<{ embedded: boolean }>`SELECT version() LIKE '%PGlite%' AS embedded`.execute(db)).rows[0];
  return row?.embedded === false ? SERVER_CHUNK_BUDGET_MS : CHUNK_BUDGET_MS;
}

/** Returns a function to call between records: it gives the event loop a turn after about `ms` of work. */
export function yieldEvery(ms: number): () => Promise<void> {
  let since = performance.now();
  return async () => {
    if (performance.now() - since < ms) return;
    await nextTurn();
    since = performance.now();
  };
}

/** Records in an import's first chunk, before it knows how long a record takes. */
const FIRST_CHUNK = 1;

/**
 * How many records an import writes in each transaction, and its turns with the rest of the server.
 *
 * An import runs in the server process. On PGlite the database runs on this thread and is one
 * connection: while a chunk's transaction is open no request can reach the database, and while its
 * statements run nothing else runs at all (they never wait for I/O, so the event loop gets no turn).
 * A chunk of 200 records (about 5 s) stalled every request, /health and static files included. So a
 * chunk is sized by time, not by count: about `budgetMs`, from what the chunks so far took per record,
 * and never more than `max` records. After each chunk the import gives the event loop a turn, so the
 * requests that arrived meanwhile are read and queue for the database before its next chunk.
 * On PostgreSQL requests have connections of their own; the same pacing keeps the event loop free
 * of the import's own work (matching, parsing) for long stretches.
 */
export class ChunkPace {
  #perRecordMs: number | null = null;

  constructor(readonly max: number, readonly budgetMs: number = CHUNK_BUDGET_MS) {}

  /** The number of records the next chunk should hold (at least one). */
  get size(): number {
    // With no time limit every chunk is as large as allowed (tests that fix the chunks).
    if (this.budgetMs === Infinity) return Math.max(1, this.max);
    if (this.#perRecordMs === null) return Math.max(1, Math.min(this.max, FIRST_CHUNK));
    return Math.max(1, Math.min(this.max, Math.floor(this.budgetMs / Math.max(this.#perRecordMs, 0.01))));
  }

  /** Notes how long a chunk of `records` took, then waits for the event loop's next turn. */
  async chunkDone(records: number, ms: number): Promise<void> {
    if (records > 0) {
      const perRecord = ms / records;
      // Recent chunks count most: a record's cost grows as the database fills, and varies with its content.
      this.#perRecordMs = this.#perRecordMs === null ? perRecord : (this.#perRecordMs + perRecord) / 2;
    }
    await nextTurn();
  }
}
