/**
 * POST /api/v1/intake over a real listening socket with a real HTTP client (Node's fetch), for every
 * content type the API documents, and the upload page's multipart form for CSV with a column mapping.
 * inject() hands a route a different body object than a socket does, which is how every streamed
 * import answering 500 went unseen (security review H3). Also: deeply nested JSON answers 400, not
 * 500 (L1); and through the API, a CIN child nested 20,000 levels (L2), values the database refuses
 * (L3) and a DOCTYPE (L7) are each refused with a reason naming them, keeping everything valid.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { drainOutbox } from '../../../../test/drain-outbox.js';
import { makeOrg, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';
import { DFE_SAMPLES, INTAKE_FIXTURES, multipartBody, policeRecord, toJsonl } from '../../../../test/intake-helpers.js';
import { MAX_CHILD_DEPTH } from '../../../intake/cin.js';
import { NUL_REASON } from '../../../intake/storable.js';
import { MAX_INPUT_DEPTH } from '../../plugins/reject-nul-characters.js';
import { createApiKey } from '../api/api-key.js';

interface Rejection { file: string; table: string; row: number; ref: string | null; recordId: string | null; errors: { field: string; reason: string }[] }
interface Report { batchId: string; status: string; received: number; accepted: number; rejected: number; fileErrors: { code: string; message: string }[]; rejections: Rejection[] }

/** Text sent as a stream: chunked transfer encoding, no Content-Length, as a system streams NDJSON. */
function streamed(text: string, size = 1024): BodyInit {
  const bytes = new TextEncoder().encode(text);
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < bytes.length; i += size) controller.enqueue(bytes.slice(i, i + size));
      controller.close();
    },
  }) as unknown as BodyInit;
}

const deepArray = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

describe(`POST /api/v1/intake over a real socket on ${TEST_ENGINE}`, () => {
  const t = useTestApp();
  let base = '';

  beforeAll(async () => {
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });

  async function sender(kind = 'police') {
    const org = await makeOrg(t.db, kind);
    const key = (await createApiKey(t.db, org.id, `${kind} system`)).key;
    return { org, auth: { authorization: `Bearer ${key}` } };
  }

  function post(path: string, headers: Record<string, string>, body: BodyInit) {
    return fetch(`${base}${path}`, { method: 'POST', headers, body, duplex: 'half', redirect: 'manual' } as RequestInit);
  }

  /**
   * The batch an accepted POST names: answered 202 at once, its Location the batch's status address,
   * read over the socket once the import (outbox work) has run.
   */
  async function reportOf(res: Response, auth: Record<string, string>): Promise<Report> {
    const text = await res.text();
    expect(res.status, text).toBe(202);
    const location = res.headers.get('location') ?? '';
    expect(location).toMatch(/^\/api\/v1\/intake\/batches\/[0-9a-f-]{36}$/);
    expect((JSON.parse(text) as { statusUrl: string }).statusUrl).toBe(location);
    for (let attempt = 0; attempt < 200; attempt++) {
      const got = await fetch(`${base}${location}`, { headers: auth });
      expect(got.status).toBe(200);
      const status = (await got.json()) as { batchId: string; status: string; report: Report | null };
      if (status.report) {
        expect(location.endsWith(status.report.batchId)).toBe(true);
        return status.report;
      }
      expect(['queued', 'running']).toContain(status.status);
      // The import is outbox work (the server's worker runs it; here the test does): run what is due.
      await drainOutbox(t.db);
    }
    throw new Error(`the batch at ${location} did not finish`);
  }

  it('application/json: a batch of records', async () => {
    const s = await sender();
    const body = JSON.stringify({ records: [policeRecord(s.org.id, 'SOCK-J1'), policeRecord(s.org.id, 'SOCK-J2')] });
    const report = await reportOf(await post('/api/v1/intake', { ...s.auth, 'content-type': 'application/json' }, body), s.auth);
    expect(report).toMatchObject({ status: 'completed', received: 2, accepted: 2, rejected: 0 });
  });

  it('application/x-ndjson streamed in pieces without a Content-Length (answered 500 before the fix)', async () => {
    const s = await sender();
    const text = toJsonl(Array.from({ length: 25 }, (_, i) => policeRecord(s.org.id, `SOCK-N${i}`)));
    const report = await reportOf(await post('/api/v1/intake', { ...s.auth, 'content-type': 'application/x-ndjson' }, streamed(text, 333)), s.auth);
    expect(report).toMatchObject({ status: 'completed', received: 25, accepted: 25, rejected: 0 });
  });

  it('application/jsonl with a Content-Length', async () => {
    const s = await sender();
    const text = toJsonl([policeRecord(s.org.id, 'SOCK-L1')]);
    const report = await reportOf(await post('/api/v1/intake', { ...s.auth, 'content-type': 'application/jsonl' }, text), s.auth);
    expect(report).toMatchObject({ status: 'completed', received: 1, accepted: 1 });
  });

  it('application/xml and text/xml: the DfE CIN census samples (2022 and 2024 schemas)', async () => {
    const s = await sender('childrens_social_care');
    for (const [type, file] of [['application/xml', 'cin-2022.xml'], ['text/xml', 'CIN_Census_2024.xml']] as const) {
      const xml = readFileSync(`${DFE_SAMPLES}${file}`, 'utf8');
      const report = await reportOf(await post(`/api/v1/intake?fileName=${file}`, { ...s.auth, 'content-type': type }, streamed(xml, 500)), s.auth);
      expect(report.status, file).toBe('completed');
      expect(report.fileErrors, file).toEqual([]);
      expect(report.accepted, file).toBeGreaterThan(0);
      expect(report.received, file).toBe(report.accepted + report.rejected);
    }
  });

  it('text/csv: SSDA903 tables from the DfE sample, the header table first', async () => {
    const s = await sender('childrens_social_care');
    const headerLines = readFileSync(`${DFE_SAMPLES}ssda903/header.csv`, 'utf8').split(/\r?\n/).slice(0, 4);
    const children = new Set(headerLines.slice(1).map((l) => l.split(',')[0]));
    const episodeLines = readFileSync(`${DFE_SAMPLES}ssda903/episodes.csv`, 'utf8').split(/\r?\n/);
    const episodes = [episodeLines[0]!, ...episodeLines.slice(1).filter((l) => children.has(l.split(',')[0]))];
    expect(episodes.length).toBeGreaterThan(1);
    const header = await reportOf(await post('/api/v1/intake?fileName=header.csv', { ...s.auth, 'content-type': 'text/csv' }, streamed(`${headerLines.join('\n')}\n`, 64)), s.auth);
    expect(header).toMatchObject({ status: 'completed', received: 3, accepted: 3, rejected: 0 });
    const report = await reportOf(await post('/api/v1/intake?fileName=episodes.csv', { ...s.auth, 'content-type': 'text/csv' }, streamed(`${episodes.join('\n')}\n`, 64)), s.auth);
    expect(report.status).toBe('completed');
    expect(report.accepted).toBeGreaterThan(0);
    expect(report.received).toBe(report.accepted + report.rejected);
  });

  it('CSV with a column mapping: refused by the API with the documented reason; imported through the upload page (multipart) over the socket', async () => {
    const s = await sender('school');
    const refused = await post('/api/v1/intake?format=csv', { ...s.auth, 'content-type': 'text/csv' }, 'a,b\n1,2\n');
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { details: { field: string; message: string }[] } }).error.details).toEqual([
      { field: 'querystring.format', message: 'CSV with a column mapping is imported through the upload page or the command line; systems send JSON Lines' },
    ]);

    const dsl = await makeUser(t.db, { organisationId: s.org.id, roles: ['designated_safeguarding_lead'] });
    const session = await signIn(t.app, dsl.email);
    const upload = multipartBody({ _csrf: session.csrf, format: 'csv', encoding: 'utf-8', sourceSystem: '' }, [
      { field: 'file', name: 'school-behaviour.csv', content: readFileSync(`${INTAKE_FIXTURES}school-behaviour.csv`) },
      { field: 'mapping', name: 'school-mapping.json', content: readFileSync(`${INTAKE_FIXTURES}school-mapping.json`) },
    ]);
    const res = await post('/intake/uploads', { cookie: session.cookie, ...upload.headers }, new Uint8Array(upload.payload));
    expect(res.status).toBe(303);
    const location = res.headers.get('location') ?? '';
    expect(location).toMatch(/^\/intake\/batches\/[0-9a-f-]{36}$/);
    const batchId = location.split('/').pop()!;
    let batch = await t.db.selectFrom('intake_batch').select(['status', 'report']).where('id', '=', batchId).executeTakeFirstOrThrow();
    for (let i = 0; i < 200 && batch.status === 'running'; i++) {
      await drainOutbox(t.db);
      await new Promise((r) => setTimeout(r, 25));
      batch = await t.db.selectFrom('intake_batch').select(['status', 'report']).where('id', '=', batchId).executeTakeFirstOrThrow();
    }
    expect(batch.status).toBe('completed');
    const report = (typeof batch.report === 'string' ? JSON.parse(batch.report) : batch.report) as Report;
    expect(report.received).toBe(3);
    // No code table entries exist for this school yet, so each record is refused naming the code.
    expect(report.rejections.map((r) => [r.row, r.errors.map((e) => e.field)])).toEqual([[2, ['event.agencyCode']], [3, ['event.agencyCode']], [4, ['event.agencyCode']]]);
    // Read from the CSV, the impossible date of birth (30/02/2011, column DOB) and the malformed UPN were
    // each left out with a warning rather than refusing the record.
    expect((report as Report & { warnings: number }).warnings).toBe(2);
  });

  describe(`L1: deeply nested JSON answers 400 (over ${MAX_INPUT_DEPTH} levels), never 500`, () => {
    const deepBatch = `{"records":[${deepArray(100_000)}]}`;

    it('POST /api/v1/intake with 100,000 levels: 400 naming the depth when authenticated, 401 when not', async () => {
      const s = await sender();
      const res = await post('/api/v1/intake', { ...s.auth, 'content-type': 'application/json' }, deepBatch);
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { code: string; message: string; details: { field: string; message: string }[] } };
      expect(body.error.code).toBe('invalid_request');
      expect(body.error.message).toBe('The request is nested too deeply');
      expect(body.error.details).toHaveLength(1);
      expect(body.error.details[0]!.field).toMatch(/^records\.0(\.0)+$/);
      expect(body.error.details[0]!.message).toBe(`is nested more than ${MAX_INPUT_DEPTH} levels deep`);
      const batches = await t.db.selectFrom('intake_batch').select('id').where('organisation_id', '=', s.org.id).execute();
      expect(batches).toEqual([]);

      for (const headers of [{}, { authorization: `Bearer jgs_00000000_${'a'.repeat(43)}` }] as Record<string, string>[]) {
        const anon = await post('/api/v1/intake', { ...headers, 'content-type': 'application/json' }, deepBatch);
        expect(anon.status).toBe(401);
        expect(((await anon.json()) as { error: { code: string } }).error.code).toBe('unauthenticated');
      }
    });

    it('deep objects and deep bodies to other routes (an API route, a public page, a signed-in page) answer 400 too', async () => {
      const s = await sender();
      const deepObject = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
      const api = await post(`/api/v1/people/${crypto.randomUUID()}/events`, { ...s.auth, 'content-type': 'application/json' }, deepObject);
      expect(api.status).toBe(400);
      await api.body?.cancel();
      const signInPage = await post('/sign-in', { 'content-type': 'application/json', accept: 'application/json' }, `{"email":${deepArray(100_000)}}`);
      expect(signInPage.status).toBe(400);
      await signInPage.body?.cancel();
      const school = await makeOrg(t.db, 'school');
      const dsl = await makeUser(t.db, { organisationId: school.id, roles: ['designated_safeguarding_lead'] });
      const session = await signIn(t.app, dsl.email);
      const page = await post('/intake/mappings', { cookie: session.cookie, 'content-type': 'application/json' }, `{"_csrf":"${session.csrf}","agencyCode":${deepArray(100_000)}}`);
      expect(page.status).toBe(400);
      await page.body?.cancel();
    });

    it('a JSON Lines record nested 100,000 levels is refused on its own line; the others are kept', async () => {
      const s = await sender();
      const deepLine = JSON.stringify(policeRecord(s.org.id, 'SOCK-D2')).replace('"place":"Test Street station"', `"place":${deepArray(100_000)}`);
      const text = `${JSON.stringify(policeRecord(s.org.id, 'SOCK-D1'))}\n${deepLine}\n${JSON.stringify(policeRecord(s.org.id, 'SOCK-D3'))}\n`;
      const report = await reportOf(await post('/api/v1/intake', { ...s.auth, 'content-type': 'application/x-ndjson' }, streamed(text, 4096)), s.auth);
      expect(report).toMatchObject({ status: 'completed', received: 3, accepted: 2, rejected: 1 });
      expect(report.rejections).toHaveLength(1);
      expect(report.rejections[0]).toMatchObject({ row: 2, recordId: 'SOCK-D2' });
      expect(report.rejections[0]!.errors.map((e) => e.field)).toEqual(['event.place']);
    });
  });

  it('L3: a NUL character in JSON Lines and over-long CIN text are refused naming the field and row; nothing valid is lost', async () => {
    const s = await sender();
    const nul = policeRecord(s.org.id, 'SOCK-Z2', { event: { code: 'stop_and_search', occurredAt: '2026-03-01', summary: 'Searched\u0000 near the station' } });
    const text = toJsonl([policeRecord(s.org.id, 'SOCK-Z1'), nul, policeRecord(s.org.id, 'SOCK-Z3')]);
    expect(text).toContain('\\u0000');
    const report = await reportOf(await post('/api/v1/intake', { ...s.auth, 'content-type': 'application/x-ndjson' }, streamed(text)), s.auth);
    expect(report).toMatchObject({ status: 'completed', received: 3, accepted: 2, rejected: 1 });
    expect(report.rejections.map((r) => [r.row, r.recordId, r.errors])).toEqual([[2, 'SOCK-Z2', [{ field: 'event.summary', reason: NUL_REASON }]]]);

    const cin = await sender('childrens_social_care');
    const xml = readFileSync(`${DFE_SAMPLES}cin-2022.xml`, 'utf8');
    const firstChild = /<Child>[\s\S]*?<\/Child>/.exec(xml)![0];
    const longId = firstChild.replace(/<LAchildID>[^<]*<\/LAchildID>/, `<LAchildID>${'L'.repeat(300)}</LAchildID>`);
    const longSource = firstChild.replace(/<LAchildID>[^<]*<\/LAchildID>/, '<LAchildID>SOCKLONGSRC</LAchildID>').replace(/<ReferralSource>[^<]*<\/ReferralSource>/, `<ReferralSource>${'Z'.repeat(600)}</ReferralSource>`);
    const withProblems = xml.replace('</Children>', `${longId}\n${longSource}\n</Children>`);
    const plain = await reportOf(await post('/api/v1/intake?fileName=plain.xml', { ...cin.auth, 'content-type': 'application/xml' }, xml), cin.auth);
    const other = await sender('childrens_social_care');
    const checked = await reportOf(await post('/api/v1/intake?fileName=problems.xml', { ...other.auth, 'content-type': 'application/xml' }, withProblems), other.auth);
    expect(checked.status).toBe('completed');
    // Every record of the sample is still stored; the two added children's faults are named.
    expect(checked.accepted).toBeGreaterThanOrEqual(plain.accepted);
    const fields = checked.rejections.flatMap((r) => r.errors.map((e) => e.field));
    expect(fields).toContain('LAchildID');
    expect(fields).toContain('ReferralSource');
    expect(checked.rejections.flatMap((r) => r.errors.map((e) => e.reason)).join('\n')).not.toContain('unexpected error');
  });

  it('L2: a CIN <Child> nested 20,000 levels is refused with a reason; the rest of the file is imported', async () => {
    const s = await sender('childrens_social_care');
    const xml = readFileSync(`${DFE_SAMPLES}cin-2022.xml`, 'utf8');
    const plain = await reportOf(await post('/api/v1/intake', { ...s.auth, 'content-type': 'application/xml' }, xml), s.auth);
    const deep = `<Child><ChildIdentifiers><LAchildID>SOCKDEEP1</LAchildID></ChildIdentifiers>${'<X>'.repeat(20_000)}${'</X>'.repeat(20_000)}</Child>`;
    const other = await sender('childrens_social_care');
    const report = await reportOf(await post('/api/v1/intake', { ...other.auth, 'content-type': 'application/xml' }, streamed(xml.replace('<Children>', `<Children>\n${deep}`), 2048)), other.auth);
    expect(report.status).toBe('completed');
    expect(report.fileErrors).toEqual([]);
    expect(report.accepted).toBe(plain.accepted);
    const refused = report.rejections.filter((r) => r.recordId === 'child/SOCKDEEP1');
    expect(refused).toHaveLength(1);
    expect(refused[0]!.errors[0]!.reason).toContain(`nests elements more than ${MAX_CHILD_DEPTH} levels deep`);
  });

  it('L7: a CIN census with a DOCTYPE declaring an external entity is refused naming the DOCTYPE; nothing is read', async () => {
    const s = await sender('childrens_social_care');
    const xml = readFileSync(`${DFE_SAMPLES}cin-2022.xml`, 'utf8')
      .replace('<Message>', '<!DOCTYPE Message [\n<!ENTITY leak SYSTEM "file:///etc/passwd">\n]>\n<Message>')
      .replace(/<LAchildID>[^<]*<\/LAchildID>/, '<LAchildID>&leak;</LAchildID>');
    const report = await reportOf(await post('/api/v1/intake', { ...s.auth, 'content-type': 'application/xml' }, xml), s.auth);
    expect(report).toMatchObject({ status: 'failed', received: 0, accepted: 0 });
    expect(report.fileErrors).toHaveLength(1);
    expect(report.fileErrors[0]!.code).toBe('doctype_not_accepted');
    expect(report.fileErrors[0]!.message).toMatch(/^The file has a DOCTYPE declaration at line \d+/);
    expect(JSON.stringify(report)).not.toContain('root:');
  });
});
