import { createHash, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import type { AppContext } from '../../context.js';
import { AppError, UnauthenticatedError } from '../../errors.js';
import { countUnauthenticatedRefusal } from '../auth/unauthenticated-refusals.js';

const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

/**
 * Issues an API key for an organisation's system. Only a SHA-256 hash is stored: the key is
 * 32 random bytes, so a slow password hash adds nothing and would cost every API call.
 */
export async function createApiKey(db: Kysely<Database>, organisationId: string, name: string): Promise<{ id: string; key: string }> {
  const prefix = randomBytes(4).toString('hex');
  const key = `jgs_${prefix}_${randomBytes(32).toString('base64url')}`;
  const row = await db
    .insertInto('api_key')
    .values({ organisation_id: organisationId, name, key_prefix: prefix, key_hash: hashKey(key) })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, key };
}

/**
 * Resolves `Authorization: Bearer <key>` to the organisation's system actor, or answers 401. A
 * refused key is counted against the client's address (countUnauthenticatedRefusal): the first in
 * a window is logged, the rest summarised, and past the limit the address is answered 429. A right
 * key is checked first, so it works from an address that others have pushed past the limit.
 */
export function authenticateApiKey(ctx: AppContext) {
  return async function (request: FastifyRequest, reply: FastifyReply) {
    const header = request.headers.authorization;
    const match = header?.match(/^Bearer (jgs_[0-9a-f]{8}_[\w-]{43})$/);
    if (!match?.[1]) {
      if (header) await refuse(ctx, request, reply, 'malformed_api_key');
      throw new UnauthenticatedError();
    }
    const row = await ctx.db
      .selectFrom('api_key as k')
      .innerJoin('organisation as o', 'o.id', 'k.organisation_id')
      .select(['k.id', 'k.organisation_id', 'o.name'])
      .where('k.key_hash', '=', hashKey(match[1]))
      .where('k.revoked_at', 'is', null)
      .executeTakeFirst();
    if (!row) {
      // The key's prefix (not secret) helps an operator trace which system is misconfigured.
      await refuse(ctx, request, reply, 'unknown_or_revoked_api_key', match[1].slice(4, 12));
      throw new UnauthenticatedError();
    }
    request.actor = { kind: 'system', apiKeyId: row.id, organisationId: row.organisation_id, organisationName: row.name };
  };
}

/** Counts the refusal; past the address's limit answers 429 instead of 401. */
async function refuse(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, reason: string, keyPrefix?: string): Promise<void> {
  const counted = await countUnauthenticatedRefusal(
    ctx.db, { ip: request.ip, route: `${request.method} ${request.routeOptions.url ?? ''}`, requestId: request.id },
    reason, keyPrefix ? { keyPrefix } : {},
  );
  if (counted.limited) {
    reply.header('retry-after', String(counted.retryAfterSeconds));
    throw new AppError(429, 'too_many_refused_requests', `Too many requests from this address were refused. Wait ${counted.retryAfterSeconds} seconds, then try again with a valid API key`);
  }
}
