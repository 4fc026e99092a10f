import Fastify, { type FastifyInstance, type InjectOptions } from 'fastify';
import { sql } from 'kysely';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../db/client.js';
import { buildTestApp, involve, makeOrg, makePerson, makeUser, openTestDb, signIn, TEST_ENGINE } from '../../test/helpers.js';
import { CASE_HOLDING_ROLES, type RouteAccess } from './access.js';
import { ROLES, type Role } from './actor.js';
import { createApiKey } from './modules/api/api-key.js';
import { MAX_BAR_ITEMS, navigationFor, registerRouteAccess } from './plugins/route-access.js';

const RANDOM_ID = '00000000-0000-4000-8000-00000000abcd';

// Bodies that pass validation, so that a refusal can only come from the policy.
const SAMPLE_BODY: Record<string, Record<string, unknown>> = {
  'POST /api/v1/people/:personId/events': {
    eventTypeCode: 'youth_club_attendance', occurredAt: '2026-01-10', occurredPrecision: 'date', summary: 'Matrix check entry', sourceSystem: 'Matrix',
  },
  'POST /api/v1/people/:personId/involvements': { userId: RANDOM_ID, role: 'key_worker', startedOn: '2026-01-10' },
  'POST /api/v1/involvements/:id/end': { handoverNote: 'Matrix check: a handover note long enough to pass validation' },
};

const ROUTE_REASONS = ['role', 'relationship', 'actor'];

describe(`authorisation matrix over every declared route × role × relationship on ${TEST_ENGINE}`, () => {
  let d: Db;
  let app: FastifyInstance;
  const sessions = new Map<Role, { cookie: string; csrf: string; email: string }>();
  let involvedPerson = '';
  let otherPerson = '';
  let involvedKey = '';
  let otherKey = '';
  const checked: string[] = [];
  let refusalsChecked = 0;
  // The matrix's own organisations: on a shared database, other tests' rows are left out.
  const orgIds: string[] = [];

  beforeAll(async () => {
    d = await openTestDb();
    app = await buildTestApp(d);
    await app.ready();
    const org = await makeOrg(d.db, 'childrens_social_care');
    const elsewhere = await makeOrg(d.db, 'housing');
    orgIds.push(org.id, elsewhere.id);
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

  const routes = () => app.declaredRoutes.filter((r) => r.method !== 'HEAD');

  it('reads every route and its declared rule from the running app', () => {
    expect(routes().length).toBeGreaterThan(60);
    for (const r of app.declaredRoutes) expect(r.access, `${r.method} ${r.url}`).toBeDefined();
    // HEAD routes that Fastify adds for each GET carry the GET's rule.
    const head = app.declaredRoutes.find((r) => r.method === 'HEAD' && r.url === '/people/:personId');
    expect(head?.access).toEqual({ kind: 'person', action: 'chronology.read' });
  });

  it('refuses to start an app with a route that declares no access rule', async () => {
    const bare = Fastify({ logger: false });
    registerRouteAccess(bare, { db: d.db, engine: d.engine, config: {} as never });
    bare.get('/declared', { config: { access: { kind: 'public' } } }, async () => 'ok');
    const start = async () => {
      bare.get('/undeclared', async () => 'oops');
      await bare.ready();
    };
    await expect(start()).rejects.toThrow(/GET \/undeclared declares no access rule/);
    await bare.close().catch(() => undefined);

    // The same for the whole app: one more route without a rule and it does not start.
    const full = await buildTestApp(d);
    const startFull = async () => {
      full.post('/people/:personId/undeclared', async () => 'oops');
      await full.ready();
    };
    await expect(startFull()).rejects.toThrow(/POST \/people\/:personId\/undeclared declares no access rule/);
    await full.close().catch(() => undefined);
  });

  const url = (pattern: string, personId: string, recordId = RANDOM_ID) =>
    pattern.replace(':personId', personId).replace(/:[A-Za-z]+/g, recordId).replace('*', 'app.css');

  /** Denied rows for a route so far, split into refusals by the route's rule and by a record's policy. */
  async function deniedRows(routeKey: string): Promise<{ route: number; record: number }> {
    const rows = await d.db
      .selectFrom('access_log')
      .select(sql<string | null>`detail->>'reason'`.as('reason'))
      .where('route', '=', routeKey)
      .where('outcome', '=', 'denied')
      .where('organisation_id', 'in', orgIds)
      .execute();
    return {
      route: rows.filter((r) => ROUTE_REASONS.includes(r.reason ?? '')).length,
      record: rows.filter((r) => r.reason === 'record').length,
    };
  }

  async function call(method: string, pattern: string, path: string, opts: { role?: Role; key?: string; body?: Record<string, unknown> } = {}) {
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
        const fields: Record<string, string> = { ...(opts.role ? { _csrf: sessions.get(opts.role)!.csrf } : {}) };
        for (const [k, v] of Object.entries(opts.body ?? {})) fields[k] = String(v);
        payload = new URLSearchParams(fields).toString();
      }
    }
    const key = `${method} ${pattern}`;
    const before = await deniedRows(key);
    const res = await app.inject({ method: method as InjectOptions['method'], url: path, headers, ...(payload !== undefined ? { payload } : {}) });
    const after = await deniedRows(key);
    return { status: res.statusCode, routeDenied: after.route > before.route, recordDenied: after.record > before.record };
  }

  const allowed = (status: number) => status !== 401 && status !== 403 && status !== 404 && status < 500;

  type Outcome = Awaited<ReturnType<typeof call>>;
  /** A refusal: 404, as for a missing record, with its denied row written by the route's rule. */
  function expectRefused(o: Outcome, label: string) {
    expect(o.status, `${label}: status`).toBe(404);
    expect(o.routeDenied, `${label}: denied access-log row`).toBe(true);
    refusalsChecked++;
  }
  /** Admitted by the rule: no refusal row; the page answers, or (with an unknown record id) the record's policy refuses, with its row. */
  function expectAdmitted(o: Outcome, label: string, unknownRecord: boolean) {
    expect(o.routeDenied, `${label}: refused by the route's rule`).toBe(false);
    if (unknownRecord) {
      expect(o.status, `${label}: unknown record`).toBe(404);
      expect(o.recordDenied, `${label}: denied row for the unknown record`).toBe(true);
      refusalsChecked++;
    } else {
      expect(allowed(o.status), `${label}: status ${o.status}`).toBe(true);
    }
  }

  async function check(method: string, pattern: string, rule: RouteAccess) {
    const key = `${method} ${pattern}`;
    const body = SAMPLE_BODY[key];
    const otherIds = /:(?!personId\b)[A-Za-z]+/.test(pattern);
    switch (rule.kind) {
      case 'public': {
        expect((await call(method, pattern, url(pattern, involvedPerson))).status, key).toBeLessThan(500);
        break;
      }
      case 'api_org': {
        expect((await call(method, pattern, url(pattern, involvedPerson), { ...(body ? { body } : {}) })).status, `${key} without a key`).toBe(401);
        expectAdmitted(await call(method, pattern, url(pattern, involvedPerson), { key: involvedKey, ...(body ? { body } : {}) }), `${key} with a key`, false);
        break;
      }
      case 'api_person': {
        const b = body ? { body } : {};
        expect((await call(method, pattern, url(pattern, involvedPerson), b)).status, `${key} without a key`).toBe(401);
        expectRefused(await call(method, pattern, url(pattern, otherPerson), { key: involvedKey, ...b }), `${key} unrelated person`);
        expectRefused(await call(method, pattern, url(pattern, involvedPerson), { key: otherKey, ...b }), `${key} uninvolved organisation`);
        expectAdmitted(await call(method, pattern, url(pattern, involvedPerson), { key: involvedKey, ...b }), `${key} involved organisation`, false);
        break;
      }
      case 'record': {
        // Every id in the address is unknown: the route may admit the actor, the record's policy refuses.
        const path = url(pattern, RANDOM_ID);
        expect((await call(method, pattern, path)).status, `${key} signed out`).toBe(401);
        if (rule.api) {
          expectAdmitted(await call(method, pattern, path, { key: involvedKey, ...(body ? { body } : {}) }), `${key} with a key, unknown id`, true);
          break;
        }
        for (const role of ROLES) {
          const o = await call(method, pattern, path, { role });
          if (rule.roles && !rule.roles.includes(role)) expectRefused(o, `${key} as ${role}`);
          else expectAdmitted(o, `${key} as ${role}, unknown id`, true);
        }
        break;
      }
      case 'person': {
        const fromBody = rule.personIdFrom === 'body';
        const at = (personId: string) => (fromBody ? url(pattern, RANDOM_ID) : url(pattern, personId));
        const withPerson = (personId: string) => (fromBody ? { body: { personId } } : {});
        expect((await call(method, pattern, at(involvedPerson), withPerson(involvedPerson))).status, `${key} signed out`).toBe(401);
        for (const role of ROLES) {
          expectRefused(await call(method, pattern, at(otherPerson), { role, ...withPerson(otherPerson) }), `${key} as ${role}, no relationship`);
          const o = await call(method, pattern, at(involvedPerson), { role, ...withPerson(involvedPerson) });
          const admitted = (rule.roles ?? CASE_HOLDING_ROLES).includes(role) && CASE_HOLDING_ROLES.includes(role);
          if (admitted) expectAdmitted(o, `${key} as ${role}, involved`, otherIds);
          else expectRefused(o, `${key} as ${role}, involved`);
        }
        break;
      }
      case 'signed_in':
      case 'roles': {
        expect((await call(method, pattern, url(pattern, involvedPerson))).status, `${key} signed out`).toBe(401);
        for (const role of ROLES) {
          if (rule.kind === 'signed_in' && rule.endsSession) continue; // exercised in the auth tests; it would end the matrix's sessions
          const o = await call(method, pattern, url(pattern, involvedPerson), { role });
          if (rule.kind === 'roles' && !rule.roles.includes(role)) expectRefused(o, `${key} as ${role}`);
          else expectAdmitted(o, `${key} as ${role}`, false);
        }
        break;
      }
    }
    checked.push(key);
  }

  it('answers every route as its declared rule says, for every role and relationship, and logs every refusal', async () => {
    for (const r of routes()) await check(r.method, r.url, r.access);
    console.log(`route matrix: ${checked.length} of ${routes().length} routes checked for ${ROLES.length} roles; ${refusalsChecked} refusals, each with its denied row`);
    expect(checked.length).toBe(routes().length);
    expect(refusalsChecked).toBeGreaterThan(100);
  }, 300_000); // about 2,000 requests (every route for every role and relationship): minutes, not the default minute

  it('logs the refusals that used to answer 404 without a row: break-glass and its review, an API import by a non-system actor', async () => {
    const latestDenied = async (route: string) =>
      d.db.selectFrom('access_log').select(['action', 'person_id', 'detail', 'user_id', 'api_key_id']).where('route', '=', route).where('outcome', '=', 'denied')
        .where('organisation_id', 'in', [...orgIds, RANDOM_ID]).orderBy('id', 'desc').limit(1).executeTakeFirst();
    const analyst = sessions.get('analyst')!;
    const res = await app.inject({ method: 'GET', url: '/break-glass', headers: { cookie: analyst.cookie } });
    expect(res.statusCode).toBe(404);
    expect(await latestDenied('GET /break-glass')).toMatchObject({ action: 'break_glass.open', detail: { reason: 'role' } });

    const dpo = sessions.get('data_protection_officer')!;
    const review = await app.inject({
      method: 'POST', url: `/admin/break-glass/${RANDOM_ID}/review`,
      headers: { cookie: dpo.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: `_csrf=${encodeURIComponent(dpo.csrf)}`,
    });
    expect(review.statusCode).toBe(404);
    expect(await latestDenied('POST /admin/break-glass/:id/review')).toMatchObject({ action: 'break_glass.review', detail: { reason: 'record', breakGlassId: RANDOM_ID } });

    // An import is for an organisation's system: anyone else reaching it is refused with a row.
    const bare = Fastify({ logger: false });
    registerRouteAccess(bare, { db: d.db, engine: d.engine, config: {} as never });
    bare.decorateRequest('actor', null);
    bare.addHook('onRequest', async (request) => {
      request.actor = { kind: 'user', userId: RANDOM_ID, name: 'n', email: 'e', organisationId: RANDOM_ID, organisationName: 'o', teamId: null, roles: ['designated_safeguarding_lead'], partnershipId: RANDOM_ID };
    });
    bare.post('/api/v1/intake', { config: { access: { kind: 'api_org', action: 'intake.import' } } }, async () => ({ imported: true }));
    await bare.ready();
    const imported = await bare.inject({ method: 'POST', url: '/api/v1/intake', payload: {} });
    await bare.close();
    expect(imported.statusCode).toBe(404);
    expect(await latestDenied('POST /api/v1/intake')).toMatchObject({ action: 'intake.import', detail: { reason: 'actor' } });
  });

  it('derives the navigation from the same rules: each item is a page the user may open', async () => {
    for (const role of ROLES) {
      const s = sessions.get(role)!;
      const actor = { kind: 'user' as const, userId: RANDOM_ID, name: 'n', email: s.email, organisationId: RANDOM_ID, organisationName: 'o', teamId: null, roles: [role], partnershipId: RANDOM_ID };
      const items = navigationFor(actor, app.declaredRoutes);
      const res = await app.inject({ method: 'GET', url: '/', headers: { cookie: s.cookie } });
      const bar = res.body.slice(res.body.indexOf('govuk-service-navigation'), res.body.indexOf('</nav>'));
      // The bar holds a few pages and "More"; "More" lists every other one.
      const more = await app.inject({ method: 'GET', url: '/sections', headers: { cookie: s.cookie } });
      const nav = bar + more.body.slice(more.body.indexOf('<main'));
      expect(bar.match(/<li class="govuk-service-navigation__item/g)?.length ?? 0, `${role}'s bar`).toBeLessThanOrEqual(MAX_BAR_ITEMS);
      for (const item of items) {
        expect(nav, `${role} sees ${item.text}`).toContain(`href="${item.href}"`);
        const opened = await app.inject({ method: 'GET', url: item.href, headers: { cookie: s.cookie } });
        expect(allowed(opened.statusCode), `${role} opens ${item.href}`).toBe(true);
      }
      // Every GET page without parameters that refuses this role is absent from their navigation.
      for (const r of routes().filter((x) => x.method === 'GET' && x.nav)) {
        if (!items.some((i) => i.href === r.url)) expect(nav, `${role} does not see ${r.url}`).not.toContain(`href="${r.url}"`);
      }
    }
    const admin = navigationFor({ kind: 'user', userId: RANDOM_ID, name: 'n', email: 'e', organisationId: RANDOM_ID, organisationName: 'o', teamId: null, roles: ['partnership_admin'], partnershipId: RANDOM_ID }, app.declaredRoutes);
    expect(admin.map((i) => i.href)).toEqual(expect.arrayContaining(['/admin/users', '/admin/sharing-agreements', '/fairness', '/admin/access-log']));
    expect(admin.map((i) => i.href)).not.toContain('/admin/retention');
    // A page that fails before its access check (here, invalid input) still shows the user's navigation.
    const invalid = await app.inject({ method: 'GET', url: '/considerations?show=bogus', headers: { cookie: sessions.get('partnership_admin')!.cookie } });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.body).toContain('href="/sections"');
  });
});

describe('no area writes its own refusal', () => {
  const serverDir = fileURLToPath(new URL('.', import.meta.url));
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : [];
    });

  it('writes denied rows only through the route-access check and refuseRecord (and sign-in, which has no actor yet)', () => {
    // Authentication refusals (a wrong password or code, an unknown API key, a missing CSRF token) are logged where they happen.
    const authentication = ['modules/auth/', 'modules/api/api-key.ts', 'plugins/require-signed-in.ts'];
    const offenders = files(serverDir)
      .map((p) => relative(serverDir, p).split('\\').join('/'))
      .filter((p) => p !== 'access.ts' && !authentication.some((a) => p.startsWith(a)))
      .filter((p) => /outcome:\s*'denied'|outcome:\s*allowed\s*\?/.test(readFileSync(join(serverDir, p), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('answers no 404 from a route without its denied row (routes use refuseRecord, not NotFoundError)', () => {
    const routeFiles = files(join(serverDir, 'modules'))
      .filter((p) => /\.routes\.ts$|intake\.api\.ts$/.test(p) && !p.includes(`${join('modules', 'auth')}`));
    const offenders = routeFiles.filter((p) => /new NotFoundError\(\)/.test(readFileSync(p, 'utf8'))).map((p) => relative(serverDir, p));
    expect(offenders).toEqual([]);
  });
});
