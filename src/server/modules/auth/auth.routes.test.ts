import { describe, expect, it } from 'vitest';
import { makeOrg, makeUser, signIn, TEST_ENGINE, TEST_PASSWORD, useTestApp } from '../../../../test/helpers.js';

describe(`sign in and out on ${TEST_ENGINE}`, () => {
  const t = useTestApp();

  async function attempt(email: string, password: string) {
    const page = await t.app.inject({ method: 'GET', url: '/sign-in' });
    const pre = page.cookies.find((c) => c.name === 'jigsaw_signin')!;
    const token = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    return t.app.inject({
      method: 'POST', url: '/sign-in',
      headers: { cookie: `jigsaw_signin=${pre.value}`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ email, password, _csrf: token }).toString(),
    });
  }

  it('signs in with a new HttpOnly session cookie and a new id each time', async () => {
    const org = await makeOrg(t.db);
    const user = await makeUser(t.db, { organisationId: org.id });
    const a = await attempt(user.email.toUpperCase(), TEST_PASSWORD);
    const b = await attempt(user.email, TEST_PASSWORD);
    expect(a.statusCode).toBe(303);
    const ca = a.cookies.find((c) => c.name === 'jigsaw_session')!;
    const cb = b.cookies.find((c) => c.name === 'jigsaw_session')!;
    expect(ca.httpOnly).toBe(true);
    expect(ca.sameSite).toBe('Lax');
    expect(ca.value).not.toBe(cb.value);
    const stored = await t.db.selectFrom('app_session').select('id').where('user_id', '=', user.id).execute();
    expect(stored.map((s) => s.id)).not.toContain(ca.value); // only a hash is stored
  });

  it('gives the same answer for a wrong password and an unknown email, and logs the refusal', async () => {
    const org = await makeOrg(t.db);
    const user = await makeUser(t.db, { organisationId: org.id });
    const wrong = await attempt(user.email, 'not-the-password');
    const unknown = await attempt('nobody@nowhere.jigsaw.test', 'not-the-password');
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.body).toContain('The email address or password is not right');
    expect(unknown.body).toContain('The email address or password is not right');
    const empty = await attempt('', '');
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('Enter your email address');
    expect(empty.body).toContain('Enter your password');
  });

  it('refuses a sign-in form without its CSRF token', async () => {
    const org = await makeOrg(t.db);
    const user = await makeUser(t.db, { organisationId: org.id });
    const res = await t.app.inject({
      method: 'POST', url: '/sign-in', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ email: user.email, password: TEST_PASSWORD, _csrf: 'x' }).toString(),
    });
    expect(res.statusCode).toBe(400);
    expect(res.cookies.find((c) => c.name === 'jigsaw_session')).toBeUndefined();
  });

  it('signs out, after which the old cookie no longer works', async () => {
    const org = await makeOrg(t.db);
    const user = await makeUser(t.db, { organisationId: org.id });
    const { cookie, csrf } = await signIn(t.app, user.email);
    const out = await t.app.inject({ method: 'POST', url: '/sign-out', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: `_csrf=${csrf}` });
    expect(out.statusCode).toBe(303);
    const after = await t.app.inject({ method: 'GET', url: '/', headers: { cookie } });
    expect(after.statusCode).toBe(401);
  });

  it('ends a session that has been idle too long', async () => {
    const org = await makeOrg(t.db);
    const user = await makeUser(t.db, { organisationId: org.id });
    const { cookie } = await signIn(t.app, user.email);
    await t.db.updateTable('app_session').set({ last_seen_at: new Date(Date.now() - 31 * 60_000) }).where('user_id', '=', user.id).execute();
    const res = await t.app.inject({ method: 'GET', url: '/', headers: { cookie } });
    expect(res.statusCode).toBe(401);
  });

  it('sends security headers with a nonce-based CSP and no unsafe-inline', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/sign-in' });
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+'/);
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers['x-frame-options']).toBe('DENY');
    const nonce = /'nonce-([^']+)'/.exec(csp)![1]!;
    expect(res.body).toContain(`nonce="${nonce}"`);
  });

  it('never shows a stack trace: unknown routes are a plain 404', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/nothing-here' });
    expect(res.statusCode).toBe(404);
    expect(res.body).not.toMatch(/at .*\.ts:\d+/);
  });
});
