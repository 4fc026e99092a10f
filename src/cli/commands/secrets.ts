import type { Config } from '../../server/config.js';
import { resealSecrets, secretBox } from '../../server/secrets.js';
import { openConfiguredDb } from './open.js';

/**
 * `jigsaw secrets rotate`: seals every stored secret (TOTP seeds, OIDC client secrets) with the key
 * in SECRETS_KEY, opening those sealed under a key in SECRETS_PREVIOUS_KEYS, and plain ones stored
 * before sealing. Once it reports nothing left under an old key, the old key can be removed.
 */
export async function runSecretsCommand(config: Config, args: string[]): Promise<number> {
  if (args[0] !== 'rotate' || args.length > 1) {
    console.error('Usage: jigsaw secrets rotate   (seal every stored secret with SECRETS_KEY; see docs/security-auth.md)');
    return 1;
  }
  // Opening the database migrates it and seals plain values already (openConfiguredDb); this pass
  // also re-seals values sealed under a previous key.
  const db = await openConfiguredDb(config, { seal: false });
  try {
    const box = secretBox(config);
    const done = await resealSecrets(db.db, box);
    console.log(`Sealed with key ${box.currentKeyId}: ${done.totp} TOTP seed(s), ${done.oidc} OIDC client secret(s). Every stored secret is now under this key; keys in SECRETS_PREVIOUS_KEYS can be removed.`);
    return 0;
  } finally {
    await db.close();
  }
}
