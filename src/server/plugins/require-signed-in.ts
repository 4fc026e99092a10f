import type { FastifyReply, FastifyRequest } from 'fastify';
import { SESSION_COOKIE, type AppContext } from '../context.js';
import { renderSignIn, tokensMatch } from '../modules/auth/auth.routes.js';
import { resolveSession } from '../modules/auth/session.js';
import { sessionPolicy, TWO_FACTOR_PATH } from '../modules/auth/sign-in-flow.js';
import { AppError } from '../errors.js';
import { recordAccess } from '../audit/record-access.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route may be used by a session that has passed the password but not yet the second factor. */
    allowAwaitingSecondFactor?: boolean;
  }
}

/**
 * Resolves the session to an actor, or answers 401 with the sign-in page; checks CSRF on every POST.
 * A session still waiting for its second factor reaches only the routes that complete it.
 */
export function requireSignedIn(ctx: AppContext) {
  return async function (request: FastifyRequest, reply: FastifyReply) {
    const token = request.cookies[SESSION_COOKIE];
    const session = token ? await resolveSession(ctx.db, token, sessionPolicy(ctx)) : null;
    if (!session) {
      if (token) reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return renderSignIn(request, reply, ctx, { status: 401, returnTo: request.method === 'GET' ? request.url : '' });
    }
    if (session.awaitingSecondFactor && !request.routeOptions.config.allowAwaitingSecondFactor) {
      if (request.method === 'GET' || request.method === 'HEAD') return reply.redirect(TWO_FACTOR_PATH, 303);
      throw new AppError(401, 'second_factor_required', 'Enter the code from your authenticator app to finish signing in.');
    }
    request.actor = session.actor;
    request.csrfToken = session.csrfToken;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const sent = (request.body as Record<string, unknown> | undefined)?._csrf;
      if (!tokensMatch(typeof sent === 'string' ? sent : undefined, session.csrfToken)) {
        await recordAccess(ctx.db, {
          actor: session.actor, action: 'request.refused', route: `${request.method} ${request.routeOptions.url ?? ''}`, outcome: 'denied',
          requestId: request.id, detail: { reason: 'csrf_token_mismatch' },
        });
        throw new AppError(403, 'csrf_failed', 'This form has expired. Go back, reload the page and try again.');
      }
    }
  };
}
