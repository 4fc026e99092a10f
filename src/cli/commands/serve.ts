import { buildApp } from '../../server/app.js';
import type { Config } from '../../server/config.js';
import { indexMissingPeople } from '../../server/modules/identity/match-index.js';
import { outboxProcessors } from '../../server/outbox/processors.js';
import { startOutboxWorker } from '../../server/outbox/worker.js';
import { describeDb, openConfiguredDb } from './open.js';
import { seedAndReport } from './seed.js';
import { serverLoggerOptions } from '../../server/logging.js';
import { resealSecrets, secretBox } from '../../server/secrets.js';
import { demoAuthenticatorKey, enrolDemoAuthenticators } from '../../synthetic/demo-authenticators.js';
import { groupSecret } from '../../server/modules/auth/totp.js';
import type { DemoUser } from '../../synthetic/types.js';
import type { DemoSignIn } from '../../server/context.js';

/** `jigsaw serve [--demo]`: migrates, optionally loads demo data into an empty database, listens, and shuts down cleanly. */
export async function runServe(config: Config, opts: { demo: boolean; children: number; seed: number; boroughs: number }): Promise<number> {
  const db = await openConfiguredDb(config);
  let demoUsers: DemoUser[] = [];
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
  // Demo accounts that must use a second factor have the published authenticator key (also when the demo was loaded earlier).
  const withKeys = new Set(await enrolDemoAuthenticators(db.db, demoUsers.map((u) => u.email)));
  if (withKeys.size) await resealSecrets(db.db, secretBox(config));
  const app = await buildApp({ db, config, logger: serverLoggerOptions(config.LOG_LEVEL), ...(demoUsers.length ? { demo: demoSignIn(demoUsers, withKeys) } : {}) });
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
  if (demoUsers.length) printDemoAccounts(demoUsers, withKeys);
  console.log('\nPress Ctrl+C to stop.');
  return 0;
}

/** What the sign-in page says of the demo: the first borough's accounts (one per role), their password, and those asking for a code. */
function demoSignIn(demoUsers: readonly Pick<DemoUser, 'email' | 'password' | 'role'>[], withKeys: ReadonlySet<string>): DemoSignIn {
  const domain = (email: string) => email.slice(email.indexOf('@') + 1);
  const first = demoUsers.filter((u) => domain(u.email) === domain(demoUsers[0]!.email));
  return {
    password: demoUsers[0]!.password,
    accounts: first.map((u) => ({ email: u.email, role: u.role.replace(/_/g, ' ') })),
    withAuthenticator: first.map((u) => u.email).filter((e) => withKeys.has(e)),
  };
}

/**
 * The demo accounts, one per role: the first borough's in full, with the authenticator key of those
 * that must use a second factor; the other boroughs have the same accounts under their own domain.
 */
function printDemoAccounts(demoUsers: readonly Pick<DemoUser, 'email' | 'password' | 'role' | 'description'>[], withKeys: ReadonlySet<string>): void {
  const domain = (email: string) => email.slice(email.indexOf('@') + 1);
  const first = domain(demoUsers[0]!.email);
  const others = [...new Set(demoUsers.map((u) => domain(u.email)).filter((d) => d !== first))];
  console.log(`\nSign in as any role with these synthetic demo accounts (password ${demoUsers[0]!.password}):`);
  for (const u of demoUsers.filter((x) => domain(x.email) === first)) {
    console.log(`  ${u.email.padEnd(40)} ${u.role.replace(/_/g, ' ').padEnd(30)} ${u.description}`);
    if (withKeys.has(u.email)) console.log(`  ${''.padEnd(40)} authenticator key: ${groupSecret(demoAuthenticatorKey(u.email))}`);
  }
  if (others.length) console.log(`The same accounts exist under ${others.map((d) => `@${d}`).join(' and ')}.`);
  if (withKeys.size) {
    console.log('Accounts with an authenticator key ask for a code after the password: add the key to an authenticator app, or run');
    console.log(`  npx jigsaw demo-code ${[...withKeys].find((e) => domain(e) === first) ?? [...withKeys][0]}`);
  }
}
