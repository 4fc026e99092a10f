import { sql } from 'kysely';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { asOwner, makeEvent, makeOrg, makePerson, TEST_ENGINE, useTestDb } from '../../test/helpers.js';
import { openDb, type Db } from './client.js';
import { migrateAllDown, migrateToLatest } from './migrate.js';
import { createScratchDatabase } from './scratch.js';

describe(`database on ${TEST_ENGINE}`, () => {
  const h = useTestDb();

  it('refuses UPDATE and DELETE on the chronology and the access log, in the database itself', async () => {
    const org = await makeOrg(h.db);
    const person = await makePerson(h.db);
    const event = await makeEvent(h.db, { personId: person.id, organisationId: org.id });
    await h.db.insertInto('access_log').values({ action: 'person.read', route: 'TEST', outcome: 'allowed', roles: [] }).execute();
    // The application's role is not granted UPDATE or TRUNCATE on them, nor DELETE on the access log...
    const denied = /permission denied for table/;
    await expect(sql`UPDATE event SET summary = 'changed' WHERE id = ${event.id}`.execute(h.db)).rejects.toThrow(denied);
    await expect(sql`UPDATE access_log SET outcome = 'denied'`.execute(h.db)).rejects.toThrow(denied);
    await expect(sql`DELETE FROM access_log`.execute(h.db)).rejects.toThrow(denied);
    await expect(sql`TRUNCATE access_log`.execute(h.db)).rejects.toThrow(denied);
    // ...and the triggers refuse the DELETE it keeps for retention decisions, outside a decision.
    await expect(sql`DELETE FROM event WHERE id = ${event.id}`.execute(h.db)).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM event_person WHERE event_id = ${event.id}`.execute(h.db)).rejects.toThrow(/append-only/);
    // The triggers refuse even the tables' owner, who holds every privilege.
    for (const statement of [
      sql`UPDATE event SET summary = 'changed' WHERE id = ${event.id}`, sql`DELETE FROM event_person WHERE event_id = ${event.id}`,
      sql`UPDATE access_log SET outcome = 'denied'`, sql`DELETE FROM access_log`, sql`TRUNCATE access_log`,
    ]) {
      await expect(asOwner(h.db, (owner) => statement.execute(owner))).rejects.toThrow(/append-only/);
    }
    const still = await h.db.selectFrom('event').select('summary').where('id', '=', event.id).executeTakeFirstOrThrow();
    expect(still.summary).toBe('A synthetic test event');
  });

  it('loads vocabulary v1 at migration: at least 40 event types over the nine categories', async () => {
    const types = await h.db.selectFrom('event_type').select(['code', 'category']).where('vocabulary_version', '=', '1').execute();
    expect(types.length).toBeGreaterThanOrEqual(40);
    expect(new Set(types.map((t) => t.category)).size).toBe(9);
  });

  it('returns dates as YYYY-MM-DD text and counts as numbers on every engine', async () => {
    const person = await makePerson(h.db, { dob: '2011-02-28' });
    const row = await h.db.selectFrom('person').select('date_of_birth').where('id', '=', person.id).executeTakeFirstOrThrow();
    expect(row.date_of_birth).toBe('2011-02-28');
    const count = await h.db.selectFrom('person').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    expect(typeof count.n).toBe('number');
  });
});

describe('migrations', () => {
  it(`run up, down and up again on ${TEST_ENGINE}`, async () => {
    let target: Db;
    let cleanup = async () => {};
    if (TEST_ENGINE === 'postgres') {
      // A database of its own, so reverting does not disturb the tests sharing the test database.
      const scratch = await createScratchDatabase(process.env.DATABASE_URL!, `jigsaw_migrations_${process.pid}`);
      target = await openDb({ databaseUrl: scratch.url });
      cleanup = () => scratch.drop();
    } else {
      target = await openDb({ memory: true });
    }
    try {
      const up = await migrateToLatest(target.db);
      expect(up.length).toBeGreaterThanOrEqual(2);
      const down = await migrateAllDown(target.db);
      expect(down.length).toBe(up.length);
      const tables = await sql<{ n: number }>`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name = 'event'`.execute(target.db);
      expect(tables.rows[0]?.n).toBe(0);
      expect((await migrateToLatest(target.db)).length).toBe(up.length);
    } finally {
      await target.close();
      await cleanup();
    }
  });
});

describe('PGlite data directory', () => {
  it('persists across close and reopen, and refuses a second opener with a clear message', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jigsaw-lock-'));
    try {
      const first = await openDb({ dataDir: dir });
      await migrateToLatest(first.db);
      await makeOrg(first.db, 'police', 'Lockborough');
      await expect(openDb({ dataDir: dir })).rejects.toThrow(/already in use by another Jigsaw process/);
      // And a second process (the real CLI) is refused while the first holds the directory.
      const child = spawnSync(process.execPath, [fileURLToPath(new URL('../../bin/jigsaw.mjs', import.meta.url)), 'migrate'], {
        env: { ...process.env, DATA_DIR: dir, DATABASE_URL: '' }, encoding: 'utf8', timeout: 60_000,
      });
      expect(child.status).not.toBe(0);
      expect(child.stderr).toMatch(/already in use by another Jigsaw process \(pid \d+\)/);
      await first.close();
      const again = await openDb({ dataDir: dir });
      const orgs = await again.db.selectFrom('organisation').select('borough').execute();
      expect(orgs.map((o) => o.borough)).toEqual(['Lockborough']);
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
