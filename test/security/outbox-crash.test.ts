import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openDb, type Db, type DbTarget } from '../../src/db/client.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import type { Actor } from '../../src/server/actor.js';
import { ENTRIES_RECORDED } from '../../src/server/modules/chronology/commands/append-entry.js';
import { LEASE_MS, runOutboxOnce } from '../../src/server/outbox/outbox.js';
import { outboxProcessors } from '../../src/server/outbox/processors.js';
import { startOutboxWorker } from '../../src/server/outbox/worker.js';
import { crashDatabase, runChildThatDies } from '../crash-child.js';
import { silentLog } from '../drain-outbox.js';
import { involve, makeOrg, makePerson, makeUser, TEST_ENGINE } from '../helpers.js';

// A process records an entry and is killed with SIGKILL straight after the commit, before the rules
// run on it (once before any worker took the work, once after a worker claimed it). After a restart
// on the same data, the worker raises the consideration: nothing was lost between commit and dispatch.
// Runs on PGlite (a data directory) and on the PostgreSQL server (a scratch database).

const SCRIPT = fileURLToPath(new URL('../fixtures/outbox/append-and-die.ts', import.meta.url));

const scratchDatabase = () => crashDatabase('outbox_crash');

/** Runs the child that records an entry and dies; resolves with what it reported and how it ended. */
const appendAndDie = (args: { target: DbTarget; actor: Actor; personId: string; claim: boolean }) => runChildThatDies<{ eventId: string; claimed: number[] }>(SCRIPT, args);

const considerationsFor = (d: Db, personId: string) =>
  d.db.selectFrom('consideration').select(['id', 'matched_event_ids', 'created_via']).where('person_id', '=', personId).execute();

describe(`outbox across a crash on ${TEST_ENGINE}`, () => {
  it('loses nothing when the process dies between a committed entry and its rules run', async () => {
    const scratch = await scratchDatabase();
    try {
      const setup = await openDb(scratch.target);
      await migrateToLatest(setup.db);
      const police = await makeOrg(setup.db, 'police', 'Crashvale');
      const officer = await makeUser(setup.db, { organisationId: police.id });
      const first = await makePerson(setup.db, { dob: '2012-06-01' });
      const second = await makePerson(setup.db, { dob: '2013-07-02' });
      for (const p of [first, second]) await involve(setup.db, { personId: p.id, organisationId: police.id, userId: officer.id });
      await setup.close(); // PGlite: release the directory for the child

      const actor: Actor = { kind: 'user', userId: officer.id, name: officer.name, email: officer.email, organisationId: police.id, organisationName: police.name, teamId: null, roles: ['practitioner'], partnershipId: '00000000-0000-4000-8000-000000000000' };
      // Dies after its worker claimed the work, before the rules finished.
      const b = await appendAndDie({ target: scratch.target, actor, personId: second.id, claim: true });
      // Dies after the commit, before any worker saw the work.
      const a = await appendAndDie({ target: scratch.target, actor, personId: first.id, claim: false });
      expect([a.signal, b.signal]).toEqual(['SIGKILL', 'SIGKILL']);
      expect(b.claimed).toHaveLength(1);

      // Restart on the same data (on PGlite the killed process's lock is taken over).
      const d = await openDb(scratch.target);
      try {
        const rows = await d.db.selectFrom('outbox').select(['id', 'status', 'locked_by', 'payload']).where('kind', '=', ENTRIES_RECORDED).orderBy('id').execute();
        expect(rows.map((r) => [r.status, r.locked_by, (r.payload as { eventIds: string[] }).eventIds])).toEqual([
          ['pending', 'a worker about to die', [b.eventId]], ['pending', null, [a.eventId]],
        ]);
        expect(await considerationsFor(d, first.id)).toEqual([]);
        expect(await considerationsFor(d, second.id)).toEqual([]);

        const worker = await startOutboxWorker(d, { processors: outboxProcessors(), log: silentLog, pollMs: 50 });
        try {
          for (let i = 0; i < 400 && (await considerationsFor(d, first.id)).length === 0; i++) await new Promise((r) => setTimeout(r, 25));
          if (d.engine === 'pglite') {
            // One process owns the data directory: the dead process's claim is released at start-up.
            for (let i = 0; i < 400 && (await considerationsFor(d, second.id)).length === 0; i++) await new Promise((r) => setTimeout(r, 25));
          }
        } finally {
          await worker.stop();
        }
        if (d.engine === 'postgres') {
          // Other processes may be alive on a server: the claim stands until its lease has passed.
          expect(await considerationsFor(d, second.id)).toEqual([]);
          const later = new Date(Date.now() + LEASE_MS + 1000);
          expect(await runOutboxOnce(d.db, { processors: outboxProcessors(), log: silentLog, now: later })).toMatchObject({ claimed: 1, done: 1 });
        }

        const ofFirst = await considerationsFor(d, first.id);
        const ofSecond = await considerationsFor(d, second.id);
        expect(ofFirst.length).toBeGreaterThan(0);
        expect(ofSecond.length).toBeGreaterThan(0);
        expect(ofFirst.every((c) => c.matched_event_ids.includes(a.eventId) && c.created_via === 'event')).toBe(true);
        expect(ofSecond.every((c) => c.matched_event_ids.includes(b.eventId) && c.created_via === 'event')).toBe(true);
        const after = await d.db.selectFrom('outbox').select(['status', 'attempts']).where('kind', '=', ENTRIES_RECORDED).orderBy('id').execute();
        expect(after).toEqual([{ status: 'done', attempts: 2 }, { status: 'done', attempts: 1 }]);
      } finally {
        await d.close();
      }
    } finally {
      await scratch.drop();
    }
  }, 180_000);
});
