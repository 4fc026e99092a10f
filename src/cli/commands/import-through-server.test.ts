import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeOrg, TEST_ENGINE, useTestApp } from '../../../test/helpers.js';
import { drainOutbox } from '../../../test/drain-outbox.js';
import { policeRecord, toJsonl } from '../../../test/intake-helpers.js';
import { createApiKey } from '../../server/modules/api/api-key.js';
import { importThroughServer } from './import-through-server.js';

// While a server holds the embedded database, jigsaw import sends the files through its intake API
// (over a real socket) and waits for each batch's report.
describe(`jigsaw import through the running server on ${TEST_ENGINE}`, () => {
  const t = useTestApp();
  let base = '';
  const dir = mkdtempSync(join(tmpdir(), 'jigsaw-through-'));
  beforeAll(async () => {
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });
  afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

  /** Runs the server's outbox work (the import) until the client has its reports, as the server's worker would. */
  async function withWorker<T>(work: Promise<T>): Promise<T> {
    let done = false;
    const result = work.finally(() => { done = true; });
    while (!done) {
      await drainOutbox(t.db);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return result;
  }

  it('imports each file through the API and returns its report; rejected records are in it', async () => {
    const org = await makeOrg(t.db, 'police');
    const key = (await createApiKey(t.db, org.id, 'import through server')).key;
    const file = join(dir, 'police.jsonl');
    writeFileSync(file, `${toJsonl([policeRecord(org.id, 'S-1'), policeRecord(org.id, 'S-2', { event: { code: 'not_a_code', occurredAt: '2026-01-02', summary: 'x' } })])}`);
    const [report] = await withWorker(importThroughServer({ baseUrl: base, apiKey: key, pollMs: 20 }, 'jsonl', [file]));
    expect(report).toMatchObject({ organisationId: org.id, status: 'completed', received: 2, accepted: 1, rejected: 1 });
    expect(report!.rejections[0]!.errors).toEqual([{ field: 'event.code', reason: '"not_a_code" is not an event type in the vocabulary' }]);
    expect(await t.db.selectFrom('event').select('source_record_id').where('organisation_id', '=', org.id).execute()).toEqual([{ source_record_id: 'S-1' }]);
  });

  it('is refused with the server\'s reason for a key it does not know, and refuses a mapped CSV before sending', async () => {
    const file = join(dir, 'x.jsonl');
    writeFileSync(file, '{}\n');
    await expect(importThroughServer({ baseUrl: base, apiKey: 'jgs_not-a-real-key' }, 'jsonl', [file])).rejects.toThrow(/^The server refused x.jsonl \(401\)/);
    await expect(importThroughServer({ baseUrl: base, apiKey: 'k' }, 'csv', [file])).rejects.toThrow('A csv file cannot be sent through the running server');
  });
});
