import type { KyselyPlugin } from 'kysely';
import { describe, expect, it } from 'vitest';
import { buildTestApp, involve, makeEvent, makeOrg, makePerson, makeUser, signIn, TEST_ENGINE, useTestDb } from '../../../../test/helpers.js';
import { writeEntry } from '../../../../test/entries.js';

/**
 * The person page is the most read page: the number of SQL statements one request issues is kept
 * from growing as areas are added to it (30 when the risk panel and identity records joined it).
 */
describe(`SQL statements behind the person page on ${TEST_ENGINE}`, () => {
  const t = useTestDb();
  let statements = 0;
  const counter: KyselyPlugin = {
    transformQuery: (args) => {
      statements += 1;
      return args.node;
    },
    transformResult: async (args) => args.result,
  };

  it('reads a child with corrections and restricted entries from several agencies in at most 30 statements', async () => {
    const app = await buildTestApp({ ...t.d, db: t.db.withPlugin(counter) });
    try {
      const org = await makeOrg(t.db, 'childrens_social_care');
      const police = await makeOrg(t.db, 'police');
      const worker = await makeUser(t.db, { organisationId: org.id });
      const child = await makePerson(t.db, { given: 'Tobin', family: 'Testcount' });
      await involve(t.db, { personId: child.id, organisationId: org.id, userId: worker.id });
      const original = await makeEvent(t.db, { personId: child.id, organisationId: org.id, type: 'missing_episode', summary: 'First wording' });
      await writeEntry(t.db, {
        personId: child.id, organisationId: org.id, eventTypeCode: 'missing_episode', occurredAt: '2025-03-02T10:00:00Z', recordedVia: 'form',
        sourceSystem: 'Jigsaw', summary: 'Corrected wording', supersedes: original.id, correctionReason: 'Wrong day',
      });
      await makeEvent(t.db, { personId: child.id, organisationId: police.id, type: 'arrest', summary: 'Arrested' });
      await writeEntry(t.db, {
        personId: child.id, organisationId: police.id, eventTypeCode: 'weapon_incident', summary: 'Restricted detail', sensitivity: 'restricted',
        restriction: { contact: 'DS Example', reason: null },
      });
      const { cookie } = await signIn(app, worker.email);
      statements = 0;
      const res = await app.inject({ method: 'GET', url: `/people/${child.id}`, headers: { cookie } });
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('Corrected wording');
      console.log(`person page statements (${TEST_ENGINE}): ${statements}`);
      expect(statements).toBeLessThanOrEqual(30);
    } finally {
      await app.close();
    }
  });
});
