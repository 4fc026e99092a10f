import type { FastifyInstance } from 'fastify';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { routeOf, userOf } from '../../request.js';
import { canReadAccessLog } from '../people/people.policy.js';
import { myChildren } from '../people/people.queries.js';
import { loadAssessmentWork } from '../assessments/home-section.js';
import { loadMissingWork } from '../missing/home-section.js';
import { loadTransferWork } from '../transfers/home-section.js';
import { loadPlanWork } from '../plans/home-section.js';

/** Home: "my children" and their latest events. */
export async function homeRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get('/', { config: { access: { kind: 'signed_in' }, nav: { text: 'My children', key: 'home', order: 10 } } }, async (request, reply) => {
    const actor = userOf(request);
    const children = await myChildren(ctx.db, actor);
    const assessmentWork = await loadAssessmentWork(ctx.db, actor, routeOf(request), request.id);
    const missingWork = await loadMissingWork(ctx.db, actor, routeOf(request), request.id);
    const transferWork = await loadTransferWork(ctx.db, actor, routeOf(request), request.id);
    const planWork = await loadPlanWork(ctx.db, actor, routeOf(request), request.id);
    if (children.length) {
      // A list of people is a read of each of them: record which were shown.
      await recordAccess(ctx.db, {
        actor, action: 'home.read', route: routeOf(request), outcome: 'allowed', requestId: request.id,
        detail: { personIds: children.map((c) => c.id) },
      });
    }
    return reply.view('home/views/home.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, children,
      canReadAccessLog: canReadAccessLog(actor), nav: 'home',
      assessmentWork,
      missingWork,
      transferWork,
      planWork,
    });
  });
}
