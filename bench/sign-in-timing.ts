// `npx tsx bench/sign-in-timing.ts`: how long a refused sign-in takes for an unknown email, a wrong
// password and a locked account, on in-memory PGlite. They should be alike, so timing does not
// tell an attacker which email addresses have accounts. Prints `name: value unit` lines.
import { openDb } from '../src/db/client.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { buildApp } from '../src/server/app.js';
import { loadConfig } from '../src/server/config.js';
import { hashPassword } from '../src/server/modules/auth/password.js';
import { ACCOUNT_FREE_FAILURES } from '../src/server/modules/auth/limits.js';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 30);

const d = await openDb({ memory: true });
await migrateToLatest(d.db);
const app = await buildApp({ db: d, config: loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' }), logger: false });
const org = await d.db.insertInto('organisation').values({ name: 'Bench school', kind: 'school', borough: 'Benchborough' }).returning('id').executeTakeFirstOrThrow();
const hash = await hashPassword('violet lamp under the river');
const makeUser = async (email: string) =>
  d.db.insertInto('app_user').values({ email, name: 'Bench User', organisation_id: org.id, roles: ['practitioner'], password_hash: hash }).execute();

async function attempt(email: string, password: string, ip: string): Promise<number> {
  const page = await app.inject({ method: 'GET', url: '/sign-in', remoteAddress: ip });
  const pre = page.cookies.find((c) => c.name === 'jigsaw_signin')!;
  const token = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
  const started = performance.now();
  await app.inject({
    method: 'POST', url: '/sign-in', remoteAddress: ip,
    headers: { cookie: `jigsaw_signin=${pre.value}`, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ email, password, _csrf: token }).toString(),
  });
  return performance.now() - started;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const times: Record<string, number[]> = { unknown_email: [], wrong_password: [], locked_account: [] };
for (let i = 0; i < SAMPLES; i++) {
  const real = `bench-${i}@bench.example.test`;
  const locked = `locked-${i}@bench.example.test`;
  await makeUser(real);
  await makeUser(locked);
  // From as many addresses as failures: the account-wide back-off, not one address's.
  for (let f = 0; f < ACCOUNT_FREE_FAILURES; f++) await attempt(locked, 'wrong-wrong-wrong', `192.0.2.${f + 1}`);
  times.unknown_email!.push(await attempt(`nobody-${i}@bench.example.test`, 'wrong-wrong-wrong', '203.0.113.1'));
  times.wrong_password!.push(await attempt(real, 'wrong-wrong-wrong', '203.0.113.2'));
  times.locked_account!.push(await attempt(locked, 'violet lamp under the river', '203.0.113.3'));
}
for (const [name, xs] of Object.entries(times)) console.log(`sign_in.refused.${name}.median: ${median(xs).toFixed(1)} ms`);
await app.close();
await d.close();
