import type { Config } from '../../server/config.js';
import { createApiKey } from '../../server/modules/api/api-key.js';
import { openConfiguredDb } from './open.js';

/** `jigsaw api-key --org ORGANISATION_ID --name NAME`: issues a key and prints it once (only its hash is kept). */
export async function runApiKey(config: Config, opts: { org?: string; name?: string }): Promise<number> {
  if (!opts.org || !opts.name) {
    console.error('Give the organisation id and a name for the key: jigsaw api-key --org <organisation id> --name "<system name>"');
    return 1;
  }
  const db = await openConfiguredDb(config);
  try {
    const org = await db.db.selectFrom('organisation').select(['id', 'name']).where('id', '=', opts.org).executeTakeFirst()
      .catch(() => undefined);
    if (!org) {
      console.error(`No organisation has the id "${opts.org}"`);
      return 1;
    }
    const key = await createApiKey(db.db, org.id, opts.name);
    console.log(`API key for ${org.name} (${opts.name}). It is shown once; store it now:\n${key.key}`);
    return 0;
  } finally {
    await db.close();
  }
}
