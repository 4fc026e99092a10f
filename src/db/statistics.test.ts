import { sql, type Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { makeOrg, useTestDb } from '../../test/helpers.js';
import { importText, policeRecord, toJsonl } from '../../test/intake-helpers.js';
import type { Database } from './database.js';
import { StatisticsUpkeep } from './statistics.js';

/** The planner's row estimate for a table: -1 (PostgreSQL 14 and later) or 0 until it is first analysed. */
async function estimatedRows(db: Kysely<Database>, table: string): Promise<number> {
  const row = (await sql<{ n: number }>`SELECT reltuples::float8 AS n FROM pg_class WHERE oid = to_regclass(${table})`.execute(db)).rows[0];
  return Number(row!.n);
}

describe('planner statistics during a bulk load', () => {
  const t = useTestDb();

  it('an import analyses the tables it fills once it has stored a thousand records, not before', async () => {
    const org = await makeOrg(t.db, 'police');
    const first = Array.from({ length: 900 }, (_, i) => policeRecord(org.id, `S-A${i}`));
    const report = await importText(t.db, org.id, 'jsonl', 'first.jsonl', toJsonl(first), { chunkBudgetMs: Infinity, chunkSize: 300 });
    expect(report.accepted).toBe(900);
    // 900 records: below the first refresh, so the planner still knows nothing of these tables.
    expect(await estimatedRows(t.db, 'source_record')).toBeLessThanOrEqual(0);
    expect(await estimatedRows(t.db, 'event')).toBeLessThanOrEqual(0);

    const second = Array.from({ length: 300 }, (_, i) => policeRecord(org.id, `S-B${i}`));
    await importText(t.db, org.id, 'jsonl', 'second.jsonl', toJsonl(second), { chunkBudgetMs: Infinity, chunkSize: 300 });
    // A new import counts from nothing: 300 more records are not yet a refresh either.
    expect(await estimatedRows(t.db, 'source_record')).toBeLessThanOrEqual(0);

    const third = Array.from({ length: 1_100 }, (_, i) => policeRecord(org.id, `S-C${i}`));
    await importText(t.db, org.id, 'jsonl', 'third.jsonl', toJsonl(third), { chunkBudgetMs: Infinity, chunkSize: 300 });
    const sources = Number((await t.db.selectFrom('source_record').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
    const events = Number((await t.db.selectFrom('event').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
    // Analysed after the chunk that crossed 1,000 records (the fourth of 300): the tables as they were then.
    expect(await estimatedRows(t.db, 'source_record')).toBeGreaterThanOrEqual(sources - 200);
    expect(await estimatedRows(t.db, 'event')).toBeGreaterThanOrEqual(events - 200);
    expect(await estimatedRows(t.db, 'access_log')).toBeGreaterThan(0);
  });

  it('refreshes again only once the tables have grown by half since the last time', async () => {
    const upkeep = new StatisticsUpkeep(t.db, ['source_record']);
    const held = await estimatedRows(t.db, 'source_record');
    expect(held).toBeGreaterThan(1_000);
    // The first call reads the size at the last refresh; growth is counted from there.
    expect(await upkeep.loaded(Math.ceil(held / 2) - 1)).toBe(false);
    expect(await upkeep.loaded(1)).toBe(true);
    expect(await upkeep.loaded(1_000)).toBe(false);
  });

  it("refreshes only the application's tables, with a sample size in range", async () => {
    await expect(sql`SELECT refresh_planner_statistics('pg_catalog.pg_class'::regclass, 25)`.execute(t.db)).rejects.toThrow(/not a table of the application/);
    await expect(sql`SELECT refresh_planner_statistics('source_record'::regclass, 0)`.execute(t.db)).rejects.toThrow(/out of range/);
    await expect(sql`SELECT refresh_planner_statistics('source_record'::regclass, 20000)`.execute(t.db)).rejects.toThrow(/out of range/);
  });
});
