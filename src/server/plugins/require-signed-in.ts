import type { FastifyReply, FastifyRequest } from 'fastify';
import { SESSION_COOKIE, type AppContext } from '../context.js';
import { renderSignIn, tokensMatch } from '../modules/auth/auth.routes.js';
import { resolveSession } from '../modules/auth/session.js';
import { AppError } from '../errors.js';

/** Resolves the session to an actor, or answers 401 with the sign-in page; checks CSRF on every POST. */
export function requireSignedIn(ctx: AppContext) {
  return async function (request: FastifyRequest, reply: FastifyReply) {
    const token = request.cookies[SESSION_COOKIE];
    const session = token
      ? await resolveSession(ctx.db, token, { idleMinutes: ctx.config.SESSION_IDLE_MINUTES, absoluteHours: ctx.config.SESSION_ABSOLUTE_HOURS })
      : null;
    if (!session) {
      if (token) reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return renderSignIn(request, reply, ctx, { status: 401, returnTo: request.method === 'GET' ? request.url : '' });
    }
    request.actor = session.actor;
    request.csrfToken = session.csrfToken;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const sent = (request.body as Record<string, unknown> | undefined)?._csrf;
      if (!tokensMatch(typeof sent === 'string' ? sent : undefined, session.csrfToken)) {
        throw new AppError(403, 'csrf_failed', 'This form has expired. Go back, reload the page and try again.');
      }
    }
  };
}
