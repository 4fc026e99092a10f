import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Db } from '../db/client.js';
import type { Config } from './config.js';
import type { AppContext } from './context.js';
import { registerApiDocs } from './modules/api/openapi.js';
import { apiRoutes } from './modules/api/api.routes.js';
import { authenticateApiKey } from './modules/api/api-key.js';
import { authPublicRoutes, authRoutes } from './modules/auth/auth.routes.js';
import { requireSignedIn } from './plugins/require-signed-in.js';
import { homeRoutes } from './modules/home/home.routes.js';
import { peopleRoutes } from './modules/people/people.routes.js';
import { chronologyRoutes } from './modules/chronology/chronology.routes.js';
import { adminRoutes } from './modules/admin/admin.routes.js';
import { registerErrorHandler } from './plugins/error-handler.js';
import { registerSecurityHeaders } from './plugins/security-headers.js';
import { registerViews } from './plugins/views.js';
import { LOG_REDACT_PATHS, serializeRequest } from './logging.js';
import './hooks.js';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** What the app needs: an open database and the configuration. */
export interface AppOptions {
  db: Db;
  config: Config;
  logger?: FastifyServerOptions['logger'];
}

/** Builds the Fastify app (does not listen): tests call it with inject(), main.ts listens. */
export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? {
      level: opts.config.LOG_LEVEL,
      redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' },
      serializers: { req: serializeRequest },
    },
    genReqId: () => randomUUID(),
    bodyLimit: 1_048_576,
    routerOptions: { ignoreTrailingSlash: true },
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  const ctx: AppContext = { db: opts.db.db, engine: opts.db.engine, config: opts.config };
  app.decorateRequest('actor', null);
  app.decorateRequest('csrfToken', null);

  registerSecurityHeaders(app, { tls: opts.config.COOKIE_SECURE });
  registerErrorHandler(app);
  await registerViews(app);
  await app.register(cookie);
  await app.register(formbody);
  await registerApiDocs(app);

  // Static assets: our built bundle and GOV.UK's fonts and images. Cacheable, as they hold no personal data.
  await app.register(fastifyStatic, {
    root: [here('../../public/build'), here('../../node_modules/govuk-frontend/dist/govuk/assets')],
    prefix: '/assets/',
    cacheControl: false,
    setHeaders: (res) => res.setHeader('Cache-Control', 'public, max-age=3600'),
  });

  // Public context: no session needed.
  await app.register(async (pub) => {
    pub.get('/health', async () => {
      await ctx.db.selectFrom('organisation').select('id').limit(1).execute();
      return { status: 'ok', database: ctx.engine };
    });
    await authPublicRoutes(pub, ctx);
  });

  // Signed-in pages: the session resolves the actor; every POST must carry the session's CSRF token.
  await app.register(async (pages) => {
    pages.addHook('preValidation', requireSignedIn(ctx));
    await authRoutes(pages, ctx);
    await homeRoutes(pages, ctx);
    await peopleRoutes(pages, ctx);
    await chronologyRoutes(pages, ctx);
    await adminRoutes(pages, ctx);
  });

  // Systems: per-organisation API keys.
  await app.register(
    async (api) => {
      api.addHook('onRequest', authenticateApiKey(ctx));
      await apiRoutes(api, ctx);
    },
    { prefix: '/api/v1' },
  );
  return app;
}
