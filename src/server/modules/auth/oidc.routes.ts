import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { NotFoundError } from '../../errors.js';
import { renderSignIn } from './auth.routes.js';
import { authorizationUrl, discover, exchangeCode, hashState, newAuthorization, OidcError, verifyIdToken } from './oidc.js';
import { oidcClientSecretContext, secretBox, SecretError } from '../../secrets.js';
import { finishFirstFactor, safeReturn, signingInUser } from './sign-in-flow.js';
import { countUnauthenticatedRefusal } from './unauthenticated-refusals.js';

const STATE_COOKIE = 'jigsaw_oidc';
const CALLBACK_PATH = '/sign-in/oidc/callback';
const SIGN_IN_MINUTES = 10;
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Where the provider sends the browser back (must be registered with the provider). */
function redirectUri(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}${CALLBACK_PATH}`;
}

/** Public routes to sign in with an organisation's own OpenID Connect provider. */
export async function oidcPublicRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  // A callback refused before it matches a sign-in this server started (no state, or an unknown one)
  // costs the sender nothing: it is counted per address and summarised, not logged one row each.
  const refuse = async (request: FastifyRequest, reply: FastifyReply, reason: string, opts: { counted?: boolean } = {}) => {
    const route = `GET ${request.routeOptions.url ?? ''}`;
    if (opts.counted) {
      await countUnauthenticatedRefusal(ctx.db, { ip: request.ip, route, requestId: request.id }, reason, { step: 'oidc' });
    } else {
      await recordAccess(ctx.db, { actor: null, action: 'session.create', route, outcome: 'denied', requestId: request.id, detail: { step: 'oidc', reason } });
    }
    reply.clearCookie(STATE_COOKIE, { path: '/sign-in/oidc' });
    return renderSignIn(request, reply, ctx, {
      status: 401,
      errors: [{ href: '#email', text: 'Signing in with your organisation did not work. Try again, or sign in with your Jigsaw email address and password' }],
    });
  };

  r.get('/sign-in/organisation/:providerId', {
    config: { access: { kind: 'public' } },
    schema: { params: z.object({ providerId: z.string().max(64) }), querystring: z.object({ returnTo: z.string().max(500).optional() }) },
  }, async (request, reply) => {
    const { providerId } = request.params;
    const provider = uuid.test(providerId)
      ? await ctx.db.selectFrom('oidc_provider').selectAll().where('id', '=', providerId).where('enabled', '=', true).executeTakeFirst()
      : undefined;
    if (!provider) throw new NotFoundError();
    let discovery;
    try {
      discovery = await discover(provider.issuer);
    } catch (err) {
      if (err instanceof OidcError) return refuse(request, reply, err.code);
      if (err instanceof SecretError) return refuse(request, reply, 'client_secret_unreadable');
      throw err;
    }
    const a = newAuthorization();
    await ctx.db.deleteFrom('oidc_sign_in').where('expires_at', '<', new Date()).execute();
    await ctx.db.insertInto('oidc_sign_in').values({
      state_hash: hashState(a.state), provider_id: provider.id, nonce: a.nonce, code_verifier: a.codeVerifier,
      return_to: safeReturn(request.query.returnTo), expires_at: new Date(Date.now() + SIGN_IN_MINUTES * 60_000),
    }).execute();
    // The state also travels in a cookie, so a callback only completes in the browser that started it.
    reply.setCookie(STATE_COOKIE, a.state, { path: '/sign-in/oidc', httpOnly: true, sameSite: 'lax', secure: ctx.config.COOKIE_SECURE, maxAge: SIGN_IN_MINUTES * 60 });
    return reply.redirect(authorizationUrl(discovery, {
      clientId: provider.client_id, redirectUri: redirectUri(request), state: a.state, nonce: a.nonce, codeChallenge: a.codeChallenge,
    }), 303);
  });

  r.get(CALLBACK_PATH, {
    config: { access: { kind: 'public' } },
    schema: {
      querystring: z.object({
        code: z.string().max(2000).optional(), state: z.string().max(200).optional(), error: z.string().max(200).optional(),
      }),
    },
  }, async (request, reply) => {
    const { code, state, error } = request.query;
    const cookieState = request.cookies[STATE_COOKIE];
    if (!state || !cookieState || state !== cookieState) return refuse(request, reply, 'state_mismatch', { counted: true });
    // Used once: the row is deleted as it is read.
    const pending = await ctx.db.deleteFrom('oidc_sign_in').where('state_hash', '=', hashState(state)).returningAll().executeTakeFirst();
    if (!pending || pending.expires_at.getTime() < Date.now()) return refuse(request, reply, 'state_unknown_or_expired', { counted: true });
    if (error || !code) return refuse(request, reply, error ? 'provider_error' : 'no_code');
    const provider = await ctx.db.selectFrom('oidc_provider').selectAll().where('id', '=', pending.provider_id).where('enabled', '=', true).executeTakeFirst();
    if (!provider) return refuse(request, reply, 'provider_disabled');

    let claims;
    try {
      const d = await discover(provider.issuer);
      const idToken = await exchangeCode(d, {
        // The client secret is stored sealed (secrets.ts) and opened only for the exchange.
        clientId: provider.client_id, clientSecret: secretBox(ctx.config).open(provider.client_secret, oidcClientSecretContext(provider.id)), code, redirectUri: redirectUri(request), codeVerifier: pending.code_verifier,
      });
      claims = await verifyIdToken(idToken, { issuer: provider.issuer, clientId: provider.client_id, nonce: pending.nonce, jwksUri: d.jwks_uri });
    } catch (err) {
      if (err instanceof OidcError) return refuse(request, reply, err.code);
      if (err instanceof SecretError) return refuse(request, reply, 'client_secret_unreadable');
      throw err;
    }
    const email = typeof claims.email === 'string' ? claims.email.trim().toLowerCase() : '';
    if (!email || claims.email_verified === false) return refuse(request, reply, 'no_verified_email');
    if (email.split('@').pop() !== provider.allowed_email_domain) return refuse(request, reply, 'email_domain_not_allowed');
    // Users are matched by email within the provider's own organisation only.
    const user = await ctx.db
      .selectFrom('app_user').select('id')
      .where((eb) => eb(eb.fn('lower', ['email']), '=', email))
      .where('organisation_id', '=', provider.organisation_id)
      .where('active', '=', true)
      .executeTakeFirst();
    const signingIn = user ? await signingInUser(ctx, user.id) : null;
    if (!signingIn) return refuse(request, reply, 'no_matching_user');
    reply.clearCookie(STATE_COOKIE, { path: '/sign-in/oidc' });
    // A provider that reports multi-factor sign-in (RFC 8176 "mfa") has done the second factor.
    const providerMfa = Array.isArray(claims.amr) && claims.amr.includes('mfa');
    return finishFirstFactor(ctx, request, reply, signingIn, { method: 'oidc', returnTo: pending.return_to, secondFactorDone: providerMfa });
  });
}
