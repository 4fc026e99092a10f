import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/db/client.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { createApiKey } from '../../src/server/modules/api/api-key.js';
import { involve, makeOrg, makePerson, TEST_ENGINE } from '../helpers.js';
import { createScratchDatabase } from '../../src/db/scratch.js';

// Kills the real server process with SIGKILL in the middle of a burst of concurrent writes, starts
// it again on the same data, and checks that every write it acknowledged is there and that no
// write is visible in part. Runs on PGlite (a data directory) and on the PostgreSQL server (a
// scratch database), according to the test project.

const BIN = fileURLToPath(new URL('../../bin/jigsaw.mjs', import.meta.url));
const TOTAL_REQUESTS = 400;
const CONCURRENCY = 16;
const KILL_AFTER_ACKS = 60;

/** Starts `jigsaw serve` on a free port and resolves with its address once it listens. */
function startServer(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, 'serve'], {
    env: { ...process.env, ...env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'error' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /Jigsaw is running at http:\/\/[^:]+:(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: `http://127.0.0.1:${m[1]}` });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`server exited with ${code} before listening:\n${output}`)));
  });
}

const exited = (child: ChildProcess) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));

/** A fresh database for the run: a PGlite data directory, or a scratch database on the server. */
async function scratchDatabase(): Promise<{ env: NodeJS.ProcessEnv; open: () => Promise<Db>; drop: () => Promise<void> }> {
  if (TEST_ENGINE === 'postgres') {
    const scratch = await createScratchDatabase(process.env.DATABASE_URL!, `jigsaw_crash_${randomUUID().slice(0, 8)}`, { force: true });
    return { env: { DATABASE_URL: scratch.url }, open: () => openDb({ databaseUrl: scratch.url }), drop: () => scratch.drop() };
  }
  const dir = mkdtempSync(join(tmpdir(), 'jigsaw-crash-'));
  return {
    env: { DATA_DIR: dir, DATABASE_URL: '' },
    open: () => openDb({ dataDir: dir }),
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

describe(`crash during a bulk write on ${TEST_ENGINE}`, () => {
  it('keeps every acknowledged event, and no half-written one, after kill -9 and restart', async () => {
    const scratch = await scratchDatabase();
    let server: ChildProcess | undefined;
    try {
      // The world: a school, a child it works with, and the school's API key.
      const setup = await scratch.open();
      await migrateToLatest(setup.db);
      const school = await makeOrg(setup.db, 'school', 'Crashborough');
      const child = await makePerson(setup.db);
      await involve(setup.db, { personId: child.id, organisationId: school.id });
      const { key } = await createApiKey(setup.db, school.id, 'Crash test MIS');
      await setup.close(); // PGlite: release the directory for the server

      const first = await startServer(scratch.env);
      server = first.child;
      const acknowledged: string[] = [];
      let next = 0;
      let failed = 0;
      const post = (i: number) => fetch(`${first.url}/api/v1/people/${child.id}/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          eventTypeCode: 'missing_episode', occurredAt: '2025-06-01T10:00:00Z', occurredPrecision: 'time',
          summary: `Bulk entry ${i}`, sourceSystem: 'CrashTest', sourceRecordId: `bulk-${i}`, factorCodes: [],
        }),
      });
      const worker = async () => {
        while (next < TOTAL_REQUESTS) {
          const i = next++;
          try {
            const res = await post(i);
            if (res.status === 201) acknowledged.push(((await res.json()) as { id: string }).id);
            else failed++;
          } catch {
            failed++; // the connection died with the server
          }
          if (acknowledged.length >= KILL_AFTER_ACKS && server?.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      await exited(first.child);
      expect(first.child.signalCode).toBe('SIGKILL');
      expect(acknowledged.length).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
      expect(failed).toBeGreaterThan(0); // the kill really landed mid-burst

      if (scratch.env.DATA_DIR) {
        // The killed process could not release the data-directory lock; the restart must take it over.
        const lock = join(scratch.env.DATA_DIR, 'jigsaw.lock');
        expect(Number(readFileSync(lock, 'utf8'))).toBe(first.child.pid);
      }
      // Restart on the same data: it must come up, and serve every acknowledged entry.
      const second = await startServer(scratch.env);
      server = second.child;
      const res = await fetch(`${second.url}/api/v1/people/${child.id}/chronology?pageSize=500`, { headers: { authorization: `Bearer ${key}` } });
      expect(res.status).toBe(200);
      const served = ((await res.json()) as { entries: { id: string }[] }).entries.map((e) => e.id);
      expect(served).toEqual(expect.arrayContaining(acknowledged));
      second.child.kill('SIGTERM');
      await exited(second.child);
      server = undefined;

      const after = await scratch.open();
      try {
        const stored = await after.db.selectFrom('event').select('id').where('source_system', '=', 'CrashTest').execute();
        const ids = new Set(stored.map((e) => e.id));
        expect(acknowledged.filter((id) => !ids.has(id))).toEqual([]);
        // Nothing half-written: every stored event has its person link and its access-log row.
        const orphans = await after.db.selectFrom('event as e').select('e.id')
          .where('e.source_system', '=', 'CrashTest')
          .where((eb) => eb.not(eb.exists(eb.selectFrom('event_person as ep').select('ep.event_id').whereRef('ep.event_id', '=', 'e.id'))))
          .execute();
        expect(orphans).toEqual([]);
        const logged = await after.db.selectFrom('access_log').select(sql<string>`detail->>'eventId'`.as('eventId'))
          .where('action', '=', 'event.record').where('outcome', '=', 'allowed').where('person_id', '=', child.id).execute();
        const loggedIds = new Set(logged.map((r) => r.eventId));
        expect([...ids].filter((id) => !loggedIds.has(id))).toEqual([]);
        expect(loggedIds.size).toBe(ids.size);
        console.log(`crash (${TEST_ENGINE}): ${acknowledged.length} acknowledged, ${ids.size} stored, ${failed} cut off by the kill`);
      } finally {
        await after.close();
      }

      // The tamper-evident access log still verifies after the crash.
      const verify = spawnSync(process.execPath, [BIN, 'audit', 'verify'], { env: { ...process.env, ...scratch.env }, encoding: 'utf8', timeout: 120_000 });
      expect(verify.status, `${verify.stdout}\n${verify.stderr}`).toBe(0);
      expect(verify.stdout).toMatch(/chain intact/);
    } finally {
      if (server && server.exitCode === null && server.signalCode === null) {
        server.kill('SIGKILL');
        await exited(server);
      }
      await scratch.drop();
    }
  }, 240_000);
});
