// Run by src/db/pglite-exit.test.ts in a process of its own, so that a PGlite that spins after its
// backend exits can be killed from outside. Prints one JSON line: what each statement gave.
import { openDb } from '../src/db/client.js';

const how = process.argv[2];
const d = await openDb({ memory: true });
const results: string[] = [];
const run = async (sql: string) => {
  try {
    const r = await d.rawQuery(sql);
    results.push(`ok ${JSON.stringify(r.rows)}`);
  } catch (e) {
    results.push(`${(e as Error).name}: ${(e as Error).message}`);
  }
};
await run('SELECT 1 AS one');
if (how === 'idle-timeout') {
  await run("SET idle_in_transaction_session_timeout = '50ms'");
  await run('BEGIN');
  await new Promise((resolve) => setTimeout(resolve, 300)); // PostgreSQL's own timer, inside the backend
  await run('SELECT 2 AS two');
}
await run('SELECT 3 AS three');
await d.close().catch(() => {});
process.stdout.write(`${JSON.stringify(results)}\n`);
process.exit(0);
