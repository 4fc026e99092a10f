import { Migrator, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openDb } from '../../../db/client.js';
import { migrateToLatest } from '../../../db/migrate.js';
import { migrations } from '../../../db/migrations/index.js';
import { evidenceKey } from '../../../domain/rules/evaluate.js';
import { runFullPass } from '../considerations/run-rules.js';

describe('the migration that gives each partnership its own configuration (upgrading a database with data, PGlite)', () => {
  it('copies the rules with their history, the retention rules and the baseline to every existing partnership, and raises nothing again', async () => {
    const d = await openDb({ memory: true });
    try {
      const m = new Migrator({
        db: d.db, provider: { getMigrations: async () => migrations }, migrationTableName: 'kysely_migration', migrationLockTableName: 'kysely_migration_lock', allowUnorderedMigrations: true,
      });
      const before = await m.migrateTo('20261128000000_partnerships_and_alerts');
      expect(before.error).toBeUndefined();
      const q = (text: string) => sql.raw(text).execute(d.db);
      // Two boroughs (two partnerships), a baseline, a child in the second with a consideration already raised under a starter rule.
      await q(`INSERT INTO organisation (id, name, kind, borough) VALUES ('00000000-0000-4000-8000-000000000001', 'Synthetic Police', 'police', 'Alphavale'), ('00000000-0000-4000-8000-000000000002', 'Synthetic School', 'school', 'Betavale')`);
      await q(`INSERT INTO population_baseline (dimension, category, children, source) VALUES ('sex', 'female', 100, 'Synthetic'), ('sex', 'male', 110, 'Synthetic')`);
      await q(`INSERT INTO person (id, date_of_birth, sex) VALUES ('00000000-0000-4000-8000-0000000000a1', '2012-01-01', 'male')`);
      await q(`INSERT INTO person_address (person_id, line1, borough, valid_from) VALUES ('00000000-0000-4000-8000-0000000000a1', '1 Test Row', 'Betavale', '2020-01-01')`);
      await q(`INSERT INTO event (id, event_type_code, vocabulary_version, occurred_at, occurred_precision, recorded_at, recorded_via, organisation_id, source_system, source_record_id, summary, factor_codes)
        VALUES ('00000000-0000-4000-8000-0000000000e1', 'witness_to_serious_violence', '1', now() - interval '3 days', 'date', now(), 'synthetic', '00000000-0000-4000-8000-000000000001', 'S', '1', 'Synthetic', '{}')`);
      await q(`INSERT INTO event_person (event_id, person_id, role) VALUES ('00000000-0000-4000-8000-0000000000e1', '00000000-0000-4000-8000-0000000000a1', 'subject')`);
      await q(`INSERT INTO consideration (person_id, rule_version_id, evidence_key, matched_event_ids, explanation, recipient_kind, created_via)
        SELECT '00000000-0000-4000-8000-0000000000a1', v.id, '${evidenceKey(['00000000-0000-4000-8000-0000000000e1'])}', ARRAY['00000000-0000-4000-8000-0000000000e1']::uuid[], 'Synthetic', 'unrouted', 'full_pass'
        FROM rule_version v JOIN rule r ON r.id = v.rule_id WHERE r.code = 'violent_bereavement_or_witness'`);

      await migrateToLatest(d.db);
      const per = await q(`SELECT p.code,
          (SELECT count(*)::int FROM rule r WHERE r.partnership_id = p.id) AS rules,
          (SELECT count(*)::int FROM rule_version v JOIN rule r ON r.id = v.rule_id WHERE r.partnership_id = p.id AND v.change_reason = 'Starter rule') AS versions,
          (SELECT count(*)::int FROM population_baseline b WHERE b.partnership_id = p.id) AS baseline,
          (SELECT count(*)::int FROM retention_rule x WHERE x.partnership_id = p.id) AS retention
        FROM partnership p ORDER BY p.code`);
      expect(per.rows).toEqual([
        { code: 'alphavale', rules: 6, versions: 6, baseline: 2, retention: 2 },
        { code: 'betavale', rules: 6, versions: 6, baseline: 2, retention: 2 },
      ]);
      expect((await q(`SELECT count(*)::int AS n FROM rule WHERE partnership_id IS NULL`)).rows).toEqual([{ n: 6 }]); // the default set (exposure to violence is the sixth)
      const pass = await runFullPass(d.db);
      expect(pass).toMatchObject({ matches: 1, created: 0, alreadyRaised: 1, withoutPartnership: 0 });
    } finally {
      await d.close();
    }
  }, 120_000);
});
