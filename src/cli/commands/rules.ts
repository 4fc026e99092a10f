import { parseArgs } from 'node:util';
import type { Config } from '../../server/config.js';
import { runFullPass, type RunReport } from '../../server/modules/considerations/run-rules.js';
import { describeDb, openConfiguredDb } from './open.js';

const USAGE = `Usage: jigsaw rules run [--as-of YYYY-MM-DD]

Runs every partnership's active early identification rules over the chronologies of the children of
that partnership (a full pass: a child's partnership is that of their current address) and
raises considerations for matches not raised before. Nothing is done to any child: each
consideration goes to a named practitioner or the early help front door to decide.`;

/** Prints a run report as `name: value unit` lines. */
export function printRunReport(r: RunReport): void {
  console.log(`rules: ${r.rules}`);
  console.log(`children with relevant events: ${r.children}`);
  console.log(`events read: ${r.eventsRead}`);
  console.log(`matches: ${r.matches}`);
  console.log(`considerations created: ${r.created}`);
  console.log(`already raised: ${r.alreadyRaised}`);
  console.log(`children in no partnership's area (no rules run): ${r.withoutPartnership}`);
  console.log(`held back by a rule's cool-down: ${r.suppressedByCooldown}`);
  console.log(`duration: ${(r.durationMs / 1000).toFixed(1)} s`);
}

/** `jigsaw rules run [--as-of DATE]`. */
export async function runRulesCommand(config: Config, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { 'as-of': { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } }, allowPositionals: true });
  if (values.help || positionals[0] !== 'run' || positionals.length > 1) {
    console.log(USAGE);
    return values.help ? 0 : 1;
  }
  let asOf = new Date();
  if (values['as-of'] !== undefined) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(values['as-of']) || Number.isNaN(Date.parse(values['as-of']))) {
      console.error(`--as-of must be a date like 2026-11-23, got "${values['as-of']}"`);
      return 1;
    }
    asOf = new Date(`${values['as-of']}T23:59:59Z`);
  }
  const db = await openConfiguredDb(config);
  try {
    console.log(`Database: ${describeDb(config)}`);
    printRunReport(await runFullPass(db.db, { asOf }));
    return 0;
  } finally {
    await db.close();
  }
}
