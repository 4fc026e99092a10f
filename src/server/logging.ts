import type { FastifyBaseLogger } from 'fastify';
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

/**
 * Log paths that may hold personal data or secrets. Request bodies and query strings are
 * never logged by default; these cover headers, cookies and anything a handler logs by mistake.
 */
export const LOG_REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.email',
  '*.name',
  '*.givenNames',
  '*.familyName',
  '*.dateOfBirth',
  '*.nhsNumber',
  '*.summary',
  '*.narrative',
  'body',
  'query',
];

/**
 * What a request log line says about the request: method, path and id. Never the query string
 * (searches carry names and dates of birth), headers, cookies or body.
 */
export function serializeRequest(req: { method: string; url: string; id: string }): { method: string; path: string; id: string } {
  return { method: req.method, path: req.url.split('?')[0] ?? '', id: req.id };
}

/** The options of every Jigsaw logger: the configured level, personal data and secrets redacted, requests summarised. */
export function loggerOptions(level: string): LoggerOptions {
  return { level, redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' }, serializers: { req: serializeRequest } };
}

/** A logger for work outside the server (the command line), with the server's level and redaction. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}

/**
 * What work outside a request handler logs with: the caller's logger (the app's, a request's, or the
 * command line's from createLogger), so its lines carry the same redaction and level.
 */
export type Log = Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>;
