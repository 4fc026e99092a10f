import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import type { Engine } from '../db/client.js';
import type { Config } from './config.js';
import type { Actor } from './actor.js';

/** The name of the session cookie. */
export const SESSION_COOKIE = 'jigsaw_session';

/** What every area's routes are given. */
export interface AppContext {
  db: Kysely<Database>;
  engine: Engine;
  config: Config;
}

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | null;
    csrfToken: string | null;
  }
}
