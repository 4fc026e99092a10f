import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openDb } from '../../db/client.js';
import { migrateToLatest } from '../../db/migrate.js';
import { enqueue } from '../../server/outbox/outbox.js';

const cli = fileURLToPath(new URL('../../../bin/jigsaw.mjs', import.meta.url));
const outbox = (dir: string, ...args: string[]) =>
  spawnSync(process.execPath, [cli, 'outbox', ...args], { env: { ...process.env, DATA_DIR: dir, DATABASE_URL: '', LOG_LEVEL: 'silent' }, encoding: 'utf8', timeout: 60_000 });

describe('jigsaw outbox (CLI, PGlite data directory)', () => {
  it('shows dead work with its last error and puts it back in the queue on request', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jigsaw-outbox-'));
    try {
      let d = await openDb({ dataDir: dir });
      await migrateToLatest(d.db);
      await d.db.transaction().execute(async (trx) => {
        await enqueue(trx, 'chronology.entries_recorded', { eventIds: [], personIds: [] });
        await enqueue(trx, 'example.notify', { n: 1 });
      });
      const dead = await d.db.updateTable('outbox').set({ status: 'dead', attempts: 8, last_error: 'Error [ECONNREFUSED]: the mail relay refused the connection' })
        .where('kind', '=', 'example.notify').returning('id').executeTakeFirstOrThrow();
      await d.close();

      const status = outbox(dir, 'status');
      expect(status.status, status.stderr).toBe(0);
      expect(status.stdout).toMatch(/chronology\.entries_recorded\s+pending\s+1/);
      expect(status.stdout).toMatch(/example\.notify\s+dead\s+1/);
      expect(status.stdout).toContain(`${dead.id}  example.notify  8 attempts`);
      expect(status.stdout).toContain('last error: Error [ECONNREFUSED]: the mail relay refused the connection');

      expect(outbox(dir, 'retry').status).toBe(1); // which items: ids or --all
      const retried = outbox(dir, 'retry', String(dead.id));
      expect(retried.status, retried.stderr).toBe(0);
      expect(retried.stdout).toMatch(/1 dead item\(s\) put back in the queue/);

      // `run` does the work it has processors for; the example kind has none, so it stays queued.
      const ran = outbox(dir, 'run');
      expect(ran.status, ran.stderr).toBe(0);
      expect(ran.stdout).toMatch(/ran 1 item\(s\): 1 done, 0 to be retried, 0 dead/);

      d = await openDb({ dataDir: dir });
      const rows = await d.db.selectFrom('outbox').select(['kind', 'status', 'attempts']).orderBy('id').execute();
      await d.close();
      expect(rows).toEqual([{ kind: 'chronology.entries_recorded', status: 'done', attempts: 1 }, { kind: 'example.notify', status: 'pending', attempts: 0 }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
