import { describe, expect, it } from 'vitest';
import { auditRowsFor, involve, lastAuditId, makeEvent, makeOrg, makePerson, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';
import { createApiKey } from './api-key.js';

describe(`JSON API on ${TEST_ENGINE}`, () => {
  const t = useTestApp();

  async function world() {
    const school = await makeOrg(t.db, 'school');
    const other = await makeOrg(t.db, 'housing');
    const child = await makePerson(t.db, { given: 'Rohan', family: 'Ashdown' });
    await involve(t.db, { personId: child.id, organisationId: school.id });
    for (let i = 0; i < 7; i++) {
      await makeEvent(t.db, { personId: child.id, organisationId: school.id, type: 'suspension', occurredAt: `2025-0${i + 1}-10T09:00:00Z`, summary: `Suspension ${i + 1}` });
    }
    const key = await createApiKey(t.db, school.id, 'School MIS');
    const otherKey = await createApiKey(t.db, other.id, 'Housing system');
    const auth = (k: string) => ({ authorization: `Bearer ${k}` });
    return { school, other, child, key: key.key, otherKey: otherKey.key, auth };
  }

  it('answers /health with the engine', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/health' });
    expect(res.json()).toEqual({ status: 'ok', database: TEST_ENGINE });
  });

  it('documents the API with OpenAPI', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/openapi.json' });
    const doc = res.json() as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining([
      '/api/v1/people/{personId}', '/api/v1/people/{personId}/chronology', '/api/v1/people/{personId}/events',
    ]));
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/people'))).toBe(false);
  });

  it('answers 401 without a key, with a malformed key and with an unknown key', async () => {
    const w = await world();
    for (const authorization of [undefined, 'Bearer nonsense', `Bearer jgs_00000000_${'a'.repeat(43)}`]) {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/people/${w.child.id}`, headers: authorization ? { authorization } : {} });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('unauthenticated');
    }
  });

  it('answers 404 and logs a denied row for an organisation with no involvement', async () => {
    const w = await world();
    const before = await lastAuditId(t.db);
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/people/${w.child.id}/chronology`, headers: w.auth(w.otherKey) });
    expect(res.statusCode).toBe(404);
    const missing = await t.app.inject({ method: 'GET', url: '/api/v1/people/00000000-0000-4000-8000-000000000000/chronology', headers: w.auth(w.otherKey) });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe(res.json().error.code);
    const rows = await auditRowsFor(t.db, { since: before });
    expect(rows.map((r) => [r.action, r.outcome, r.organisation_id, r.person_id])).toEqual([
      ['chronology.read', 'denied', w.other.id, w.child.id],
      ['chronology.read', 'denied', w.other.id, '00000000-0000-4000-8000-000000000000'],
    ]);
  });

  it('returns the person and a paginated, filtered chronology to an involved organisation, logging each read', async () => {
    const w = await world();
    const before = await lastAuditId(t.db);
    const person = await t.app.inject({ method: 'GET', url: `/api/v1/people/${w.child.id}`, headers: w.auth(w.key) });
    expect(person.statusCode).toBe(200);
    expect(person.headers['cache-control']).toBe('no-store');
    expect(person.json()).toMatchObject({ id: w.child.id, displayName: 'Rohan Ashdown', dateOfBirth: '2010-05-04' });
    const page1 = await t.app.inject({ method: 'GET', url: `/api/v1/people/${w.child.id}/chronology?pageSize=3`, headers: w.auth(w.key) });
    const body = page1.json();
    expect(body).toMatchObject({ page: 1, pageSize: 3, total: 7, totalPages: 3 });
    expect(body.entries.map((e: { summary: string }) => e.summary)).toEqual(['Suspension 7', 'Suspension 6', 'Suspension 5']);
    expect(body.entries[0].provenance).toMatchObject({ sourceSystem: 'TestSystem', recordedVia: 'api' });
    const page3 = await t.app.inject({ method: 'GET', url: `/api/v1/people/${w.child.id}/chronology?pageSize=3&page=3`, headers: w.auth(w.key) });
    expect(page3.json().entries.map((e: { summary: string }) => e.summary)).toEqual(['Suspension 1']);
    const filtered = await t.app.inject({ method: 'GET', url: `/api/v1/people/${w.child.id}/chronology?from=2025-02-01&to=2025-03-31`, headers: w.auth(w.key) });
    expect(filtered.json().total).toBe(2);
    const none = await t.app.inject({ method: 'GET', url: `/api/v1/people/${w.child.id}/chronology?category=health`, headers: w.auth(w.key) });
    expect(none.json().total).toBe(0);
    const rows = await auditRowsFor(t.db, { since: before });
    expect(rows.map((r) => [r.action, r.outcome, r.api_key_id !== null])).toEqual([
      ['person.read', 'allowed', true],
      ['chronology.read', 'allowed', true],
      ['chronology.read', 'allowed', true],
      ['chronology.read', 'allowed', true],
      ['chronology.read', 'allowed', true],
    ]);
  });

  it('records an event, and a correction that keeps the original', async () => {
    const w = await world();
    const before = await lastAuditId(t.db);
    const res = await t.app.inject({
      method: 'POST', url: `/api/v1/people/${w.child.id}/events`, headers: w.auth(w.key),
      payload: {
        eventTypeCode: 'permanent_exclusion', occurredAt: '2026-02-03', occurredPrecision: 'date',
        summary: 'Permanently excluded after an incident', sourceSystem: 'SchoolMIS', sourceRecordId: 'EXC-991', factorCodes: ['excluded_from_school'],
      },
    });
    expect(res.statusCode).toBe(201);
    const id = res.json().id as string;
    const correction = await t.app.inject({
      method: 'POST', url: `/api/v1/people/${w.child.id}/events`, headers: w.auth(w.key),
      payload: {
        eventTypeCode: 'suspension', occurredAt: '2026-02-03', occurredPrecision: 'date', summary: 'Suspended for five days (not excluded)',
        sourceSystem: 'SchoolMIS', sourceRecordId: 'EXC-991', supersedes: id, correctionReason: 'Recorded as the wrong sanction',
      },
    });
    expect(correction.statusCode).toBe(201);
    const again = await t.app.inject({
      method: 'POST', url: `/api/v1/people/${w.child.id}/events`, headers: w.auth(w.key),
      payload: { eventTypeCode: 'suspension', occurredAt: '2026-02-03', occurredPrecision: 'date', summary: 'x', sourceSystem: 'SchoolMIS', supersedes: id, correctionReason: 'again' },
    });
    expect(again.statusCode).toBe(400);
    expect(again.json().error.details[0]).toMatchObject({ field: 'supersedes' });
    const chronology = (await t.app.inject({ method: 'GET', url: `/api/v1/people/${w.child.id}/chronology?from=2026-01-01`, headers: w.auth(w.key) })).json();
    expect(chronology.total).toBe(1);
    expect(chronology.entries[0]).toMatchObject({ summary: 'Suspended for five days (not excluded)', correction: { supersedes: id, reason: 'Recorded as the wrong sanction' } });
    expect(chronology.entries[0].earlierVersions.map((e: { id: string; summary: string }) => [e.id, e.summary])).toEqual([[id, 'Permanently excluded after an incident']]);
    const rows = await auditRowsFor(t.db, { since: before });
    expect(rows.map((r) => [r.action, r.outcome])).toEqual([['event.record', 'allowed'], ['event.correct', 'allowed'], ['chronology.read', 'allowed']]);
  });

  it('refuses bad input with field-by-field reasons, and writes nothing', async () => {
    const w = await world();
    const url = `/api/v1/people/${w.child.id}/events`;
    const good = { eventTypeCode: 'suspension', occurredAt: '2026-01-05', occurredPrecision: 'date', summary: 'ok', sourceSystem: 'SchoolMIS' };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...good, eventTypeCode: 'no_such_type' }, 'eventTypeCode'],
      [{ ...good, occurredAt: 'yesterday' }, 'occurredAt'],
      [{ ...good, occurredAt: '2099-01-01' }, 'occurredAt'],
      [{ ...good, summary: '' }, 'summary'],
      [{ ...good, factorCodes: ['not_a_factor'] }, 'factorCodes'],
      [{ ...good, surprise: true }, 'body'],
      [{ ...good, otherPeople: [{ personId: '00000000-0000-4000-8000-000000000000', role: 'witness' }] }, 'otherPeople.0.personId'],
    ];
    const before = await t.db.selectFrom('event').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    for (const [payload, field] of cases) {
      const res = await t.app.inject({ method: 'POST', url, headers: w.auth(w.key), payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      const details = res.json().error.details as { field: string; message: string }[];
      expect(details.some((x) => x.field.startsWith(field)), `${field} in ${JSON.stringify(details)}`).toBe(true);
      expect(details.every((x) => x.message.length > 0)).toBe(true);
    }
    const garbage = await t.app.inject({ method: 'POST', url, headers: { ...w.auth(w.key), 'content-type': 'application/json' }, payload: '{"eventTypeCode":' });
    expect(garbage.statusCode).toBe(400);
    const after = await t.db.selectFrom('event').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });

  it('does not let an organisation record against a child it does not work with', async () => {
    const w = await world();
    const res = await t.app.inject({
      method: 'POST', url: `/api/v1/people/${w.child.id}/events`, headers: w.auth(w.otherKey),
      payload: { eventTypeCode: 'eviction', occurredAt: '2026-01-05', occurredPrecision: 'date', summary: 'x', sourceSystem: 'H' },
    });
    expect(res.statusCode).toBe(404);
  });
});
