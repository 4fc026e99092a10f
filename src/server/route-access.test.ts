import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../db/client.js';
import { buildTestApp, involve, makeOrg, makePerson, makeUser, openTestDb, signIn, TEST_ENGINE } from '../../test/helpers.js';
import { ROLES, type Role } from './actor.js';
import { createApiKey } from './modules/api/api-key.js';
import { CASE_HOLDING_ROLES, ROUTE_ACCESS, type RouteAccess } from './route-access.js';

const RANDOM_ID = '00000000-0000-4000-8000-00000000abcd';

// Bodies that pass validation, so that a refusal can only come from the policy.
const SAMPLE_BODY: Record<string, Record<string, unknown>> = {
  'POST /api/v1/people/:personId/events': {
    eventTypeCode: 'youth_club_attendance', occurredAt: '2026-01-10', occurredPrecision: 'date', summary: 'Matrix check entry', sourceSystem: 'Matrix',
  },
};

describe(`authorisation matrix over every route × role × relationship on ${TEST_ENGINE}`, () => {
  let d: Db;
  let app: FastifyInstance;
  const sessions = new Map<Role, { cookie: string; csrf: string; email: string }>();
  let involvedPerson = '';
  let otherPerson = '';
  let involvedKey = '';
  let otherKey = '';
  const checked: string[] = [];

  beforeAll(async () => {
    d = await openTestDb();
    app = await buildTestApp(d);
    await app.ready();
    const org = await makeOrg(d.db, 'childrens_social_care');
    const elsewhere = await makeOrg(d.db, 'housing');
    involvedPerson = (await makePerson(d.db)).id;
    otherPerson = (await makePerson(d.db)).id;
    for (const role of ROLES) {
      const user = await makeUser(d.db, { organisationId: org.id, roles: [role] });
      await involve(d.db, { personId: involvedPerson, organisationId: org.id, userId: user.id });
      sessions.set(role, { ...(await signIn(app, user.email)), email: user.email });
    }
    involvedKey = (await createApiKey(d.db, org.id, 'matrix')).key;
    otherKey = (await createApiKey(d.db, elsewhere.id, 'matrix-other')).key;
  });
  afterAll(async () => {
    await app.close();
    await d.close();
  });

  const routeKey = (r: { method: string; url: string }) => `${r.method} ${r.url}`;
  const routes = () => app.routeTable.filter((r) => r.method !== 'HEAD');

  it('has an access rule for every registered route', () => {
    const missing = routes().map(routeKey).filter((k) => !(k in ROUTE_ACCESS));
    expect(missing, `routes missing from ROUTE_ACCESS in src/server/route-access.ts: ${missing.join(', ')}`).toEqual([]);
    const stale = Object.keys(ROUTE_ACCESS).filter((k) => !routes().some((r) => routeKey(r) === k));
    expect(stale, 'rules for routes that no longer exist').toEqual([]);
  });

  const url = (pattern: string, personId: string) =>
    pattern.replace(':personId', personId).replace(/:[A-Za-z]+/g, RANDOM_ID).replace('*', 'app.css');

  async function call(method: string, path: string, opts: { role?: Role; key?: string; body?: Record<string, unknown> } = {}) {
    const headers: Record<string, string> = {};
    let payload: string | undefined;
    if (opts.role) headers.cookie = sessions.get(opts.role)!.cookie;
    if (opts.key) headers.authorization = `Bearer ${opts.key}`;
    if (method !== 'GET') {
      if (path.startsWith('/api/')) {
        headers['content-type'] = 'application/json';
        payload = JSON.stringify(opts.body ?? {});
      } else {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        payload = new URLSearchParams({ ...(opts.role ? { _csrf: sessions.get(opts.role)!.csrf } : {}) }).toString();
      }
    }
    const res = await app.inject({ method: method as InjectOptions['method'], url: path, headers, ...(payload !== undefined ? { payload } : {}) });
    return res.statusCode;
  }

  const allowed = (status: number) => status !== 401 && status !== 403 && status !== 404 && status < 500;

  async function check(method: string, pattern: string, rule: RouteAccess) {
    const key = `${method} ${pattern}`;
    const body = SAMPLE_BODY[key];
    switch (rule.kind) {
      case 'public': {
        expect(await call(method, url(pattern, involvedPerson)), key).toBeLessThan(500);
        break;
      }
      case 'api_org': {
        expect(await call(method, url(pattern, involvedPerson), { body }), `${key} without a key`).toBe(401);
        expect(allowed(await call(method, url(pattern, involvedPerson), { key: involvedKey, body })), `${key} with a key`).toBe(true);
        break;
      }
      case 'api_person': {
        expect(await call(method, url(pattern, involvedPerson), { body }), `${key} without a key`).toBe(401);
        expect(await call(method, url(pattern, otherPerson), { key: involvedKey, body }), `${key} unrelated person`).toBe(404);
        expect(await call(method, url(pattern, involvedPerson), { key: otherKey, body }), `${key} uninvolved organisation`).toBe(404);
        expect(allowed(await call(method, url(pattern, involvedPerson), { key: involvedKey, body })), `${key} involved organisation`).toBe(true);
        break;
      }
      case 'record': {
        expect(await call(method, url(pattern, involvedPerson)), `${key} signed out`).toBe(401);
        if (rule.api) {
          expect(await call(method, url(pattern, involvedPerson), { key: involvedKey, body }), `${key} with a key, unknown id`).toBe(404);
          break;
        }
        for (const role of ROLES) expect(await call(method, url(pattern, involvedPerson), { role }), `${key} as ${role}, unknown id`).toBe(404);
        break;
      }
      default: {
        expect(await call(method, url(pattern, involvedPerson)), `${key} signed out`).toBe(401);
        for (const role of ROLES) {
          if (rule.kind === 'signed_in') {
            if (rule.endsSession) continue; // exercised in the auth tests; it would end the matrix's sessions
            expect(allowed(await call(method, url(pattern, involvedPerson), { role })), `${key} as ${role}`).toBe(true);
          } else if (rule.kind === 'person') {
            expect(await call(method, url(pattern, otherPerson), { role }), `${key} as ${role}, no relationship`).toBe(404);
            const expectAllowed = CASE_HOLDING_ROLES.includes(role);
            expect(allowed(await call(method, url(pattern, involvedPerson), { role })), `${key} as ${role}, involved`).toBe(expectAllowed);
          } else {
            const expectAllowed = rule.roles.includes(role);
            expect(allowed(await call(method, url(pattern, involvedPerson), { role })), `${key} as ${role}`).toBe(expectAllowed);
          }
        }
      }
    }
    checked.push(key);
  }

  it('answers every route as its rule says, for every role and relationship', async () => {
    for (const r of routes()) {
      const rule = ROUTE_ACCESS[routeKey(r)];
      if (rule) await check(r.method, r.url, rule);
    }
    console.log(`route matrix: ${checked.length} of ${routes().length} routes checked for ${ROLES.length} roles`);
    expect(checked.length).toBe(routes().length);
  });
});
