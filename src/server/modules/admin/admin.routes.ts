import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { NotFoundError } from '../../errors.js';
import { actorOf, routeOf } from '../people/people.guard.js';
import { authorizePerson, canReadAccessLog, isUuid } from '../people/people.policy.js';
import { accessHistory, type AccessHistoryRow } from '../transparency/transparency.queries.js';

/** "Who has seen this record": the access log of one person, for administrators, the DPO and team managers. */
export async function adminRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/admin/access-log', {
    schema: { querystring: z.object({ person: z.string().max(64).optional() }) },
  }, async (request, reply) => {
    const actor = actorOf(request);
    // Administrators and the DPO see any record's access log; a team manager sees it for the
    // children they may see. Everyone else is told the page does not exist.
    const global = canReadAccessLog(actor);
    const manager = actor.kind === 'user' && actor.roles.includes('team_manager');
    if (!global && !manager) {
      await recordAccess(ctx.db, { actor, action: 'access_log.read', route: routeOf(request), outcome: 'denied', requestId: request.id });
      throw new NotFoundError();
    }
    const person = request.query.person?.trim() ?? '';
    const errors: { href: string; text: string }[] = [];
    if (person && !isUuid(person)) errors.push({ href: '#person', text: 'Enter a person reference in the format shown on the person page, like 2f1c…' });
    let rows: AccessHistoryRow[] = [];
    if (person && errors.length === 0) {
      if (!global && !(await authorizePerson(ctx.db, actor, 'person.read', person))) {
        await recordAccess(ctx.db, { actor, action: 'access_log.read', personId: person, route: routeOf(request), outcome: 'denied', requestId: request.id });
        throw new NotFoundError();
      }
      rows = await accessHistory(ctx.db, person);
      await recordAccess(ctx.db, { actor, action: 'access_log.read', personId: person, route: routeOf(request), outcome: 'allowed', requestId: request.id });
    }
    reply.status(errors.length ? 400 : 200);
    return reply.view('admin/views/access-log.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'admin', person, rows, errors, searched: Boolean(person),
    });
  });
}
