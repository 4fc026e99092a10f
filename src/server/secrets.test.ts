import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildTestApp, makeOrg, makeUser, signIn, TEST_ENGINE, TEST_PASSWORD, testAuthenticators, useTestApp } from '../../test/helpers.js';
import { startTestOidcProvider, type TestOidcProvider } from '../../test/oidc-provider.js';
import { DEVELOPMENT_SECRETS_KEY, loadConfig } from './config.js';
import { clearOidcCache } from './modules/auth/oidc.js';
import { generateTotpSecret, totpCode, totpStep } from './modules/auth/totp.js';
import { keyId, oidcClientSecretContext, resealSecrets, SecretBox, SecretError, totpSecretContext } from './secrets.js';

const newKey = () => randomBytes(32).toString('base64');

describe('sealing secrets (AES-256-GCM)', () => {
  it('seals to a value that does not contain the secret, carries its key id, and opens only for its own row', () => {
    const key = randomBytes(32);
    const box = new SecretBox(key);
    const seed = generateTotpSecret();
    const sealed = box.seal(seed, totpSecretContext('user-a'));
    expect(sealed).toMatch(new RegExp(`^jsec1\\.${keyId(key)}\\.`));
    expect(sealed).not.toContain(seed);
    expect(box.seal(seed, totpSecretContext('user-a'))).not.toBe(sealed); // a fresh IV each time
    expect(box.open(sealed, totpSecretContext('user-a'))).toBe(seed);
    // Copied into another user's row, it does not open.
    expect(() => box.open(sealed, totpSecretContext('user-b'))).toThrow(SecretError);
    // Altered by one character, it does not open.
    const parts = sealed.split('.');
    parts[3] = (parts[3]![0] === 'A' ? 'B' : 'A') + parts[3]!.slice(1);
    expect(() => box.open(parts.join('.'), totpSecretContext('user-a'))).toThrow(/did not open/);
    // A plain value from before sealing reads as it is.
    expect(box.open(seed, totpSecretContext('user-a'))).toBe(seed);
  });

  it('opens values under a previous key while it is rotated out, and names a missing key without showing the value', () => {
    const oldKey = randomBytes(32);
    const sealed = new SecretBox(oldKey).seal('client-secret-1', oidcClientSecretContext('p1'));
    const rotating = new SecretBox(randomBytes(32), [oldKey]);
    expect(rotating.open(sealed, oidcClientSecretContext('p1'))).toBe('client-secret-1');
    expect(rotating.needsResealing(sealed)).toBe(true);
    expect(() => new SecretBox(randomBytes(32)).open(sealed, oidcClientSecretContext('p1')))
      .toThrow(`A secret for oidc_provider.client_secret is sealed with key ${keyId(oldKey)}, which is not configured (SECRETS_KEY or SECRETS_PREVIOUS_KEYS)`);
  });

  it('refuses to start in production without SECRETS_KEY, and refuses a key that is not 32 bytes in base64', () => {
    const production = { NODE_ENV: 'production', PUBLIC_BASE_URL: 'https://jigsaw.example.gov.uk' };
    expect(() => loadConfig(production)).toThrow(/SECRETS_KEY: must be set in production/);
    const key = newKey();
    expect(loadConfig({ ...production, SECRETS_KEY: key }).SECRETS_KEY).toBe(key);
    expect(loadConfig({ NODE_ENV: 'development' }).SECRETS_KEY).toBe(DEVELOPMENT_SECRETS_KEY);
    expect(Buffer.from(DEVELOPMENT_SECRETS_KEY, 'base64')).toHaveLength(32);
    expect(() => loadConfig({ SECRETS_KEY: randomBytes(16).toString('base64') })).toThrow(/SECRETS_KEY: must be 32 bytes in base64/);
    expect(() => loadConfig({ SECRETS_KEY: 'not base64 at all!' })).toThrow(/SECRETS_KEY/);
    expect(() => loadConfig({ SECRETS_PREVIOUS_KEYS: `${newKey()},short` })).toThrow(/SECRETS_PREVIOUS_KEYS/);
    expect(loadConfig({ SECRETS_PREVIOUS_KEYS: ` ${key} , ` }).SECRETS_PREVIOUS_KEYS).toEqual([key]);
  });
});

describe(`secrets at rest in the database on ${TEST_ENGINE}`, () => {
  const first = newKey();
  const second = newKey();
  // Its own database: resealing touches every stored secret, and other files' apps hold the development key.
  const t = useTestApp({ isolated: 'secrets', env: { SECRETS_KEY: first } });
  let idp: TestOidcProvider;
  let rotating: FastifyInstance;
  let rotated: FastifyInstance;
  beforeAll(async () => {
    idp = await startTestOidcProvider();
    clearOidcCache();
    rotating = await buildTestApp(t.d, { SECRETS_KEY: second, SECRETS_PREVIOUS_KEYS: first });
    rotated = await buildTestApp(t.d, { SECRETS_KEY: second });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  afterAll(async () => {
    await rotating.close();
    await rotated.close();
    await idp.close();
  });

  /** Signs in with the password and a fresh TOTP code; the answer to the code. */
  async function signInWithCode(app: FastifyInstance, email: string) {
    const page = await app.inject({ method: 'GET', url: '/sign-in' });
    const pre = page.cookies.find((c) => c.name === 'jigsaw_signin')!;
    const res = await app.inject({
      method: 'POST', url: '/sign-in', headers: { cookie: `jigsaw_signin=${pre.value}`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ email, password: TEST_PASSWORD, _csrf: /name="_csrf" value="([^"]+)"/.exec(page.body)![1]! }).toString(),
    });
    expect(res.headers.location).toBe('/sign-in/two-factor');
    const cookie = `jigsaw_session=${res.cookies.find((c) => c.name === 'jigsaw_session')!.value}`;
    const codePage = await app.inject({ method: 'GET', url: '/sign-in/two-factor', headers: { cookie } });
    const known = testAuthenticators.get(email.toLowerCase())!;
    // A code is accepted once per time step: use the step after the last one used (one step ahead is allowed).
    const step = Math.max(totpStep(Date.now()), known.lastStep + 1);
    while (step > totpStep(Date.now()) + 1) await new Promise((r) => setTimeout(r, 250));
    known.lastStep = step;
    return app.inject({
      method: 'POST', url: '/sign-in/two-factor', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ code: totpCode(known.secret, step * 30_000), _csrf: /name="_csrf" value="([^"]+)"/.exec(codePage.body)![1]! }).toString(),
    });
  }

  it('stores a TOTP seed sealed (never the seed the user was shown), and signing in with a code still works', async () => {
    const org = await makeOrg(t.db);
    const manager = await makeUser(t.db, { organisationId: org.id, roles: ['team_manager'] });
    await signIn(t.app, manager.email); // sets an authenticator up, reading the seed from the page as a person would
    const shown = testAuthenticators.get(manager.email.toLowerCase())!.secret;
    const stored = await t.db.selectFrom('user_totp').select('secret').where('user_id', '=', manager.id).executeTakeFirstOrThrow();
    expect(stored.secret).not.toBe(shown);
    expect(stored.secret).not.toContain(shown);
    expect(stored.secret.startsWith(`jsec1.${keyId(Buffer.from(first, 'base64'))}.`)).toBe(true);
    const ok = await signInWithCode(t.app, manager.email);
    expect(ok.statusCode).toBe(303);
  });

  it('rotates the key: the new key opens old seeds while the old one is listed, resealing moves every secret to the new key, then the old key can go', async () => {
    const org = await makeOrg(t.db);
    const dpo = await makeUser(t.db, { organisationId: org.id, roles: ['data_protection_officer'] });
    await signIn(t.app, dpo.email); // enrolled under the first key
    // An OIDC client secret, and a seed stored plain before sealing existed.
    const provider = await t.db.insertInto('oidc_provider').values({
      organisation_id: org.id, issuer: idp.issuer, client_id: idp.clientId, client_secret: idp.clientSecret, allowed_email_domain: 'rotation.example.test',
    }).returning('id').executeTakeFirstOrThrow();
    const legacy = await makeUser(t.db, { organisationId: org.id, roles: ['partnership_admin'] });
    const legacySeed = generateTotpSecret();
    await t.db.insertInto('user_totp').values({ user_id: legacy.id, secret: legacySeed, enabled_at: new Date() }).execute();
    testAuthenticators.set(legacy.email.toLowerCase(), { secret: legacySeed, lastStep: -1 });

    // Before resealing, an app given the new key with the old one listed opens seeds sealed under the old key, and plain ones.
    expect((await signInWithCode(rotating, dpo.email)).statusCode).toBe(303);
    expect((await signInWithCode(rotating, legacy.email)).statusCode).toBe(303);

    const box = new SecretBox(Buffer.from(second, 'base64'), [Buffer.from(first, 'base64')]);
    const done = await resealSecrets(t.db, box);
    expect(done.totp).toBeGreaterThanOrEqual(2);
    expect(done.oidc).toBeGreaterThanOrEqual(1);
    const newId = keyId(Buffer.from(second, 'base64'));
    const seeds = await t.db.selectFrom('user_totp').select(['user_id', 'secret']).where('user_id', 'in', [dpo.id, legacy.id]).execute();
    expect(seeds.every((s) => s.secret.startsWith(`jsec1.${newId}.`))).toBe(true);
    expect(seeds.find((s) => s.user_id === legacy.id)!.secret).not.toContain(legacySeed);
    const storedProvider = await t.db.selectFrom('oidc_provider').select('client_secret').where('id', '=', provider.id).executeTakeFirstOrThrow();
    expect(storedProvider.client_secret.startsWith(`jsec1.${newId}.`)).toBe(true);
    expect(storedProvider.client_secret).not.toContain(idp.clientSecret);
    // Running it again finds nothing to do for these rows.
    await resealSecrets(t.db, box);
    expect((await t.db.selectFrom('user_totp').select('secret').where('user_id', '=', dpo.id).executeTakeFirstOrThrow()).secret)
      .toBe(seeds.find((s) => s.user_id === dpo.id)!.secret);

    // Only the new key now: TOTP sign-in works for both (the clock moves on a minute, so fresh time steps are due) ...
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 60_000);
    expect((await signInWithCode(rotated, dpo.email)).statusCode).toBe(303);
    expect((await signInWithCode(rotated, legacy.email)).statusCode).toBe(303);
    // ... and the sealed OIDC client secret is opened for the code exchange (the provider checks it).
    const user = await makeUser(t.db, { organisationId: org.id });
    const email = `${user.email.split('@')[0]}@rotation.example.test`;
    await t.db.updateTable('app_user').set({ email }).where('id', '=', user.id).execute();
    idp.login = { email, emailVerified: true };
    const start = await rotated.inject({ method: 'GET', url: `/sign-in/organisation/${provider.id}` });
    const atProvider = await fetch(new URL(String(start.headers.location)), { redirect: 'manual' });
    const back = new URL(atProvider.headers.get('location')!);
    const callback = await rotated.inject({
      method: 'GET', url: `${back.pathname}${back.search}`, headers: { cookie: `jigsaw_oidc=${start.cookies.find((c) => c.name === 'jigsaw_oidc')!.value}` },
    });
    expect(callback.statusCode).toBe(303);
    expect(idp.tokenRequests.at(-1)!.authorization).toMatch(/^Basic /);
  });
});
