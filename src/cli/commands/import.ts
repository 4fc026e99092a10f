import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { TEXT_ENCODINGS, formatBytes, type TextEncodingName } from '../../intake/decode.js';
import { detectFormat } from '../../intake/read.js';
import { INTAKE_FORMATS, type IntakeFormat } from '../../intake/types.js';
import type { Config } from '../../server/config.js';
import { createLogger } from '../../server/logging.js';
import { importBatch } from '../../server/modules/intake/commands/import-batch.js';
import { intakeMaxBytes } from '../../server/modules/intake/intake.config.js';
import type { BatchReport } from '../../server/modules/intake/intake.report.js';
import { rulesProcessor } from '../../server/modules/considerations/rules.processor.js';
import { runOutboxUntilIdle } from '../../server/outbox/outbox.js';
import { DataDirLockedError } from '../../db/lock.js';
import { importThroughServer } from './import-through-server.js';
import { openConfiguredDb } from './open.js';

/** Usage of `jigsaw import`. */
export const IMPORT_USAGE = `Usage: jigsaw import FILE|DIR... --org ORG_ID [--format jsonl|csv|cin-xml|ssda903] [--mapping FILE] [--encoding ENC] [--source-system NAME]

  FILE|DIR         one or more files; a directory imports every .csv, .xml, .jsonl in it (an SSDA903 return is a folder of tables)
  --org            the sending organisation's id
  --format         the file format (guessed from the name and content when left out)
  --mapping        for CSV: the column-mapping file (JSON, see docs/formats/interchange-v1.md)
  --encoding       when the file is not UTF-8: ${TEXT_ENCODINGS.join(', ')}
  --source-system  the source system's name (DfE formats default to "CIN census (LA nnn)" and "SSDA903")
  --api-key-file   send the files through the running server's intake API with the organisation's API key
                   in FILE, waiting for each report (while a server holds the embedded database; JSON Lines,
                   CIN census and SSDA903 tables)
  --server         the running server's address (default http://HOST:PORT)`;

function progressBar(total: number | null) {
  let last = 0;
  return (p: { bytes: number; records: number }, done = false) => {
    if (!process.stderr.isTTY || (!done && Date.now() - last < 200)) return;
    last = Date.now();
    const width = 30;
    const fraction = total ? Math.min(1, p.bytes / total) : 0;
    const bar = total ? `[${'#'.repeat(Math.round(fraction * width)).padEnd(width, '.')}] ${Math.round(fraction * 100)}% ` : '';
    process.stderr.write(`\r${bar}${formatBytes(p.bytes)}${total ? ` of ${formatBytes(total)}` : ''}, ${p.records.toLocaleString('en-GB')} records`);
    if (done) process.stderr.write('\n');
  };
}

async function expand(paths: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const p of paths) {
    const s = await stat(p);
    if (s.isDirectory()) {
      const names = (await readdir(p)).filter((n) => /\.(csv|xml|jsonl|ndjson)$/i.test(n)).sort();
      files.push(...names.map((n) => join(p, n)));
    } else files.push(p);
  }
  return files;
}

/** Prints a batch report for an operator. */
export function printReport(report: BatchReport): void {
  const n = (v: number) => v.toLocaleString('en-GB');
  console.log(`Batch ${report.batchId} (${report.format}): ${report.status}`);
  console.log(`  received ${n(report.received)}, accepted ${n(report.accepted)} (new ${n(report.outcomes.new)}, updated ${n(report.outcomes.updated)}, unchanged ${n(report.outcomes.unchanged)}), rejected ${n(report.rejected)}`);
  console.log(`  counts reconcile (received = accepted + rejected for every table): ${report.reconciled ? 'yes' : 'NO'}`);
  for (const t of report.tables) console.log(`    ${t.table.padEnd(22)} received ${n(t.received).padStart(7)}  accepted ${n(t.accepted).padStart(7)}  rejected ${n(t.rejected).padStart(7)}`);
  for (const note of report.notes) console.log(`  note: ${note}`);
  for (const e of report.fileErrors) console.log(`  FILE PROBLEM: ${e.message}`);
  for (const r of report.rejections.slice(0, 10)) {
    console.log(`  rejected ${r.file} line ${r.row}${r.ref ? ` (${r.ref})` : ''}: ${r.errors.map((e) => `${e.field} ${e.reason}`).join('; ')}`);
  }
  if (report.rejected > 10) console.log(`  ... and ${n(report.rejected - 10)} more rejections: see the full report on the batch page`);
}

/**
 * The command's exit status, with a one-line summary on standard error when it is not 0: 2 when a
 * problem with a file stopped the import, 3 when it finished but rejected records (so a script that
 * sends files notices), 0 when every record was accepted.
 */
export function importExitCode(report: BatchReport): number {
  const n = (v: number) => v.toLocaleString('en-GB');
  if (report.status !== 'completed') {
    console.error(`jigsaw import: ${report.status}: ${report.fileErrors[0]?.message ?? 'the import did not finish'} (batch ${report.batchId}; ${n(report.accepted)} records stored before it)`);
    return 2;
  }
  if (report.rejected > 0) {
    console.error(`jigsaw import: ${n(report.rejected)} of ${n(report.received)} records rejected (batch ${report.batchId}); each is listed with its line, field and reason in the batch report`);
    return 3;
  }
  return 0;
}

/** `jigsaw import FILE --org ORG [...]`: imports agency files and prints the batch report. */
export async function runImportCommand(config: Config, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      org: { type: 'string' }, format: { type: 'string' }, mapping: { type: 'string' }, encoding: { type: 'string' },
      'source-system': { type: 'string' }, server: { type: 'string' }, 'api-key-file': { type: 'string' }, help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
  });
  if (values.help || !positionals.length || !values.org) {
    console.log(IMPORT_USAGE);
    return values.help ? 0 : 1;
  }
  if (values.format && !INTAKE_FORMATS.includes(values.format as IntakeFormat)) throw new Error(`--format must be one of ${INTAKE_FORMATS.join(', ')}`);
  if (values.encoding && !TEXT_ENCODINGS.includes(values.encoding as TextEncodingName)) throw new Error(`--encoding must be one of ${TEXT_ENCODINGS.join(', ')}`);
  const files = await expand(positionals);
  if (!files.length) throw new Error('No .csv, .xml or .jsonl files to import');
  const mappingText = values.mapping ? await readFile(values.mapping, 'utf8') : undefined;
  let format = values.format as IntakeFormat | undefined;
  if (!format) {
    const head = (await readFile(files[0]!)).subarray(0, 2048).toString('utf8');
    format = detectFormat(files[0]!, head, Boolean(mappingText)) ?? undefined;
    if (!format) throw new Error(`Cannot tell the format of ${basename(files[0]!)}: give --format (${INTAKE_FORMATS.join(', ')})`);
  }
  const maxBytes = intakeMaxBytes(config);
  const sizes = await Promise.all(files.map(async (f) => (await stat(f)).size));
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total > maxBytes) {
    console.error(`The files come to ${formatBytes(total)}, more than the limit of ${formatBytes(maxBytes)} (INTAKE_MAX_MB): split them into smaller batches`);
    return 1;
  }
  // Through the running server (its intake API, as the organisation's system): needed while a server
  // holds the embedded database, which one process at a time may open.
  const throughServer = async (): Promise<number> => {
    const key = (await readFile(values['api-key-file']!, 'utf8')).trim();
    const server = values.server ?? `http://${config.HOST}:${config.PORT}`;
    console.log(`Sending ${files.length} file(s) through the running server at ${server}`);
    let code = 0;
    for (const report of await importThroughServer({ baseUrl: server, apiKey: key }, format, files, { sourceSystem: values['source-system'], encoding: values.encoding })) {
      if (report.organisationId !== values.org) console.error(`The API key is of organisation ${report.organisationId}, not ${values.org!}: the records were imported for the key's organisation`);
      printReport(report);
      code = Math.max(code, importExitCode(report));
    }
    console.log('  the server runs the early identification rules on the new entries');
    return code;
  };
  if (values['api-key-file']) return throughServer();
  let db: Awaited<ReturnType<typeof openConfiguredDb>>;
  try {
    db = await openConfiguredDb(config);
  } catch (err) {
    if (err instanceof DataDirLockedError) {
      console.error(`${err.message}\nTo import while the server runs, send the files through it: add --api-key-file FILE (a key from jigsaw api-key for the organisation, issued before the server started) and, if it is not at http://${config.HOST}:${config.PORT}, --server URL.`);
      return 1;
    }
    throw err;
  }
  try {
    const org = await db.db.selectFrom('organisation').select('id').where('id', '=', values.org).executeTakeFirst().catch(() => undefined);
    if (!org) {
      console.error(`No organisation has the id "${values.org}"`);
      return 1;
    }
    const bar = progressBar(total);
    const report = await importBatch(db.db, {
      organisationId: org.id, format, via: 'cli', actor: null, route: 'CLI import',
      sources: files.map((f) => ({ name: basename(f), bytes: createReadStream(f) })),
      mappingText, encoding: values.encoding as TextEncodingName | undefined, sourceSystem: values['source-system'],
      maxBytes, bytesTotal: total, onProgress: (p) => bar(p), log: createLogger(config.LOG_LEVEL),
    });
    bar({ bytes: total, records: report.received }, true);
    printReport(report);
    // The early identification rules on the new entries run here, before the command returns, as the server's worker would.
    const rules = await runOutboxUntilIdle(db.db, { processors: [rulesProcessor], log: createLogger(config.LOG_LEVEL) });
    if (rules.claimed) console.log(`  early identification rules ran on the new entries (${rules.done} of ${rules.claimed} outbox item(s) done${rules.failed + rules.dead ? `; ${rules.failed + rules.dead} failed: see jigsaw outbox status` : ''})`);
    return importExitCode(report);
  } finally {
    await db.close();
  }
}
