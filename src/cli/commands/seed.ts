import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { Config } from '../../server/config.js';
import { createLogger } from '../../server/logging.js';
import { runOutboxUntilIdle } from '../../server/outbox/outbox.js';
import { rulesProcessor } from '../../server/modules/considerations/rules.processor.js';
import { seedBorough, type SeedReport } from '../../synthetic/seed.js';
import { describeDb, openConfiguredDb } from './open.js';

/** Seeds a synthetic borough (or several neighbouring ones) and prints what was made and how fast. */
export async function seedAndReport(db: Kysely<Database>, opts: { children: number; seed: number; boroughs?: number; demoUsers?: boolean }): Promise<SeedReport> {
  let lastShown = 0;
  const report = await seedBorough(db, {
    children: opts.children,
    seed: opts.seed,
    boroughs: opts.boroughs ?? 1,
    demoUsers: opts.demoUsers ?? true,
    onProgress: (done, total) => {
      if (process.stderr.isTTY && (done === total || Date.now() - lastShown > 250)) {
        lastShown = Date.now();
        process.stderr.write(`\rSeeding: ${done}/${total} children`);
        if (done === total) process.stderr.write('\n');
      }
    },
  });
  const seconds = report.durationMs / 1000;
  if (report.skipped) {
    console.log(report.message);
    return report;
  }
  console.log(
    `Seeded ${report.boroughs.join(', ')}: ${report.children} children (${report.people} people), ${report.events} events, ${report.organisations} organisations, ` +
      `${report.users} users in ${seconds.toFixed(1)} s (${Math.round(report.people / seconds)} people/s, ${Math.round(report.events / seconds)} events/s); ` +
      `every entry dated before ${report.referenceDate}`,
  );
  return report;
}

/**
 * `jigsaw seed --children N --seed S [--boroughs B] [--demo]`: seeds, then runs the work the new entries
 * queued (the early identification rules). Only --demo gives the accounts the published password.
 */
export async function runSeed(config: Config, opts: { children: number; seed: number; boroughs: number; demo: boolean }): Promise<number> {
  const db = await openConfiguredDb(config);
  try {
    console.log(`Database: ${describeDb(config)}`);
    const report = await seedAndReport(db.db, { ...opts, demoUsers: opts.demo });
    if (!opts.demo && !report.skipped) console.log('The accounts have no password (no --demo): the partnership administrator invites the people who will use them.');
    const started = performance.now();
    const work = await runOutboxUntilIdle(db.db, { processors: [rulesProcessor], log: createLogger(config.LOG_LEVEL) });
    const considerations = await db.db.selectFrom('consideration').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    console.log(`Early identification rules ran on the new entries (${work.done} outbox item(s), ${((performance.now() - started) / 1000).toFixed(1)} s): ${Number(considerations.n)} considerations in all`);
    return work.dead > 0 ? 1 : 0;
  } finally {
    await db.close();
  }
}
