import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Db } from '../../db/client.js';
import { backgroundWork } from '../../db/pglite-dialect.js';
import { dueKinds, OUTBOX_CHANNEL, kindsAnnounced, pruneDone, releaseStaleClaims, runOutboxOnce, type OutboxLog, type OutboxProcessor } from './outbox.js';

/** A running worker. */
export interface OutboxWorker {
  /** Runs a pass soon in the lanes handling these kinds (every lane without them), as a NOTIFY does. */
  wake(kinds?: Iterable<string>): void;
  /** Stops after the pass in progress; resolves when it has. */
  stop(): Promise<void>;
}

const PRUNE_EVERY_MS = 3_600_000;

/**
 * The processor, giving the event loop a turn before each piece of work. On PGlite the database runs
 * on this thread and its statements never wait for I/O, so a pass of back-to-back work (twenty rule
 * runs) would otherwise hold every request, /health included, until it ended.
 */
function takingTurns(p: OutboxProcessor): OutboxProcessor {
  const handleMany = p.handleMany;
  return {
    ...p,
    handle: async (message, ctx) => {
      await nextTurn();
      await p.handle(message, ctx);
    },
    ...(handleMany ? {
      handleMany: async (messages: Parameters<NonNullable<OutboxProcessor['handleMany']>>[0], ctx: Parameters<OutboxProcessor['handle']>[1]) => {
        await nextTurn();
        await handleMany.call(p, messages, ctx);
      },
    } : {}),
  };
}

/**
 * Runs the outbox in this process until stopped: a pass whenever a committed row is announced
 * (LISTEN/NOTIFY, on both engines), and, every pollMs, one statement asks which kinds have work due
 * (an announcement missed, a retry fallen due, a lapsed lease) and wakes only their lanes. Each
 * processor has its own lane, so a long import does not hold up the rules. Several processes may run
 * one each against the same server.
 */
export async function startOutboxWorker(d: Db, opts: { processors: readonly OutboxProcessor[]; log: OutboxLog; pollMs?: number }): Promise<OutboxWorker> {
  const pollMs = opts.pollMs ?? 1000;
  if (d.engine === 'pglite') {
    const released = await releaseStaleClaims(d.db);
    if (released) opts.log.warn({ released }, 'outbox work claimed by an earlier process was released to run again');
  }
  let stopped = false;
  // One lane per processor, so a long piece of work (an import) never holds up another kind (the rules).
  const lanes = opts.processors.map((p) => ({ processors: [takingTurns(p)], kinds: new Set(p.kinds), pending: false, wakeUp: null as (() => void) | null }));
  // A lane wakes for the kinds it handles: an import's chunks announce their entries, and only the lanes
  // that handle those claim (every lane claiming on every commit cost a statement per lane per chunk).
  const wake = (kinds?: Iterable<string>) => {
    const wanted = kinds ? new Set(kinds) : null;
    for (const lane of lanes) {
      if (wanted && ![...wanted].some((k) => lane.kinds.has(k))) continue;
      lane.pending = true;
      lane.wakeUp?.();
    }
  };
  let unlisten: (() => Promise<void>) | null = null;
  try {
    unlisten = await d.listen(OUTBOX_CHANNEL, (payload) => wake(kindsAnnounced(payload) ?? undefined));
  } catch (err) {
    opts.log.warn({ errorCode: (err as { code?: string }).code ?? 'unknown' }, 'the outbox worker cannot listen for new work, so it polls');
  }
  let lastPrune = 0;
  const allKinds = [...new Set(lanes.flatMap((lane) => [...lane.kinds]))];
  // One poll for every lane (not a claim per lane): the kinds with work due now.
  const poll = async () => {
    while (!stopped) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollMs);
        stopPolling = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      stopPolling = null;
      if (stopped) return;
      try {
        const due = await dueKinds(d.db, allKinds);
        if (due.length) wake(due);
      } catch (err) {
        opts.log.error({ errorCode: (err as { code?: string }).code ?? 'unknown' }, 'an outbox poll failed');
      }
    }
  };
  let stopPolling: (() => void) | null = null;
  const run = async (lane: (typeof lanes)[number]) => {
    while (!stopped) {
      lane.pending = false;
      let claimed = 0;
      try {
        claimed = (await runOutboxOnce(d.db, { processors: lane.processors, log: opts.log, ...(lane.processors[0]?.batchSize ? { limit: lane.processors[0].batchSize } : {}) })).claimed;
        if (Date.now() - lastPrune > PRUNE_EVERY_MS) {
          lastPrune = Date.now();
          await pruneDone(d.db);
        }
      } catch (err) {
        opts.log.error({ errorCode: (err as { code?: string }).code ?? 'unknown' }, 'an outbox pass failed');
      }
      if (stopped) continue;
      if (claimed > 0 || lane.pending) {
        // Other requests (and the other lanes) get a turn between passes.
        await nextTurn();
        continue;
      }
      await new Promise<void>((resolve) => {
        lane.wakeUp = resolve;
      });
      lane.wakeUp = null;
      // Woken from idle: a processor that gathers waits a moment, so a stream of commits (an import's
      // chunks) is taken in one pass rather than one each; only stopping cuts the wait short.
      const gather = lane.processors[0]?.gatherMs ?? 0;
      if (gather > 0 && !stopped) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, gather);
          lane.wakeUp = () => {
            if (!stopped) return;
            clearTimeout(timer);
            resolve();
          };
        });
        lane.wakeUp = null;
      }
    }
  };
  // Background work: on PGlite a request waiting for the one connection goes before it (pglite-dialect.ts).
  const loop = Promise.all([...lanes.map((lane) => backgroundWork.run(true, () => run(lane))), backgroundWork.run(true, poll)]);
  return {
    wake,
    async stop() {
      stopped = true;
      for (const lane of lanes) lane.wakeUp?.();
      stopPolling?.();
      await loop;
      await unlisten?.().catch(() => {});
    },
  };
}
