import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { recordAccess } from '../../audit/record-access.js';
import { SESSION_COOKIE, type AppContext } from '../../context.js';
import { createSession, endSession } from './session.js';
import { verifyPassword } from './password.js';

const PRE_SESSION_COOKIE = 'jigsaw_signin';

/** Constant-time comparison of two tokens. */
export function tokensMatch(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Renders the sign-in page with a fresh sign-in CSRF token (used for 401 answers too). */
export function renderSignIn(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: AppContext,
  extra: { errors?: { href: string; text: string }[]; email?: string; returnTo?: string; status?: number },
) {
  const token = randomBytes(24).toString('base64url');
  reply.setCookie(PRE_SESSION_COOKIE, token, {
    path: '/sign-in', httpOnly: true, sameSite: 'strict', secure: ctx.config.COOKIE_SECURE,
  });
  reply.status(extra.status ?? 200);
  return reply.view('auth/views/sign-in.njk', {
    csrfToken: token,
    errors: extra.errors ?? [],
    email: extra.email ?? '',
    returnTo: extra.returnTo ?? '',
    user: null,
    cspNonce: request.cspNonce,
  });
}

/** A same-site path only, so the return address cannot send someone elsewhere. */
function safeReturn(value: string | undefined): string {
  return value && /^\/(?!\/)[\w\-/?=&.%]*$/.test(value) ? value : '/';
}

/** Public routes: sign in. */
export async function authPublicRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/sign-in', { schema: { querystring: z.object({ returnTo: z.string().max(500).optional() }) } }, (request, reply) =>
    renderSignIn(request, reply, ctx, { returnTo: request.query.returnTo ?? '' }),
  );

  r.post(
    '/sign-in',
    {
      schema: {
        body: z.object({
          email: z.string().max(320).default(''),
          password: z.string().max(1000).default(''),
          returnTo: z.string().max(500).optional(),
          _csrf: z.string().max(200).default(''),
        }),
      },
    },
    async (request, reply) => {
      const { email, password, returnTo, _csrf } = request.body;
      if (!tokensMatch(_csrf, request.cookies[PRE_SESSION_COOKIE])) {
        return renderSignIn(request, reply, ctx, {
          status: 400, email, returnTo: returnTo ?? '',
          errors: [{ href: '#email', text: 'Your sign-in form expired. Try again.' }],
        });
      }
      const errors: { href: string; text: string }[] = [];
      if (!email.trim()) errors.push({ href: '#email', text: 'Enter your email address' });
      if (!password) errors.push({ href: '#password', text: 'Enter your password' });
      if (errors.length) return renderSignIn(request, reply, ctx, { status: 400, errors, email, returnTo: returnTo ?? '' });

      const user = await ctx.db
        .selectFrom('app_user')
        .select(['id', 'password_hash', 'active', 'organisation_id', 'roles'])
        .where((eb) => eb(eb.fn('lower', ['email']), '=', email.trim().toLowerCase()))
        .executeTakeFirst();
      const ok = await verifyPassword(user?.active ? user.password_hash : null, password);
      if (!user || !ok) {
        await recordAccess(ctx.db, {
          actor: null, action: 'session.create', route: 'POST /sign-in', outcome: 'denied', requestId: request.id,
        });
        return renderSignIn(request, reply, ctx, {
          status: 401, email, returnTo: returnTo ?? '',
          errors: [{ href: '#email', text: 'The email address or password is not right' }],
        });
      }
      const session = await createSession(ctx.db, user.id, {
        idleMinutes: ctx.config.SESSION_IDLE_MINUTES, absoluteHours: ctx.config.SESSION_ABSOLUTE_HOURS,
      });
      await ctx.db
        .insertInto('access_log')
        .values({
          user_id: user.id, organisation_id: user.organisation_id, roles: user.roles, action: 'session.create',
          route: 'POST /sign-in', outcome: 'allowed', request_id: request.id,
        })
        .execute();
      reply.clearCookie(PRE_SESSION_COOKIE, { path: '/sign-in' });
      reply.setCookie(SESSION_COOKIE, session.token, {
        path: '/', httpOnly: true, sameSite: 'lax', secure: ctx.config.COOKIE_SECURE,
      });
      return reply.redirect(safeReturn(returnTo), 303);
    },
  );
}

/** Signed-in routes: sign out. */
export async function authRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.post('/sign-out', async (request, reply) => {
    const token = request.cookies[SESSION_COOKIE];
    if (token) await endSession(ctx.db, token);
    await recordAccess(ctx.db, {
      actor: request.actor, action: 'session.end', route: 'POST /sign-out', outcome: 'allowed', requestId: request.id,
    });
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/sign-in', 303);
  });
}
