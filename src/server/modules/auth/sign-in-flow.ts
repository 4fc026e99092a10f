import type { FastifyReply, FastifyRequest } from 'fastify';
import { recordAccess } from '../../audit/record-access.js';
import { SESSION_COOKIE, type AppContext } from '../../context.js';
import { requiresTotp } from './mfa.js';
import { createSession, resolveSession, type SessionPolicy } from './session.js';

/** Where the second-factor code is asked for, and where a first authenticator is set up. */
export const TWO_FACTOR_PATH = '/sign-in/two-factor';
export const TWO_FACTOR_SETUP_PATH = '/account/two-factor';

/** The session lifetimes configured for this app. */
export function sessionPolicy(ctx: AppContext): SessionPolicy {
  return { idleMinutes: ctx.config.SESSION_IDLE_MINUTES, absoluteHours: ctx.config.SESSION_ABSOLUTE_HOURS };
}

/** A same-site path only, so a return address cannot send someone elsewhere. */
export function safeReturn(value: string | undefined | null): string {
  return value && /^\/(?!\/)[\w\-/?=&.%]*$/.test(value) ? value : '/';
}

/** Sets the session cookie: HttpOnly, SameSite=Lax, Secure under TLS. */
export function setSessionCookie(ctx: AppContext, reply: FastifyReply, token: string): void {
  reply.setCookie(SESSION_COOKIE, token, { path: '/', httpOnly: true, sameSite: 'lax', secure: ctx.config.COOKIE_SECURE });
}

/** A user as the sign-in flow needs them. */
export interface SigningInUser {
  id: string;
  roles: string[];
  organisationKind: string;
  totpEnabled: boolean;
}

/** Loads what the sign-in flow needs about an active user. */
export async function signingInUser(ctx: AppContext, userId: string): Promise<SigningInUser | null> {
  const row = await ctx.db
    .selectFrom('app_user as u')
    .innerJoin('organisation as o', 'o.id', 'u.organisation_id')
    .leftJoin('user_totp as t', 't.user_id', 'u.id')
    .select(['u.id', 'u.roles', 'o.kind', 't.enabled_at'])
    .where('u.id', '=', userId)
    .where('u.active', '=', true)
    .executeTakeFirst();
  return row ? { id: row.id, roles: row.roles, organisationKind: row.kind, totpEnabled: row.enabled_at !== null } : null;
}

/**
 * The first factor (password or the organisation's provider) has passed: start a new session
 * under a new id. When a second factor is required or set up, the session waits for it and the
 * browser is sent to enter a code, or to set an authenticator up first.
 */
export async function finishFirstFactor(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  user: SigningInUser,
  opts: { method: 'password' | 'oidc'; returnTo: string; secondFactorDone?: boolean },
) {
  const needsCode = !opts.secondFactorDone && (user.totpEnabled || requiresTotp(user));
  const session = await createSession(ctx.db, user.id, sessionPolicy(ctx), { awaitingSecondFactor: needsCode });
  const resolved = await resolveSession(ctx.db, session.token, sessionPolicy(ctx));
  await recordAccess(ctx.db, {
    actor: resolved?.actor ?? null, action: 'session.create', route: `${request.method} ${request.routeOptions.url ?? ''}`,
    outcome: 'allowed', requestId: request.id,
    detail: { step: 'first_factor', method: opts.method, secondFactor: needsCode ? 'awaiting' : opts.secondFactorDone ? 'provider' : 'not_required' },
  });
  setSessionCookie(ctx, reply, session.token);
  const returnTo = safeReturn(opts.returnTo);
  if (!needsCode) return reply.redirect(returnTo, 303);
  const next = user.totpEnabled ? TWO_FACTOR_PATH : TWO_FACTOR_SETUP_PATH;
  return reply.redirect(returnTo === '/' ? next : `${next}?returnTo=${encodeURIComponent(returnTo)}`, 303);
}
