import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openDb } from '../../db/client.js';
import { migrateToLatest } from '../../db/migrate.js';
import { recordAccess } from '../../server/audit/record-access.js';

const cli = fileURLToPath(new URL('../../../bin/jigsaw.mjs', import.meta.url));
const verify = (dir: string) =>
  spawnSync(process.execPath, [cli, 'audit', 'verify'], { env: { ...process.env, DATA_DIR: dir, DATABASE_URL: '' }, encoding: 'utf8', timeout: 60_000 });

describe('jigsaw audit verify (CLI, PGlite data directory)', () => {
  it('passes on an untouched log and fails naming the entry altered directly in the database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jigsaw-audit-'));
    try {
      let d = await openDb({ dataDir: dir });
      await migrateToLatest(d.db);
      for (let i = 0; i < 5; i++) await recordAccess(d.db, { actor: null, action: 'person.read', route: `GET /x/${i}`, outcome: 'allowed' });
      await d.close();

      const good = verify(dir);
      expect(good.status, good.stderr).toBe(0);
      expect(good.stdout).toMatch(/5 entries, chain intact/);

      d = await openDb({ dataDir: dir });
      await sql.raw('ALTER TABLE access_log DISABLE TRIGGER USER').execute(d.db);
      await sql.raw(`UPDATE access_log SET outcome = 'denied' WHERE seq = 4`).execute(d.db);
      await sql.raw('ALTER TABLE access_log ENABLE TRIGGER USER').execute(d.db);
      await d.close();

      const bad = verify(dir);
      expect(bad.status).toBe(1);
      expect(bad.stderr).toMatch(/FAILED after 3 good entries: entry 4 \(id \d+\) has been altered/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
