import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { refuseRecord } from '../../access.js';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { actorOf, isUuid, routeOf } from '../../request.js';
import { ACCESS_LOG_ROLES, authorizePerson, canReadAccessLog } from '../people/people.policy.js';
import { accessHistory, type AccessHistoryRow } from '../transparency/transparency.queries.js';

/** "Who has seen this record": the access log of one person, for administrators, the DPO and team managers. */
export async function adminRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/admin/access-log', {
    schema: { querystring: z.object({ person: z.string().max(64).optional() }) },
    // Administrators and the DPO see any record's access log; a team manager sees it for the
    // children they may see. Everyone else is told the page does not exist.
    config: {
      access: { kind: 'roles', roles: [...ACCESS_LOG_ROLES, 'team_manager'], action: 'access_log.read' },
      nav: { text: 'Who has seen a record', key: 'admin', order: 40 },
    },
  }, async (request, reply) => {
    const actor = actorOf(request);
    const global = canReadAccessLog(actor);
    const person = request.query.person?.trim() ?? '';
    const errors: { href: string; text: string }[] = [];
    if (person && !isUuid(person)) errors.push({ href: '#person', text: 'Enter a person reference in the format shown on the person page, like 2f1c…' });
    let rows: AccessHistoryRow[] = [];
    if (person && errors.length === 0) {
      if (!global && !(await authorizePerson(ctx.db, actor, 'person.read', person))) await refuseRecord(ctx, request, { personId: person });
      rows = await accessHistory(ctx.db, person);
      await recordAccess(ctx.db, { actor, action: 'access_log.read', personId: person, route: routeOf(request), outcome: 'allowed', requestId: request.id });
    }
    reply.status(errors.length ? 400 : 200);
    return reply.view('admin/views/access-log.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'admin', person, rows, errors, searched: Boolean(person),
    });
  });
}
