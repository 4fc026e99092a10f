import { parseArgs } from 'node:util';
import type { Config } from '../../server/config.js';
import { addOrganisation, changeOrganisation, findOrganisation, listOrganisations, organisationProblems } from '../../server/modules/partnerships/commands/operate-organisations.js';
import { OperatorError } from '../../server/modules/partnerships/commands/operate-partnerships.js';
import { describeDb, openConfiguredDb } from './open.js';

const USAGE = `Usage: jigsaw org list [--partnership CODE]
       jigsaw org add --code CODE --name NAME --kind KIND --borough BOROUGH [--partnership CODE] [--id ORG_ID]
       jigsaw org change ORG_ID|CODE [--code CODE] [--name NAME] [--kind KIND] [--borough BOROUGH]

The organisations of this deployment, each with the code partners know it by (an ODS code, a
school's URN, a force or local authority code). An organisation added joins the partnership of its
borough, and --partnership puts it in another too. --id keeps the id it had in another deployment
(to import its export there). Adding creates no user accounts: the partnership's administrator
invites the organisation's people.`;

/** `jigsaw org list|add|change`. */
export async function runOrgCommand(config: Config, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      code: { type: 'string' }, name: { type: 'string' }, kind: { type: 'string' }, borough: { type: 'string' },
      partnership: { type: 'string' }, id: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
  });
  const [sub, target] = positionals;
  const shape = sub === 'list' || sub === 'add' ? positionals.length === 1 : sub === 'change' ? positionals.length === 2 : false;
  if (values.help || !shape) {
    console.log(USAGE);
    return values.help ? 0 : 1;
  }
  const input = { code: values.code, name: values.name, kind: values.kind, borough: values.borough };
  if (sub === 'add') {
    const missing = (['code', 'name', 'kind', 'borough'] as const).filter((k) => input[k] === undefined);
    if (missing.length) {
      console.error(`org add needs ${missing.map((m) => `--${m}`).join(', ')}`);
      return 1;
    }
  }
  if (sub === 'change' && Object.values(input).every((v) => v === undefined)) {
    console.error('org change needs at least one of --code, --name, --kind, --borough');
    return 1;
  }
  // What can be checked without the database is checked before opening it.
  const given = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
  const problems = Object.values(organisationProblems(given));
  if (sub !== 'list' && problems.length) {
    console.error(problems.join('\n'));
    return 1;
  }
  const db = await openConfiguredDb(config);
  try {
    console.log(`Database: ${describeDb(config)}`);
    const partnership = values.partnership
      ? await db.db.selectFrom('partnership').select('id').where('code', '=', values.partnership.trim()).executeTakeFirst()
      : undefined;
    if (values.partnership && !partnership) throw new OperatorError(`No partnership has code "${values.partnership.trim()}" (jigsaw partnership list shows them)`);
    if (sub === 'list') {
      const orgs = await listOrganisations(db.db, partnership?.id);
      if (!orgs.length) console.log('No organisations yet: jigsaw org add makes one.');
      for (const o of orgs) console.log(`${(o.code ?? '(no code)').padEnd(14)} ${o.name} (${o.kind}, ${o.borough}) ${o.id}  partnerships: ${o.partnerships.join(', ') || 'none'}`);
      return 0;
    }
    if (sub === 'add') {
      const o = await addOrganisation(db.db, { code: input.code!, name: input.name!, kind: input.kind!, borough: input.borough! }, {
        actor: null, route: 'jigsaw org add', ...(partnership ? { partnershipId: partnership.id } : {}), ...(values.id ? { id: values.id.trim() } : {}),
      });
      console.log(`Added ${o.name} (${o.code}), id ${o.id}, in ${o.partnerships.join(', ') || 'no partnership yet (no partnership covers its borough: jigsaw partnership add)'}`);
      return 0;
    }
    const found = await findOrganisation(db.db, target!);
    if (!found) throw new OperatorError(`No organisation has the id or code "${target!.trim()}" (jigsaw org list shows them)`);
    const o = await changeOrganisation(db.db, found.id, given, { actor: null, route: 'jigsaw org change' });
    console.log(`Changed ${o.name} (${o.code ?? 'no code'}, ${o.kind}, ${o.borough}), id ${o.id}`);
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
