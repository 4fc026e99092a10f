import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { canonicalSql } from '../../db/migrations/20261123140000_chain_access_log.js';

/** The outcome of checking the access log's hash chain. */
export type ChainVerdict =
  | { ok: true; entries: number }
  | { ok: false; entries: number; seq: number; id: number | null; reason: string };

const GENESIS = '0'.repeat(64);

/**
 * Walks the access log in chain order and recomputes every hash. Reports the first entry that
 * was changed (hash does not match its content), removed (a gap in the sequence or a broken
 * link) or moved (its previous-hash is not the hash of the entry before it).
 */
export async function verifyAccessLog(db: Kysely<Database>, batch = 5000): Promise<ChainVerdict> {
  let expectedSeq = 1;
  let previousHash = GENESIS;
  let checked = 0;
  for (;;) {
    const rows = await sql<{ id: number; seq: number; prev_hash: string; hash: string; canonical: string }>`
      SELECT a.id, a.seq, a.prev_hash, a.hash, ${sql.raw(canonicalSql('a'))} AS canonical
      FROM access_log a WHERE a.seq >= ${expectedSeq} ORDER BY a.seq LIMIT ${batch}`.execute(db);
    if (rows.rows.length === 0) return { ok: true, entries: checked };
    for (const r of rows.rows) {
      const seq = Number(r.seq);
      if (seq !== expectedSeq) {
        return { ok: false, entries: checked, seq: expectedSeq, id: null, reason: `entry ${expectedSeq} is missing: the log jumps from entry ${expectedSeq - 1} to entry ${seq} (id ${r.id})` };
      }
      if (r.prev_hash !== previousHash) {
        return { ok: false, entries: checked, seq, id: Number(r.id), reason: `entry ${seq} (id ${r.id}) does not follow entry ${seq - 1}: an entry was removed, reordered or rewritten` };
      }
      const computed = createHash('sha256').update(`${r.prev_hash}\u001e${r.canonical}`, 'utf8').digest('hex');
      if (computed !== r.hash) {
        return { ok: false, entries: checked, seq, id: Number(r.id), reason: `entry ${seq} (id ${r.id}) has been altered: its hash does not match its content` };
      }
      previousHash = r.hash;
      expectedSeq += 1;
      checked += 1;
    }
  }
}
