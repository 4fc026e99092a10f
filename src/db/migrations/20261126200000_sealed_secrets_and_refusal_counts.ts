import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one instead.

const UP = `
-- TOTP seeds are stored sealed (AES-256-GCM, "jsec1.<key id>.<iv>.<ciphertext>.<tag>"). Plain seeds
-- from before stay readable until the application seals them at start-up (docs/security-auth.md).
ALTER TABLE user_totp DROP CONSTRAINT IF EXISTS user_totp_secret_check;
ALTER TABLE user_totp ADD CONSTRAINT user_totp_secret_check CHECK (
  secret ~ '^[A-Z2-7]{32}$'
  OR secret ~ '^jsec1\\.[0-9a-f]{8}\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]+$'
);

-- Refusals of unauthenticated requests (a malformed or unknown API key, sign-in attempts made while
-- throttled), counted per address per window: the first in a window is logged, the rest summarised
-- into one access-log row when the window ends.
CREATE TABLE unauthenticated_refusal (
  ip text NOT NULL,
  window_start timestamptz NOT NULL,
  count integer NOT NULL DEFAULT 1 CHECK (count > 0),
  reasons jsonb NOT NULL DEFAULT '{}'::jsonb,
  route text NOT NULL,
  PRIMARY KEY (ip, window_start)
);
`;

const DOWN = `
DROP TABLE IF EXISTS unauthenticated_refusal;
ALTER TABLE user_totp DROP CONSTRAINT IF EXISTS user_totp_secret_check;
ALTER TABLE user_totp ADD CONSTRAINT user_totp_secret_check CHECK (secret ~ '^[A-Z2-7]{32}$') NOT VALID;
`;

/** Lets TOTP seeds be stored sealed, and counts unauthenticated refusals per address. */
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(UP).execute(db);
}

/** Reverts both (sealed seeds are left in place: the restored check applies to new rows only). */
export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(DOWN).execute(db);
}
