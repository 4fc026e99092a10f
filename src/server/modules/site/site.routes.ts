import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';

/**
 * The service's own public pages, linked from every page's footer: the accessibility statement
 * (the public sector accessibility regulations require one) and the privacy notice. No sign-in.
 */
export async function siteRoutes(app: FastifyInstance, _ctx: AppContext): Promise<void> {
  app.get('/accessibility', { config: { access: { kind: 'public' } } }, async (request, reply) =>
    reply.view('site/views/accessibility.njk', { cspNonce: request.cspNonce }));
  app.get('/privacy', { config: { access: { kind: 'public' } } }, async (request, reply) =>
    reply.view('site/views/privacy.njk', { cspNonce: request.cspNonce }));
}
