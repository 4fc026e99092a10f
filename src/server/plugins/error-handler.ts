import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError } from '../errors.js';
import { menuFor } from './route-access.js';

interface Problem {
  statusCode: number;
  code: string;
  message: string;
  details?: { field: string; message: string }[];
}

function toProblem(error: FastifyError | Error, request: FastifyRequest): Problem {
  if (error instanceof AppError) {
    return { statusCode: error.statusCode, code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) };
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const context = String(error.validationContext ?? 'body');
    const details = error.validation.map((v) => {
      const path = v.instancePath.split('/').filter(Boolean);
      // Body fields are named as sent ("summary"); other parts keep their place ("querystring.from").
      const field = context === 'body' ? path.join('.') || 'body' : [context, ...path].join('.');
      return { field, message: v.message ?? 'is not valid' };
    });
    return { statusCode: 400, code: 'invalid_request', message: 'There is a problem with the request', details };
  }
  const status = (error as FastifyError).statusCode;
  if (status && status >= 400 && status < 500) {
    // Fastify's own client errors (bad JSON, body too large, wrong content type) have safe messages.
    return { statusCode: status, code: (error as FastifyError).code?.toLowerCase() ?? 'bad_request', message: error.message };
  }
  return { statusCode: 500, code: 'internal_error', message: `Something went wrong. Quote reference ${request.id} if you contact support.` };
}

/** One root error handler: safe messages for expected problems, a generic 500 with a request id otherwise. */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler(async (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const problem = toProblem(error, request);
    if (problem.statusCode >= 500) request.log.error({ err: error }, 'unhandled error');
    reply.status(problem.statusCode);
    if (wantsHtml(request)) {
      const template = problem.statusCode === 404 ? 'errors/not-found.njk' : problem.statusCode >= 500 ? 'errors/server-error.njk' : 'errors/problem.njk';
      const user = request.actor?.kind === 'user' ? request.actor : null;
      // The navigation of a signed-in user, even when the request failed before its access check.
      const navigation = user ? menuFor(user, request.server.declaredRoutes ?? []).bar : [];
      return reply.view(template, { problem, user, navigation, csrfToken: request.csrfToken, cspNonce: request.cspNonce });
    }
    return reply.send({ error: { code: problem.code, message: problem.message, ...(problem.details ? { details: problem.details } : {}), requestId: request.id } });
  });
  app.setNotFoundHandler(async (request, reply) => {
    reply.status(404);
    if (wantsHtml(request)) return reply.view('errors/not-found.njk', { user: null, cspNonce: request.cspNonce });
    return reply.send({ error: { code: 'not_found', message: 'Not found', requestId: request.id } });
  });
}

/** API routes and JSON clients get JSON; browsers get pages. */
export function wantsHtml(request: FastifyRequest): boolean {
  if (request.url.startsWith('/api/') || request.url === '/health') return false;
  return true;
}
