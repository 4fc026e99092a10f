import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { Config } from '../../server/config.js';
import { exportOrganisationRecords, type ExportSummary } from '../../server/modules/export/commands/export-records.js';
import { isUuid } from '../../server/request.js';
import { describeDb, openConfiguredDb } from './open.js';

/** Usage of `jigsaw export`. */
export const EXPORT_USAGE = `Usage: jigsaw export --org ORG_ID [--out FILE]
       jigsaw export --partnership CODE --out DIR

Writes records in the interchange format (JSON Lines, docs/formats/interchange-v1.md), as the
organisation holds them: every version of every entry it recorded, with its people, their roles,
places, factors, gradings and restrictions. Import the file with jigsaw import --org ORG_ID into
a database where the organisation exists with the same id (jigsaw org add --id).
  --org          one organisation's records, to FILE (standard output when left out)
  --partnership  every member organisation's records, one file each in DIR (ORG_ID.jsonl), with
                 organisations.json listing them`;

async function writeLines(path: string | null, run: (write: (record: Record<string, unknown>) => Promise<void>) => Promise<ExportSummary>): Promise<ExportSummary> {
  const out: WriteStream | NodeJS.WriteStream = path ? createWriteStream(path, { encoding: 'utf8' }) : process.stdout;
  const summary = await run(async (record) => {
    if (!out.write(`${JSON.stringify(record)}\n`)) await once(out, 'drain');
  });
  if (path) {
    (out as WriteStream).end();
    await once(out, 'finish');
  }
  return summary;
}

/** Writes every member organisation's export into a directory; returns each organisation's summary. */
export async function exportPartnership(db: Kysely<Database>, code: string, dir: string, route: string): Promise<ExportSummary[]> {
  const partnership = await db.selectFrom('partnership').select(['id', 'code', 'name']).where('code', '=', code).executeTakeFirst();
  if (!partnership) throw new Error(`No partnership has the code "${code}"`);
  const orgs = await db.selectFrom('organisation_partnership as op').innerJoin('organisation as o', 'o.id', 'op.organisation_id')
    .select(['o.id', 'o.name', 'o.kind', 'o.borough']).where('op.partnership_id', '=', partnership.id).orderBy('o.name').execute();
  await mkdir(dir, { recursive: true });
  const summaries: ExportSummary[] = [];
  for (const o of orgs) {
    summaries.push(await writeLines(join(dir, `${o.id}.jsonl`), (write) => exportOrganisationRecords(db, { organisationId: o.id, actor: null, route, write })));
  }
  const manifest = { partnership: { code: partnership.code, name: partnership.name }, organisations: orgs.map((o) => ({ ...o, file: `${o.id}.jsonl` })) };
  const m = createWriteStream(join(dir, 'organisations.json'));
  m.end(`${JSON.stringify(manifest, null, 2)}\n`);
  await once(m, 'finish');
  return summaries;
}

/** `jigsaw export --org ORG_ID [--out FILE]` or `--partnership CODE --out DIR`. */
export async function runExportCommand(config: Config, args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { org: { type: 'string' }, partnership: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
    allowPositionals: false,
  });
  if (values.help || Boolean(values.org) === Boolean(values.partnership)) {
    console.log(EXPORT_USAGE);
    return values.help ? 0 : 1;
  }
  if (values.org && !isUuid(values.org)) {
    console.error('--org must be an organisation id (a UUID)');
    return 1;
  }
  if (values.partnership && !values.out) {
    console.error('export --partnership needs --out DIR (one file per organisation)');
    return 1;
  }
  const db = await openConfiguredDb(config);
  // On standard output the records are the output: the summary goes to standard error.
  const say = (line: string) => (values.out ? console.log(line) : console.error(line));
  try {
    say(`Database: ${describeDb(config)}`);
    const summaries: ExportSummary[] = [];
    if (values.org) {
      const org = await db.db.selectFrom('organisation').select('id').where('id', '=', values.org).executeTakeFirst();
      if (!org) {
        console.error(`No organisation has the id "${values.org}"`);
        return 1;
      }
      summaries.push(await writeLines(values.out ?? null, (write) => exportOrganisationRecords(db.db, { organisationId: org.id, actor: null, route: 'CLI export', write })));
    } else {
      summaries.push(...await exportPartnership(db.db, values.partnership!, values.out!, 'CLI export'));
    }
    for (const s of summaries) say(`${s.organisationName} (${s.organisationId}): ${s.records} records (${s.corrections} of them corrections), ${s.people} people`);
    say('Each person exported has the export on their access log.');
    return 0;
  } catch (err) {
    if (err instanceof Error && err.message.startsWith('No partnership')) {
      console.error(err.message);
      return 1;
    }
    throw err;
  } finally {
    await db.close();
  }
}
