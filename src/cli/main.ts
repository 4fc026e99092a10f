import { parseArgs } from 'node:util';
import { loadConfig } from '../server/config.js';

const USAGE = `Usage: jigsaw <command> [options]

Commands:
  serve [--demo] [--children N] [--seed S] [--boroughs B]   start the server; --demo loads synthetic demo data (3 boroughs) into an empty database
  seed --children N [--seed S] [--boroughs B] [--demo]      load B neighbouring synthetic boroughs of N children each (default 1, --demo 3; deterministic: same seed, same data); only --demo gives accounts the published password
  migrate [--down]                          run pending migrations (or revert them all)
  audit verify                              check the access log's hash chain (names the first altered, missing or moved entry)
  api-key --org ORG_ID --name NAME          issue an API key for an organisation's system (printed once)
  rules run [--as-of YYYY-MM-DD]             run the early identification rules over every chronology (a full pass)
  org list | add --code C --name N --kind K --borough B | change ORG_ID|CODE [--name N ...]
                                            organisations of this deployment with their codes (no accounts are made)
  partnership list | add --code C --name N --borough B | join --organisation ORG_ID --partnership C
                                            partnerships in this deployment: list, add for new boroughs, add a member organisation
  import FILE|DIR... --org ORG_ID [--format F] [--mapping FILE]   import agency files (jsonl, csv, cin-xml, ssda903); jigsaw import --help
  export --org ORG_ID [--out FILE] | --partnership CODE --out DIR   an organisation's (or a partnership's) records in the interchange format
  identity reindex                          rebuild every person's stored blocking keys (after the blocking rules change)
  identity train [--sample N] [--seed S]   train and store a new linkage model from the agency records held
  outbox status | retry (ID...|--all) | run   work queued after changes (rules, uploaded imports): counts, dead items, retry
  secrets rotate                            seal every stored secret (TOTP seeds, OIDC client secrets) with SECRETS_KEY
  demo-code EMAIL                           the current authenticator code of a demo account (synthetic data only)

The database is embedded PostgreSQL (PGlite) in DATA_DIR (default ./data) unless DATABASE_URL is set.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'demo-code') {
    // The demo accounts' authenticator keys are published (src/synthetic/demo-authenticators.ts), as their password is.
    const email = rest[0]?.trim() ?? '';
    if (!/@[a-z0-9-]+\.jigsaw\.test$/i.test(email)) {
      console.error('Usage: jigsaw demo-code EMAIL, for a demo account (…@<borough>.jigsaw.test)');
      return 1;
    }
    const { demoAuthenticatorCode } = await import('../synthetic/demo-authenticators.js');
    console.log(demoAuthenticatorCode(email));
    return 0;
  }
  if (command === 'rules') {
    const { runRulesCommand } = await import('./commands/rules.js');
    return runRulesCommand(loadConfig(), rest);
  }
  if (command === 'partnership') {
    const { runPartnershipCommand } = await import('./commands/partnership.js');
    return runPartnershipCommand(loadConfig(), rest);
  }
  if (command === 'import') {
    // import has its own options (format, mapping, encoding), so it parses its arguments itself.
    const { runImportCommand } = await import('./commands/import.js');
    return runImportCommand(loadConfig(), rest);
  }
  if (command === 'org') {
    const { runOrgCommand } = await import('./commands/org.js');
    return runOrgCommand(loadConfig(), rest);
  }
  if (command === 'export') {
    const { runExportCommand } = await import('./commands/export.js');
    return runExportCommand(loadConfig(), rest);
  }
  if (command === 'outbox') {
    const { runOutboxCommand } = await import('./commands/outbox.js');
    return runOutboxCommand(loadConfig(), rest);
  }
  if (command === 'secrets') {
    const { runSecretsCommand } = await import('./commands/secrets.js');
    return runSecretsCommand(loadConfig(), rest);
  }
  if (command === 'identity') {
    // identity has subcommands, each with its own options.
    const { runIdentityCommand } = await import('./commands/identity.js');
    return runIdentityCommand(loadConfig(), rest);
  }
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      demo: { type: 'boolean', default: false },
      children: { type: 'string' },
      seed: { type: 'string' },
      boroughs: { type: 'string' },
      down: { type: 'boolean', default: false },
      org: { type: 'string' },
      name: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
  });
  if (!command || values.help || command === 'help') {
    console.log(USAGE);
    return command ? 0 : 1;
  }
  const config = loadConfig();
  const intOption = (name: string, raw: string | undefined, fallback: number) => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, got "${raw}"`);
    return n;
  };
  switch (command) {
    case 'serve': {
      // Commands load lazily, so `migrate` does not pay for the web server and the generator.
      const { runServe } = await import('./commands/serve.js');
      return runServe(config, { demo: values.demo, children: intOption('children', values.children, 400), seed: intOption('seed', values.seed, 1), boroughs: intOption('boroughs', values.boroughs, 3) });
    }
    case 'seed': {
      const { runSeed } = await import('./commands/seed.js');
      return runSeed(config, { children: intOption('children', values.children, 400), seed: intOption('seed', values.seed, 1), boroughs: intOption('boroughs', values.boroughs, values.demo ? 3 : 1), demo: values.demo });
    }
    case 'migrate': {
      const { runMigrate } = await import('./commands/migrate.js');
      return runMigrate(config, { down: values.down });
    }
    case 'audit': {
      const { runAudit } = await import('./commands/audit.js');
      return runAudit(config, positionals[0]);
    }
    case 'api-key': {
      const { runApiKey } = await import('./commands/api-key.js');
      return runApiKey(config, { org: values.org, name: values.name });
    }
    default:
      console.error(`Unknown command "${command}".\n\n${USAGE}`);
      return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  },
);
