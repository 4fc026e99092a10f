import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../actor.js';
import { auditRowsFor, lastAuditId, makeOrg, makeUser, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';
import { startTestOidcProvider, type TestLogin, type TestOidcProvider } from '../../../../test/oidc-provider.js';
import { clearOidcCache } from './oidc.js';

describe(`sign-in with an organisation's OpenID Connect provider on ${TEST_ENGINE}`, () => {
  const t = useTestApp();
  let idp: TestOidcProvider;
  beforeAll(async () => {
    idp = await startTestOidcProvider();
    clearOidcCache();
  });
  afterAll(async () => {
    await idp.close();
  });

  /** An organisation using the test provider, with a user in it. */
  async function world(roles: Role[] = ['practitioner']) {
    const domain = `org-${Math.random().toString(36).slice(2, 8)}.example.test`;
    const org = await makeOrg(t.db, 'school');
    const provider = await t.db.insertInto('oidc_provider').values({
      organisation_id: org.id, issuer: idp.issuer, client_id: idp.clientId, client_secret: idp.clientSecret, allowed_email_domain: domain,
    }).returning('id').executeTakeFirstOrThrow();
    const user = await makeUser(t.db, { organisationId: org.id, roles });
    const email = `${user.email.split('@')[0]}@${domain}`;
    await t.db.updateTable('app_user').set({ email }).where('id', '=', user.id).execute();
    return { org, provider, user: { ...user, email }, domain };
  }

  /** Runs the whole round trip: start at Jigsaw, the provider signs `login` in, back to the callback. */
  async function roundTrip(providerId: string, login: TestLogin, opts: { dropStateCookie?: boolean } = {}) {
    idp.login = login;
    const start = await t.app.inject({ method: 'GET', url: `/sign-in/organisation/${providerId}?returnTo=%2Fpeople` });
    expect(start.statusCode).toBe(303);
    const authorize = new URL(String(start.headers.location));
    const stateCookie = start.cookies.find((c) => c.name === 'jigsaw_oidc')!;
    const atProvider = await fetch(authorize, { redirect: 'manual' });
    expect(atProvider.status).toBe(302);
    const back = new URL(atProvider.headers.get('location')!);
    const callback = await t.app.inject({
      method: 'GET', url: `${back.pathname}${back.search}`, headers: opts.dropStateCookie ? {} : { cookie: `jigsaw_oidc=${stateCookie.value}` },
    });
    return { start, authorize, back, callback, stateCookie };
  }

  it('lists the organisation on the sign-in page and signs a user in with code flow, PKCE, state and nonce', async () => {
    const w = await world();
    const page = await t.app.inject({ method: 'GET', url: '/sign-in' });
    expect(page.body).toContain(`href="/sign-in/organisation/${w.provider.id}"`);
    expect(page.body).toContain(`Sign in with ${w.org.name}`);
    const { authorize, callback } = await roundTrip(w.provider.id, { email: w.user.email.toUpperCase(), emailVerified: true });
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
      response_type: 'code', client_id: idp.clientId, code_challenge_method: 'S256', scope: 'openid email profile',
      redirect_uri: 'http://localhost:80/sign-in/oidc/callback',
    });
    expect(authorize.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize.searchParams.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(callback.statusCode).toBe(303);
    expect(callback.headers.location).toBe('/people');
    const cookie = `jigsaw_session=${callback.cookies.find((c) => c.name === 'jigsaw_session')!.value}`;
    expect((await t.app.inject({ method: 'GET', url: '/', headers: { cookie } })).statusCode).toBe(200);
    // The client authenticated itself and sent the PKCE verifier (the provider checked it against the challenge).
    const sent = idp.tokenRequests.at(-1)!;
    expect(sent.params.get('code_verifier')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(sent.authorization).toMatch(/^Basic /);
    const rows = await auditRowsFor(t.db, { userId: w.user.id });
    expect(rows.map((r) => [r.action, r.outcome, r.route, r.detail])).toEqual([
      ['session.create', 'allowed', 'GET /sign-in/oidc/callback', { step: 'first_factor', method: 'oidc', secondFactor: 'not_required' }],
    ]);
  });

  it('refuses a replayed callback and one from a browser that did not start the sign-in', async () => {
    const w = await world();
    const first = await roundTrip(w.provider.id, { email: w.user.email });
    expect(first.callback.statusCode).toBe(303);
    const replay = await t.app.inject({ method: 'GET', url: `${first.back.pathname}${first.back.search}`, headers: { cookie: `jigsaw_oidc=${first.stateCookie.value}` } });
    expect(replay.statusCode).toBe(401);
    const otherBrowser = await roundTrip(w.provider.id, { email: w.user.email }, { dropStateCookie: true });
    expect(otherBrowser.callback.statusCode).toBe(401);
    expect(otherBrowser.callback.body).toContain('Signing in with your organisation did not work');
  });

  it('refuses ID tokens that are forged, for someone else, stale or unsigned, naming why in the access log', async () => {
    const w = await world();
    const cases: [TestLogin['tamper'], string][] = [
      ['other_key', 'bad_signature'], ['wrong_nonce', 'wrong_nonce'], ['wrong_audience', 'wrong_audience'],
      ['wrong_issuer', 'wrong_issuer'], ['expired', 'expired'], ['alg_none', 'unsupported_alg'], ['no_kid_match', 'unknown_key'],
    ];
    for (const [tamper, reason] of cases) {
      const before = await lastAuditId(t.db);
      const { callback } = await roundTrip(w.provider.id, { email: w.user.email, tamper });
      expect(callback.statusCode, tamper).toBe(401);
      expect(callback.cookies.find((c) => c.name === 'jigsaw_session'), tamper).toBeUndefined();
      const rows = (await auditRowsFor(t.db, { since: before })).filter((r) => r.route === 'GET /sign-in/oidc/callback');
      expect(rows.map((r) => [r.action, r.outcome, r.detail]), tamper).toEqual([['session.create', 'denied', { step: 'oidc', reason }]]);
    }
  });

  it('matches users by email only within the provider\'s own organisation and its allowed domain', async () => {
    const w = await world();
    const elsewhere = await world();
    const before = await lastAuditId(t.db);
    const outsider = await roundTrip(w.provider.id, { email: elsewhere.user.email });
    expect(outsider.callback.statusCode).toBe(401); // another organisation's domain
    const unknown = await roundTrip(w.provider.id, { email: `nobody@${w.domain}` });
    expect(unknown.callback.statusCode).toBe(401);
    const unverified = await roundTrip(w.provider.id, { email: w.user.email, emailVerified: false });
    expect(unverified.callback.statusCode).toBe(401);
    // A user of another organisation with an address in this domain is still not matched.
    const stray = await makeUser(t.db, { organisationId: elsewhere.org.id });
    await t.db.updateTable('app_user').set({ email: `stray-${stray.id.slice(0, 6)}@${w.domain}` }).where('id', '=', stray.id).execute();
    const crossOrg = await roundTrip(w.provider.id, { email: `stray-${stray.id.slice(0, 6)}@${w.domain}` });
    expect(crossOrg.callback.statusCode).toBe(401);
    const reasons = (await auditRowsFor(t.db, { since: before })).filter((r) => r.route === 'GET /sign-in/oidc/callback' && r.outcome === 'denied');
    expect(reasons.map((r) => (r.detail as { reason: string }).reason)).toEqual(['email_domain_not_allowed', 'no_matching_user', 'no_verified_email', 'no_matching_user']);
  });

  it('still asks a manager for a TOTP code unless the provider reports multi-factor sign-in', async () => {
    const w = await world(['team_manager']);
    const plain = await roundTrip(w.provider.id, { email: w.user.email, amr: ['pwd'] });
    expect(plain.callback.statusCode).toBe(303);
    expect(plain.callback.headers.location).toBe('/account/two-factor?returnTo=%2Fpeople');
    const mfa = await roundTrip(w.provider.id, { email: w.user.email, amr: ['pwd', 'mfa'] });
    expect(mfa.callback.headers.location).toBe('/people');
    const cookie = `jigsaw_session=${mfa.callback.cookies.find((c) => c.name === 'jigsaw_session')!.value}`;
    expect((await t.app.inject({ method: 'GET', url: '/', headers: { cookie } })).statusCode).toBe(200);
  });

  it('answers 404 for an unknown or disabled provider', async () => {
    const w = await world();
    await t.db.updateTable('oidc_provider').set({ enabled: false }).where('id', '=', w.provider.id).execute();
    for (const id of [w.provider.id, '00000000-0000-4000-8000-000000000000', 'not-an-id']) {
      expect((await t.app.inject({ method: 'GET', url: `/sign-in/organisation/${id}` })).statusCode).toBe(404);
    }
  });
});
