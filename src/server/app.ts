import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Db } from '../db/client.js';
import type { Config } from './config.js';
import type { AppContext, DemoSignIn } from './context.js';
import { registerApiDocs } from './modules/api/openapi.js';
import { apiRoutes } from './modules/api/api.routes.js';
import { authenticateApiKey } from './modules/api/api-key.js';
import { authPublicRoutes, authRoutes } from './modules/auth/auth.routes.js';
import { invitationRoutes } from './modules/auth/invitation.routes.js';
import { requireSignedIn } from './plugins/require-signed-in.js';
import { homeRoutes } from './modules/home/home.routes.js';
import { peopleRoutes } from './modules/people/people.routes.js';
import { chronologyRoutes } from './modules/chronology/chronology.routes.js';
import { adminRoutes } from './modules/admin/admin.routes.js';
import { intakeApiRoutes } from './modules/intake/intake.api.js';
import { intakePageRoutes } from './modules/intake/intake.routes.js';
import { identityRoutes } from './modules/identity/identity.routes.js';
import { assessmentRoutes } from './modules/assessments/assessments.routes.js';
import { considerationRoutes } from './modules/considerations/considerations.routes.js';
import { ruleRoutes } from './modules/considerations/rules.routes.js';
import { factorRoutes } from './modules/assessments/factors.routes.js';
import { fairnessRoutes } from './modules/fairness/fairness.routes.js';
import { breakGlassRoutes } from './modules/break-glass/break-glass.routes.js';
import { relationshipRoutes } from './modules/relationships/relationships.routes.js';
import { relocationRoutes } from './modules/transfers/relocation.routes.js';
import { transferRoutes } from './modules/transfers/transfers.routes.js';
import { panelRoutes } from './modules/panels/panels.routes.js';
import { transparencyRoutes } from './modules/transparency/transparency.routes.js';
import { retentionRoutes } from './modules/retention/retention.routes.js';
import { sharingRoutes } from './modules/sharing/sharing.routes.js';
import { partnershipRoutes } from './modules/partnerships/partnerships.routes.js';
import { organisationRoutes } from './modules/partnerships/organisations.routes.js';
import { userRoutes } from './modules/users/users.routes.js';
import { allocationRoutes } from './modules/allocation/allocation.routes.js';
import { allocationApiRoutes } from './modules/allocation/allocation.api.js';
import { alertRoutes } from './modules/alerts/alerts.routes.js';
import { missingRoutes } from './modules/missing/missing.routes.js';
import { planRoutes } from './modules/plans/plans.routes.js';
import { offerRoutes } from './modules/offers/offers.routes.js';
import { serviceRoutes } from './modules/offers/services.routes.js';
import { dashboardRoutes } from './modules/oversight/dashboard.routes.js';
import { auditRoutes } from './modules/oversight/audits.routes.js';
import { reviewRoutes } from './modules/oversight/reviews.routes.js';
import { siteRoutes } from './modules/site/site.routes.js';
import { networkRoutes } from './modules/networks/networks.routes.js';
import { bulletinRoutes } from './modules/networks/bulletin.routes.js';
import { registerErrorHandler } from './plugins/error-handler.js';
import { registerRejectNulCharacters } from './plugins/reject-nul-characters.js';
import { declareScopeAccess, registerRouteAccess } from './plugins/route-access.js';
import { applySecurityHeaders, registerSecurityHeaders } from './plugins/security-headers.js';
import { registerViews } from './plugins/views.js';
import { loggerOptions } from './logging.js';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** What the app needs: an open database and the configuration. */
export interface AppOptions {
  db: Db;
  config: Config;
  logger?: FastifyServerOptions['logger'];
  /** Only for `serve --demo`: the demo accounts the sign-in page describes. */
  demo?: DemoSignIn;
}

/** Builds the Fastify app (does not listen): tests call it with inject(), main.ts listens. */
export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? loggerOptions(opts.config.LOG_LEVEL),
    genReqId: () => randomUUID(),
    bodyLimit: 1_048_576,
    routerOptions: { ignoreTrailingSlash: true },
    // The router refuses some requests (a malformed URL, an over-long parameter) before any hook
    // runs: answer them in our own shape, with our headers, without echoing the URL back.
    frameworkErrors: (error, request, reply) => {
      applySecurityHeaders(reply, randomUUID(), { tls: opts.config.COOKIE_SECURE, cacheable: false });
      const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 400;
      (reply as FastifyReply).status(status).send({ error: { code: String(error.code ?? 'bad_request').toLowerCase(), message: 'The address of this request is not valid', requestId: request.id } });
    },
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  const ctx: AppContext = { db: opts.db.db, engine: opts.db.engine, config: opts.config, ...(opts.demo ? { demo: opts.demo } : {}) };
  // Every route declares its access rule (config.access); one pre-handler enforces it.
  registerRouteAccess(app, ctx);
  app.decorateRequest('actor', null);
  app.decorateRequest('csrfToken', null);

  registerSecurityHeaders(app, { tls: opts.config.COOKIE_SECURE });
  registerErrorHandler(app);
  registerRejectNulCharacters(app);
  await registerViews(app);
  await app.register(cookie);
  await app.register(formbody);
  await registerApiDocs(app);

  // Static assets: our built bundle and GOV.UK's fonts and images. Cacheable, as they hold no personal data.
  await app.register(async (assets) => {
    declareScopeAccess(assets, { kind: 'public' });
    await assets.register(fastifyStatic, {
      root: [here('../../public/build'), here('../../node_modules/govuk-frontend/dist/govuk/assets')],
      prefix: '/assets/',
      cacheControl: false,
    });
  });

  // Public context: no session needed.
  await app.register(async (pub) => {
    pub.get('/health', { config: { access: { kind: 'public' } } }, async () => {
      await ctx.db.selectFrom('organisation').select('id').limit(1).execute();
      return { status: 'ok', database: ctx.engine };
    });
    await authPublicRoutes(pub, ctx);
    // A new user's invitation link, to choose their own password.
    await invitationRoutes(pub, ctx);
    // The accessibility statement and the privacy notice, linked from every page's footer.
    await siteRoutes(pub, ctx);
  });

  // Signed-in pages: the session resolves the actor; every POST must carry the session's CSRF token.
  await app.register(async (pages) => {
    pages.addHook('preValidation', requireSignedIn(ctx));
    await authRoutes(pages, ctx);
    await homeRoutes(pages, ctx);
    await peopleRoutes(pages, ctx);
    await chronologyRoutes(pages, ctx);
    await adminRoutes(pages, ctx);
    await intakePageRoutes(pages, ctx);
    await identityRoutes(pages, ctx);
    await assessmentRoutes(pages, ctx);
    await considerationRoutes(pages, ctx);
    await ruleRoutes(pages, ctx);
    await factorRoutes(pages, ctx);
    await fairnessRoutes(pages, ctx);
    await dashboardRoutes(pages, ctx);
    await auditRoutes(pages, ctx);
    await reviewRoutes(pages, ctx);
    await breakGlassRoutes(pages, ctx);
    await relationshipRoutes(pages, ctx);
    await transparencyRoutes(pages, ctx);
    await retentionRoutes(pages, ctx);
    await sharingRoutes(pages, ctx);
    await partnershipRoutes(pages, ctx);
    await organisationRoutes(pages, ctx);
    await userRoutes(pages, ctx);
    await allocationRoutes(pages, ctx);
    await alertRoutes(pages, ctx);
    await missingRoutes(pages, ctx);
    await planRoutes(pages, ctx);
    await offerRoutes(pages, ctx);
    await serviceRoutes(pages, ctx);
    await transferRoutes(pages, ctx);
    await relocationRoutes(pages, ctx);
    await panelRoutes(pages, ctx);
    await networkRoutes(pages, ctx);
    await bulletinRoutes(pages, ctx);
  });

  // Systems: per-organisation API keys.
  await app.register(
    async (api) => {
      api.addHook('onRequest', authenticateApiKey(ctx));
      await apiRoutes(api, ctx);
      await intakeApiRoutes(api, ctx);
      await allocationApiRoutes(api, ctx);
    },
    { prefix: '/api/v1' },
  );
  return app;
}
