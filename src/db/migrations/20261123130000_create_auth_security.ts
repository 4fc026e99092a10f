import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one instead.

const UP = `
-- A session is only fully signed in once any required second factor is verified.
ALTER TABLE app_session ADD COLUMN awaiting_second_factor boolean NOT NULL DEFAULT false;

-- A user's TOTP secret (RFC 6238). enabled_at is null until the first code is confirmed;
-- last_used_step stops a code being replayed within its time window.
CREATE TABLE user_totp (
  user_id uuid PRIMARY KEY REFERENCES app_user(id),
  secret text NOT NULL CHECK (secret ~ '^[A-Z2-7]{32}$'),
  enabled_at timestamptz,
  last_used_step bigint,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Failed sign-in attempts, kept in the database so limits hold across processes.
-- account_key is a hash of the normalised email (or "totp:" and the user id for second-factor
-- codes): unknown and real accounts are limited alike, and no email address is stored here.
CREATE TABLE sign_in_failure (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  account_key text NOT NULL,
  ip text NOT NULL
);
CREATE INDEX sign_in_failure_account_idx ON sign_in_failure (account_key, at);
CREATE INDEX sign_in_failure_ip_idx ON sign_in_failure (ip, at);

-- An organisation's own OpenID Connect provider.
CREATE TABLE oidc_provider (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organisation_id uuid NOT NULL UNIQUE REFERENCES organisation(id),
  issuer text NOT NULL CHECK (issuer ~ '^https?://'),
  client_id text NOT NULL,
  client_secret text NOT NULL,
  allowed_email_domain text NOT NULL CHECK (allowed_email_domain ~ '^[a-z0-9.-]+\\.[a-z]{2,}$'),
  enabled boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- A sign-in in flight at a provider: state (hashed), nonce and PKCE verifier, used once.
CREATE TABLE oidc_sign_in (
  state_hash text PRIMARY KEY,
  provider_id uuid NOT NULL REFERENCES oidc_provider(id),
  nonce text NOT NULL,
  code_verifier text NOT NULL,
  return_to text NOT NULL DEFAULT '/',
  expires_at timestamptz NOT NULL
);
`;

const DOWN = `
DROP TABLE IF EXISTS oidc_sign_in, oidc_provider, sign_in_failure, user_totp;
ALTER TABLE app_session DROP COLUMN IF EXISTS awaiting_second_factor;
`;

/** Adds second factors, sign-in limits and organisation sign-in providers. */
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(UP).execute(db);
}

/** Removes them. */
export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(DOWN).execute(db);
}
