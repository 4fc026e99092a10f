import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { performance } from 'node:perf_hooks';
import type { Db } from '../src/db/client.js';
import { buildApp } from '../src/server/app.js';
import { loadConfig } from '../src/server/config.js';
import { createApiKey } from '../src/server/modules/api/api-key.js';
import { percentile, type Line } from './report.js';

/** Makes an organisation, an API key and a child with `events` chronology entries spread over ten years. */
async function childWithEvents(d: Db, events: number) {
  const org = await d.db.insertInto('organisation').values({ name: `Bench agency ${events}`, kind: 'youth_justice', borough: 'Benchborough' }).returning('id').executeTakeFirstOrThrow();
  const person = await d.db.insertInto('person').values({ date_of_birth: '2009-06-01', sex: 'female', ethnicity: 'BCRB' }).returning('id').executeTakeFirstOrThrow();
  await d.db.insertInto('person_name').values({ person_id: person.id, kind: 'legal', given_names: 'Benchmark', family_name: `Child${events}` }).execute();
  await d.db.insertInto('involvement').values({ person_id: person.id, organisation_id: org.id, role: 'case_holder', started_on: '2020-01-01' }).execute();
  const codes = (await d.db.selectFrom('event_type').select('code').execute()).map((t) => t.code);
  const inserted = await d.rawQuery(
    `INSERT INTO event (event_type_code, vocabulary_version, occurred_at, occurred_precision, recorded_via, organisation_id, source_system, source_record_id, summary, factor_codes)
     SELECT ($1::text[])[1 + g % cardinality($1::text[])], '1', timestamptz '2016-01-01' + (g * interval '1 hour' * (87600 / $2::int)), 'time', 'api', $3::uuid,
            'BenchSystem', 'B-' || g, 'Synthetic benchmark entry ' || g, '{}'
     FROM generate_series(1, $2::int) g RETURNING id`,
    [codes, events, org.id],
  );
  const ids = inserted.rows.map((r) => (r as { id: string }).id);
  await d.rawQuery(`INSERT INTO event_person (event_id, person_id, role) SELECT unnest($1::uuid[]), $2::uuid, 'subject'`, [ids, person.id]);
  const key = await createApiKey(d.db, org.id, 'bench');
  return { personId: person.id, key: key.key };
}

// The same page of the chronology (newest 50 current entries with their type, agency, the
// person's roles and the total), written by hand and sent straight to the driver.
const BARE_SQL = `
  SELECT e.*, t.label, t.category, t.implies_factors, o.name AS organisation_name, o.kind AS organisation_kind, u.name AS recorded_by_name,
         ARRAY(SELECT ep.role FROM event_person ep WHERE ep.event_id = e.id AND ep.person_id = $1 ORDER BY ep.role) AS roles,
         count(*) OVER () AS total
  FROM event e
  JOIN event_type t ON t.code = e.event_type_code
  JOIN organisation o ON o.id = e.organisation_id
  LEFT JOIN app_user u ON u.id = e.recorded_by_user_id
  WHERE e.id IN (SELECT event_id FROM event_person WHERE person_id = $1)
    AND NOT EXISTS (SELECT 1 FROM event s WHERE s.supersedes = e.id)
  ORDER BY e.occurred_at DESC, e.recorded_at DESC, e.id
  LIMIT $2`;

async function time(n: number, fn: () => Promise<void>): Promise<number[]> {
  for (let i = 0; i < Math.min(20, n); i++) await fn(); // warm-up
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

/** Chronology read latency through the HTTP API (a real socket) beside the bare SQL for the same page. */
export async function benchChronology(d: Db, label: string, sizes: number[], samples: number): Promise<Line[]> {
  // Configured as production is: a key of its own for sealed secrets, and a public address.
  const config = loadConfig({
    LOG_LEVEL: 'silent', NODE_ENV: 'production', SECRETS_KEY: randomBytes(32).toString('base64'), PUBLIC_BASE_URL: 'https://jigsaw.bench.invalid',
  });
  const app: FastifyInstance = await buildApp({ db: d, config, logger: false });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const lines: Line[] = [];
  try {
    for (const size of sizes) {
      const child = await childWithEvents(d, size);
      const url = `${address}/api/v1/people/${child.personId}/chronology?pageSize=50`;
      const headers = { authorization: `Bearer ${child.key}` };
      const check = await fetch(url, { headers });
      const body = (await check.json()) as { total: number; entries: unknown[] };
      if (check.status !== 200 || body.total !== size || body.entries.length !== 50) throw new Error(`bench setup wrong: ${check.status} ${body.total}`);
      const api = await time(samples, async () => {
        const res = await fetch(url, { headers });
        await res.arrayBuffer();
      });
      const bare = await time(samples, async () => {
        await d.rawQuery(BARE_SQL, [child.personId, 50]);
      });
      const apiP50 = percentile(api, 50);
      const apiP95 = percentile(api, 95);
      const sqlP50 = percentile(bare, 50);
      const sqlP95 = percentile(bare, 95);
      lines.push(
        { name: `chronology.${label}.${size}_events.api_p50`, value: apiP50, unit: 'ms' },
        { name: `chronology.${label}.${size}_events.api_p95`, value: apiP95, unit: 'ms' },
        { name: `chronology.${label}.${size}_events.sql_p50`, value: sqlP50, unit: 'ms' },
        { name: `chronology.${label}.${size}_events.sql_p95`, value: sqlP95, unit: 'ms' },
        { name: `chronology.${label}.${size}_events.ratio_p50`, value: apiP50 / sqlP50, unit: 'x' },
        { name: `chronology.${label}.${size}_events.ratio_p95`, value: apiP95 / sqlP95, unit: 'x' },
      );
    }
  } finally {
    await app.close();
  }
  return lines;
}
