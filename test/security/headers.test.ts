import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.js';
import { loadConfig } from '../../src/server/config.js';
import { createApiKey } from '../../src/server/modules/api/api-key.js';
import { involve, makeOrg, makePerson, makeUser, signIn, TEST_ENGINE, TEST_PASSWORD, useTestApp } from '../helpers.js';

describe(`security headers on ${TEST_ENGINE}`, () => {
  const t = useTestApp();
  let tls: FastifyInstance;
  beforeAll(async () => {
    tls = await buildApp({ db: t.d, config: loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', COOKIE_SECURE: 'true' }), logger: false });
  });
  afterAll(async () => {
    await tls.close();
  });

  it('sends a CSP with a fresh nonce per answer and no unsafe-inline or unsafe-eval, and every script carries the nonce', async () => {
    const a = await t.app.inject({ method: 'GET', url: '/sign-in' });
    const b = await t.app.inject({ method: 'GET', url: '/sign-in' });
    const csp = String(a.headers['content-security-policy']);
    const directives = Object.fromEntries(csp.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]));
    const nonce = /'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)![1]!;
    expect(directives).toEqual({
      'default-src': "'self'", 'script-src': `'self' 'nonce-${nonce}'`, 'style-src': "'self'", 'img-src': "'self' data:", 'font-src': "'self'",
      'object-src': "'none'", 'base-uri': "'none'", 'form-action': "'self'", 'frame-ancestors': "'none'",
    });
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(String(b.headers['content-security-policy'])).not.toContain(nonce);
    const scripts = a.body.match(/<script\b[^>]*>/g) ?? [];
    expect(scripts.length).toBeGreaterThan(0);
    for (const s of scripts) expect(s.includes(`nonce="${nonce}"`) || / src="\/assets\//.test(s), s).toBe(true);
    expect(a.body).not.toMatch(/\sstyle="/);
    expect(a.body).not.toMatch(/\son[a-z]+="/); // no inline event handlers
    expect(a.headers).toMatchObject({
      'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer', 'cross-origin-opener-policy': 'same-origin',
    });
  });

  it('sends HSTS and Secure cookies only under TLS', async () => {
    const plain = await t.app.inject({ method: 'GET', url: '/sign-in' });
    expect(plain.headers['strict-transport-security']).toBeUndefined();
    expect(plain.cookies.find((c) => c.name === 'jigsaw_signin')!.secure).toBeFalsy();
    const secure = await tls.inject({ method: 'GET', url: '/sign-in' });
    expect(secure.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    expect(secure.cookies.find((c) => c.name === 'jigsaw_signin')!.secure).toBe(true);
    const org = await makeOrg(t.db);
    const user = await makeUser(t.db, { organisationId: org.id });
    const page = await tls.inject({ method: 'GET', url: '/sign-in' });
    const pre = page.cookies.find((c) => c.name === 'jigsaw_signin')!;
    const res = await tls.inject({
      method: 'POST', url: '/sign-in', headers: { cookie: `jigsaw_signin=${pre.value}`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ email: user.email, password: TEST_PASSWORD, _csrf: /name="_csrf" value="([^"]+)"/.exec(page.body)![1]! }).toString(),
    });
    expect(res.cookies.find((c) => c.name === 'jigsaw_session')).toMatchObject({ secure: true, httpOnly: true, sameSite: 'Lax', path: '/' });
  });

  it('marks pages, API answers and error answers Cache-Control: no-store', async () => {
    const org = await makeOrg(t.db);
    const user = await makeUser(t.db, { organisationId: org.id });
    const child = await makePerson(t.db);
    await involve(t.db, { personId: child.id, organisationId: org.id, userId: user.id });
    const { cookie } = await signIn(t.app, user.email);
    const key = await createApiKey(t.db, org.id, 'Headers test');
    const answers = await Promise.all([
      t.app.inject({ method: 'GET', url: '/', headers: { cookie } }),
      t.app.inject({ method: 'GET', url: `/people/${child.id}`, headers: { cookie } }),
      t.app.inject({ method: 'GET', url: '/account', headers: { cookie } }),
      t.app.inject({ method: 'GET', url: `/api/v1/people/${child.id}`, headers: { authorization: `Bearer ${key.key}` } }),
      t.app.inject({ method: 'GET', url: `/api/v1/people/${child.id}/chronology`, headers: { authorization: `Bearer ${key.key}` } }),
      t.app.inject({ method: 'GET', url: `/api/v1/people/${child.id}` }),
      t.app.inject({ method: 'GET', url: '/people/00000000-0000-4000-8000-000000000000', headers: { cookie } }),
    ]);
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200, 200, 200, 401, 404]);
    for (const a of answers) expect(a.headers['cache-control'], a.raw.req.url).toBe('no-store');
  });
});
