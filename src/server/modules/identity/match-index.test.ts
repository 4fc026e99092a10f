import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../db/database.js';
import { bestCandidates, blockingKeys, NAME_ONLY_MAX_BLOCK } from '../../../domain/matching/blocking.js';
import { prepareRecord } from '../../../domain/matching/prepare.js';
import type { MatchRecord } from '../../../domain/matching/types.js';
import { seedBorough } from '../../../synthetic/seed.js';
import { generateWorld, referenceDateOn } from '../../../synthetic/world.js';
import { makePerson, TEST_ENGINE, useTestDb } from '../../../../test/helpers.js';
import { findCandidates, holderList, keyHoldersSql, keyWithinLimit, loadMatchRecords } from './identity.candidates.js';
import { indexMissingPeople, indexPeople, rebuildMatchIndex, writeIndexEntries } from './match-index.js';

// A borough of its own, so the seed does not collide with other tests on a shared server database.
const options = { children: 12, seed: 23, borough: `Matchford ${randomUUID().slice(0, 8)}` };

const keysOf = async (db: Kysely<Database>, personId: string) =>
  (await db.selectFrom('person_match_key').select('key').where('person_id', '=', personId).execute()).map((r) => r.key).sort();

const blank: MatchRecord = { givenNames: null, familyName: null, otherNames: [], dateOfBirth: null, sex: 'not_known', postcode: null, addressLine: null, identifiers: [] };

/**
 * Runs `fn` while no other session can add people (a shared server database runs other test files at
 * the same time), so "nobody is left without keys" means the same before and after.
 */
const withPeopleSettled = <T>(db: Kysely<Database>, fn: (trx: Kysely<Database>) => Promise<T>) =>
  db.transaction().execute(async (trx) => {
    await sql`LOCK TABLE person IN SHARE MODE`.execute(trx);
    return fn(trx);
  });

describe(`the match index on ${TEST_ENGINE}`, () => {
  // Rebuilds the whole index, which other files' people would change under it: a database of its own.
  const t = useTestDb({ isolated: 'match_index' });
  const now = new Date();
  const world = generateWorld({ ...options, referenceDate: referenceDateOn(now) });
  // A demo child with a date of birth, a legal name and an identifier.
  let demo: { id: string; record: MatchRecord };

  beforeAll(async () => {
    const report = await seedBorough(t.db, { ...options, now });
    expect(report.people).toBe(world.people.length);
    const withId = new Set(world.identifiers.map((i) => i.person_id));
    const records = await loadMatchRecords(t.db, world.people.filter((p) => p.date_of_birth && withId.has(p.id)).map((p) => p.id));
    const [id, record] = [...records].find(([, r]) => r.givenNames && r.familyName && r.identifiers.length > 0)!;
    demo = { id, record };
  });

  it('stores the keys of every person the seeder creates', async () => {
    const unindexed = await t.db.selectFrom('person').select('id')
      .where('id', 'in', world.people.map((p) => p.id))
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('person_match_key as k').select('k.person_id').whereRef('k.person_id', '=', 'person.id'))))
      .execute();
    expect(unindexed).toEqual([]);
    expect(await keysOf(t.db, demo.id)).toEqual(blockingKeys(prepareRecord(demo.record)).sort());
    // And the profile the matcher reads is the person as held.
    const profile = await t.db.selectFrom('person_match_profile').select('record').where('person_id', '=', demo.id).executeTakeFirstOrThrow();
    expect(profile.record).toEqual(demo.record);
  });

  it('finds a demo person by identifier, and by date of birth and name, only once their keys are stored', async () => {
    const byIdentifier: MatchRecord = { ...blank, identifiers: [demo.record.identifiers[0]!] };
    const byBirthAndName: MatchRecord = { ...blank, givenNames: demo.record.givenNames, familyName: demo.record.familyName, dateOfBirth: demo.record.dateOfBirth };
    const found = async () => (await findCandidates(t.db, [byIdentifier, byBirthAndName])).map((list) => list.map((c) => c.personId));

    // A person written before the index existed: no keys or profile, so no fallback query finds them.
    await t.db.deleteFrom('person_match_key').where('person_id', '=', demo.id).execute();
    await t.db.deleteFrom('person_match_profile').where('person_id', '=', demo.id).execute();
    const before = await found();
    expect(before[0]).not.toContain(demo.id);
    expect(before[1]).not.toContain(demo.id);

    const [first, second] = await withPeopleSettled(t.db, async (trx) => [await indexMissingPeople(trx), await indexMissingPeople(trx)]);
    expect(first).toBeGreaterThanOrEqual(1);
    expect(second).toBe(0);
    const after = await found();
    expect(after[0]).toContain(demo.id);
    expect(after[1]).toContain(demo.id);

    // Each candidate comes prepared, once per person however many records of the batch found it.
    const candidates = await findCandidates(t.db, [byIdentifier, byBirthAndName]);
    const a = candidates[0]!.find((c) => c.personId === demo.id)!;
    const b = candidates[1]!.find((c) => c.personId === demo.id)!;
    expect(a.prepared).toEqual(prepareRecord(demo.record));
    expect(b.prepared).toBe(a.prepared);
  });

  it('writes keys only after the person\'s profile, whose reference to person stands for theirs', async () => {
    // Keys carry no reference of their own (migration 20261204000000): a person who does not exist is refused at their profile, before any key.
    const ghost = randomUUID();
    await expect(writeIndexEntries(t.db, [{ personId: ghost, record: demo.record }])).rejects.toThrow(/person_match_profile_person_id_fkey/);
    expect(await keysOf(t.db, ghost)).toEqual([]);
    // And every key the seeder wrote has its person's profile.
    const orphans = await t.db.selectFrom('person_match_key as k').select('k.person_id')
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('person_match_profile as mp').select('mp.person_id').whereRef('mp.person_id', '=', 'k.person_id'))))
      .execute();
    expect(orphans).toEqual([]);
    expect(Number((await t.db.selectFrom('person_match_key').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n)).toBeGreaterThan(world.people.length);
  });

  it('skips erased people and gives keys to the people who lack them', async () => {
    const kept = await makePerson(t.db, { given: 'Indexa', family: `Keyford${randomUUID().slice(0, 6)}`, dob: '2013-03-14' });
    const erased = await makePerson(t.db, { given: 'Erasa', family: `Goneham${randomUUID().slice(0, 6)}`, dob: '2013-03-15' });
    await t.db.updateTable('person').set({ erased_at: new Date() }).where('id', '=', erased.id).execute();
    expect(await keysOf(t.db, kept.id)).toEqual([]);

    const indexed = await withPeopleSettled(t.db, (trx) => indexMissingPeople(trx));
    expect(indexed).toBeGreaterThanOrEqual(1);
    const record = (await loadMatchRecords(t.db, [kept.id])).get(kept.id)!;
    expect(await keysOf(t.db, kept.id)).toEqual(blockingKeys(prepareRecord(record)).sort());
    expect(await keysOf(t.db, erased.id)).toEqual([]);
  });

  it('indexPeople adds the keys of the people named and keeps those already stored', async () => {
    const p = await makePerson(t.db, { given: 'Nameda', family: `Listwell${randomUUID().slice(0, 6)}`, dob: '2014-07-01' });
    await t.db.insertInto('person_match_key').values({ key: 'test:kept', person_id: p.id }).execute();
    expect(await indexPeople(t.db, [p.id, p.id])).toBe(1);
    const record = (await loadMatchRecords(t.db, [p.id])).get(p.id)!;
    expect(await keysOf(t.db, p.id)).toEqual([...blockingKeys(prepareRecord(record)), 'test:kept'].sort());
    expect(await indexPeople(t.db, [])).toBe(0);
  });

  it('rebuilds every key from the records held now, leaving out stale keys and erased people', async () => {
    const p = await makePerson(t.db, { given: 'Rebecca', family: `Rebuildly${randomUUID().slice(0, 6)}`, dob: '2011-11-11' });
    const erased = await makePerson(t.db, { given: 'Erased', family: `Rebuildly${randomUUID().slice(0, 6)}`, dob: '2011-11-12' });
    await indexPeople(t.db, [p.id, erased.id]);
    await t.db.updateTable('person').set({ erased_at: new Date() }).where('id', '=', erased.id).execute();
    await t.db.insertInto('person_match_key').values({ key: 'stale:rule', person_id: p.id }).execute();

    const progress: [number, number][] = [];
    const report = await rebuildMatchIndex(t.db, { onProgress: (done, total) => progress.push([done, total]) });
    const record = (await loadMatchRecords(t.db, [p.id])).get(p.id)!;
    expect(await keysOf(t.db, p.id)).toEqual(blockingKeys(prepareRecord(record)).sort());
    expect(await keysOf(t.db, erased.id)).toEqual([]);
    expect(await keysOf(t.db, demo.id)).toEqual(blockingKeys(prepareRecord(demo.record)).sort());
    expect(report.people).toBeGreaterThanOrEqual(world.people.length + 1);
    expect(report.keys).toBeGreaterThan(report.people);
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress.at(-1)![0]).toBe(report.people);
  });
  it('one candidate-limit rule: a key held by more people than its limit finds no one, read at most one past the limit', async () => {
    // A name-only key (limit NAME_ONLY_MAX_BLOCK) held by one more than its limit, and one held within it.
    const tag = randomUUID().slice(0, 8);
    const [over, within] = [`nx:limit${tag}|ov`, `nx:limit${tag}|wi`];
    const people = await Promise.all(Array.from({ length: NAME_ONLY_MAX_BLOCK + 2 }, (_, i) => makePerson(t.db, { given: 'Limit', family: `Heldby${tag}${i}`, dob: '2012-02-02' })));
    await indexPeople(t.db, people.map((p) => p.id));
    await t.db.insertInto('person_match_key').values(people.map((p) => ({ key: over, person_id: p.id }))).execute();
    await t.db.insertInto('person_match_key').values(people.slice(0, 2).map((p) => ({ key: within, person_id: p.id }))).execute();
    const nobody = `nx:limit${tag}|no`;
    const rows = (await keyHoldersSql([within, nobody, over]).execute(t.db)).rows;
    // One row a key held by anyone; the key over its limit read one holder past it, and finds no one.
    expect(rows.map((r) => r.key).sort()).toEqual([over, within].sort());
    const read = (k: string) => holderList(rows.find((r) => r.key === k)!.ids);
    expect(read(over)).toHaveLength(NAME_ONLY_MAX_BLOCK + 1);
    expect(keyWithinLimit(over, read(over).length)).toBe(false);
    expect(read(within).sort()).toEqual(people.slice(0, 2).map((p) => p.id).sort());
    expect(keyWithinLimit(within, read(within).length)).toBe(true);
    expect(bestCandidates([over], (k) => read(k))).toEqual([]);
    expect(keyWithinLimit(over, NAME_ONLY_MAX_BLOCK + 1)).toBe(false);
    expect(keyWithinLimit(over, NAME_ONLY_MAX_BLOCK)).toBe(true);
  });
});
