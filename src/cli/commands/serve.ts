import { buildApp } from '../../server/app.js';
import type { Config } from '../../server/config.js';
import { indexMissingPeople } from '../../server/modules/identity/match-index.js';
import { outboxProcessors } from '../../server/outbox/processors.js';
import { startOutboxWorker } from '../../server/outbox/worker.js';
import { describeDb, openConfiguredDb } from './open.js';
import { seedAndReport } from './seed.js';

/** `jigsaw serve [--demo]`: migrates, optionally loads demo data into an empty database, listens, and shuts down cleanly. */
export async function runServe(config: Config, opts: { demo: boolean; children: number; seed: number; boroughs: number }): Promise<number> {
  const db = await openConfiguredDb(config);
  let demoUsers: { email: string; password: string; description: string }[] = [];
  if (opts.demo) {
    const existing = await db.db.selectFrom('app_user').select('id').limit(1).execute();
    if (existing.length === 0) {
      console.log(`Loading demo data (${opts.boroughs} borough(s) of ${opts.children} children, seed ${opts.seed})...`);
      demoUsers = (await seedAndReport(db.db, { children: opts.children, seed: opts.seed, boroughs: opts.boroughs })).demoUsers;
    } else {
      const { demoUsersFor } = await import('../../synthetic/seed.js');
      demoUsers = demoUsersFor(undefined, opts.boroughs);
      console.log('Demo data already loaded.');
    }
  }
  const app = await buildApp({ db, config });
  // People written before the match index existed (or by other means) get their blocking keys now.
  const indexed = await indexMissingPeople(db.db);
  app.log.info({ indexed }, 'match index: people given blocking keys at start-up');
  // The outbox worker runs what follows each committed change (rules, uploaded imports) until the app closes.
  const worker = await startOutboxWorker(db, { processors: outboxProcessors(config), log: app.log });
  app.addHook('onClose', async () => worker.stop());
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    await app.close();
    await db.close(); // PGlite checkpoints and releases the data-directory lock
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  const address = await app.listen({ host: config.HOST, port: config.PORT });
  const url = address.replace('127.0.0.1', 'localhost');
  console.log(`\nJigsaw is running at ${url}\nDatabase: ${describeDb(config)}`);
  if (demoUsers.length) {
    console.log('\nSign in with any of these synthetic demo users:');
    for (const u of demoUsers) console.log(`  ${u.email.padEnd(40)} password: ${u.password}   ${u.description}`);
    console.log('Managers, the data protection officer, the administrator and police users set up an authenticator app (TOTP) at first sign-in.');
  }
  console.log('\nPress Ctrl+C to stop.');
  return 0;
}
