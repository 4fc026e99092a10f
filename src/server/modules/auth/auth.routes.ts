import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { recordAccess } from '../../audit/record-access.js';
import { SESSION_COOKIE, type AppContext } from '../../context.js';
import { accountRoutes } from './account.routes.js';
import { secretBox } from '../../secrets.js';
import { checkThrottle, clearFailures, DEVICE_COOKIE, DEVICE_COOKIE_DAYS, deviceKeyOf, emailAccountKey, issueDeviceCookie, PASSWORD_LIMITS, recordFailure, waitText } from './limits.js';
import { oidcPublicRoutes } from './oidc.routes.js';
import { verifyPassword } from './password.js';
import { endSession } from './session.js';
import { finishFirstFactor, signingInUser } from './sign-in-flow.js';
import { twoFactorRoutes } from './two-factor.routes.js';
import { countUnauthenticatedRefusal } from './unauthenticated-refusals.js';

const PRE_SESSION_COOKIE = 'jigsaw_signin';

/** Constant-time comparison of two tokens. */
export function tokensMatch(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The message for every refused password, whether or not the account exists. */
const NOT_RIGHT = 'The email address or password is not right';
/** The message while an account (from this address, or from everywhere) waits after failures. */
const tooMany = (seconds: number) => `There have been too many attempts to sign in. ${waitText(seconds)} and try again, or ask your administrator for help`;

/** Renders the sign-in page with a fresh sign-in CSRF token (used for 401 answers too). */
export async function renderSignIn(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: AppContext,
  extra: { errors?: { href: string; text: string }[]; email?: string; returnTo?: string; status?: number },
) {
  const token = randomBytes(24).toString('base64url');
  reply.setCookie(PRE_SESSION_COOKIE, token, {
    path: '/sign-in', httpOnly: true, sameSite: 'strict', secure: ctx.config.COOKIE_SECURE,
  });
  const providers = await ctx.db
    .selectFrom('oidc_provider as p')
    .innerJoin('organisation as o', 'o.id', 'p.organisation_id')
    .select(['p.id', 'o.name'])
    .where('p.enabled', '=', true)
    .orderBy('o.name')
    .execute();
  reply.status(extra.status ?? 200);
  return reply.view('auth/views/sign-in.njk', {
    csrfToken: token,
    errors: extra.errors ?? [],
    email: extra.email ?? '',
    returnTo: extra.returnTo ?? '',
    providers,
    demo: ctx.demo ?? null,
    user: null,
    cspNonce: request.cspNonce,
  });
}

/** Public routes: sign in with a password or with an organisation's own provider. */
export async function authPublicRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/sign-in', { config: { access: { kind: 'public' } }, schema: { querystring: z.object({ returnTo: z.string().max(500).optional() }) } }, (request, reply) =>
    renderSignIn(request, reply, ctx, { returnTo: request.query.returnTo ?? '' }),
  );

  r.post(
    '/sign-in',
    {
      config: { access: { kind: 'public' } },
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

      const accountKey = emailAccountKey(email);
      // Back-off, not lockout (limits.ts): while this account waits (after its own failures, from
      // here or everywhere) the password is not checked; failures of other accounts at this address
      // never stop a right password for an account that has none here.
      // A browser where this account signed in before (its device cookie) is not held up by guesses from elsewhere.
      const deviceKey = deviceKeyOf(secretBox(ctx.config), request.cookies[DEVICE_COOKIE], accountKey);
      const throttle = await checkThrottle(ctx.db, { accountKey, ip: request.ip, policy: PASSWORD_LIMITS, deviceKey });
      const limited = throttle.limited;
      const user = limited
        ? undefined
        : await ctx.db
            .selectFrom('app_user')
            .select(['id', 'password_hash', 'active'])
            .where((eb) => eb(eb.fn('lower', ['email']), '=', email.trim().toLowerCase()))
            .executeTakeFirst();
      // A refused attempt costs one password hash whatever the reason, so timing tells nothing.
      const ok = await verifyPassword(user?.active ? user.password_hash : null, password);
      if (!user || !ok) {
        if (limited) {
          // Attempts while waiting are counted per address and summarised, not one log row each.
          await countUnauthenticatedRefusal(ctx.db, { ip: request.ip, route: 'POST /sign-in', requestId: request.id }, 'sign_in_throttled', { step: 'password' });
          reply.header('retry-after', String(throttle.retryAfterSeconds));
        } else {
          await recordFailure(ctx.db, accountKey, request.ip);
          if (deviceKey) await recordFailure(ctx.db, deviceKey, request.ip);
          await recordAccess(ctx.db, {
            actor: null, action: 'session.create', route: 'POST /sign-in', outcome: 'denied', requestId: request.id,
            detail: { step: 'password', reason: 'not_right' },
          });
        }
        return renderSignIn(request, reply, ctx, {
          status: limited ? 429 : 401, email, returnTo: returnTo ?? '',
          errors: [{ href: '#email', text: limited ? tooMany(throttle.retryAfterSeconds) : NOT_RIGHT }],
        });
      }
      await clearFailures(ctx.db, accountKey, { ip: request.ip, deviceKey });
      reply.setCookie(DEVICE_COOKIE, issueDeviceCookie(secretBox(ctx.config), accountKey), {
        path: '/sign-in', httpOnly: true, sameSite: 'strict', secure: ctx.config.COOKIE_SECURE, maxAge: DEVICE_COOKIE_DAYS * 86_400,
      });
      const signingIn = await signingInUser(ctx, user.id);
      if (!signingIn) throw new Error('active user vanished during sign-in');
      reply.clearCookie(PRE_SESSION_COOKIE, { path: '/sign-in' });
      return finishFirstFactor(ctx, request, reply, signingIn, { method: 'password', returnTo: returnTo ?? '/' });
    },
  );
  await oidcPublicRoutes(app, ctx);
}

/** Signed-in routes: sign out, the second factor, and the account pages. */
export async function authRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.post('/sign-out', { config: { allowAwaitingSecondFactor: true, access: { kind: 'signed_in', endsSession: true } } }, async (request, reply) => {
    const token = request.cookies[SESSION_COOKIE];
    if (token) await endSession(ctx.db, token);
    await recordAccess(ctx.db, {
      actor: request.actor, action: 'session.end', route: 'POST /sign-out', outcome: 'allowed', requestId: request.id,
    });
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/sign-in', 303);
  });
  await twoFactorRoutes(app, ctx);
  await accountRoutes(app, ctx);
}
