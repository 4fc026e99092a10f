import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import type { Engine } from '../db/client.js';
import type { Config } from './config.js';
import type { Actor } from './actor.js';

/** The name of the session cookie. */
export const SESSION_COOKIE = 'jigsaw_session';

/**
 * When the server runs the demo (`jigsaw serve --demo`): the synthetic demo accounts (one per role, of
 * the first borough), their published password, and those that ask for an authenticator code.
 */
export interface DemoSignIn {
  password: string;
  accounts: readonly { email: string; role: string }[];
  withAuthenticator: readonly string[];
}

/** What every area's routes are given. */
export interface AppContext {
  db: Kysely<Database>;
  engine: Engine;
  config: Config;
  /** Only when the server runs the demo: the sign-in page then says how to sign in as a demo user. */
  demo?: DemoSignIn;
}

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | null;
    csrfToken: string | null;
  }
}
