import { describe, expect, it } from 'vitest';
import { auditRowsFor, makeOrg, makeUser, signIn, TEST_ENGINE, TEST_PASSWORD, useTestApp } from '../../../../test/helpers.js';

const form = (cookie: string) => ({ cookie, 'content-type': 'application/x-www-form-urlencoded' });

describe(`sessions and the account pages on ${TEST_ENGINE}`, () => {
  const t = useTestApp();

  async function user() {
    const org = await makeOrg(t.db);
    return makeUser(t.db, { organisationId: org.id });
  }
  const get = (url: string, cookie: string) => t.app.inject({ method: 'GET', url, headers: { cookie } });

  it('ends a session 12 hours after sign-in however active it is, and 30 minutes after the last request', async () => {
    const u = await user();
    const a = await signIn(t.app, u.email);
    const row = await t.db.selectFrom('app_session').select(['created_at', 'expires_at']).where('user_id', '=', u.id).executeTakeFirstOrThrow();
    expect(row.expires_at.getTime() - row.created_at.getTime()).toBeGreaterThan(12 * 3_600_000 - 5_000);
    expect(row.expires_at.getTime() - row.created_at.getTime()).toBeLessThanOrEqual(12 * 3_600_000 + 5_000);
    // Active a minute ago, but signed in 12 hours ago: over.
    await t.db.updateTable('app_session').set({ last_seen_at: new Date(Date.now() - 60_000), expires_at: new Date(Date.now() - 1000) }).where('user_id', '=', u.id).execute();
    expect((await get('/', a.cookie)).statusCode).toBe(401);
    expect(await t.db.selectFrom('app_session').select('id').where('user_id', '=', u.id).execute()).toEqual([]);

    const b = await signIn(t.app, u.email);
    await t.db.updateTable('app_session').set({ last_seen_at: new Date(Date.now() - 29 * 60_000) }).where('user_id', '=', u.id).execute();
    expect((await get('/', b.cookie)).statusCode).toBe(200); // 29 minutes idle is still fine, and refreshes
    const seen = await t.db.selectFrom('app_session').select('last_seen_at').where('user_id', '=', u.id).executeTakeFirstOrThrow();
    expect(Date.now() - seen.last_seen_at.getTime()).toBeLessThan(60_000);
    await t.db.updateTable('app_session').set({ last_seen_at: new Date(Date.now() - 30 * 60_000 - 1000) }).where('user_id', '=', u.id).execute();
    expect((await get('/', b.cookie)).statusCode).toBe(401);
  });

  it('never adopts a session id the browser brought with it (no session fixation)', async () => {
    const u = await user();
    const planted = 'jigsaw_session=attacker-chosen-value';
    const page = await t.app.inject({ method: 'GET', url: '/sign-in', headers: { cookie: planted } });
    const pre = page.cookies.find((c) => c.name === 'jigsaw_signin')!;
    const res = await t.app.inject({
      method: 'POST', url: '/sign-in', headers: form(`${planted}; jigsaw_signin=${pre.value}`),
      payload: new URLSearchParams({ email: u.email, password: TEST_PASSWORD, _csrf: /name="_csrf" value="([^"]+)"/.exec(page.body)![1]! }).toString(),
    });
    const issued = res.cookies.find((c) => c.name === 'jigsaw_session')!;
    expect(issued.value).not.toBe('attacker-chosen-value');
    expect(issued.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await get('/', planted)).statusCode).toBe(401);
  });

  it('signs out everywhere: every session of the user ends, other users keep theirs', async () => {
    const u = await user();
    const other = await user();
    const laptop = await signIn(t.app, u.email);
    const phone = await signIn(t.app, u.email);
    const theirs = await signIn(t.app, other.email);
    const account = await get('/account', laptop.cookie);
    expect(account.statusCode).toBe(200);
    expect(account.body).toContain('You are signed in on 2 devices or browsers');
    const res = await t.app.inject({ method: 'POST', url: '/account/sign-out-everywhere', headers: form(laptop.cookie), payload: `_csrf=${laptop.csrf}` });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/sign-in');
    expect((await get('/', laptop.cookie)).statusCode).toBe(401);
    expect((await get('/', phone.cookie)).statusCode).toBe(401);
    expect((await get('/', theirs.cookie)).statusCode).toBe(200);
    const rows = await auditRowsFor(t.db, { userId: u.id });
    expect(rows.at(-1)).toMatchObject({ action: 'session.end', outcome: 'allowed', detail: { scope: 'all_sessions', ended: 2 } });
    // Without the form's token it is refused.
    const again = await signIn(t.app, u.email);
    const forged = await t.app.inject({ method: 'POST', url: '/account/sign-out-everywhere', headers: form(again.cookie), payload: '_csrf=forged' });
    expect(forged.statusCode).toBe(403);
    expect((await get('/', again.cookie)).statusCode).toBe(200);
  });

  it('changes a password: says exactly what is wrong, then ends other sessions and issues a new id', async () => {
    const u = await user();
    const here = await signIn(t.app, u.email);
    const elsewhere = await signIn(t.app, u.email);
    const change = (fields: Record<string, string>) => t.app.inject({
      method: 'POST', url: '/account/password', headers: form(here.cookie), payload: new URLSearchParams({ ...fields, _csrf: here.csrf }).toString(),
    });
    const empty = await change({});
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('Enter your current password');
    expect(empty.body).toContain('Enter a new password');
    const short = await change({ currentPassword: TEST_PASSWORD, newPassword: 'too short', confirmPassword: 'too short' });
    expect(short.body).toContain('Your new password must be 12 characters or more');
    const common = await change({ currentPassword: TEST_PASSWORD, newPassword: 'Password12345!', confirmPassword: 'Password12345!' });
    expect(common.body).toContain('too easy to guess');
    const mismatch = await change({ currentPassword: TEST_PASSWORD, newPassword: 'violet lamp under the river', confirmPassword: 'violet lamp under a river' });
    expect(mismatch.body).toContain('The passwords you entered do not match');
    const wrong = await change({ currentPassword: 'not-my-password', newPassword: 'violet lamp under the river', confirmPassword: 'violet lamp under the river' });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.body).toContain('Your current password is not right');

    const ok = await change({ currentPassword: TEST_PASSWORD, newPassword: 'violet lamp under the river', confirmPassword: 'violet lamp under the river' });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe('/account?changed=password');
    const fresh = `jigsaw_session=${ok.cookies.find((c) => c.name === 'jigsaw_session')!.value}`;
    expect(fresh).not.toBe(here.cookie);
    expect((await get('/account?changed=password', fresh)).body).toContain('Your password has been changed');
    expect((await get('/', here.cookie)).statusCode).toBe(401);
    expect((await get('/', elsewhere.cookie)).statusCode).toBe(401);
    await expect(signIn(t.app, u.email)).rejects.toThrow(/sign-in failed with 401/);
    await signIn(t.app, u.email, 'violet lamp under the river');
    const rows = await auditRowsFor(t.db, { userId: u.id });
    expect(rows.filter((r) => r.route === 'POST /account/password').map((r) => [r.outcome, r.detail])).toEqual([
      ['denied', { step: 'password_change' }],
      ['allowed', { step: 'password_changed', endedOtherSessions: 1 }],
    ]);
    const stored = await t.db.selectFrom('app_user').select('password_hash').where('id', '=', u.id).executeTakeFirstOrThrow();
    expect(stored.password_hash).toMatch(/^\$argon2id\$/);
  });

  it('answers the account pages with 401 when signed out', async () => {
    for (const url of ['/account', '/account/password', '/account/two-factor']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(401);
      expect(res.body).toContain('Sign in to Jigsaw');
    }
  });
});
