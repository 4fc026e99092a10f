import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { asOwner, TEST_ENGINE, useTestDb } from '../../../test/helpers.js';
import { recordAccess } from './record-access.js';
import { verifyAccessLog } from './verify-chain.js';

// Tampering needs a database of its own: the shared test database's log must stay intact.
describe(`tamper-evident access log on ${TEST_ENGINE}`, () => {
  const t = useTestDb({ isolated: 'jigsaw_chain' });

  const write = (n: number) =>
    Promise.all(
      Array.from({ length: n }, (_, i) =>
        recordAccess(t.db, { actor: null, action: 'person.read', route: `GET /test/${i}`, outcome: i % 3 ? 'allowed' : 'denied', detail: { i } }),
      ),
    );
  // Only the tables' owner can switch the append-only triggers off: the application's role cannot.
  const tamper = (statement: string) =>
    asOwner(t.db, async (owner) => {
      await sql.raw('ALTER TABLE access_log DISABLE TRIGGER USER').execute(owner);
      await sql.raw(statement).execute(owner);
      await sql.raw('ALTER TABLE access_log ENABLE TRIGGER USER').execute(owner);
    });

  it('chains concurrent writers into one unbroken sequence that verifies', async () => {
    await write(40);
    const rows = await t.db.selectFrom('access_log').select(['seq', 'prev_hash', 'hash']).orderBy('seq').execute();
    expect(rows.map((r) => Number(r.seq))).toEqual(rows.map((_, i) => i + 1));
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.prev_hash).toBe(rows[i - 1]!.hash);
    expect(await verifyAccessLog(t.db, 7)).toEqual({ ok: true, entries: rows.length });
  });

  it('names an entry whose content was changed directly in the database', async () => {
    await tamper(`UPDATE access_log SET route = route || ' (edited)' WHERE seq = 3`);
    const verdict = await verifyAccessLog(t.db);
    expect(verdict).toMatchObject({ ok: false, seq: 3 });
    expect(verdict.ok ? '' : verdict.reason).toMatch(/entry 3 \(id \d+\) has been altered/);
    await tamper(`UPDATE access_log SET route = replace(route, ' (edited)', '') WHERE seq = 3`); // put it back
    expect((await verifyAccessLog(t.db)).ok).toBe(true);
  });

  it('names a missing entry and a reordered one', async () => {
    await tamper(`DELETE FROM access_log WHERE seq = 10`);
    const missing = await verifyAccessLog(t.db);
    expect(missing).toMatchObject({ ok: false, seq: 10 });
    expect(missing.ok ? '' : missing.reason).toMatch(/entry 10 is missing/);
    await tamper(`UPDATE access_log SET seq = 10 WHERE seq = 11`);
    await tamper(`UPDATE access_log SET seq = 11 WHERE seq = 12`);
    const moved = await verifyAccessLog(t.db);
    expect(moved).toMatchObject({ ok: false, seq: 10 });
    expect(moved.ok ? '' : moved.reason).toMatch(/does not follow entry 9/);
  });
});
