import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';

/** Documents the JSON API with OpenAPI at /api/openapi.json; pages are left out of it. */
export async function registerApiDocs(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Jigsaw API', version: '1.0.0', description: 'One shared chronology per child, for agency systems.' },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'A per-organisation API key: jgs_<prefix>_<secret>' } } },
    },
    transform: (args) => {
      const documented = args.url.startsWith('/api/v1') || args.url === '/health';
      const out = jsonSchemaTransform(args);
      return documented ? out : { ...out, schema: { ...out.schema, hide: true } };
    },
  });
  app.get('/api/openapi.json', { schema: { hide: true }, config: { access: { kind: 'public' } } }, async () => app.swagger());
}
