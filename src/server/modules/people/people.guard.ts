import type { FastifyRequest } from 'fastify';
import type { AuditAction } from '../../audit/record-access.js';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { NotFoundError } from '../../errors.js';
import type { Actor } from '../../actor.js';
import { authorizePerson, type PersonAction } from './people.policy.js';

/** The signed-in actor of a request inside an authenticated context. */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw new NotFoundError();
  return request.actor;
}

/**
 * Authorises an action on a person for this request. A refusal writes a "denied" access-log row
 * and answers 404, exactly as for a person who does not exist.
 */
export async function guardPerson(
  ctx: AppContext,
  request: FastifyRequest,
  action: PersonAction & AuditAction,
  personId: string,
): Promise<Actor> {
  const actor = actorOf(request);
  if (await authorizePerson(ctx.db, actor, action, personId)) return actor;
  await recordAccess(ctx.db, {
    actor,
    action,
    // A malformed id is not a person: keep it out of the uuid column, but note what was asked for.
    personId: /^[0-9a-f-]{36}$/i.test(personId) ? personId : null,
    route: `${request.method} ${request.routeOptions.url ?? request.url}`,
    outcome: 'denied',
    requestId: request.id,
  });
  throw new NotFoundError();
}

/** The route pattern, for the access log (never the raw URL, which may carry search terms). */
export function routeOf(request: FastifyRequest): string {
  return `${request.method} ${request.routeOptions.url ?? ''}`;
}
