import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import { enqueue, type OutboxProcessor } from '../../outbox/outbox.js';
import { recordAccess } from '../../audit/record-access.js';

// Refusals of requests nobody is authenticated for (a malformed or unknown API key, a sign-in
// attempt made while throttled, an OIDC callback matching no sign-in) would otherwise each write a
// permanent, hash-chained access-log row: anyone could grow the log without limit. Instead they are
// counted per address per window in unauthenticated_refusal. The first refusal from an address in a window is logged as before (with
// its reason); the rest are counted, and when the window ends an outbox row summarises them into
// one access-log row (how many, for which reasons). Past REFUSAL_LIMIT refusals in a window the
// address is answered 429 until the window ends.

/** The length of a counting window. */
export const REFUSAL_WINDOW_SECONDS = 300;
/** Refusals from one address in a window before it is answered 429 (a right key still works). */
export const REFUSAL_LIMIT = 20;
/** The outbox kind that writes a window's summary. */
export const REFUSAL_SUMMARY_KIND = 'audit.refusal_summary';

/** What the caller knows of the refused request. */
export interface RefusedRequest {
  ip: string;
  /** The route pattern, as the access log records routes ("GET /api/v1/people/:personId"). */
  route: string;
  requestId: string;
}

/** The result of counting a refusal: whether the address is past its limit, and until when. */
export interface RefusalCount {
  count: number;
  limited: boolean;
  retryAfterSeconds: number;
}

/** The window a moment falls in. */
export function refusalWindow(now: Date): { start: Date; end: Date } {
  const ms = REFUSAL_WINDOW_SECONDS * 1000;
  const start = Math.floor(now.getTime() / ms) * ms;
  return { start: new Date(start), end: new Date(start + ms) };
}

/**
 * Counts a refusal for an unauthenticated request. The first in its address's window writes its
 * access-log row (with `reason` and `detail`) and queues the window's summary, in one transaction.
 */
export async function countUnauthenticatedRefusal(
  db: Kysely<Database>,
  request: RefusedRequest,
  reason: string,
  detail: Record<string, unknown> = {},
  now: Date = new Date(),
): Promise<RefusalCount> {
  const window = refusalWindow(now);
  return db.transaction().execute(async (trx) => {
    const row = await sql<{ count: number }>`
      INSERT INTO unauthenticated_refusal AS r (ip, window_start, count, reasons, route)
      VALUES (${request.ip}, ${window.start.toISOString()}::timestamptz, 1, jsonb_build_object(${reason}::text, 1), ${request.route})
      ON CONFLICT (ip, window_start) DO UPDATE SET
        count = r.count + 1,
        reasons = r.reasons || jsonb_build_object(${reason}::text, coalesce((r.reasons ->> ${reason}::text)::int, 0) + 1)
      RETURNING count`.execute(trx);
    const count = row.rows[0]!.count;
    if (count === 1) {
      await recordAccess(trx, {
        actor: null, action: 'request.refused', route: request.route, outcome: 'denied', requestId: request.requestId,
        detail: { reason, ...detail, address: request.ip, window: { from: window.start.toISOString(), to: window.end.toISOString() } },
      });
      await enqueue(trx, REFUSAL_SUMMARY_KIND, { ip: request.ip, windowStart: window.start.toISOString() }, { availableAt: window.end });
    }
    const limited = count > REFUSAL_LIMIT;
    return { count, limited, retryAfterSeconds: limited ? Math.max(1, Math.ceil((window.end.getTime() - now.getTime()) / 1000)) : 0 };
  });
}

/**
 * Writes one access-log row summarising a window's refusals (when there was more than the first,
 * which was logged when it happened), then forgets the window's counter. Idempotent: a window already summarised has no row.
 */
export const refusalSummaryProcessor: OutboxProcessor = {
  name: 'refusal-summary',
  kinds: [REFUSAL_SUMMARY_KIND],
  async handle(message, ctx) {
    const { ip, windowStart } = message.payload as { ip: string; windowStart: string };
    await ctx.db.transaction().execute(async (trx) => {
      const row = await trx.deleteFrom('unauthenticated_refusal')
        .where('ip', '=', ip).where('window_start', '=', new Date(windowStart))
        .returning(['count', 'reasons', 'route'])
        .executeTakeFirst();
      if (!row || row.count <= 1) return;
      const from = new Date(windowStart);
      await recordAccess(trx, {
        actor: null, action: 'request.refused', route: row.route, outcome: 'denied',
        detail: {
          // Every refusal from the address in the window, the first (logged on its own) included.
          reason: 'summary', address: ip, total: row.count, reasons: row.reasons,
          window: { from: from.toISOString(), to: refusalWindow(from).end.toISOString() },
        },
      });
    });
  },
};
