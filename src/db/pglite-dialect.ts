import { AsyncLocalStorage } from 'node:async_hooks';
import type { PGlite } from '@electric-sql/pglite';
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
} from 'kysely';

/**
 * A Kysely dialect over embedded PGlite that reuses the PostgreSQL compiler.
 *
 * PGlite is one connection. Kysely holds a connection for a whole transaction, so the driver
 * hands the connection to one holder at a time: without this, two concurrent requests would
 * interleave their statements inside one BEGIN ... COMMIT.
 */
export class PGliteDialect implements Dialect {
  /** The one queue for the one connection; rawQuery and Kysely both wait their turn in it. */
  readonly queue = new ConnectionQueue();
  constructor(private readonly client: PGlite) {}
  createAdapter(): DialectAdapter {
    return new PostgresAdapter();
  }
  createDriver(): Driver {
    return new PGliteDriver(this.client, this.queue);
  }
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new PostgresIntrospector(db);
  }
  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler();
  }
}

/**
 * Work that may wait while requests use the connection: the outbox worker runs its processors inside
 * this context (`backgroundWork.run(true, ...)`).
 */
export const backgroundWork = new AsyncLocalStorage<true>();

/**
 * The lock on the one connection: acquire() resolves with the function that releases it. Requests go
 * first: a waiter in `backgroundWork` (an import, the rules, alerts) is handed the connection only
 * when no request is waiting, each kind in its own order. With one queue for all, /health waited
 * behind every lane of the outbox worker in turn (an import's chunk, then the rules, then the alerts,
 * then each lane's claim) during a large import; now it waits at most for the holder it found.
 */
export class ConnectionQueue {
  #busy = false;
  readonly #requests: (() => void)[] = [];
  readonly #background: (() => void)[] = [];

  async acquire(): Promise<() => void> {
    if (this.#busy) {
      const waiting = backgroundWork.getStore() ? this.#background : this.#requests;
      await new Promise<void>((resolve) => waiting.push(resolve));
    } else {
      this.#busy = true;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // The connection passes straight to the next holder (it stays busy), a request before background work.
      const next = this.#requests.shift() ?? this.#background.shift();
      if (next) next();
      else this.#busy = false;
    };
  }
}

class PGliteDriver implements Driver {
  readonly #connection: PGliteConnection;
  #release: (() => void) | undefined;

  constructor(client: PGlite, private readonly queue: ConnectionQueue) {
    this.#connection = new PGliteConnection(client);
  }
  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> {
    this.#release = await this.queue.acquire();
    return this.#connection;
  }
  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('BEGIN'));
  }
  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('COMMIT'));
  }
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('ROLLBACK'));
  }
  async releaseConnection(): Promise<void> {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }
  async destroy(): Promise<void> {
    // The owner of the PGlite instance closes it (so it can checkpoint and drop the lock).
  }
}

class PGliteConnection implements DatabaseConnection {
  constructor(private readonly client: PGlite) {}

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    if (compiled.parameters.length === 0 && isMultiStatement(compiled.sql)) {
      // Migrations send several statements at once; only the simple protocol (exec) allows that.
      const results = await this.client.exec(compiled.sql);
      const last = results[results.length - 1];
      return { rows: (last?.rows ?? []) as R[] };
    }
    const result = await this.client.query<R>(compiled.sql, [...compiled.parameters]);
    const affected = result.affectedRows;
    return affected === undefined
      ? { rows: result.rows }
      : { rows: result.rows, numAffectedRows: BigInt(affected) };
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('Streaming is not supported on embedded PGlite');
  }
}

function isMultiStatement(text: string): boolean {
  const trimmed = text.trim().replace(/;$/, '');
  return trimmed.includes(';');
}
