import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import type { Config } from './config.js';

// Secrets the application must read back (TOTP seeds, OpenID Connect client secrets) are stored
// sealed with AES-256-GCM under a key from configuration (SECRETS_KEY). A sealed value carries the
// id of the key that sealed it, so keys can be rotated: the new key goes in SECRETS_KEY, the old
// one in SECRETS_PREVIOUS_KEYS until `jigsaw secrets rotate` has sealed everything again
// (docs/security-auth.md, "Secrets at rest").
//
//   jsec1.<key id: 8 hex>.<IV: 12 bytes>.<ciphertext>.<tag: 16 bytes>   (base64url parts)
//
// The additional authenticated data names the column and the row (for example
// "user_totp.secret:<user id>"), so a sealed value copied into another row does not open.

const VERSION = 'jsec1';
const SEALED = /^jsec1\.([0-9a-f]{8})\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]*)\.([A-Za-z0-9_-]+)$/;

/** The id stored with each sealed value: the first 8 hex digits of the key's SHA-256 (not secret). */
export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/** A sealed value could not be opened: the message names the key id, never the value. */
export class SecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretError';
  }
}

/** Seals and opens secrets with the current key; opens with previous keys too while they are rotated out. */
export class SecretBox {
  readonly currentKeyId: string;
  private readonly keys = new Map<string, Buffer>();

  constructor(current: Buffer, previous: readonly Buffer[] = []) {
    if (current.length !== 32) throw new SecretError('The secrets key must be 32 bytes');
    this.currentKeyId = keyId(current);
    for (const key of [...previous, current]) this.keys.set(keyId(key), key);
  }

  /** Whether a stored value is sealed (anything else is a plain value from before sealing). */
  static isSealed(stored: string): boolean {
    return SEALED.test(stored);
  }

  /** Seals a value for one column of one row. */
  seal(plain: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.currentKeyId)!, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    const b = (x: Buffer) => x.toString('base64url');
    return `${VERSION}.${this.currentKeyId}.${b(iv)}.${b(body)}.${b(cipher.getAuthTag())}`;
  }

  /** Opens a stored value; a plain value (stored before sealing) is returned as it is. */
  open(stored: string, context: string): string {
    const m = SEALED.exec(stored);
    if (!m) return stored;
    const [, id, iv, body, tag] = m as unknown as [string, string, string, string, string];
    const key = this.keys.get(id);
    if (!key) throw new SecretError(`A secret for ${context.split(':')[0]} is sealed with key ${id}, which is not configured (SECRETS_KEY or SECRETS_PREVIOUS_KEYS)`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretError(`A secret for ${context.split(':')[0]} sealed with key ${id} did not open: it was altered or belongs to another row`);
    }
  }

  /** Whether a stored value should be sealed again: plain, or sealed under a key that is not the current one. */
  needsResealing(stored: string): boolean {
    const m = SEALED.exec(stored);
    return !m || m[1] !== this.currentKeyId;
  }
}

const boxes = new WeakMap<Config, SecretBox>();

/** The configured box (SECRETS_KEY, and SECRETS_PREVIOUS_KEYS for reading during a rotation). */
export function secretBox(config: Config): SecretBox {
  let box = boxes.get(config);
  if (!box) {
    box = new SecretBox(Buffer.from(config.SECRETS_KEY, 'base64'), config.SECRETS_PREVIOUS_KEYS.map((k) => Buffer.from(k, 'base64')));
    boxes.set(config, box);
  }
  return box;
}

/** Where each kind of secret is stored, for the sealing contexts. */
export const totpSecretContext = (userId: string) => `user_totp.secret:${userId}`;
export const oidcClientSecretContext = (providerId: string) => `oidc_provider.client_secret:${providerId}`;

/**
 * Seals every stored secret that is plain or sealed under an older key with the current key (at
 * start-up after migrating, and by `jigsaw secrets rotate`). Each update is conditional on the value
 * not having changed meanwhile, so two processes doing this at once do no harm. Returns the counts.
 */
export async function resealSecrets(db: Kysely<Database>, box: SecretBox): Promise<{ totp: number; oidc: number }> {
  let totp = 0;
  let oidc = 0;
  const seeds = await db.selectFrom('user_totp').select(['user_id', 'secret']).execute();
  for (const row of seeds) {
    if (!box.needsResealing(row.secret)) continue;
    const context = totpSecretContext(row.user_id);
    const sealed = box.seal(box.open(row.secret, context), context);
    const done = await db.updateTable('user_totp').set({ secret: sealed }).where('user_id', '=', row.user_id).where('secret', '=', row.secret).executeTakeFirst();
    totp += Number(done.numUpdatedRows);
  }
  const providers = await db.selectFrom('oidc_provider').select(['id', 'client_secret']).execute();
  for (const row of providers) {
    if (!box.needsResealing(row.client_secret)) continue;
    const context = oidcClientSecretContext(row.id);
    const sealed = box.seal(box.open(row.client_secret, context), context);
    const done = await db.updateTable('oidc_provider').set({ client_secret: sealed }).where('id', '=', row.id).where('client_secret', '=', row.client_secret).executeTakeFirst();
    oidc += Number(done.numUpdatedRows);
  }
  return { totp, oidc };
}
