import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildTestApp, makeOrg, makeUser, TEST_ENGINE, TEST_PASSWORD, useTestApp } from '../../../../test/helpers.js';
import {
  ACCOUNT_FREE_FAILURES, BACKOFF_BASE_SECONDS, BACKOFF_MAX_SECONDS, DEVICE_COOKIE, DEVICE_COOKIE_DAYS, emailAccountKey, FAILURE_WINDOW_MINUTES, IP_THROTTLE_FAILURES, PAIR_FREE_FAILURES,
} from './limits.js';

describe(`sign-in back-off on ${TEST_ENGINE}`, () => {
  // The application's clock is moved, never waited for: only Date is faked (timers run as usual).
  // It is faked before the database opens, 100 days behind the real clock, and only moves on (about
  // 90 days in all) until the database has closed: the embedded database arms its timers by this
  // clock, and one taken back more than 24 days would fire every millisecond (test/setup-clock.ts).
  let clock = 0;
  beforeAll(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() - 100 * 86_400_000);
  });
  afterAll(() => {
    vi.useRealTimers();
  });
  const t = useTestApp();
  let other: FastifyInstance;
  let ipCounter = 0;
  beforeAll(async () => {
    other = await buildTestApp(t.d); // a second server process on the same database
  });
  afterAll(async () => {
    await other.close();
  });
  beforeEach(() => {
    clock = Date.now();
  });
  const advance = (seconds: number) => {
    clock += seconds * 1000;
    vi.setSystemTime(clock);
  };

  /** A documentation-range address of its own for each use, so tests do not share limits. */
  const freshIp = () => `198.51.${100 + Math.floor(ipCounter / 250)}.${(ipCounter++ % 250) + 1}`;

  async function attempt(server: FastifyInstance, email: string, password: string, ip: string, device?: string) {
    const page = await server.inject({ method: 'GET', url: '/sign-in', remoteAddress: ip });
    const pre = page.cookies.find((c) => c.name === 'jigsaw_signin')!;
    const token = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    return server.inject({
      method: 'POST', url: '/sign-in', remoteAddress: ip,
      headers: { cookie: `jigsaw_signin=${pre.value}${device ? `; ${DEVICE_COOKIE}=${device}` : ''}`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ email, password, _csrf: token }).toString(),
    });
  }
  /** Failures as rows, as if made `secondsAgo` before now. */
  async function failures(rows: { email?: string; key?: string; ip: string }[], secondsAgo = 1) {
    const at = new Date(clock - secondsAgo * 1000);
    await t.db.insertInto('sign_in_failure')
      .values(rows.map((r) => ({ account_key: r.key ?? emailAccountKey(r.email!), ip: r.ip, at })))
      .execute();
  }
  /** The page without its one-off tokens, to compare answers. */
  const normalise = (body: string) => body.replace(/value="[A-Za-z0-9_-]{20,}"/g, 'value="TOKEN"').replace(/nonce="[^"]+"/g, 'nonce="N"').replace(/value="[^"]*@[^"]*"/g, 'value="EMAIL"');

  it(`makes one address wait after ${PAIR_FREE_FAILURES} wrong passwords for an account, doubling the wait; hammering does not lengthen it; the right password from elsewhere still signs in`, async () => {
    const org = await makeOrg(t.db);
    const user = await makeUser(t.db, { organisationId: org.id });
    const attacker = freshIp();
    for (let i = 0; i < PAIR_FREE_FAILURES; i++) {
      expect((await attempt(i % 2 ? t.app : other, user.email, `wrong-password-${i}`, attacker)).statusCode).toBe(401);
    }
    // Now that address waits, even with the right password (which is not checked while it waits).
    const waiting = await attempt(t.app, user.email, TEST_PASSWORD, attacker);
    expect(waiting.statusCode).toBe(429);
    expect(waiting.headers['retry-after']).toBe(String(BACKOFF_BASE_SECONDS));
    expect(waiting.body).toContain(`There have been too many attempts to sign in. Wait ${BACKOFF_BASE_SECONDS} seconds and try again`);
    expect(waiting.cookies.find((c) => c.name === 'jigsaw_session')).toBeUndefined();
    // Attempts while waiting are not counted: ten more do not lengthen the wait.
    for (let i = 0; i < 10; i++) await attempt(other, user.email, `hammer-${i}`, attacker);
    advance(BACKOFF_BASE_SECONDS - 5);
    expect((await attempt(t.app, user.email, 'still-waiting', attacker)).headers['retry-after']).toBe('5');
    // Each failure after the wait doubles the next wait.
    advance(6);
    expect((await attempt(t.app, user.email, 'wrong-again', attacker)).statusCode).toBe(401);
    expect((await attempt(t.app, user.email, TEST_PASSWORD, attacker)).headers['retry-after']).toBe(String(2 * BACKOFF_BASE_SECONDS));
    advance(2 * BACKOFF_BASE_SECONDS + 1);
    expect((await attempt(other, user.email, 'wrong-again-2', attacker)).statusCode).toBe(401);
    expect((await attempt(t.app, user.email, TEST_PASSWORD, attacker)).headers['retry-after']).toBe(String(4 * BACKOFF_BASE_SECONDS));
    // The account's owner, at another address, is not held up by one address's guesses.
    const owner = await attempt(other, user.email.toUpperCase(), TEST_PASSWORD, freshIp());
    expect(owner.statusCode).toBe(303);
    expect(owner.cookies.find((c) => c.name === 'jigsaw_session')).toBeDefined();
    // The owner signing in clears only the failures from where they signed in: the guessing address still waits.
    expect((await attempt(t.app, user.email, TEST_PASSWORD, attacker)).statusCode).toBe(429);
  });

  it(`M3: a distributed guess at one account (${ACCOUNT_FREE_FAILURES} addresses and more) makes new browsers wait, never the owner's browser with the right password; a device cookie of another account, forged or expired does not help, and its own guesses are limited`, async () => {
    const org = await makeOrg(t.db);
    const owner = await makeUser(t.db, { organisationId: org.id });
    const colleague = await makeUser(t.db, { organisationId: org.id });
    const home = freshIp();
    // The owner signed in from their browser before: it holds the account's device cookie.
    const before = await attempt(t.app, owner.email, TEST_PASSWORD, home);
    expect(before.statusCode).toBe(303);
    const device = before.cookies.find((c) => c.name === DEVICE_COOKIE)!;
    expect(device).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/sign-in' });
    const otherDevice = (await attempt(t.app, colleague.email, TEST_PASSWORD, freshIp())).cookies.find((c) => c.name === DEVICE_COOKIE)!.value;

    // The attack: one guess from each of many addresses, as a botnet makes them (most as rows, the last through both processes).
    await failures(Array.from({ length: ACCOUNT_FREE_FAILURES - 2 }, () => ({ email: owner.email, ip: freshIp() })), 10);
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push((await attempt(i % 2 ? t.app : other, owner.email, `botnet-guess-${i}`, freshIp())).statusCode);
    expect(answers).toEqual([401, 401, 429, 429]);
    expect(await t.db.selectFrom('sign_in_failure').select('id').where('account_key', '=', emailAccountKey(owner.email)).execute()).toHaveLength(ACCOUNT_FREE_FAILURES);
    // Every new browser waits, the right password included (it is not checked while waiting) ...
    const stranger = await attempt(t.app, owner.email, TEST_PASSWORD, freshIp());
    expect(stranger.statusCode).toBe(429);
    // ... and so do forged, foreign and stale device cookies.
    expect((await attempt(t.app, owner.email, TEST_PASSWORD, freshIp(), 'v1.not-a-sealed-value')).statusCode).toBe(429);
    expect((await attempt(t.app, owner.email, TEST_PASSWORD, freshIp(), otherDevice)).statusCode).toBe(429);
    expect((await attempt(t.app, owner.email, TEST_PASSWORD, freshIp(), encodeURIComponent(JSON.stringify({ account: emailAccountKey(owner.email), device: 'x', issued: clock })))).statusCode).toBe(429);
    // The owner's browser signs in with the right password at once, from home or from a new address.
    const mine = await attempt(other, owner.email, TEST_PASSWORD, freshIp(), device.value);
    expect(mine.statusCode).toBe(303);
    expect(mine.cookies.find((c) => c.name === 'jigsaw_session')).toBeDefined();
    // Signing in gave the guessers no fresh allowance: new browsers still wait.
    expect((await attempt(t.app, owner.email, TEST_PASSWORD, freshIp())).statusCode).toBe(429);
    // The device cookie's own guesses are limited like one address's: after five, it waits too.
    const renewed = mine.cookies.find((c) => c.name === DEVICE_COOKIE)!.value;
    for (let i = 0; i < PAIR_FREE_FAILURES; i++) expect((await attempt(t.app, owner.email, `stolen-cookie-${i}`, freshIp(), renewed)).statusCode).toBe(401);
    expect((await attempt(t.app, owner.email, TEST_PASSWORD, freshIp(), renewed)).statusCode).toBe(429);
    // A device cookie is honoured for ${DEVICE_COOKIE_DAYS} days: an older one is a new browser.
    advance(DEVICE_COOKIE_DAYS * 86_400 + 60);
    await failures(Array.from({ length: ACCOUNT_FREE_FAILURES }, () => ({ email: owner.email, ip: freshIp() })));
    expect((await attempt(t.app, owner.email, TEST_PASSWORD, home, device.value)).statusCode).toBe(429);
  });

  it(`makes every address wait for an account after ${ACCOUNT_FREE_FAILURES} wrong passwords from many addresses, leaving other accounts alone`, async () => {
    const org = await makeOrg(t.db);
    const target = await makeUser(t.db, { organisationId: org.id });
    const bystander = await makeUser(t.db, { organisationId: org.id });
    await failures(Array.from({ length: ACCOUNT_FREE_FAILURES - 1 }, () => ({ email: target.email, ip: freshIp() })), 10);
    expect((await attempt(t.app, target.email, 'one-more-guess', freshIp())).statusCode).toBe(401);
    const anywhere = await attempt(other, target.email, TEST_PASSWORD, freshIp());
    expect(anywhere.statusCode).toBe(429);
    expect(anywhere.headers['retry-after']).toBe(String(BACKOFF_BASE_SECONDS));
    expect((await attempt(t.app, bystander.email, TEST_PASSWORD, freshIp())).statusCode).toBe(303);
    advance(BACKOFF_BASE_SECONDS + 1);
    expect((await attempt(t.app, target.email, TEST_PASSWORD, freshIp())).statusCode).toBe(303);
  });

  it(`never makes anyone wait more than ${BACKOFF_MAX_SECONDS / 60} minutes, however many failures: nobody can hold an account locked`, async () => {
    const org = await makeOrg(t.db);
    const user = await makeUser(t.db, { organisationId: org.id });
    const ip = freshIp();
    await failures(Array.from({ length: 300 }, (_, i) => ({ email: user.email, ip: i % 2 ? ip : freshIp() })));
    const held = await attempt(t.app, user.email, TEST_PASSWORD, ip);
    expect(held.statusCode).toBe(429);
    expect(Number(held.headers['retry-after'])).toBeLessThanOrEqual(BACKOFF_MAX_SECONDS);
    expect(held.body).toContain(`Wait ${BACKOFF_MAX_SECONDS / 60} minutes`);
    advance(BACKOFF_MAX_SECONDS);
    expect((await attempt(t.app, user.email, TEST_PASSWORD, ip)).statusCode).toBe(303);
  });

  it('forgets failures older than the window', async () => {
    const org = await makeOrg(t.db);
    const user = await makeUser(t.db, { organisationId: org.id });
    const ip = freshIp();
    await failures(Array.from({ length: 40 }, () => ({ email: user.email, ip })), 10);
    expect((await attempt(t.app, user.email, TEST_PASSWORD, ip)).statusCode).toBe(429);
    advance(FAILURE_WINDOW_MINUTES * 60);
    expect((await attempt(t.app, user.email, TEST_PASSWORD, ip)).statusCode).toBe(303);
  });

  it(`a shared gateway: ${IP_THROTTLE_FAILURES} failures there for other accounts never stop a colleague's right password, but each guessed account waits after one failure there`, async () => {
    const org = await makeOrg(t.db);
    const colleague = await makeUser(t.db, { organisationId: org.id });
    const sprayed = await makeUser(t.db, { organisationId: org.id });
    const gateway = freshIp();
    await failures([
      ...Array.from({ length: IP_THROTTLE_FAILURES }, (_, i) => ({ key: `email:spray-${gateway}-${i}`, ip: gateway })),
      { email: sprayed.email, ip: gateway },
    ]);
    // The old rule refused every sign-in from this address; now the right password still signs in, from either process.
    const ok = await attempt(other, colleague.email, TEST_PASSWORD, gateway);
    expect(ok.statusCode).toBe(303);
    expect(ok.cookies.find((c) => c.name === 'jigsaw_session')).toBeDefined();
    // A guessed account waits after its one failure at the throttled address (not after five) ...
    const guessed = await attempt(t.app, sprayed.email, TEST_PASSWORD, gateway);
    expect(guessed.statusCode).toBe(429);
    // ... but only there: its owner elsewhere signs in.
    expect((await attempt(t.app, sprayed.email, TEST_PASSWORD, freshIp())).statusCode).toBe(303);
    // A fresh guess at another account from the gateway is checked once, then that account waits there.
    const third = await makeUser(t.db, { organisationId: org.id });
    expect((await attempt(t.app, third.email, 'a-wrong-guess', gateway)).statusCode).toBe(401);
    expect((await attempt(t.app, third.email, 'another-guess', gateway)).statusCode).toBe(429);
  });

  it('answers an unknown email exactly as a real account, before and while waiting', async () => {
    const org = await makeOrg(t.db);
    const user = await makeUser(t.db, { organisationId: org.id });
    const unknown = `nobody-${user.id.slice(0, 8)}@test.jigsaw.test`;
    const ip = freshIp();
    for (let i = 0; i < PAIR_FREE_FAILURES; i++) {
      const real = await attempt(t.app, user.email, 'not-the-password', ip);
      const fake = await attempt(t.app, unknown, 'not-the-password', ip);
      expect([real.statusCode, fake.statusCode]).toEqual([401, 401]);
      expect(normalise(real.body)).toBe(normalise(fake.body));
    }
    const real = await attempt(t.app, user.email, TEST_PASSWORD, ip);
    const fake = await attempt(t.app, unknown, TEST_PASSWORD, ip);
    expect([real.statusCode, fake.statusCode]).toEqual([429, 429]);
    expect(real.headers['retry-after']).toBe(fake.headers['retry-after']);
    expect(normalise(real.body)).toBe(normalise(fake.body));
    // No email address is kept in the limits table, only a hash.
    const keys = await t.db.selectFrom('sign_in_failure').select('account_key').where('ip', '=', ip).execute();
    expect(keys.every((k) => /^email:[0-9a-f]{64}$/.test(k.account_key))).toBe(true);
  });

  it('logs each checked failure, and summarises attempts made while waiting instead of one access-log row each', async () => {
    const org = await makeOrg(t.db);
    const user = await makeUser(t.db, { organisationId: org.id });
    const ip = freshIp();
    const before = await t.db.selectFrom('access_log').select((eb) => eb.fn.max('id').as('max')).executeTakeFirstOrThrow();
    for (let i = 0; i < PAIR_FREE_FAILURES + 15; i++) await attempt(t.app, user.email, `guess-${i}`, ip);
    const rows = await t.db.selectFrom('access_log').select(['action', 'outcome', 'detail'])
      .where('id', '>', Number(before.max ?? 0)).where('route', '=', 'POST /sign-in').orderBy('id').execute();
    const mine = rows.filter((r) => {
      const d = r.detail as { address?: string; reason?: string } | null;
      return d?.reason === 'not_right' || d?.address === ip;
    });
    // Five checked (and logged) failures on this test's requests, then one row for the first refusal while waiting.
    expect(mine.filter((r) => (r.detail as { reason: string }).reason === 'not_right').length).toBeGreaterThanOrEqual(PAIR_FREE_FAILURES);
    expect(mine.filter((r) => (r.detail as { address?: string }).address === ip)).toHaveLength(1);
    const counter = await t.db.selectFrom('unauthenticated_refusal').select(['count', 'reasons']).where('ip', '=', ip).executeTakeFirstOrThrow();
    expect(counter.count).toBe(15);
    expect(counter.reasons).toEqual({ sign_in_throttled: 15 });
  });
});
