import { describe, expect, it } from 'vitest';
import { auditRowsFor, makeOrg, makeUser, signIn, TEST_ENGINE, TEST_PASSWORD, testAuthenticators, useTestApp } from '../../../../test/helpers.js';
import { totpCode, totpStep } from './totp.js';

const form = (cookie: string) => ({ cookie, 'content-type': 'application/x-www-form-urlencoded' });
const csrfOf = (body: string) => /name="_csrf" value="([^"]+)"/.exec(body)?.[1] ?? '';

describe(`TOTP second factor on ${TEST_ENGINE}`, () => {
  const t = useTestApp();

  /** Posts the password form; returns the answer and the (possibly half-signed-in) session cookie. */
  async function password(email: string) {
    const page = await t.app.inject({ method: 'GET', url: '/sign-in' });
    const pre = page.cookies.find((c) => c.name === 'jigsaw_signin')!;
    const res = await t.app.inject({
      method: 'POST', url: '/sign-in', headers: form(`jigsaw_signin=${pre.value}`),
      payload: new URLSearchParams({ email, password: TEST_PASSWORD, _csrf: csrfOf(page.body), returnTo: '/people' }).toString(),
    });
    const session = res.cookies.find((c) => c.name === 'jigsaw_session');
    return { res, cookie: session ? `jigsaw_session=${session.value}` : '' };
  }

  it('sends a team manager to set up an authenticator, and lets the half-signed-in session do nothing else', async () => {
    const org = await makeOrg(t.db);
    const manager = await makeUser(t.db, { organisationId: org.id, roles: ['team_manager'] });
    const { res, cookie } = await password(manager.email);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/account/two-factor?returnTo=%2Fpeople');
    const home = await t.app.inject({ method: 'GET', url: '/', headers: { cookie } });
    expect(home.statusCode).toBe(303);
    expect(home.headers.location).toBe('/sign-in/two-factor');
    const setup = await t.app.inject({ method: 'GET', url: '/account/two-factor', headers: { cookie } });
    expect(setup.statusCode).toBe(200);
    const post = await t.app.inject({ method: 'POST', url: '/account/password', headers: form(cookie), payload: `_csrf=${csrfOf(setup.body)}` });
    expect(post.statusCode).toBe(401);
    expect(post.body).toContain('Enter the code from your authenticator app');

    const secret = /id="secret">([A-Z2-7 ]+)</.exec(setup.body)![1]!.replace(/ /g, '');
    expect(setup.body).toContain(`otpauth://totp/Jigsaw:${encodeURIComponent(manager.email)}?secret=${secret}`);
    // Reloading shows the same key until it is confirmed.
    const again = await t.app.inject({ method: 'GET', url: '/account/two-factor', headers: { cookie } });
    expect(again.body).toContain(`id="secret">${secret.replace(/(.{4})(?=.)/g, '$1 ')}<`);

    const wrong = await t.app.inject({ method: 'POST', url: '/account/two-factor', headers: form(cookie), payload: `code=000000&_csrf=${csrfOf(setup.body)}` });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.body).toContain('The code is not right, or it has expired');
    const right = await t.app.inject({
      method: 'POST', url: '/account/two-factor', headers: form(cookie),
      payload: new URLSearchParams({ code: totpCode(secret, Date.now()), _csrf: csrfOf(setup.body), returnTo: '/people' }).toString(),
    });
    expect(right.statusCode).toBe(303);
    expect(right.headers.location).toBe('/people');
    const full = `jigsaw_session=${right.cookies.find((c) => c.name === 'jigsaw_session')!.value}`;
    expect(full).not.toBe(cookie); // a new session id once fully signed in
    expect((await t.app.inject({ method: 'GET', url: '/', headers: { cookie } })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/', headers: { cookie: full } })).statusCode).toBe(200);
    const totp = await t.db.selectFrom('user_totp').selectAll().where('user_id', '=', manager.id).executeTakeFirstOrThrow();
    expect(totp.enabled_at).not.toBeNull();
    const rows = await auditRowsFor(t.db, { userId: manager.id });
    expect(rows.map((r) => [r.action, r.outcome, (r.detail as { step?: string } | null)?.step])).toEqual([
      ['session.create', 'allowed', 'first_factor'],
      ['session.create', 'allowed', 'second_factor_enrolled'],
    ]);
  });

  it('asks an enrolled user for a code at every sign-in and refuses a replayed code', async () => {
    const org = await makeOrg(t.db);
    const dpo = await makeUser(t.db, { organisationId: org.id, roles: ['data_protection_officer'] });
    await signIn(t.app, dpo.email); // sets up the authenticator through the pages
    const { secret, lastStep } = testAuthenticators.get(dpo.email)!;
    const { res, cookie } = await password(dpo.email);
    expect(res.headers.location).toBe('/sign-in/two-factor?returnTo=%2Fpeople');
    const page = await t.app.inject({ method: 'GET', url: '/sign-in/two-factor', headers: { cookie } });
    expect(page.body).toContain('Enter your security code');
    const replay = await t.app.inject({ method: 'POST', url: '/sign-in/two-factor', headers: form(cookie), payload: `code=${totpCode(secret, lastStep * 30_000)}&_csrf=${csrfOf(page.body)}` });
    expect(replay.statusCode).toBe(400);
    expect(replay.body).toContain('The code is not right, or it has expired');
    const next = Math.max(lastStep + 1, totpStep(Date.now()));
    while (next > totpStep(Date.now()) + 1) await new Promise((r) => setTimeout(r, 250));
    const ok = await t.app.inject({ method: 'POST', url: '/sign-in/two-factor', headers: form(cookie), payload: `code=${totpCode(secret, next * 30_000)}&_csrf=${csrfOf(page.body)}&returnTo=%2Fpeople` });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe('/people');
    testAuthenticators.get(dpo.email)!.lastStep = next;
    const rows = await auditRowsFor(t.db, { userId: dpo.id });
    expect(rows.filter((r) => r.outcome === 'denied').map((r) => [r.action, (r.detail as { step: string }).step])).toEqual([['session.create', 'second_factor']]);
  });

  it('locks the second factor after 5 wrong codes, even for the right one', async () => {
    const org = await makeOrg(t.db);
    const admin = await makeUser(t.db, { organisationId: org.id, roles: ['partnership_admin'] });
    await signIn(t.app, admin.email);
    const { secret } = testAuthenticators.get(admin.email)!;
    const { cookie } = await password(admin.email);
    const page = await t.app.inject({ method: 'GET', url: '/sign-in/two-factor', headers: { cookie } });
    for (let i = 0; i < 5; i++) {
      const res = await t.app.inject({ method: 'POST', url: '/sign-in/two-factor', headers: form(cookie), payload: `code=11111${i}&_csrf=${csrfOf(page.body)}` });
      expect(res.statusCode).toBe(400);
    }
    const locked = await t.app.inject({ method: 'POST', url: '/sign-in/two-factor', headers: form(cookie), payload: `code=${totpCode(secret, Date.now() + 30_000)}&_csrf=${csrfOf(page.body)}` });
    expect(locked.statusCode).toBe(429);
    expect(locked.body).toContain('There have been too many wrong codes');
  });

  it('requires a second factor for every user of a police force, and not for a social care practitioner', async () => {
    const police = await makeOrg(t.db, 'police');
    const officer = await makeUser(t.db, { organisationId: police.id, roles: ['practitioner'] });
    expect((await password(officer.email)).res.headers.location).toMatch(/^\/account\/two-factor/);
    const council = await makeOrg(t.db, 'childrens_social_care');
    const worker = await makeUser(t.db, { organisationId: council.id, roles: ['practitioner'] });
    expect((await password(worker.email)).res.headers.location).toBe('/people');
  });

  it('lets a user who need not use a second factor turn it on from their account', async () => {
    const org = await makeOrg(t.db);
    const worker = await makeUser(t.db, { organisationId: org.id });
    const { cookie } = await signIn(t.app, worker.email);
    const setup = await t.app.inject({ method: 'GET', url: '/account/two-factor', headers: { cookie } });
    expect(setup.body).toContain('Add a second step when you sign in');
    const secret = /id="secret">([A-Z2-7 ]+)</.exec(setup.body)![1]!.replace(/ /g, '');
    const on = await t.app.inject({ method: 'POST', url: '/account/two-factor', headers: form(cookie), payload: `code=${totpCode(secret, Date.now())}&_csrf=${csrfOf(setup.body)}` });
    expect(on.statusCode).toBe(303);
    const now = `jigsaw_session=${on.cookies.find((c) => c.name === 'jigsaw_session')!.value}`;
    expect((await t.app.inject({ method: 'GET', url: '/account/two-factor', headers: { cookie: now } })).body).toContain('Two-factor authentication is on for your account');
    expect((await t.app.inject({ method: 'GET', url: '/account', headers: { cookie: now } })).body).toMatch(/Two-factor authentication\s*<\/dt>\s*<dd class="govuk-summary-list__value">\s*On/);
    expect((await password(worker.email)).res.headers.location).toBe('/sign-in/two-factor?returnTo=%2Fpeople');
  });
});
