import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openDb } from '../../db/client.js';
import { migrateToLatest } from '../../db/migrate.js';

const cli = fileURLToPath(new URL('../../../bin/jigsaw.mjs', import.meta.url));
const partnership = (dir: string, ...args: string[]) =>
  spawnSync(process.execPath, [cli, 'partnership', ...args], { env: { ...process.env, DATA_DIR: dir, DATABASE_URL: '', LOG_LEVEL: 'silent' }, encoding: 'utf8', timeout: 90_000 });

describe('jigsaw partnership (CLI, PGlite data directory)', () => {
  it('lists partnerships, adds one for a new borough with the default configuration, and puts an organisation in a further partnership', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jigsaw-partnership-'));
    try {
      let d = await openDb({ dataDir: dir });
      await migrateToLatest(d.db);
      const police = await d.db.insertInto('organisation').values({ name: 'Synthetic Area Police', kind: 'police', borough: 'Northmere' }).returning('id').executeTakeFirstOrThrow();
      await d.close();

      const listed = partnership(dir, 'list');
      expect(listed.status, listed.stderr).toBe(0);
      expect(listed.stdout).toMatch(/northmere {2}Northmere/);
      expect(listed.stdout).toContain('areas: Northmere');
      expect(listed.stdout).toMatch(/organisations: 1; front door: not set; active rules: 6; alert escalation: 240 minutes/);

      expect(partnership(dir, 'add', '--code', 'eastbrook', '--name', 'Eastbrook').status).toBe(1); // no borough
      const bad = partnership(dir, 'add', '--code', 'East Brook', '--name', 'Eastbrook', '--borough', 'Eastbrook');
      expect(bad.status).toBe(1);
      expect(bad.stderr).toContain('--code must be 2 to 40 lowercase letters');
      const taken = partnership(dir, 'add', '--code', 'other', '--name', 'Other', '--borough', 'Northmere');
      expect(taken.status).toBe(1);
      expect(taken.stderr).toContain('"Northmere" is covered by partnership northmere already');
      const added = partnership(dir, 'add', '--code', 'eastbrook', '--name', 'Eastbrook Safeguarding Partnership', '--borough', 'Eastbrook', '--borough', 'Eastbrook Vale');
      expect(added.status, added.stderr).toBe(0);
      expect(added.stdout).toContain('Added partnership eastbrook');

      expect(partnership(dir, 'join', '--organisation', police.id, '--partnership', 'nowhere').stderr).toContain('No partnership has code "nowhere"');
      expect(partnership(dir, 'join', '--organisation', 'not-an-id', '--partnership', 'eastbrook').status).toBe(1);
      const joined = partnership(dir, 'join', '--organisation', police.id, '--partnership', 'eastbrook');
      expect(joined.status, joined.stderr).toBe(0);
      expect(joined.stdout).toContain('Synthetic Area Police joined Eastbrook Safeguarding Partnership');

      d = await openDb({ dataDir: dir });
      const east = await d.db.selectFrom('partnership').select(['id', 'name']).where('code', '=', 'eastbrook').executeTakeFirstOrThrow();
      const [areas, members, rules, retention, significant, history, audit] = await Promise.all([
        d.db.selectFrom('partnership_area').select('borough').where('partnership_id', '=', east.id).orderBy('borough').execute(),
        d.db.selectFrom('organisation_partnership').select('organisation_id').where('partnership_id', '=', east.id).execute(),
        d.db.selectFrom('rule').select('code').where('partnership_id', '=', east.id).where('active', '=', true).execute(),
        d.db.selectFrom('retention_rule').select('basis').where('partnership_id', '=', east.id).execute(),
        d.db.selectFrom('significant_event_type').select('event_type_code').where('partnership_id', '=', east.id).execute(),
        d.db.selectFrom('partnership_change').select(['setting', 'changed_by_operator', 'changed_by_user_id']).where('partnership_id', '=', east.id).orderBy('id').execute(),
        d.db.selectFrom('access_log').select(['route', 'user_id', 'action']).where('action', '=', 'partnership.configure').orderBy('id').execute(),
      ]);
      await d.close();
      expect(areas.map((a) => a.borough)).toEqual(['Eastbrook', 'Eastbrook Vale']);
      expect(members).toEqual([{ organisation_id: police.id }]);
      expect(rules).toHaveLength(6); // the default rule set (exposure to violence is the sixth)
      expect(retention).toHaveLength(2);
      expect(significant.map((s) => s.event_type_code)).toContain('arrest');
      expect(history).toEqual([
        { setting: 'created', changed_by_operator: true, changed_by_user_id: null },
        { setting: 'area', changed_by_operator: true, changed_by_user_id: null },
        { setting: 'area', changed_by_operator: true, changed_by_user_id: null },
        { setting: 'membership', changed_by_operator: true, changed_by_user_id: null },
      ]);
      expect(audit).toEqual([
        { route: 'jigsaw partnership add', user_id: null, action: 'partnership.configure' },
        { route: 'jigsaw partnership join', user_id: null, action: 'partnership.configure' },
      ]);

      const again = partnership(dir, 'list');
      expect(again.stdout).toMatch(/eastbrook {2}Eastbrook Safeguarding Partnership\n {2}areas: Eastbrook, Eastbrook Vale\n {2}organisations: 1;/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
