import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ENGINE, useTestDb } from '../../../../test/helpers.js';
import { buildApp } from '../../app.js';
import { loadConfig } from '../../config.js';
import type { DemoSignIn } from '../../context.js';

const DEMO: DemoSignIn = {
  password: 'synthetic demo password',
  accounts: [
    { email: 'practitioner@demo.jigsaw.test', role: 'practitioner' },
    { email: 'coordinator@demo.jigsaw.test', role: 'panel coordinator' },
  ],
  withAuthenticator: ['coordinator@demo.jigsaw.test'],
};

/** The sign-in page says how to sign in as a demo user only when the server runs the demo. */
describe(`the sign-in page's demo hint on ${TEST_ENGINE}`, () => {
  const t = useTestDb();
  let plain: FastifyInstance;
  let demo: FastifyInstance;
  beforeAll(async () => {
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' });
    plain = await buildApp({ db: t.d, config, logger: false });
    demo = await buildApp({ db: t.d, config, logger: false, demo: DEMO });
    await Promise.all([plain.ready(), demo.ready()]);
  });
  afterAll(async () => {
    await plain?.close();
    await demo?.close();
  });

  it('names the demo accounts, their password and the demo-code command in demo mode', async () => {
    const page = await demo.inject({ method: 'GET', url: '/sign-in' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('This is a demonstration with synthetic data');
    expect(page.body).toContain('<code>synthetic demo password</code>');
    expect(page.body).toContain('npx jigsaw demo-code coordinator@demo.jigsaw.test');
    expect(page.body).toContain('<code>practitioner@demo.jigsaw.test</code>: Practitioner</li>');
    expect(page.body).toContain('<code>coordinator@demo.jigsaw.test</code>: Panel coordinator (asks for a code)</li>');
    // The form is still there, under the hint.
    expect(page.body).toMatch(/name="_csrf" value="[^"]+"/);
  });

  it('says nothing of the demo when the server does not run it', async () => {
    const page = await plain.inject({ method: 'GET', url: '/sign-in' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Sign in to Jigsaw');
    expect(page.body).not.toMatch(/demo/i);
  });

  it('says nothing of the demo on a refused sign-in outside demo mode either, and keeps it on one in demo mode', async () => {
    const signIn = async (app: FastifyInstance) => {
      const page = await app.inject({ method: 'GET', url: '/sign-in' });
      const pre = page.cookies.find((c) => c.name === 'jigsaw_signin')!;
      const token = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
      return app.inject({
        method: 'POST', url: '/sign-in',
        headers: { cookie: `jigsaw_signin=${pre.value}`, 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ email: 'nobody@example.test', password: 'not the password', _csrf: token }).toString(),
      });
    };
    const [refused, refusedDemo] = [await signIn(plain), await signIn(demo)];
    expect(refused.statusCode).toBe(401);
    expect(refused.body).not.toMatch(/demo/i);
    expect(refusedDemo.statusCode).toBe(401);
    expect(refusedDemo.body).toContain('npx jigsaw demo-code');
  });
});
