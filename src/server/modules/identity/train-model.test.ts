import { describe, expect, it } from 'vitest';
import { makeOrg, TEST_ENGINE, useTestDb } from '../../../../test/helpers.js';
import { incomingPerson, oneDigitAway } from '../../../../test/identity-helpers.js';
import { makeNhsNumber } from '../../../domain/identifiers.js';
import { seededRandom } from '../../../domain/matching/estimate.js';
import { trainAndStoreModel, TrainingRefused } from './commands/train-model.js';
import { activeModel } from './identity.model-store.js';
import { resolvePerson } from './resolve-person.js';

// Training stores the model every later import uses, so it runs on a database of its own.
describe(`training a model from the records held on ${TEST_ENGINE}`, () => {
  const t = useTestDb({ isolated: 'jigsaw_train' });

  it('refuses with a reason while too few agency records are held', async () => {
    const school = await makeOrg(t.db, 'school');
    await t.db.transaction().execute((trx) => resolvePerson(trx, incomingPerson(school.id)));
    await expect(trainAndStoreModel(t.db)).rejects.toThrow(TrainingRefused);
    await expect(trainAndStoreModel(t.db)).rejects.toThrow(/training needs at least 200/);
  });

  it('trains on agency records without labels, stores the new version as the one in use, and logs it', { timeout: 120_000 }, async () => {
    const school = await makeOrg(t.db, 'school');
    const gp = await makeOrg(t.db, 'gp');
    const before = await activeModel(t.db);
    const random = seededRandom(42);
    for (let i = 0; i < 130; i += 1) {
      const rec = incomingPerson(school.id, { identifiers: [{ scheme: 'nhs_number', value: makeNhsNumber((n) => Math.floor(random() * n)) }] });
      await t.db.transaction().execute((trx) => resolvePerson(trx, rec));
      // The GP's record of the same child: a typing error in the date of birth, the same NHS number.
      const health = { ...rec, organisationId: gp.id, sourceRecordId: `gp-${i}`, dateOfBirth: i % 5 === 0 ? oneDigitAway(rec.dateOfBirth!) : rec.dateOfBirth };
      await t.db.transaction().execute((trx) => resolvePerson(trx, health));
    }
    const report = await trainAndStoreModel(t.db, { now: new Date('2026-11-23T12:00:00Z') });
    expect(report.version).toBe('trained-20261123T120000');
    expect(report.records).toBeGreaterThanOrEqual(200);
    const [dob, ids] = report.sessions;
    expect(dob!.pairs).toBeGreaterThan(0);
    // The GP records linked to the school's person are the matches the identifier session finds.
    expect(ids!.expectedMatches).toBeGreaterThan(50);
    const now = await activeModel(t.db);
    expect(now.version).toBe(report.version);
    expect(now.version).not.toBe(before.version);
    // Thresholds are kept from the model in use; m is learnt: about one date of birth in five differs.
    expect(now.linkThreshold).toBe(before.linkThreshold);
    expect(now.comparisons.date_of_birth[0]!.m).toBeGreaterThan(0.6);
    expect(now.comparisons.date_of_birth[0]!.m).toBeLessThan(0.95);
    const log = await t.db.selectFrom('access_log').select(['action', 'person_id', 'detail']).where('action', '=', 'identity.train').execute();
    expect(log).toHaveLength(1);
    expect(log[0]!.person_id).toBeNull();
  });
});
