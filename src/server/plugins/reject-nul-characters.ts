import type { FastifyInstance } from 'fastify';
import { ValidationError } from '../errors.js';

/**
 * How deeply a parsed body may nest. No form or API body comes near it (an interchange record in a
 * JSON batch is eight levels down); deeper input is refused with a 400 rather than walked.
 */
export const MAX_INPUT_DEPTH = 32;

/** The input nests deeper than MAX_INPUT_DEPTH; `path` is where the limit was reached. */
export class InputTooDeepError extends Error {
  constructor(readonly path: string) {
    super(`nested more than ${MAX_INPUT_DEPTH} levels deep`);
    this.name = 'InputTooDeepError';
  }
}

/**
 * A value the check does not look inside: a stream handed to a route unread (streamed intake), or
 * bytes. They are not parsed input, and the reader that consumes them checks what it reads.
 */
function isOpaque(value: object): boolean {
  return ArrayBuffer.isView(value) || value instanceof ArrayBuffer
    || typeof (value as { pipe?: unknown }).pipe === 'function'
    || typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
}

/**
 * The first place a NUL character appears in a parsed value (JSON, a form, a query string), as a
 * field path, or null. Streams and bytes are skipped; nesting deeper than MAX_INPUT_DEPTH throws
 * InputTooDeepError, so no input can exhaust the stack.
 */
export function findNul(value: unknown, path: string, depth = 0): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (!value || typeof value !== 'object' || isOpaque(value)) return null;
  if (depth >= MAX_INPUT_DEPTH) throw new InputTooDeepError(path);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNul(value[i], `${path}.${i}`, depth + 1);
      if (found) return found;
    }
    return null;
  }
  for (const [key, inner] of Object.entries(value)) {
    const found = key.includes('\u0000') ? `${path}.${key.replace(/\u0000/g, '\\0')}` : findNul(inner, `${path}.${key}`, depth + 1);
    if (found) return found;
  }
  return null;
}

/** Body fields are named as sent ("summary"), like the other validation errors. */
const fieldName = (path: string) => (path.startsWith('body.') ? path.slice(5) : path);

/**
 * PostgreSQL text cannot hold a NUL character (U+0000), so one anywhere in the input would fail
 * deep in a query. Refuse it up front, naming the field, for every route; refuse input nested too
 * deeply to check (or to be any real form or record) with a 400 that says so.
 */
export function registerRejectNulCharacters(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const parts: [string, unknown][] = [['params', request.params], ['querystring', request.query], ['body', request.body]];
    for (const [part, value] of parts) {
      let found: string | null;
      try {
        found = findNul(value, part);
      } catch (err) {
        if (!(err instanceof InputTooDeepError)) throw err;
        throw new ValidationError([{ field: fieldName(err.path), message: `is nested more than ${MAX_INPUT_DEPTH} levels deep` }], 'The request is nested too deeply');
      }
      if (found) throw new ValidationError([{ field: fieldName(found), message: 'must not contain a NUL character (U+0000)' }]);
    }
  });
}
