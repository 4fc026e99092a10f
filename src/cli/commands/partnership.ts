import { parseArgs } from 'node:util';
import type { Config } from '../../server/config.js';
import { addPartnership, checkNewPartnership, joinPartnership, listPartnerships, OperatorError } from '../../server/modules/partnerships/commands/operate-partnerships.js';
import { isUuid } from '../../server/request.js';
import { describeDb, openConfiguredDb } from './open.js';

const USAGE = `Usage: jigsaw partnership list
       jigsaw partnership add --code CODE --name NAME --borough BOROUGH [--borough BOROUGH...]
       jigsaw partnership join --organisation ORG_ID --partnership CODE

Partnerships in this deployment (an operator's commands; each partnership's administrator
configures its own front door, rules, significant events and baseline on its settings page).
  list   every partnership: code, name, areas, member organisations, front door, active rules
  add    a partnership for boroughs no partnership covers yet; it starts with the default rules,
         retention rules and significant event types
  join   puts an organisation in a further partnership (a police unit or trust covering several boroughs)`;

/** `jigsaw partnership list|add|join`. */
export async function runPartnershipCommand(config: Config, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      code: { type: 'string' }, name: { type: 'string' }, borough: { type: 'string', multiple: true },
      organisation: { type: 'string' }, partnership: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
  });
  const sub = positionals[0];
  if (values.help || positionals.length !== 1 || !sub || !['list', 'add', 'join'].includes(sub)) {
    console.log(USAGE);
    return values.help ? 0 : 1;
  }
  if (sub === 'add' && (values.code === undefined || values.name === undefined || !values.borough?.length)) {
    console.error('partnership add needs --code, --name and at least one --borough');
    return 1;
  }
  if (sub === 'join' && (values.organisation === undefined || values.partnership === undefined)) {
    console.error('partnership join needs --organisation and --partnership');
    return 1;
  }
  // What can be checked without the database is checked before opening it.
  try {
    if (sub === 'add') checkNewPartnership({ code: values.code!, name: values.name!, boroughs: values.borough! });
    if (sub === 'join' && !isUuid(values.organisation!.trim())) throw new OperatorError('--organisation must be an organisation id (a UUID)');
  } catch (err) {
    if (err instanceof OperatorError) {
      console.error(err.message);
      return 1;
    }
    throw err;
  }
  const db = await openConfiguredDb(config);
  try {
    console.log(`Database: ${describeDb(config)}`);
    if (sub === 'list') {
      const all = await listPartnerships(db.db);
      if (all.length === 0) console.log('No partnerships yet: the first organisation added makes one for its borough.');
      for (const p of all) {
        console.log(`${p.code}  ${p.name}`);
        console.log(`  areas: ${p.areas.join(', ') || 'none'}`);
        console.log(`  organisations: ${p.organisations}; front door: ${p.frontDoor ?? 'not set'}; active rules: ${p.rules}; alert escalation: ${p.alertEscalationMinutes} minutes`);
      }
      return 0;
    }
    if (sub === 'add') {
      const { id } = await addPartnership(db.db, { code: values.code!, name: values.name!, boroughs: values.borough! });
      console.log(`Added partnership ${values.code!.trim()} (${id}) covering ${values.borough!.map((b) => b.trim()).join(', ')}`);
      return 0;
    }
    const r = await joinPartnership(db.db, { organisationId: values.organisation!, partnershipCode: values.partnership! });
    console.log(r.joined ? `${r.organisation} joined ${r.partnership}` : `${r.organisation} is in ${r.partnership} already: nothing changed`);
    return 0;
  } catch (err) {
    if (err instanceof OperatorError) {
      console.error(err.message);
      return 1;
    }
    throw err;
  } finally {
    await db.close();
  }
}
