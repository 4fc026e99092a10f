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

/** A logger for work outside the server (the command line), with the server's level and redaction: readable on a terminal, JSON otherwise. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const out = destination ?? terminalDestination();
  return out ? pino(loggerOptions(level), out) : pino(loggerOptions(level));
}

const LEVELS: Record<number, { label: string; colour: number }> = {
  10: { label: 'TRACE', colour: 90 }, 20: { label: 'DEBUG', colour: 90 }, 30: { label: 'INFO', colour: 32 },
  40: { label: 'WARN', colour: 33 }, 50: { label: 'ERROR', colour: 31 }, 60: { label: 'FATAL', colour: 31 },
};
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'reqId', 'req', 'res', 'responseTime']);

/**
 * One JSON log line as a person reads it: time, level, message, the request (method, path, status,
 * milliseconds) and any other fields as key=value. It formats what pino wrote, after redaction.
 */
export function prettyLine(json: string, colours = false): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const level = LEVELS[Number(o.level)] ?? { label: String(o.level), colour: 0 };
  const paint = (code: number, text: string) => (colours ? `\u001b[${code}m${text}\u001b[0m` : text);
  const time = typeof o.time === 'number' ? new Date(o.time).toISOString().slice(11, 19) : '';
  const req = o.req as { method?: string; path?: string } | undefined;
  const res = o.res as { statusCode?: number } | undefined;
  const parts = [paint(90, time), paint(level.colour, level.label.padEnd(5)), String(o.msg ?? '')];
  if (req?.method) parts.push(`${req.method} ${req.path ?? ''}`);
  if (res?.statusCode) parts.push(`→ ${res.statusCode}`);
  if (typeof o.responseTime === 'number') parts.push(`${Math.round(o.responseTime)} ms`);
  for (const [k, v] of Object.entries(o)) if (!HIDDEN.has(k)) parts.push(paint(90, `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`));
  return `${parts.filter(Boolean).join(' ')}\n`;
}

/** Where the logs go when standard output is a terminal: readable lines; undefined (pino's JSON) otherwise. */
export function terminalDestination(out: NodeJS.WriteStream = process.stdout): DestinationStream | undefined {
  if (!out.isTTY) return undefined;
  return { write: (line: string) => out.write(line.split('\n').filter(Boolean).map((l) => prettyLine(l, true)).join('')) };
}

/** The server's logger options: readable on a terminal, JSON otherwise. */
export function serverLoggerOptions(level: string): LoggerOptions & { stream?: DestinationStream } {
  const stream = terminalDestination();
  return stream ? { ...loggerOptions(level), stream } : loggerOptions(level);
}

/**
 * What work outside a request handler logs with: the caller's logger (the app's, a request's, or the
 * command line's from createLogger), so its lines carry the same redaction and level.
 */
export type Log = Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>;
