import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { involve, makeOrg, makePerson, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';
import { silentLog } from '../../../../test/drain-outbox.js';
import { runOutboxOnce } from '../../outbox/outbox.js';
import { REFUSAL_LIMIT, REFUSAL_WINDOW_SECONDS, refusalSummaryProcessor, refusalWindow } from '../auth/unauthenticated-refusals.js';
import { createApiKey } from './api-key.js';

describe(`refused API keys are counted and summarised, not logged one row each, on ${TEST_ENGINE}`, () => {
  const t = useTestApp();
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Pins the application's clock one second into a counting window, so a test's requests share it. */
  function pinClock(): Date {
    const start = refusalWindow(new Date(Date.now() + REFUSAL_WINDOW_SECONDS * 1000)).start;
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(start.getTime() + 1000);
    return start;
  }

  async function world() {
    const org = await makeOrg(t.db, 'school');
    const child = await makePerson(t.db);
    await involve(t.db, { personId: child.id, organisationId: org.id });
    const key = await createApiKey(t.db, org.id, 'School MIS');
    return { org, child, key: key.key };
  }

  const rowsFrom = (address: string) =>
    t.db.selectFrom('access_log').select(['action', 'outcome', 'route', 'detail', 'user_id', 'api_key_id'])
      .where(sql<boolean>`detail->>'address' = ${address}`).orderBy('id').execute();

  it('1,000 malformed-key requests from one address write two access-log rows; past the limit they answer 429; a valid key still works', async () => {
    const w = await world();
    const start = pinClock();
    const ip = '203.0.113.77';
    const statuses: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/people/${w.child.id}`, remoteAddress: ip, headers: { authorization: `Bearer not-a-key-${i}` } });
      statuses.push(res.statusCode);
      if (i === REFUSAL_LIMIT) {
        expect(res.json().error.code).toBe('too_many_refused_requests');
        expect(Number(res.headers['retry-after'])).toBe(REFUSAL_WINDOW_SECONDS - 1);
      }
    }
    expect(statuses.slice(0, REFUSAL_LIMIT).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(REFUSAL_LIMIT).every((s) => s === 429)).toBe(true);
    // A well-formed but unknown key is refused the same way; the right key from the same address works.
    const unknown = await t.app.inject({ method: 'GET', url: `/api/v1/people/${w.child.id}`, remoteAddress: ip, headers: { authorization: `Bearer jgs_00000000_${'a'.repeat(43)}` } });
    expect(unknown.statusCode).toBe(429);
    const valid = await t.app.inject({ method: 'GET', url: `/api/v1/people/${w.child.id}`, remoteAddress: ip, headers: { authorization: `Bearer ${w.key}` } });
    expect(valid.statusCode).toBe(200);
    // Another address is not affected.
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/people/${w.child.id}`, remoteAddress: '203.0.113.78', headers: { authorization: 'Bearer nonsense' } })).statusCode).toBe(401);

    // So far: the first refusal, logged with its reason.
    const first = await rowsFrom(ip);
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ action: 'request.refused', outcome: 'denied', route: 'GET /api/v1/people/:personId', user_id: null, api_key_id: null });
    expect(first[0]!.detail).toMatchObject({ reason: 'malformed_api_key', address: ip });
    // The summary is due when the window ends: not before.
    await runOutboxOnce(t.db, { processors: [refusalSummaryProcessor], log: silentLog, now: new Date(start.getTime() + 2000) });
    expect(await rowsFrom(ip)).toHaveLength(1);
    const end = new Date(start.getTime() + REFUSAL_WINDOW_SECONDS * 1000 + 1000);
    await runOutboxOnce(t.db, { processors: [refusalSummaryProcessor], log: silentLog, now: end });
    const rows = await rowsFrom(ip);
    expect(rows).toHaveLength(2);
    expect(rows[1]!.detail).toMatchObject({
      reason: 'summary', address: ip, total: 1001, reasons: { malformed_api_key: 1000, unknown_or_revoked_api_key: 1 },
      window: { from: start.toISOString(), to: new Date(start.getTime() + REFUSAL_WINDOW_SECONDS * 1000).toISOString() },
    });
    // The counter is gone; running the summary again writes nothing more (delivery is at least once).
    expect(await t.db.selectFrom('unauthenticated_refusal').select('ip').where('ip', '=', ip).execute()).toEqual([]);
    await refusalSummaryProcessor.handle({ id: 0, kind: 'audit.refusal_summary', payload: { ip, windowStart: start.toISOString() }, attempts: 2, maxAttempts: 8 }, { db: t.db, log: silentLog });
    expect(await rowsFrom(ip)).toHaveLength(2);

    // In the next window the address starts again: 401, and its first refusal is logged.
    vi.setSystemTime(end);
    const again = await t.app.inject({ method: 'GET', url: `/api/v1/people/${w.child.id}`, remoteAddress: ip, headers: { authorization: 'Bearer nonsense' } });
    expect(again.statusCode).toBe(401);
    expect(await rowsFrom(ip)).toHaveLength(3);
  });

  it('a single refusal is logged as before, with the key prefix of an unknown key, and needs no summary', async () => {
    const w = await world();
    const start = pinClock();
    const ip = '203.0.113.90';
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/people/${w.child.id}`, remoteAddress: ip, headers: { authorization: `Bearer jgs_0badcafe_${'b'.repeat(43)}` } });
    expect(res.statusCode).toBe(401);
    await runOutboxOnce(t.db, { processors: [refusalSummaryProcessor], log: silentLog, now: new Date(start.getTime() + (REFUSAL_WINDOW_SECONDS + 1) * 1000) });
    const rows = await rowsFrom(ip);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.detail).toMatchObject({ reason: 'unknown_or_revoked_api_key', keyPrefix: '0badcafe' });
  });

  it('an OpenID Connect callback with no sign-in behind it (no state, or an unknown one) is counted the same way', async () => {
    const start = pinClock();
    const ip = '203.0.113.91';
    for (let i = 0; i < 200; i++) {
      const res = await t.app.inject({
        method: 'GET', url: `/sign-in/oidc/callback?code=c${i}&state=s${i}`, remoteAddress: ip, headers: i % 2 ? { cookie: `jigsaw_oidc=s${i}` } : {},
      });
      expect(res.statusCode).toBe(401);
    }
    expect(await rowsFrom(ip)).toHaveLength(1);
    await runOutboxOnce(t.db, { processors: [refusalSummaryProcessor], log: silentLog, now: new Date(start.getTime() + (REFUSAL_WINDOW_SECONDS + 1) * 1000) });
    const rows = await rowsFrom(ip);
    expect(rows).toHaveLength(2);
    expect(rows[1]!.detail).toMatchObject({ reason: 'summary', total: 200, reasons: { state_mismatch: 100, state_unknown_or_expired: 100 } });
  });

  it('over a real listening socket: past the limit a malformed key answers 429, and a valid key from the same address answers 200', async () => {
    const w = await world();
    pinClock();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.server.address() as AddressInfo;
    // The client connects from an address of its own on the loopback network, so no other test's limit is touched.
    const get = (authorization: string) => new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, localAddress: '127.0.0.93', path: `/api/v1/people/${w.child.id}`, headers: { authorization } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
    const statuses: number[] = [];
    for (let i = 0; i < REFUSAL_LIMIT + 5; i++) statuses.push(await get(`Bearer garbage-${i}`));
    expect(statuses.slice(0, REFUSAL_LIMIT)).toEqual(Array(REFUSAL_LIMIT).fill(401));
    expect(statuses.slice(REFUSAL_LIMIT)).toEqual(Array(5).fill(429));
    expect(await get(`Bearer ${w.key}`)).toBe(200);
    expect(await rowsFrom('127.0.0.93')).toHaveLength(1);
  });
});
