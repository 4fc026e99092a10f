import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db, type DbTarget } from '../../src/db/client.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { loadConfig } from '../../src/server/config.js';
import { closeMailTransports } from '../../src/server/email/mailer.js';
import { outboxProcessors } from '../../src/server/outbox/processors.js';
import { startOutboxWorker } from '../../src/server/outbox/worker.js';
import { crashDatabase, runChildThatDies } from '../crash-child.js';
import { silentLog } from '../drain-outbox.js';
import { involve, makeOrg, makePerson, makeUser, TEST_ENGINE } from '../helpers.js';
import { startSmtpCapture, type SmtpCapture } from '../smtp-capture.js';

// A process records a significant entry and is killed with SIGKILL after the commit and before its
// alert is delivered: once before the alert was made, once after the alert was made and before its
// email went. After a restart on the same data the worker delivers each alert exactly once in the app
// and exactly once by email (to a local SMTP capture server). PGlite (a data directory) and the server.

const SCRIPT = fileURLToPath(new URL('../fixtures/alerts/record-and-die.ts', import.meta.url));

const scratchDatabase = () => crashDatabase('alert_crash');

/** Runs the child that records an entry and dies; resolves with what it reported and how it ended. */
const recordAndDie = (args: { target: DbTarget; organisationId: string; personId: string; alert: boolean }) => runChildThatDies<{ eventId: string; alerts: number }>(SCRIPT, args);

describe(`alerts across a crash on ${TEST_ENGINE}`, () => {
  let smtp: SmtpCapture;
  beforeAll(async () => { smtp = await startSmtpCapture(); });
  afterAll(async () => { closeMailTransports(); await smtp.close(); });

  it('delivers each alert exactly once in the app and once by email after the process dies between commit and delivery', async () => {
    const scratch = await scratchDatabase();
    try {
      const setup = await openDb(scratch.target);
      await migrateToLatest(setup.db);
      const police = await makeOrg(setup.db, 'police', 'Crashvale');
      const csc = await makeOrg(setup.db, 'childrens_social_care', 'Crashvale');
      const worker = await makeUser(setup.db, { organisationId: csc.id });
      const [first, second] = [await makePerson(setup.db, { dob: '2012-06-01' }), await makePerson(setup.db, { dob: '2013-07-02' })];
      for (const p of [first!, second!]) {
        await setup.db.insertInto('person_address').values({ person_id: p.id, line1: '2 Synthetic Close', borough: 'Crashvale', valid_from: '2020-01-01' }).execute();
        await involve(setup.db, { personId: p.id, organisationId: csc.id, userId: worker.id });
      }
      await setup.close(); // PGlite: release the directory for the child

      // Dies after the commit, before any alert was made.
      const a = await recordAndDie({ target: scratch.target, organisationId: police.id, personId: first!.id, alert: false });
      // Dies after the alert and its email work were committed, before the email was sent.
      const b = await recordAndDie({ target: scratch.target, organisationId: police.id, personId: second!.id, alert: true });
      expect([a.signal, b.signal]).toEqual(['SIGKILL', 'SIGKILL']);
      expect([a.alerts, b.alerts]).toEqual([0, 1]);

      const d: Db = await openDb(scratch.target);
      try {
        expect(await d.db.selectFrom('alert').select('event_id').execute()).toEqual([{ event_id: b.eventId }]);
        const config = loadConfig({ NODE_ENV: 'test', SMTP_URL: smtp.url, PUBLIC_BASE_URL: 'https://jigsaw.example.test' });
        const w = await startOutboxWorker(d, { processors: outboxProcessors(config), log: silentLog, pollMs: 50 });
        try {
          const emailed = () => d.db.selectFrom('alert').select('id').where('emailed_at', 'is not', null).execute();
          for (let i = 0; i < 600 && (await emailed()).length < 2; i++) await new Promise((r) => setTimeout(r, 25));
          // Give a duplicate every chance to appear: the alerts rows of both entries are done, and nothing is left to do.
          for (let i = 0; i < 200; i++) {
            const left = await d.db.selectFrom('outbox').select('id').where('status', '=', 'pending').where('kind', 'like', '%alert%').execute();
            if (left.length === 0) break;
            await new Promise((r) => setTimeout(r, 25));
          }
        } finally {
          await w.stop();
        }
        const alerts = await d.db.selectFrom('alert').select(['event_id', 'recipient_user_id', 'emailed_at']).orderBy('created_at').execute();
        expect(alerts.map((x) => x.event_id).sort()).toEqual([a.eventId, b.eventId].sort());
        expect(alerts.every((x) => x.recipient_user_id === worker.id && x.emailed_at !== null)).toBe(true);
        expect(smtp.messages.filter((m) => m.to.includes(worker.email))).toHaveLength(2);
        const work = await d.db.selectFrom('outbox').select(['kind', 'status']).where('kind', 'like', '%alert%').execute();
        expect(work.every((x) => x.status === 'done')).toBe(true);
      } finally {
        await d.close();
      }
    } finally {
      await scratch.drop();
    }
  }, 180_000);
});
