import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { NotFoundError } from '../../errors.js';
import { actorOf, routeOf } from '../people/people.guard.js';
import { canReadAccessLog, isUuid } from '../people/people.policy.js';

/** "Who has seen this record": the access log of one person, for administrators and the data protection officer. */
export async function adminRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/admin/access-log', {
    schema: { querystring: z.object({ person: z.string().max(64).optional() }) },
  }, async (request, reply) => {
    const actor = actorOf(request);
    if (!canReadAccessLog(actor)) {
      await recordAccess(ctx.db, { actor, action: 'access_log.read', route: routeOf(request), outcome: 'denied', requestId: request.id });
      throw new NotFoundError();
    }
    const person = request.query.person?.trim() ?? '';
    const errors: { href: string; text: string }[] = [];
    if (person && !isUuid(person)) errors.push({ href: '#person', text: 'Enter a person reference in the format shown on the person page, like 2f1c…' });
    let rows: { at: Date; user_name: string | null; organisation_name: string | null; roles: string[]; action: string; route: string; outcome: string }[] = [];
    if (person && errors.length === 0) {
      rows = await ctx.db
        .selectFrom('access_log as l')
        .leftJoin('app_user as u', 'u.id', 'l.user_id')
        .leftJoin('organisation as o', 'o.id', 'l.organisation_id')
        .select(['l.at', 'u.name as user_name', 'o.name as organisation_name', 'l.roles', 'l.action', 'l.route', 'l.outcome'])
        .where((eb) => eb.or([
          eb('l.person_id', '=', person),
          sql<boolean>`l.detail @> ${JSON.stringify({ personIds: [person] })}::jsonb`,
        ]))
        .orderBy('l.id', 'desc')
        .limit(500)
        .execute();
      await recordAccess(ctx.db, { actor, action: 'access_log.read', personId: person, route: routeOf(request), outcome: 'allowed', requestId: request.id });
    }
    reply.status(errors.length ? 400 : 200);
    return reply.view('admin/views/access-log.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'admin', person, rows, errors, searched: Boolean(person),
    });
  });
}
