import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    cspNonce: string;
  }
}

/** Sets the security headers on one answer (also used for answers the router gives before any hook runs). */
export function applySecurityHeaders(reply: FastifyReply, nonce: string, opts: { tls: boolean; cacheable: boolean }): void {
  reply.header(
    'Content-Security-Policy',
    [
      "default-src 'self'",
      `script-src 'self' 'nonce-${nonce}'`,
      "style-src 'self'",
      "img-src 'self' data:",
      "font-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ].join('; '),
  );
  reply.header('X-Content-Type-Options', 'nosniff');
  reply.header('X-Frame-Options', 'DENY');
  reply.header('Referrer-Policy', 'no-referrer');
  reply.header('Cross-Origin-Opener-Policy', 'same-origin');
  reply.header('Permissions-Policy', 'camera=(), microphone=(), geolocation=()');
  if (opts.tls) reply.header('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
  // Personal data must never sit in a shared or browser cache; only static assets may.
  reply.header('Cache-Control', opts.cacheable ? 'public, max-age=3600' : 'no-store');
}

/** Security headers on every answer; a per-request nonce lets the GOV.UK template's one inline script run. */
export function registerSecurityHeaders(app: FastifyInstance, opts: { tls: boolean }): void {
  app.decorateRequest('cspNonce', '');
  app.addHook('onRequest', async (request, reply) => {
    request.cspNonce = randomBytes(16).toString('base64');
    applySecurityHeaders(reply, request.cspNonce, { tls: opts.tls, cacheable: request.url.startsWith('/assets/') });
  });
}
