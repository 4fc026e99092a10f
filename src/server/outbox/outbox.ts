/**
 * The outbox: work that must follow a committed change (rules on a new entry, an uploaded import,
 * and later notifications and reminders) is written as a row in the same transaction as the change,
 * so it exists exactly when the change does. A worker claims due rows and hands each to the
 * processor that declares its kind.
 *
 * - Claim: one statement picks due rows with FOR UPDATE SKIP LOCKED and stamps a lease
 *   (locked_until, locked_by) and an attempt, so several processes share the queue and never take
 *   the same row at once. The lease is renewed while the processor runs; a row whose process died
 *   is claimed again once its lease has passed (at start-up at once on PGlite, which one process owns).
 * - At least once: a row is marked done only after its processor returns, so processors are
 *   idempotent (the consideration table's unique key; an import skips records already stored).
 * - Failure: the row falls due again after an exponential back-off (available_at moves forward);
 *   after max_attempts it is dead, kept with its last error for an operator (jigsaw outbox status|retry).
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../../db/database.js';

/** Where processors and the worker write their logs (the app's logger, with its redaction). */
export interface OutboxLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** One claimed piece of work. */
export interface OutboxMessage<P = unknown> {
  id: number;
  kind: string;
  payload: P;
  /** This attempt's number, from 1. */
  attempts: number;
  maxAttempts: number;
}

/** What a processor is given. */
export interface ProcessorContext {
  db: Kysely<Database>;
  log: OutboxLog;
}

/** Handles the rows of the kinds it declares. Must be idempotent: a row can be delivered more than once. */
export interface OutboxProcessor {
  name: string;
  kinds: readonly string[];
  handle(message: OutboxMessage, ctx: ProcessorContext): Promise<void>;
  /**
   * Optional: handles several claimed rows at once (fewer statements per row under a steady stream:
   * alerts, their email). All of them are done if it returns; if it throws, each row is handled on
   * its own with `handle`, so one bad row fails alone.
   */
  handleMany?(messages: OutboxMessage[], ctx: ProcessorContext): Promise<void>;
  /** Rows claimed in one pass of this processor's lane (20 unless it says; more for processors that take rows together). */
  batchSize?: number;
  /**
   * Optional: when its lane is woken from idle, the worker waits this long before claiming, so rows
   * committed in quick succession (an import's chunks) are handled together (handleMany) in one pass.
   */
  gatherMs?: number;
}

/** The channel a committed outbox row is announced on (NOTIFY is delivered at commit). */
export const OUTBOX_CHANNEL = 'jigsaw_outbox';

/** Attempts before a row is dead, unless the row says otherwise. */
export const DEFAULT_MAX_ATTEMPTS = 8;
/** The first retry's delay; each later one doubles, up to BACKOFF_MAX_MS. */
export const BACKOFF_BASE_MS = 10_000;
export const BACKOFF_MAX_MS = 3_600_000;
/** How long a claim holds a row before another worker may take it (renewed while the processor runs). */
export const LEASE_MS = 60_000;

/** The delay before attempt `attempts + 1`, after `attempts` failures. */
export function backoffMs(attempts: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempts - 1));
}

/** Queues work inside the caller's transaction: it exists if, and only if, the change commits. */
export async function enqueue(
  trx: Kysely<Database>, kind: string, payload: unknown, opts: { dedupeKey?: string; maxAttempts?: number; availableAt?: Date } = {},
): Promise<void> {
  await enqueueMany(trx, [{ kind, payload, ...opts }]);
}

/** Queues several rows in one statement (same transaction rule as enqueue). */
export async function enqueueMany(
  trx: Kysely<Database>, rows: { kind: string; payload: unknown; dedupeKey?: string; maxAttempts?: number; availableAt?: Date }[],
): Promise<void> {
  if (rows.length === 0) return;
  await trx.insertInto('outbox').values(rows.map((r) => ({
    kind: r.kind, payload: JSON.stringify(r.payload), dedupe_key: r.dedupeKey ?? null,
    ...(r.maxAttempts ? { max_attempts: r.maxAttempts } : {}), ...(r.availableAt ? { available_at: r.availableAt } : {}),
  })))
    .onConflict((oc) => oc.columns(['kind', 'dedupe_key']).where('dedupe_key', 'is not', null).doNothing())
    .execute();
  // Wakes listening workers when (and only if) the transaction commits: the payload names the kinds queued,
  // so a worker wakes only the lanes that handle them (an empty payload wakes every lane).
  await sql`SELECT pg_notify(${OUTBOX_CHANNEL}, ${announcedKinds(rows.map((r) => r.kind))})`.execute(trx);
}

/**
 * Inside the caller's transaction: marks a queued row (its kind and dedupe key) done without running it,
 * because the change it stood guard for did not happen (an upload that finished needs no clean-up). A row
 * a worker has already claimed is marked done too; its processor must still find nothing to do.
 */
export async function withdraw(trx: Kysely<Database>, kind: string, dedupeKey: string): Promise<void> {
  await trx.updateTable('outbox').set({ status: 'done', done_at: sql<Date>`now()`, locked_until: null, last_error: null })
    .where('kind', '=', kind).where('dedupe_key', '=', dedupeKey).where('status', '=', 'pending').execute();
}

/** A NOTIFY payload naming the kinds queued (sorted, each once; at most 7,000 bytes, else empty: every lane wakes). */
export function announcedKinds(kinds: string[]): string {
  const payload = [...new Set(kinds)].sort().join(',');
  return payload.length <= 7_000 ? payload : '';
}

/** The kinds a NOTIFY payload names; null when it names none (wake every lane). */
export function kindsAnnounced(payload: string): Set<string> | null {
  const kinds = payload.split(',').filter(Boolean);
  return kinds.length ? new Set(kinds) : null;
}

/** Options for one pass of the worker. */
export interface RunOptions {
  processors: readonly OutboxProcessor[];
  log: OutboxLog;
  /** The clock, for tests; by default the database's. */
  now?: Date;
  /** Rows claimed per pass. */
  limit?: number;
  leaseMs?: number;
  workerId?: string;
}

/** The kinds among these with a row due now and not held by a live claim (the worker's poll: one statement for every lane). */
export async function dueKinds(db: Kysely<Database>, kinds: string[], now?: Date): Promise<string[]> {
  if (!kinds.length) return [];
  const at = nowSql(now);
  const { rows } = await sql<{ kind: string }>`SELECT DISTINCT kind FROM outbox
    WHERE status = 'pending' AND available_at <= ${at} AND (locked_until IS NULL OR locked_until <= ${at}) AND kind = ANY(${sql.val(kinds)}::text[])`.execute(db);
  return rows.map((r) => r.kind);
}

/** What one pass did. */
export interface RunResult {
  claimed: number;
  done: number;
  failed: number;
  dead: number;
}

/** This process's worker name (host, process id, a random part). */
export const WORKER_ID = `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;

const nowSql = (now: Date | undefined): RawBuilder<Date> => (now ? sql<Date>`${now.toISOString()}::timestamptz` : sql<Date>`now()`);

/** The kinds some processor handles, each to its processor (a kind handled twice is a mistake). */
function byKind(processors: readonly OutboxProcessor[]): Map<string, OutboxProcessor> {
  const map = new Map<string, OutboxProcessor>();
  for (const p of processors) {
    for (const k of p.kinds) {
      const other = map.get(k);
      if (other && other !== p) throw new Error(`Outbox kind "${k}" is handled by both ${other.name} and ${p.name}`);
      map.set(k, p);
    }
  }
  return map;
}

/** Claims due rows of the given kinds for this worker (one statement; rows other workers hold are skipped). */
export async function claim(db: Kysely<Database>, kinds: string[], opts: { now?: Date; limit?: number; leaseMs?: number; workerId?: string } = {}): Promise<OutboxMessage[]> {
  if (kinds.length === 0) return [];
  const now = nowSql(opts.now);
  const lease = (opts.leaseMs ?? LEASE_MS) / 1000;
  const { rows } = await sql<{ id: number | string; kind: string; payload: unknown; attempts: number; max_attempts: number }>`
    UPDATE outbox SET attempts = attempts + 1, locked_by = ${opts.workerId ?? WORKER_ID},
      locked_until = ${now} + make_interval(secs => ${lease})
    WHERE id IN (
      SELECT id FROM outbox
      WHERE status = 'pending' AND available_at <= ${now} AND (locked_until IS NULL OR locked_until <= ${now})
        AND kind = ANY(${sql.val(kinds)}::text[])
      ORDER BY available_at, id
      LIMIT ${opts.limit ?? 20}
      FOR UPDATE SKIP LOCKED
    )
    RETURNING id, kind, payload, attempts, max_attempts`.execute(db);
  return rows
    .map((r) => ({
      id: Number(r.id), kind: r.kind, attempts: r.attempts, maxAttempts: r.max_attempts,
      payload: typeof r.payload === 'string' ? (JSON.parse(r.payload) as unknown) : r.payload,
    }))
    .sort((a, b) => a.id - b.id);
}

/** What is kept of an error: its code and message, cut short (the row is for operators, not for logs). */
function describeError(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown; name?: unknown };
  const text = `${typeof e?.name === 'string' ? e.name : 'Error'}${e?.code ? ` [${String(e.code)}]` : ''}: ${typeof e?.message === 'string' ? e.message : String(err)}`;
  return text.slice(0, 1000);
}

/**
 * One pass: claims due rows, runs each through its processor, and marks it done, due again later
 * (back-off) or dead. Returns what it did; 0 claimed means nothing was due for this worker.
 */
export async function runOutboxOnce(db: Kysely<Database>, opts: RunOptions): Promise<RunResult> {
  const processors = byKind(opts.processors);
  const workerId = opts.workerId ?? WORKER_ID;
  const leaseMs = opts.leaseMs ?? LEASE_MS;
  const claimed = await claim(db, [...processors.keys()], { ...opts, workerId, leaseMs });
  const result: RunResult = { claimed: claimed.length, done: 0, failed: 0, dead: 0 };
  const markDone = (ids: number[]) => db.updateTable('outbox')
    .set({ status: 'done', done_at: nowSql(opts.now), locked_until: null, last_error: null })
    // Only while the claim is still this worker's: if its lease lapsed and another took the row, that one decides.
    .where('id', 'in', ids).where('status', '=', 'pending').where('locked_by', '=', workerId).execute();
  // Processors that take rows together get them together, in one call; the rest one by one.
  const one: OutboxMessage[] = [];
  const together = new Map<OutboxProcessor, OutboxMessage[]>();
  for (const message of claimed) {
    const processor = processors.get(message.kind)!;
    if (processor.handleMany && claimed.length > 1) together.set(processor, [...(together.get(processor) ?? []), message]);
    else one.push(message);
  }
  for (const [processor, messages] of together) {
    if (messages.length === 1) { one.push(messages[0]!); continue; }
    const renew = renewWhileRunning(db, messages.map((m) => m.id), { ...opts, workerId, leaseMs });
    try {
      await processor.handleMany!(messages, { db, log: opts.log });
      clearInterval(renew);
      await markDone(messages.map((m) => m.id));
      result.done += messages.length;
    } catch {
      clearInterval(renew);
      // One of them may be at fault: each is tried on its own, and fails (or is retried) alone.
      one.push(...messages);
    }
  }
  one.sort((a, b) => a.id - b.id);
  for (const message of one) {
    const processor = processors.get(message.kind)!;
    // A long run (an import) keeps its claim: the lease is renewed while the processor works.
    const renew = renewWhileRunning(db, [message.id], { ...opts, workerId, leaseMs });
    try {
      await processor.handle(message, { db, log: opts.log });
      clearInterval(renew);
      await markDone([message.id]);
      result.done += 1;
    } catch (err) {
      clearInterval(renew);
      const dead = message.attempts >= message.maxAttempts;
      const delay = backoffMs(message.attempts);
      await db.updateTable('outbox')
        .set({
          status: dead ? 'dead' : 'pending', locked_until: null, locked_by: null, last_error: describeError(err),
          available_at: sql<Date>`${nowSql(opts.now)} + make_interval(secs => ${delay / 1000})`,
        })
        .where('id', '=', message.id).where('status', '=', 'pending').where('locked_by', '=', workerId).execute();
      if (dead) result.dead += 1;
      else result.failed += 1;
      // Ids and codes only: an error's message can quote personal data.
      opts.log[dead ? 'error' : 'warn']({
        outboxId: message.id, kind: message.kind, processor: processor.name, attempt: message.attempts, maxAttempts: message.maxAttempts,
        errorCode: (err as { code?: string }).code ?? 'unknown', ...(dead ? {} : { retryInMs: delay }),
      }, dead ? 'outbox work failed for the last time and is dead: see jigsaw outbox status' : 'outbox work failed and will be retried');
    }
  }
  return result;
}

/** Renews the claims on rows while their processor works (a long import keeps its claim). */
function renewWhileRunning(db: Kysely<Database>, ids: number[], opts: { now?: Date; workerId: string; leaseMs: number; log: OutboxLog }): NodeJS.Timeout {
  const renew = setInterval(() => {
    db.updateTable('outbox').set({ locked_until: sql<Date>`${nowSql(opts.now)} + make_interval(secs => ${opts.leaseMs / 1000})` })
      .where('id', 'in', ids).where('locked_by', '=', opts.workerId).where('status', '=', 'pending').execute()
      .catch((err: unknown) => opts.log.warn({ outboxIds: ids, errorCode: (err as { code?: string }).code ?? 'unknown' }, 'an outbox lease could not be renewed'));
  }, Math.max(1000, opts.leaseMs / 3));
  renew.unref();
  return renew;
}

/**
 * Frees the claims of a process that has gone. On PGlite one process owns the data directory, so
 * every claim found at start-up belongs to a process that died: it is released at once rather than
 * after its lease.
 */
export async function releaseStaleClaims(db: Kysely<Database>): Promise<number> {
  const res = await db.updateTable('outbox').set({ locked_until: null, locked_by: null })
    .where('status', '=', 'pending').where('locked_until', 'is not', null).executeTakeFirst();
  return Number(res.numUpdatedRows);
}

/** Removes finished rows older than the given age (the record of the change itself stays where it is). */
export async function pruneDone(db: Kysely<Database>, olderThanMs = 7 * 86_400_000): Promise<number> {
  const res = await db.deleteFrom('outbox').where('status', '=', 'done')
    .where('done_at', '<', sql<Date>`now() - make_interval(secs => ${olderThanMs / 1000})`).executeTakeFirst();
  return Number(res.numDeletedRows);
}

/** Counts by kind and status, for operators. */
export async function outboxStatus(db: Kysely<Database>) {
  const counts = await db.selectFrom('outbox')
    .select(['kind', 'status', (eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.min('available_at').as('next_due')])
    .groupBy(['kind', 'status']).orderBy('kind').orderBy('status').execute();
  const dead = await db.selectFrom('outbox').select(['id', 'kind', 'attempts', 'created_at', 'last_error'])
    .where('status', '=', 'dead').orderBy('id').limit(50).execute();
  return { counts: counts.map((c) => ({ ...c, n: Number(c.n) })), dead };
}

/** Puts dead rows (all, or the given ids) back in the queue with fresh attempts, due now. */
export async function retryDead(db: Kysely<Database>, ids?: number[]): Promise<number> {
  let q = db.updateTable('outbox')
    .set({ status: 'pending', attempts: 0, available_at: sql<Date>`now()`, locked_until: null, locked_by: null })
    .where('status', '=', 'dead');
  if (ids) q = q.where('id', 'in', ids.length ? ids : [-1]);
  const res = await q.executeTakeFirst();
  return Number(res.numUpdatedRows);
}

/** Runs passes until nothing due is left for these processors (the command line's way to finish its work). */
export async function runOutboxUntilIdle(db: Kysely<Database>, opts: RunOptions): Promise<RunResult> {
  const total: RunResult = { claimed: 0, done: 0, failed: 0, dead: 0 };
  for (;;) {
    const r = await runOutboxOnce(db, opts);
    if (r.claimed === 0) return total;
    total.claimed += r.claimed;
    total.done += r.done;
    total.failed += r.failed;
    total.dead += r.dead;
  }
}
