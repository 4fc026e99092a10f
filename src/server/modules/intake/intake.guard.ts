import type { FastifyRequest } from 'fastify';
import type { Actor } from '../../actor.js';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { NotFoundError } from '../../errors.js';
import { actorOf, routeOf } from '../people/people.guard.js';
import { canImport } from './intake.policy.js';

/** Refuses (404, with a denied access-log row) anyone who may not import for their organisation. */
export async function guardIntake(ctx: AppContext, request: FastifyRequest, action: 'intake.import' | 'intake.report.read' | 'intake.mapping.write'): Promise<Extract<Actor, { kind: 'user' }>> {
  const actor = actorOf(request);
  if (canImport(actor) && actor.kind === 'user') return actor;
  await recordAccess(ctx.db, { actor, action, route: routeOf(request), outcome: 'denied', requestId: request.id });
  throw new NotFoundError();
}

