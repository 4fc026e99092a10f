import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { makeOrg, makePerson, TEST_ENGINE, useTestDb } from '../../../../test/helpers.js';

// The trigger on person_address that asks for a transfer when an insert moves a record into another
// partnership's area, given many addresses in one statement (as an import chunk writes them): exactly
// the records that moved between partnerships, recently, to a current address, are announced once.

describe(`a move into another partnership's area, many addresses a statement, on ${TEST_ENGINE}`, () => {
  const t = useTestDb({ isolated: 'address_moved' });

  it('announces exactly the records that moved between partnerships, however many addresses the statement holds', async () => {
    const tag = randomUUID().slice(0, 6);
    const [A, B, C] = [`Ashvale ${tag}`, `Bramhurst ${tag}`, `Nowhere ${tag}`];
    await makeOrg(t.db, 'childrens_social_care', A);
    await makeOrg(t.db, 'childrens_social_care', B);
    const partnershipOf = async (borough: string) => (await t.db.selectFrom('partnership_area').select('partnership_id').where('borough', '=', borough).executeTakeFirstOrThrow()).partnership_id;
    const [pA, pB] = [await partnershipOf(A), await partnershipOf(B)];
    const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);

    // Each kind of record, several times over: the statement holds more than a hundred addresses.
    const kinds = ['moves', 'stays', 'new', 'future', 'long_ago', 'unplaced', 'moves_twice', 'planned_elsewhere'] as const;
    const people: { id: string; kind: (typeof kinds)[number] }[] = [];
    for (let i = 0; i < 20; i++) for (const kind of kinds) people.push({ id: (await makePerson(t.db, { family: `Moved${tag}` })).id, kind });
    const earlier = people.filter((p) => p.kind !== 'new').map((p) => ({ person_id: p.id, line1: '1 Old Row', borough: A, valid_from: p.kind === 'planned_elsewhere' ? daysAgo(100) : '2020-01-01' }));
    // A move to B already planned (dated ahead) for some: their current address is still A's, and not one of the new rows.
    const planned = people.filter((p) => p.kind === 'planned_elsewhere').map((p) => ({ person_id: p.id, line1: '9 Planned Row', borough: B, valid_from: daysAgo(-60) }));
    await t.db.insertInto('person_address').values([...earlier, ...planned]).execute();
    await t.db.deleteFrom('outbox').where('kind', '=', 'transfer.address_changed').execute();

    const now = people.flatMap((p) => {
      const row = { person_id: p.id, line1: '2 New Row', borough: B, valid_from: daysAgo(3) };
      switch (p.kind) {
        case 'moves': return [row];
        case 'stays': return [{ ...row, borough: A }];
        case 'new': return [row];
        case 'future': return [{ ...row, valid_from: daysAgo(-30) }];
        case 'long_ago': return [{ ...row, valid_from: daysAgo(400) }];
        case 'unplaced': return [{ ...row, borough: C }];
        case 'planned_elsewhere': return [{ ...row, borough: A, valid_from: daysAgo(-30) }];
        case 'moves_twice': return [{ ...row, valid_from: daysAgo(10) }, { ...row, line1: '3 Newer Row', valid_from: daysAgo(2) }];
      }
    });
    expect(now.length).toBeGreaterThan(100);
    const inserted = await t.db.insertInto('person_address').values(now).returning(['id', 'person_id', 'line1']).execute();

    const announced = await t.db.selectFrom('outbox').select(['payload', 'dedupe_key']).where('kind', '=', 'transfer.address_changed').execute();
    const expected = people.filter((p) => p.kind === 'moves' || p.kind === 'moves_twice').map((p) => {
      // The current address is the latest: for a record given two, the newer.
      const address = inserted.filter((a) => a.person_id === p.id).at(-1)!;
      return { payload: { personId: p.id, addressId: address.id, fromPartnershipId: pA, toPartnershipId: pB }, dedupe_key: address.id };
    });
    const byPerson = (rows: { payload: unknown }[]) => [...rows].sort((x, y) => ((x.payload as { personId: string }).personId < (y.payload as { personId: string }).personId ? -1 : 1));
    expect(byPerson(announced)).toEqual(byPerson(expected));
    expect(announced).toHaveLength(40);
  });
});
