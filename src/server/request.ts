import type { FastifyRequest } from 'fastify';
import type { Actor } from './actor.js';
import { NotFoundError } from './errors.js';

/** The actor of a request inside an authenticated context (the route's access rule has already admitted them). */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw new NotFoundError();
  return request.actor;
}

/** The signed-in user of a request on a page (never an organisation's system). */
export function userOf(request: FastifyRequest): Extract<Actor, { kind: 'user' }> {
  const actor = actorOf(request);
  if (actor.kind !== 'user') throw new NotFoundError();
  return actor;
}

/** The route pattern, for the access log (never the raw URL, which may carry search terms). */
export function routeOf(request: FastifyRequest): string {
  return `${request.method} ${request.routeOptions.url ?? ''}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when the value could be a record id at all (anything else is simply "not found"). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
