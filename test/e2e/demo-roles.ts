/**
 * Signing in as the demo's accounts, one per role, through the real forms (password, then the
 * published authenticator code where the account has one). Shared by the every-role page test and
 * `npm run screenshots`; it imports no test runner.
 */
import type { FastifyInstance } from 'fastify';
import { demoAuthenticatorCode } from '../../src/synthetic/demo-authenticators.js';
import type { DemoUser } from '../../src/synthetic/types.js';

/** One demo account per role: the account named after its role when there is one (practitioner@), else the first. */
export function oneAccountPerRole(demoUsers: readonly DemoUser[]): DemoUser[] {
  const byRole = new Map<string, DemoUser>();
  for (const u of demoUsers) {
    const named = u.email.split('@')[0] === u.role;
    if (!byRole.has(u.role) || named) byRole.set(u.role, u);
  }
  return [...byRole.values()].sort((a, b) => a.role.localeCompare(b.role));
}

const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1];

/** Signs a demo account in through the forms; returns the session cookie's value. */
export async function signInDemo(app: FastifyInstance, user: Pick<DemoUser, 'email' | 'password'>): Promise<string> {
  const page = await app.inject({ method: 'GET', url: '/sign-in' });
  const pre = page.cookies.find((c) => c.name === 'jigsaw_signin');
  const token = csrfOf(page.body);
  if (!pre || !token) throw new Error('The sign-in page gave no form');
  const res = await app.inject({
    method: 'POST', url: '/sign-in', headers: { cookie: `jigsaw_signin=${pre.value}`, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ email: user.email, password: user.password, _csrf: token }).toString(),
  });
  let session = res.cookies.find((c) => c.name === 'jigsaw_session')?.value;
  if (res.statusCode !== 303 || !session) throw new Error(`Signing in as ${user.email} answered ${res.statusCode}`);
  if (String(res.headers.location).startsWith('/sign-in/two-factor')) {
    const form = await app.inject({ method: 'GET', url: '/sign-in/two-factor', headers: { cookie: `jigsaw_session=${session}` } });
    const csrf = csrfOf(form.body);
    if (!csrf) throw new Error(`The second-factor page for ${user.email} answered ${form.statusCode} without a form`);
    const done = await app.inject({
      method: 'POST', url: '/sign-in/two-factor', headers: { cookie: `jigsaw_session=${session}`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ code: demoAuthenticatorCode(user.email), _csrf: csrf }).toString(),
    });
    session = done.cookies.find((c) => c.name === 'jigsaw_session')?.value;
    if (done.statusCode !== 303 || !session) throw new Error(`The authenticator code for ${user.email} was refused (${done.statusCode})`);
  } else if (String(res.headers.location).startsWith('/account/two-factor')) {
    throw new Error(`${user.email} must set up an authenticator: the demo gives its accounts one`);
  }
  return session;
}
