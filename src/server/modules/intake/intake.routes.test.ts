import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { auditRowsFor, buildTestApp, lastAuditId, makeOrg, makeTeam, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';
import { INTAKE_FIXTURES, multipartBody } from '../../../../test/intake-helpers.js';
import { drainOutbox } from '../../../../test/drain-outbox.js';

describe(`intake pages on ${TEST_ENGINE}`, () => {
  const t = useTestApp();

  async function world() {
    const school = await makeOrg(t.db, 'school');
    const team = await makeTeam(t.db, school.id);
    const dsl = await makeUser(t.db, { organisationId: school.id, roles: ['designated_safeguarding_lead'], teamId: team.id });
    const practitioner = await makeUser(t.db, { organisationId: school.id, roles: ['practitioner'], teamId: team.id });
    return { school, dsl, practitioner, dslSession: await signIn(t.app, dsl.email), practitionerSession: await signIn(t.app, practitioner.email) };
  }

  const upload = (session: { cookie: string; csrf: string }, fields: Record<string, string>, files: { field: string; name: string; content: string | Buffer }[], app = t.app) => {
    const body = multipartBody({ _csrf: session.csrf, ...fields }, files);
    return app.inject({ method: 'POST', url: '/intake/uploads', headers: { cookie: session.cookie, ...body.headers }, payload: body.payload });
  };

  it('answers 401 with the sign-in page when not signed in', async () => {
    for (const url of ['/intake', '/intake/mappings', '/intake/batches/00000000-0000-4000-8000-000000000000']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(401);
      expect(res.body).toContain('Sign in');
    }
  });

  it('answers 404 to a practitioner (not an importing role), with a denied access-log row', async () => {
    const w = await world();
    const since = await lastAuditId(t.db);
    const page = await t.app.inject({ method: 'GET', url: '/intake', headers: { cookie: w.practitionerSession.cookie } });
    expect(page.statusCode).toBe(404);
    const post = await upload(w.practitionerSession, { format: 'jsonl' }, [{ field: 'file', name: 'a.jsonl', content: '{}\n' }]);
    expect(post.statusCode).toBe(404);
    const rows = await auditRowsFor(t.db, { since, userId: w.practitioner.id });
    expect(rows.map((r) => [r.action, r.outcome, r.user_id])).toEqual([
      ['intake.report.read', 'denied', w.practitioner.id], ['intake.import', 'denied', w.practitioner.id],
    ]);
  });

  it('imports an uploaded CSV with its mapping, shows the report, and downloads every row', async () => {
    const w = await world();
    const form = await t.app.inject({ method: 'GET', url: '/intake', headers: { cookie: w.dslSession.cookie } });
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('Import records from your system');
    expect(form.body).toContain('enctype="multipart/form-data"');

    // Map the school's own code first, through the code table page.
    const mapped = await t.app.inject({
      method: 'POST', url: '/intake/mappings', headers: { cookie: w.dslSession.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: w.dslSession.csrf, agencyCode: 'SUSP-FT', eventTypeCode: 'suspension', description: 'Fixed-term suspension' }).toString(),
    });
    expect(mapped.statusCode).toBe(303);
    const table = await t.app.inject({ method: 'GET', url: '/intake/mappings', headers: { cookie: w.dslSession.cookie } });
    expect(table.body).toContain('SUSP-FT');

    const since = await lastAuditId(t.db);
    const res = await upload(w.dslSession, { format: 'csv', encoding: 'utf-8', sourceSystem: '' }, [
      { field: 'file', name: 'school-behaviour.csv', content: readFileSync(`${INTAKE_FIXTURES}school-behaviour.csv`) },
      { field: 'mapping', name: 'school-mapping.json', content: readFileSync(`${INTAKE_FIXTURES}school-mapping.json`) },
    ]);
    expect(res.statusCode).toBe(303);
    const location = res.headers.location as string;
    expect(location).toMatch(/^\/intake\/batches\/[0-9a-f-]{36}$/);
    await drainOutbox(t.db);

    const page = await t.app.inject({ method: 'GET', url: location, headers: { cookie: w.dslSession.cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Finished');
    const summary = (key: string) => new RegExp(`${key}\\s*</dt>\\s*<dd class="govuk-summary-list__value">\\s*([^<]*?)\\s*</dd>`).exec(page.body)?.[1];
    expect([summary('Received'), summary('Rejected'), summary('Counts reconcile')]).toEqual(['3', '1', 'Yes: received equals accepted plus rejected in every table']);
    // Nothing says whether the child was already known: no people counts, no reference to the child.
    expect(page.body).not.toMatch(/New people|Linked to existing|Sent for review/);
    expect(page.body).toContain('Confirm that you work with this child');
    // Row 4: an unmapped code, named by line, field and column. (Row 3's impossible date of birth is left out with a warning.)
    expect(page.body).toContain('&quot;PEX&quot; is not in your organisation&#39;s code table');

    const csv = await t.app.inject({ method: 'GET', url: `${location}/report.csv`, headers: { cookie: w.dslSession.cookie } });
    expect(csv.headers['content-disposition']).toMatch(/attachment/);
    const lines = csv.body.trim().split('\r\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe('seq,file,table,line,position,record_id,outcome,person_id,event_id,errors,warnings');
    // The DSL cannot see the child (importing gave no relationship): no person reference.
    expect(lines[1]).toMatch(/^0,school-behaviour.csv,records,2,,INC-1,new,,[0-9a-f-]{36},,/);
    expect(lines[2]).toMatch(/^1,school-behaviour.csv,records,3,,INC-2,new,,[0-9a-f-]{36},,/);
    expect(lines[2]).toContain('person.dateOfBirth (column DOB)');
    expect(lines[2]).toContain('is not a real date, so it was left out');
    expect(lines[3]).toContain('rejected');

    const events = await t.db.selectFrom('event').select(['source_record_id', 'event_type_code', 'recorded_by_user_id']).where('organisation_id', '=', w.school.id).orderBy('source_record_id').execute();
    expect(events).toEqual([{ source_record_id: 'INC-1', event_type_code: 'suspension', recorded_by_user_id: w.dsl.id }, { source_record_id: 'INC-2', event_type_code: 'suspension', recorded_by_user_id: w.dsl.id }]);
    const rows = await auditRowsFor(t.db, { since, userId: w.dsl.id });
    expect(rows.map((r) => [r.action, r.outcome, r.user_id])).toEqual([
      // The entry's write is on the log of each person it names (the pupil, and the other person in the row).
      ['event.record', 'allowed', w.dsl.id], ['event.record', 'allowed', w.dsl.id], ['event.record', 'allowed', w.dsl.id], ['intake.import', 'allowed', w.dsl.id],
      ['intake.report.read', 'allowed', w.dsl.id], ['intake.report.read', 'allowed', w.dsl.id], ['intake.report.read', 'allowed', w.dsl.id],
    ]);
    const named = await t.db.selectFrom('event_person').innerJoin('event', 'event.id', 'event_person.event_id').select('event_person.person_id')
      .where('event.organisation_id', '=', w.school.id).execute();
    expect(rows.slice(0, 3).map((r) => r.person_id).sort()).toEqual(named.map((p) => p.person_id).sort());
    // The reads name no person: the reader could see none of them.
    const detailOf = (r: { detail: unknown }) => (typeof r.detail === 'string' ? JSON.parse(r.detail) : r.detail) as { personIds?: string[] } | null;
    expect(rows.slice(4).map((r) => detailOf(r)?.personIds ?? [])).toEqual([[], [], []]);
  });

  it('explains a missing file and a CSV without its mapping, keeping what was chosen', async () => {
    const w = await world();
    const none = await upload(w.dslSession, { format: 'auto' }, []);
    expect(none.statusCode).toBe(400);
    expect(none.body).toContain('Choose a file to import');
    const csv = await upload(w.dslSession, { format: 'csv' }, [{ field: 'file', name: 'x.csv', content: 'a,b\n1,2\n' }]);
    expect(csv.statusCode).toBe(400);
    expect(csv.body).toContain('A CSV file needs its column-mapping file');
  });

  it('does not show one organisation\'s batch to another organisation', async () => {
    const w = await world();
    const other = await world();
    const res = await upload(w.dslSession, { format: 'jsonl' }, [{ field: 'file', name: 'a.jsonl', content: 'not json\n' }]);
    await drainOutbox(t.db);
    const since = await lastAuditId(t.db);
    const theirs = await t.app.inject({ method: 'GET', url: res.headers.location as string, headers: { cookie: other.dslSession.cookie } });
    expect(theirs.statusCode).toBe(404);
    const rows = await auditRowsFor(t.db, { since, userId: other.dsl.id });
    expect(rows.map((r) => [r.action, r.outcome, r.user_id])).toEqual([['intake.report.read', 'denied', other.dsl.id]]);
  });

  it('refuses an upload larger than the configured limit with a clear page (413)', async () => {
    const w = await world();
    // A server configured with a limit of 0.01 MB, on the same database (the session is held there).
    const small = await buildTestApp(t.d, { INTAKE_MAX_MB: '0.01' });
    try {
      const res = await upload(w.dslSession, { format: 'jsonl' }, [{ field: 'file', name: 'big.jsonl', content: Buffer.alloc(200_000, 0x20) }], small);
      expect(res.statusCode).toBe(413);
      expect(res.body).toContain('The file is larger than the limit of 10.2 KB: split it into smaller files');
    } finally {
      await small.close();
    }
  });

  it('shows progress while a batch is still running', async () => {
    const w = await world();
    const batch = await t.db.insertInto('intake_batch').values({
      organisation_id: w.school.id, format: 'jsonl', file_names: ['big.jsonl'], via: 'upload', user_id: w.dsl.id, api_key_id: null,
      bytes_total: 4_000_000, bytes_read: 1_000_000, records_read: 1200, report: null,
    }).returning('id').executeTakeFirstOrThrow();
    const page = await t.app.inject({ method: 'GET', url: `/intake/batches/${batch.id}`, headers: { cookie: w.dslSession.cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('In progress');
    expect(page.body).toContain('1200 records processed: 976.6 KB of 3.8 MB read (25%).');
    expect(page.body).toContain('<progress class="app-progress" max="100" value="25" aria-labelledby="progress">');
  });
});
