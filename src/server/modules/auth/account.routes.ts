import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { recordAccess } from '../../audit/record-access.js';
import type { Actor } from '../../actor.js';
import { SESSION_COOKIE, type AppContext } from '../../context.js';
import { actorOf } from '../../request.js';
import { checkThrottle, emailAccountKey, PASSWORD_LIMITS, recordFailure, waitText } from './limits.js';
import { requiresTotp } from './mfa.js';
import { hashPassword, verifyPassword } from './password.js';
import { checkNewPassword } from './password-policy.js';
import { endAllSessions, endOtherSessions, rotateSession } from './session.js';
import { sessionPolicy, setSessionCookie } from './sign-in-flow.js';

type Err = { href: string; text: string };

function userOf(request: FastifyRequest): Actor & { kind: 'user' } {
  const actor = actorOf(request);
  if (actor.kind !== 'user') throw new Error('account pages are for users');
  return actor;
}

function renderPassword(request: FastifyRequest, reply: FastifyReply, errors: Err[], status = 200) {
  reply.status(status);
  return reply.view('auth/views/change-password.njk', {
    user: request.actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, errors, nav: 'account',
  });
}

/** The signed-in user's own account: sessions, password and second factor. */
export async function accountRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/account', { config: { access: { kind: 'signed_in' } }, schema: { querystring: z.object({ changed: z.enum(['password']).optional() }) } }, async (request, reply) => {
    const actor = userOf(request);
    const [sessions, totp, org] = await Promise.all([
      ctx.db.selectFrom('app_session').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', actor.userId).where('expires_at', '>', new Date()).executeTakeFirstOrThrow(),
      ctx.db.selectFrom('user_totp').select('enabled_at').where('user_id', '=', actor.userId).executeTakeFirst(),
      ctx.db.selectFrom('organisation').select('kind').where('id', '=', actor.organisationId).executeTakeFirstOrThrow(),
    ]);
    return reply.view('auth/views/account.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'account', errors: [],
      sessionCount: Number(sessions.n), totpEnabled: Boolean(totp?.enabled_at),
      totpRequired: requiresTotp({ roles: actor.roles, organisationKind: org.kind }), changed: request.query.changed,
    });
  });

  r.post('/account/sign-out-everywhere', { config: { access: { kind: 'signed_in', endsSession: true } }, schema: { body: z.object({ _csrf: z.string().max(200) }) } }, async (request, reply) => {
    const actor = userOf(request);
    const ended = await endAllSessions(ctx.db, actor.userId);
    await recordAccess(ctx.db, {
      actor, action: 'session.end', route: 'POST /account/sign-out-everywhere', outcome: 'allowed', requestId: request.id,
      detail: { scope: 'all_sessions', ended },
    });
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/sign-in', 303);
  });

  r.get('/account/password', { config: { access: { kind: 'signed_in' } } }, (request, reply) => renderPassword(request, reply, []));

  r.post('/account/password', {
    config: { access: { kind: 'signed_in' } },
    schema: {
      body: z.object({
        currentPassword: z.string().max(1000).default(''),
        newPassword: z.string().max(1000).default(''),
        confirmPassword: z.string().max(1000).default(''),
        _csrf: z.string().max(200),
      }),
    },
  }, async (request, reply) => {
    const actor = userOf(request);
    const { currentPassword, newPassword, confirmPassword } = request.body;
    const errors: Err[] = [];
    if (!currentPassword) errors.push({ href: '#currentPassword', text: 'Enter your current password' });
    if (!newPassword) errors.push({ href: '#newPassword', text: 'Enter a new password' });
    else {
      for (const text of checkNewPassword(newPassword, { email: actor.email, name: actor.name })) errors.push({ href: '#newPassword', text });
      if (newPassword === currentPassword) errors.push({ href: '#newPassword', text: 'Your new password must be different from your current password' });
      if (newPassword !== confirmPassword) errors.push({ href: '#confirmPassword', text: 'The passwords you entered do not match' });
    }
    if (errors.length) return renderPassword(request, reply, errors, 400);

    // Guessing the current password here counts against the same limit as the sign-in form.
    const key = emailAccountKey(actor.email);
    const throttle = await checkThrottle(ctx.db, { accountKey: key, ip: request.ip, policy: PASSWORD_LIMITS });
    const limited = throttle.limited;
    const row = await ctx.db.selectFrom('app_user').select('password_hash').where('id', '=', actor.userId).executeTakeFirstOrThrow();
    const ok = await verifyPassword(limited ? null : row.password_hash, currentPassword);
    if (!ok) {
      if (!limited) await recordFailure(ctx.db, key, request.ip);
      await recordAccess(ctx.db, { actor, action: 'session.create', route: 'POST /account/password', outcome: 'denied', requestId: request.id, detail: { step: 'password_change' } });
      return renderPassword(request, reply, [{ href: '#currentPassword', text: limited ? `There have been too many attempts. ${waitText(throttle.retryAfterSeconds)} and try again` : 'Your current password is not right' }], limited ? 429 : 400);
    }

    const hash = await hashPassword(newPassword);
    await ctx.db.updateTable('app_user').set({ password_hash: hash }).where('id', '=', actor.userId).execute();
    // A changed password ends every other session: whoever knew the old one is signed out.
    const token = request.cookies[SESSION_COOKIE]!;
    const fresh = await rotateSession(ctx.db, token, actor.userId, sessionPolicy(ctx));
    const others = await endOtherSessions(ctx.db, actor.userId, fresh.token);
    await recordAccess(ctx.db, {
      actor, action: 'session.create', route: 'POST /account/password', outcome: 'allowed', requestId: request.id,
      detail: { step: 'password_changed', endedOtherSessions: others },
    });
    setSessionCookie(ctx, reply, fresh.token);
    return reply.redirect('/account?changed=password', 303);
  });
}
