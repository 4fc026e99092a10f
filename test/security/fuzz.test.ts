import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/server/modules/api/api-key.js';
import { involve, makeEvent, makeOrg, makePerson, TEST_ENGINE, useTestApp } from '../helpers.js';

// Fuzzes every JSON route the app registers under /api/: routes are read from the app's own route
// table, so a new endpoint is fuzzed without editing this file. Each gets arbitrary path parameters,
// query strings and bodies (random JSON, the documented fields with random values, and valid
// requests with one field broken), sent with a valid API key.

// About 3,000 inputs in all, shared among the routes (at least 150 each), to keep the run near half a minute.
const TOTAL_RUNS = Number(process.env.FUZZ_RUNS ?? 3000);
// 414: the router refuses a path parameter over 100 characters before any route runs ("URI Too Long").
const ALLOWED = new Set([200, 201, 400, 404, 414]);

/** Every method and path in the app's route table (parsed from printRoutes' tree). */
export function routeTable(app: FastifyInstance): { method: string; url: string }[] {
  const out: { method: string; url: string }[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│ ]*)[├└]── (.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    const full = (stack[depth - 1] ?? '') + m[2]!;
    stack[depth] = full;
    for (const method of (m[3] ?? '').split(', ').filter((x) => x && x !== 'HEAD')) out.push({ method, url: full });
  }
  return out;
}

interface OpenApiOperation {
  parameters?: { in: string; name: string }[];
  requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> };
}

const nasty = fc.constantFrom('', ' ', '..', '%', '\u0000', 'null', 'undefined', "' OR 1=1 --", '<script>', '-1', '0', '1e309', 'NaN', '😀', '\uD800', 'a'.repeat(300));
const text = fc.oneof(
  fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }), nasty,
  fc.tuple(fc.string({ maxLength: 10 }), fc.constantFrom('\u0000', '\uD800', '\uFFFF', '\u202E')).map(([t, c]) => `${t}${c}${t}`),
);
const json = fc.jsonValue({ maxDepth: 3 });
/** A malformed percent-escape, sent as is. */
const RAW_BAD_ESCAPE = '%zz';

/** Percent-encodes every byte (lone surrogates become U+FFFD, as a client would send them), except the deliberately malformed escape. */
function encodeSegment(value: string): string {
  if (value === RAW_BAD_ESCAPE) return value;
  return [...Buffer.from(value, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
}

describe(`fuzzing every JSON endpoint on ${TEST_ENGINE}`, () => {
  const h = useTestApp();
  let auth: { authorization: string };
  let personId: string;
  let strangerId: string;
  let eventId: string;
  beforeAll(async () => {
    const org = await makeOrg(h.db, 'school');
    const child = await makePerson(h.db);
    const stranger = await makePerson(h.db);
    await involve(h.db, { personId: child.id, organisationId: org.id });
    eventId = (await makeEvent(h.db, { personId: child.id, organisationId: org.id })).id;
    auth = { authorization: `Bearer ${(await createApiKey(h.db, org.id, 'Fuzzer')).key}` };
    personId = child.id;
    strangerId = stranger.id;
  });

  it('never answers 500: every bad input is a 400 with a clear message, or a 404', async () => {
    const routes = routeTable(h.app).filter((r) => r.url.startsWith('/api/'));
    expect(routes.map((r) => `${r.method} ${r.url}`)).toEqual(expect.arrayContaining([
      'GET /api/v1/people/:personId', 'GET /api/v1/people/:personId/chronology', 'POST /api/v1/people/:personId/events',
    ]));
    const doc = (await h.app.inject({ method: 'GET', url: '/api/openapi.json' })).json() as { paths: Record<string, Record<string, OpenApiOperation>> };
    const validBody = {
      eventTypeCode: 'missing_episode', occurredAt: '2025-06-01T10:00:00Z', occurredPrecision: 'time', summary: 'Fuzzed entry', sourceSystem: 'Fuzz',
    };
    const runsPerRoute = Math.max(150, Math.floor(TOTAL_RUNS / routes.length));
    let tried = 0;
    const statuses = new Map<number, number>();

    for (const route of routes) {
      const op = doc.paths[route.url.replace(/:(\w+)/g, '{$1}')]?.[route.method.toLowerCase()];
      const queryNames = (op?.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
      const bodyFields = Object.keys(op?.requestBody?.content?.['application/json']?.schema?.properties ?? {});
      const param = fc.oneof(fc.constant(personId), fc.constant(strangerId), fc.constant(eventId), fc.uuid(), text, fc.constant(RAW_BAD_ESCAPE));
      const query = fc.oneof(
        fc.dictionary(fc.oneof(queryNames.length ? fc.constantFrom(...queryNames) : fc.constant('page'), fc.string({ maxLength: 10 })), fc.oneof(text, fc.integer().map(String)), { maxKeys: 4 })
          .map((q) => new URLSearchParams(q).toString()),
        fc.constantFrom('%', '%%%', 'a[b]=c', 'page=1&page=2', 'from=2026-02-30', 'pageSize=100000', '=', '&&&'),
      );
      const body = fc.oneof(
        json.map((v) => JSON.stringify(v)),
        fc.record(Object.fromEntries(bodyFields.map((f) => [f, fc.oneof(json, text)])), { requiredKeys: [] }).map((v) => JSON.stringify(v)),
        { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...Object.keys(validBody), ...bodyFields, 'unexpected'), fc.oneof(json, text, fc.constant(undefined)))
          .map(([k, v]) => JSON.stringify({ ...validBody, [k]: v })) },
        fc.constantFrom('{', '{"a":', 'null', '[]', '"text"', '{"summary": "\\u0000"}', JSON.stringify(validBody)),
      );
      const request = fc.record({ param, query, body, withQuery: fc.boolean() });

      await fc.assert(
        fc.asyncProperty(request, async (input) => {
          const path = route.url.replace(/:(\w+)/g, () => encodeSegment(input.param));
          const url = input.withQuery ? `${path}?${input.query}` : path;
          const hasBody = route.method !== 'GET' && route.method !== 'DELETE';
          const res = await h.app.inject({
            method: route.method as 'GET', url,
            headers: { ...auth, ...(hasBody ? { 'content-type': 'application/json' } : {}) },
            ...(hasBody ? { payload: input.body } : {}),
          });
          tried++;
          statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
          const where = `${route.method} ${url} ${hasBody ? input.body.slice(0, 200) : ''}`;
          expect(ALLOWED.has(res.statusCode), `${res.statusCode} for ${where}: ${res.body.slice(0, 300)}`).toBe(true);
          expect(res.body, where).not.toMatch(/at [^\n]+\.(ts|js):\d+:\d+/);
          const answer = res.json() as { code?: string; message?: string; error: { code: string; message: string; details?: { field: string; message: string }[] } };
          // Every answer, including the router's own refusals, carries our headers and our error shape.
          expect(res.headers['cache-control'], where).toBe('no-store');
          expect(String(res.headers['content-security-policy']), where).toContain("default-src 'self'");
          if (res.statusCode === 400 && answer.error?.code === 'fst_err_bad_url') {
            // The router refuses a malformed percent-escape before any route runs; the URL is not echoed back.
            expect(answer.error.message, where).toBe('The address of this request is not valid');
          } else if (res.statusCode === 400) {
            const error = answer.error;
            expect(error.message.length, where).toBeGreaterThan(5);
            if (error.code === 'invalid_request') {
              expect(error.details?.length, where).toBeGreaterThan(0);
              for (const detail of error.details ?? []) {
                expect(typeof detail.field === 'string' && detail.message.length > 0, where).toBe(true);
              }
            }
          }
          if (res.statusCode === 414) expect(answer.error.message, where).toBe('The address of this request is not valid');
          if (res.statusCode === 404) expect((res.json() as { error: { code: string } }).error.code, where).toBe('not_found');
        }),
        { numRuns: runsPerRoute },
      );
    }
    const serverErrors = [...statuses].filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0);
    console.log(`fuzz: ${tried} inputs over ${routes.length} routes, ${serverErrors} server errors (answers: ${[...statuses].sort().map(([s, c]) => `${s}×${c}`).join(', ')})`);
    expect(serverErrors).toBe(0);
    // The fuzzing reached past validation: some inputs were accepted, some refused.
    expect(statuses.get(400)).toBeGreaterThan(0);
    expect((statuses.get(200) ?? 0) + (statuses.get(201) ?? 0)).toBeGreaterThan(0);
  }, 120_000);
});
