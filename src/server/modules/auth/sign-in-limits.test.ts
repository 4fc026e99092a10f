import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, makeOrg, makeUser, TEST_ENGINE, TEST_PASSWORD, useTestApp } from '../../../../test/helpers.js';
import { ACCOUNT_MAX_FAILURES, emailAccountKey, IP_MAX_FAILURES } from './limits.js';

describe(`sign-in lockout and rate limits on ${TEST_ENGINE}`, () => {
  const t = useTestApp();
  let other: FastifyInstance;
  let ipCounter = 0;
  beforeAll(async () => {
    other = await buildTestApp(t.d); // a second server process on the same database
  });
  afterAll(async () => {
    await other.close();
  });

  /** A documentation-range address of its own for each test, so tests do not share limits. */
  const freshIp = () => `198.51.100.${++ipCounter}`;

  async function attempt(server: FastifyInstance, email: string, password: string, ip: string) {
    const page = await server.inject({ method: 'GET', url: '/sign-in', remoteAddress: ip });
    const pre = page.cookies.find((c) => c.name === 'jigsaw_signin')!;
    const token = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    return server.inject({
      method: 'POST', url: '/sign-in', remoteAddress: ip,
      headers: { cookie: `jigsaw_signin=${pre.value}`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ email, password, _csrf: token }).toString(),
    });
  }
  /** The page without its one-off tokens, to compare answers. */
  const normalise = (body: string) => body.replace(/value="[A-Za-z0-9_-]{20,}"/g, 'value="TOKEN"').replace(/nonce="[^"]+"/g, 'nonce="N"').replace(/value="[^"]*@[^"]*"/g, 'value="EMAIL"');

  it(`locks an account after ${ACCOUNT_MAX_FAILURES} wrong passwords, refusing even the right one, on every server process`, async () => {
    const org = await makeOrg(t.db);
    const user = await makeUser(t.db, { organisationId: org.id });
    for (let i = 0; i < ACCOUNT_MAX_FAILURES; i++) {
      // Spread over addresses and both processes: the limit is on the account, held in the database.
      const res = await attempt(i % 2 ? t.app : other, user.email, `wrong-password-${i}`, freshIp());
      expect(res.statusCode).toBe(401);
    }
    const locked = await attempt(t.app, user.email, TEST_PASSWORD, freshIp());
    expect(locked.statusCode).toBe(429);
    expect(locked.body).toContain('There have been too many attempts to sign in');
    expect(locked.cookies.find((c) => c.name === 'jigsaw_session')).toBeUndefined();
    expect((await attempt(other, user.email.toUpperCase(), TEST_PASSWORD, freshIp())).statusCode).toBe(429);
    // The failures age out of the window; then the right password works again and clears the count.
    await sql`UPDATE sign_in_failure SET at = at - interval '16 minutes' WHERE account_key = ${emailAccountKey(user.email)}`.execute(t.db);
    expect((await attempt(t.app, user.email, TEST_PASSWORD, freshIp())).statusCode).toBe(303);
  });

  it('answers an unknown email exactly as a real account, before and after lockout', async () => {
    const org = await makeOrg(t.db);
    const user = await makeUser(t.db, { organisationId: org.id });
    const unknown = `nobody-${user.id.slice(0, 8)}@test.jigsaw.test`;
    const ip = freshIp();
    for (let i = 0; i < ACCOUNT_MAX_FAILURES; i++) {
      const real = await attempt(t.app, user.email, 'not-the-password', ip);
      const fake = await attempt(t.app, unknown, 'not-the-password', ip);
      expect([real.statusCode, fake.statusCode]).toEqual([401, 401]);
      expect(normalise(real.body)).toBe(normalise(fake.body));
    }
    const real = await attempt(t.app, user.email, TEST_PASSWORD, ip);
    const fake = await attempt(t.app, unknown, TEST_PASSWORD, ip);
    expect([real.statusCode, fake.statusCode]).toEqual([429, 429]);
    expect(normalise(real.body)).toBe(normalise(fake.body));
    // No email address is kept in the limits table, only a hash.
    const keys = await t.db.selectFrom('sign_in_failure').select('account_key').where('ip', '=', ip).execute();
    expect(keys.every((k) => /^email:[0-9a-f]{64}$/.test(k.account_key))).toBe(true);
  });

  it(`refuses an address after ${IP_MAX_FAILURES} failures across any accounts, while other addresses still sign in`, async () => {
    const org = await makeOrg(t.db);
    const user = await makeUser(t.db, { organisationId: org.id });
    const noisy = freshIp();
    await t.db.insertInto('sign_in_failure')
      .values(Array.from({ length: IP_MAX_FAILURES - 1 }, (_, i) => ({ account_key: `email:spray-${i}`, ip: noisy })))
      .execute();
    expect((await attempt(t.app, `spray-last@test.jigsaw.test`, 'guess-guess-guess', noisy)).statusCode).toBe(401);
    const refused = await attempt(other, user.email, TEST_PASSWORD, noisy);
    expect(refused.statusCode).toBe(429);
    expect((await attempt(t.app, user.email, TEST_PASSWORD, freshIp())).statusCode).toBe(303);
  });
});
