import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';
import { recordAccess } from '../../audit/record-access.js';
import { SESSION_COOKIE, type AppContext } from '../../context.js';
import { actorOf } from '../../request.js';
import { checkThrottle, clearFailures, recordFailure, TOTP_LIMITS, totpAccountKey, waitText } from './limits.js';
import { secretBox, totpSecretContext } from '../../secrets.js';
import { requiresTotp } from './mfa.js';
import { resolveSession, rotateSession } from './session.js';
import { safeReturn, sessionPolicy, setSessionCookie, TWO_FACTOR_PATH, TWO_FACTOR_SETUP_PATH } from './sign-in-flow.js';
import { generateTotpSecret, groupSecret, otpauthUri, verifyTotp } from './totp.js';

// Signed in, and usable by a session that has passed the password but not yet the second factor.
const pending = { allowAwaitingSecondFactor: true, access: { kind: 'signed_in' } } as const;
const returnQuery = z.object({ returnTo: z.string().max(500).optional() });
const codeBody = z.object({ code: z.string().max(100).default(''), returnTo: z.string().max(500).optional(), _csrf: z.string().max(200).default('') });

/** The session behind this request (the route runs only when there is one). */
async function currentSession(ctx: AppContext, request: FastifyRequest) {
  const token = request.cookies[SESSION_COOKIE]!;
  const session = await resolveSession(ctx.db, token, sessionPolicy(ctx));
  if (!session) throw new Error('session vanished mid-request');
  return { token, session };
}

/**
 * Checks a code for a user, counting failures against their second factor and their address,
 * and marks the matched time step used so the same code cannot be played again.
 */
async function checkCode(ctx: AppContext, request: FastifyRequest, userId: string, code: string, confirmed: boolean): Promise<string | null> {
  const key = totpAccountKey(userId);
  const throttle = await checkThrottle(ctx.db, { accountKey: key, ip: request.ip, policy: TOTP_LIMITS });
  if (throttle.limited) {
    return `There have been too many wrong codes. ${waitText(throttle.retryAfterSeconds)} and try again, or ask your administrator for help`;
  }
  if (!/^\s*\d{3}[\s-]?\d{3}\s*$/.test(code)) return 'Enter the 6-digit code from your authenticator app';
  const totp = await ctx.db.selectFrom('user_totp').selectAll().where('user_id', '=', userId).executeTakeFirst();
  // The seed is stored sealed (secrets.ts); it is opened only to check the code.
  const step = totp && (totp.enabled_at !== null) === confirmed
    ? verifyTotp(secretBox(ctx.config).open(totp.secret, totpSecretContext(userId)), code, Date.now(), totp.last_used_step)
    : null;
  // The update only succeeds for a step later than the last one used, so two requests racing with one code cannot both pass.
  const used = step === null ? [] : await ctx.db
    .updateTable('user_totp')
    .set({ last_used_step: step, ...(confirmed ? {} : { enabled_at: new Date() }) })
    .where('user_id', '=', userId)
    .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', step)]))
    .returning('user_id')
    .execute();
  if (used.length === 0) {
    await recordFailure(ctx.db, key, request.ip);
    return 'The code is not right, or it has expired. Enter the code your app shows now';
  }
  await clearFailures(ctx.db, key);
  return null;
}

/** Ends the half-signed-in session and starts a full one under a new id, then goes on. */
async function completeSignIn(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, token: string, event: 'second_factor' | 'second_factor_enrolled', returnTo?: string) {
  const actor = actorOf(request);
  if (actor.kind !== 'user') throw new Error('second factors are for users');
  const fresh = await rotateSession(ctx.db, token, actor.userId, sessionPolicy(ctx));
  await recordAccess(ctx.db, { actor, action: 'session.create', route: `POST ${request.routeOptions.url}`, outcome: 'allowed', requestId: request.id, detail: { step: event } });
  setSessionCookie(ctx, reply, fresh.token);
  return reply.redirect(safeReturn(returnTo), 303);
}

/** Signed-in routes for the TOTP second factor: entering a code, and setting an authenticator up. */
export async function twoFactorRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(TWO_FACTOR_PATH, { config: pending, schema: { querystring: returnQuery } }, async (request, reply) => {
    const { session } = await currentSession(ctx, request);
    if (!session.awaitingSecondFactor) return reply.redirect(safeReturn(request.query.returnTo), 303);
    const totp = await ctx.db.selectFrom('user_totp').select('enabled_at').where('user_id', '=', session.actor.userId).executeTakeFirst();
    if (!totp?.enabled_at) return reply.redirect(TWO_FACTOR_SETUP_PATH, 303);
    return reply.view('auth/views/two-factor.njk', { user: null, csrfToken: request.csrfToken, cspNonce: request.cspNonce, errors: [], returnTo: request.query.returnTo ?? '' });
  });

  r.post(TWO_FACTOR_PATH, { config: pending, schema: { body: codeBody } }, async (request, reply) => {
    const { token, session } = await currentSession(ctx, request);
    if (!session.awaitingSecondFactor) return reply.redirect('/', 303);
    const problem = await checkCode(ctx, request, session.actor.userId, request.body.code, true);
    if (problem) {
      await recordAccess(ctx.db, { actor: session.actor, action: 'session.create', route: `POST ${TWO_FACTOR_PATH}`, outcome: 'denied', requestId: request.id, detail: { step: 'second_factor' } });
      reply.status(problem.startsWith('There have been') ? 429 : 400);
      return reply.view('auth/views/two-factor.njk', {
        user: null, csrfToken: request.csrfToken, cspNonce: request.cspNonce, returnTo: request.body.returnTo ?? '',
        errors: [{ href: '#code', text: problem }],
      });
    }
    return completeSignIn(ctx, request, reply, token, 'second_factor', request.body.returnTo);
  });

  r.get(TWO_FACTOR_SETUP_PATH, { config: pending, schema: { querystring: returnQuery } }, async (request, reply) => {
    const { session } = await currentSession(ctx, request);
    const actor = session.actor;
    const existing = await ctx.db.selectFrom('user_totp').select(['enabled_at']).where('user_id', '=', actor.userId).executeTakeFirst();
    if (existing?.enabled_at) {
      if (session.awaitingSecondFactor) return reply.redirect(TWO_FACTOR_PATH, 303);
      return reply.view('auth/views/two-factor-setup.njk', { user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, enabledAt: existing.enabled_at, errors: [], nav: 'account' });
    }
    return renderSetup(ctx, request, reply, session, [], request.query.returnTo ?? '');
  });

  r.post(TWO_FACTOR_SETUP_PATH, { config: pending, schema: { body: codeBody } }, async (request, reply) => {
    const { token, session } = await currentSession(ctx, request);
    const problem = await checkCode(ctx, request, session.actor.userId, request.body.code, false);
    if (problem) {
      reply.status(problem.startsWith('There have been') ? 429 : 400);
      return renderSetup(ctx, request, reply, session, [{ href: '#code', text: problem }], request.body.returnTo ?? '');
    }
    return completeSignIn(ctx, request, reply, token, 'second_factor_enrolled', request.body.returnTo);
  });
}

/** The set-up page: a secret kept until confirmed (so reloading shows the same one), as text and as an otpauth:// URI. */
async function renderSetup(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  session: NonNullable<Awaited<ReturnType<typeof resolveSession>>>,
  errors: { href: string; text: string }[],
  returnTo: string,
) {
  const actor = session.actor;
  const box = secretBox(ctx.config);
  const context = totpSecretContext(actor.userId);
  await ctx.db.insertInto('user_totp').values({ user_id: actor.userId, secret: box.seal(generateTotpSecret(), context) }).onConflict((oc) => oc.column('user_id').doNothing()).execute();
  const stored = await ctx.db.selectFrom('user_totp').select('secret').where('user_id', '=', actor.userId).where(sql<boolean>`enabled_at IS NULL`).executeTakeFirst();
  if (!stored) return reply.redirect(TWO_FACTOR_PATH, 303);
  const totp = { secret: box.open(stored.secret, context) };
  const org = await ctx.db.selectFrom('organisation').select('kind').where('id', '=', actor.organisationId).executeTakeFirstOrThrow();
  return reply.view('auth/views/two-factor-setup.njk', {
    user: session.awaitingSecondFactor ? null : actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, errors, returnTo,
    secret: totp.secret, groupedSecret: groupSecret(totp.secret), uri: otpauthUri('Jigsaw', actor.email, totp.secret),
    required: requiresTotp({ roles: actor.roles, organisationKind: org.kind }), nav: 'account',
  });
}
