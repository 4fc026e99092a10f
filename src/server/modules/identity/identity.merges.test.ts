import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { involve, makeEvent, makeOrg, makePerson, makeUser, TEST_ENGINE, useTestDb } from '../../../../test/helpers.js';
import type { Actor } from '../../actor.js';
import { getChronology } from '../chronology/chronology.queries.js';
import { authorizePerson, visiblePersonIds } from '../people/people.policy.js';
import { judgedDifferent, mergePersons, recordNonMatch, unmergePersons } from './identity.merges.js';
import { samePersonIds } from '../chronology/chronology.policy.js';

describe(`merge and unmerge on ${TEST_ENGINE}`, () => {
  const t = useTestDb();

  const actorOf = (u: { id: string; email: string }, organisationId: string): Actor => ({
    kind: 'user', userId: u.id, name: 'x', email: u.email, organisationId, organisationName: 'x', teamId: null, roles: ['practitioner'], partnershipId: '00000000-0000-4000-8000-000000000000',
  });

  /** A small world: people with events, each user involved with one person. */
  async function world(people: number) {
    const org = await makeOrg(t.db);
    const ids: string[] = [];
    const actors: Actor[] = [];
    for (let i = 0; i < people; i += 1) {
      const p = await makePerson(t.db);
      ids.push(p.id);
      await makeEvent(t.db, { personId: p.id, organisationId: org.id, occurredAt: `2025-0${(i % 9) + 1}-0${(i % 9) + 1}T10:00:00Z`, summary: `Event of person ${i}` });
      const u = await makeUser(t.db, { organisationId: org.id });
      await involve(t.db, { personId: p.id, organisationId: org.id, userId: u.id });
      actors.push(actorOf(u, org.id));
    }
    return { org, ids, actors };
  }

  /** Everything the merge could change, as read through the queries. */
  async function snapshot(ids: string[], actors: Actor[]) {
    const chronologies = await Promise.all(ids.map(async (id) => (await getChronology(t.db, actors[0]!, id, {})).entries.map((e) => `${e.id}:${e.roles.join('+')}`).sort()));
    const visible = await Promise.all(actors.map(async (a) => (await visiblePersonIds(t.db, a).execute()).map((r) => r.person_id).filter((p) => ids.includes(p)).sort()));
    const authorised = await Promise.all(actors.flatMap((a) => ids.map((p) => authorizePerson(t.db, a, 'chronology.read', p))));
    const groups = await Promise.all(ids.map(async (id) => (await t.db.selectFrom('person').select('id').where('id', 'in', samePersonIds(t.db, id)).execute()).map((r) => r.id).sort()));
    return { chronologies, visible, authorised, groups };
  }

  it('reads merged records as one person: both chronologies, and access through either involvement', async () => {
    const { ids: [a, b, c], actors: [ua, ub, uc] } = await world(3);
    await t.db.transaction().execute((trx) => mergePersons(trx, { survivorPersonId: a!, mergedPersonId: b!, reason: 'Same child', userId: null }));
    expect((await getChronology(t.db, ua!, a!, {})).entries).toHaveLength(2);
    expect((await getChronology(t.db, ua!, b!, {})).entries).toHaveLength(2);
    expect(await authorizePerson(t.db, ub!, 'chronology.read', a!)).toBe(true);
    expect(await authorizePerson(t.db, ua!, 'chronology.read', b!)).toBe(true);
    expect(await authorizePerson(t.db, uc!, 'chronology.read', a!)).toBe(false);
    // A chain of merges is followed: c into b joins all three.
    await t.db.transaction().execute((trx) => mergePersons(trx, { survivorPersonId: b!, mergedPersonId: c!, reason: 'Same child', userId: null }));
    expect((await getChronology(t.db, ua!, a!, {})).entries).toHaveLength(3);
    expect(await authorizePerson(t.db, uc!, 'chronology.read', a!)).toBe(true);
    await expect(t.db.transaction().execute((trx) => mergePersons(trx, { survivorPersonId: a!, mergedPersonId: c!, reason: 'again', userId: null })))
      .rejects.toMatchObject({ code: 'already_merged' });
  });

  it('never joins a pair judged different unless a person decides so again', async () => {
    const { ids: [a, b] } = await world(2);
    await t.db.transaction().execute((trx) => recordNonMatch(trx, { personA: a!, personB: b!, reason: 'Different children', userId: null }));
    expect(await judgedDifferent(t.db, b!, a!)).toBe(true);
    await expect(t.db.transaction().execute((trx) => mergePersons(trx, { survivorPersonId: a!, mergedPersonId: b!, reason: 'auto', userId: null })))
      .rejects.toMatchObject({ code: 'judged_different' });
  });

  it('refuses to change merge history in the database', async () => {
    const { ids: [a, b] } = await world(2);
    const id = await t.db.transaction().execute((trx) => mergePersons(trx, { survivorPersonId: a!, mergedPersonId: b!, reason: 'x', userId: null }));
    await expect(t.db.deleteFrom('person_merge').where('id', '=', id).execute()).rejects.toThrow(/append-only/);
  });

  it('property: any merge followed by its unmerge leaves everything read through the queries as before', async () => {
    const { ids, actors } = await world(4);
    await fc.assert(
      fc.asyncProperty(
        // Some merges already in force, then one more merge to undo.
        fc.array(fc.tuple(fc.nat(3), fc.nat(3)), { maxLength: 2 }),
        fc.tuple(fc.nat(3), fc.nat(3)).filter(([x, y]) => x !== y),
        async (prior, [x, y]) => {
          const undo: string[] = [];
          try {
            for (const [p, q] of prior) {
              if (p === q) continue;
              try {
                undo.push(await t.db.transaction().execute((trx) => mergePersons(trx, { survivorPersonId: ids[p]!, mergedPersonId: ids[q]!, reason: 'prior', userId: null })));
              } catch { /* already one person: fine */ }
            }
            const before = await snapshot(ids, actors);
            let mergeId: string;
            try {
              mergeId = await t.db.transaction().execute((trx) => mergePersons(trx, { survivorPersonId: ids[x]!, mergedPersonId: ids[y]!, reason: 'test', userId: null }));
            } catch (e) {
              expect((e as { code?: string }).code).toBe('already_merged');
              return;
            }
            const during = await snapshot(ids, actors);
            expect(during.groups[x]).toContain(ids[y]);
            await t.db.transaction().execute((trx) => unmergePersons(trx, { mergeId, reason: 'undo', userId: null }));
            expect(await snapshot(ids, actors)).toEqual(before);
          } finally {
            for (const m of undo.reverse()) await t.db.transaction().execute((trx) => unmergePersons(trx, { mergeId: m, reason: 'reset', userId: null }));
          }
        },
      ),
      { numRuns: 15 },
    );
  });
});
