import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { makeOrg, TEST_ENGINE, useTestDb } from '../../../../test/helpers.js';
import { incomingPerson, oneDigitAway } from '../../../../test/identity-helpers.js';
import { makeNhsNumber } from '../../../domain/identifiers.js';
import { seededRandom } from '../../../domain/matching/estimate.js';
import { trainAndStoreModel, TrainingRefused } from './commands/train-model.js';
import type { Label } from './identity.labels.js';
import { printTrainingReport } from '../../../cli/commands/identity.js';
import { defaultModel } from '../../../domain/matching/model.js';
import { activeModel } from './identity.model-store.js';
import { DOB_SESSION_PAIRS, trainLinkageModel } from './identity.train.js';
import { recordFromIncoming } from './incoming.js';
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

  it('warns on and refuses to store an implausible prior: records that were all new people teach no prior', { timeout: 120_000 }, async () => {
    const school = await makeOrg(t.db, 'school');
    await t.db.transaction().execute(async (trx) => {
      // Each its own date of birth: the date-of-birth session has no pairs, so nothing to learn the prior from.
      for (let i = 0; i < 220; i += 1) {
        await resolvePerson(trx, incomingPerson(school.id, { dateOfBirth: new Date(Date.UTC(1990, 0, 1) + i * 86_400_000).toISOString().slice(0, 10) }));
      }
    });
    const before = await activeModel(t.db);
    const refused = await trainAndStoreModel(t.db, { now: new Date('2026-11-22T12:00:00Z') }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TrainingRefused);
    expect((refused as TrainingRefused).message).toMatch(/^Not stored: the learnt prior \(lambda .*\) means each agency record would match .* a plausible prior gives between 0.001 and 10/);
    expect((refused as TrainingRefused).report?.stored).toBe(false);
    expect((await activeModel(t.db)).version).toBe(before.version);
    // The run read agency records, so it is on the access log, marked as not stored.
    const log = await t.db.selectFrom('access_log').select(['detail']).where('action', '=', 'identity.train').execute();
    expect(log.map((l) => (l.detail as { stored: boolean; version: string }))).toEqual([expect.objectContaining({ stored: false, version: 'trained-20261122T120000' })]);
  });

  it('keeps the weights of a comparison the records do not hold, shows both models side by side, and scores both against labels', { timeout: 120_000 }, async () => {
    const school = await makeOrg(t.db, 'school');
    const gp = await makeOrg(t.db, 'gp');
    const before = await activeModel(t.db);
    const labels: Label[] = [];
    await t.db.transaction().execute(async (trx) => {
      for (let i = 0; i < 90; i += 1) {
        const rec = incomingPerson(school.id, { givenNames: i % 2 ? 'Ashton' : 'Kemi' });
        await resolvePerson(trx, rec);
        // The GP's record of the same child, without any identifier; one in six with another forename.
        const health = { ...rec, organisationId: gp.id, sourceRecordId: `gp-${i}`, givenNames: i % 6 === 0 ? 'Precious' : rec.givenNames };
        await resolvePerson(trx, health);
        labels.push({ organisationId: school.id, sourceSystem: null, sourceRecordId: rec.sourceRecordId, label: `child-${i}` });
        labels.push({ organisationId: gp.id, sourceSystem: 'TestMIS', sourceRecordId: `gp-${i}`, label: `child-${i}` });
      }
    });
    const report = await trainAndStoreModel(t.db, { now: new Date('2026-11-22T13:00:00Z'), labels });
    expect(report.stored).toBe(true);
    expect(report.priorProblem).toBeNull();
    // No agency record holds an identifier: the identifier keeps its weights (an agreeing NHS number +16.1 bits).
    expect(report.kept).toContain('identifier');
    const nhs = report.levels.find((l) => l.comparison === 'identifier' && l.level === 'national_agrees')!;
    expect(nhs.before).toBeGreaterThan(16);
    expect(nhs.after).toBe(nhs.before);
    const stored = await activeModel(t.db);
    expect(stored.comparisons.identifier).toEqual(before.comparisons.identifier);
    // Comparisons the records hold are learnt, and the report shows the model in use beside the new one.
    expect(report.previous.version).toBe(before.version);
    // (Without identifiers there is no session to learn the date of birth from either: it is kept too.)
    expect(report.kept).toContain('date_of_birth');
    const forename = report.levels.find((l) => l.comparison === 'forename' && l.level === 'exact')!;
    expect(forename.after).not.toBe(forename.before);
    // Labels: 90 pairs of the same child, scored by the model in use and by the new one.
    expect(report.labelled).toMatchObject({ records: 180, notFound: 0 });
    expect(report.labelled!.before.truePairs).toBe(90);
    expect(report.labelled!.after.truePairs).toBe(90);
    // What `jigsaw identity train` prints: each level's weight in the model in use and in the new one, and F1 before and after.
    const lines: string[] = [];
    printTrainingReport(report, (l) => lines.push(l));
    expect(lines).toContainEqual(expect.stringMatching(/^identifier national_agrees\s+16\.\d\d\s+16\.\d\d {2}\(kept: too few values held to learn\)$/));
    expect(lines).toContainEqual(expect.stringMatching(/^F1 of automatic links: before \d\.\d{4} \(precision .*\); after \d\.\d{4} /));
    for (const s of [report.labelled!.before, report.labelled!.after]) {
      expect(s.f1).toBeGreaterThan(0.5);
      expect(s.f1).toBeLessThanOrEqual(1);
    }
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
    const log = await t.db.selectFrom('access_log').select(['action', 'person_id', 'detail']).where('action', '=', 'identity.train')
      .where(sql<boolean>`detail->>'version' = ${report.version}`).execute();
    expect(log).toHaveLength(1);
    expect(log[0]!.person_id).toBeNull();
  });

  it('bounds the date-of-birth session: records are taken in order until their pairs reach the limit', async () => {
    const school = await makeOrg(t.db, 'school');
    // Twelve children born on a day no other test uses.
    const dob = '1987-03-19';
    await t.db.transaction().execute(async (trx) => {
      for (let i = 0; i < 12; i += 1) await resolvePerson(trx, incomingPerson(school.id, { dateOfBirth: dob }));
    });
    const records = Array.from({ length: 5 }, () => recordFromIncoming(incomingPerson(school.id, { dateOfBirth: dob })));
    const session = async (dobSessionPairs?: number) =>
      (await trainLinkageModel(t.db, records, { base: defaultModel(), version: 'bounded', ...(dobSessionPairs ? { dobSessionPairs } : {}) })).report.sessions[0]!;
    // Unbounded (the default limit is far above): every record against the twelve.
    expect(await session()).toMatchObject({ name: 'date_of_birth', pairs: 5 * 12 });
    // A limit of 20: the first record makes 12 pairs, the second reaches 24, and no more are taken.
    expect(await session(20)).toMatchObject({ name: 'date_of_birth', pairs: 2 * 12 });
    expect(DOB_SESSION_PAIRS).toBeGreaterThan(5 * 12);
  });
});
