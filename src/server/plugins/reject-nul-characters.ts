import type { FastifyInstance } from 'fastify';
import { ValidationError } from '../errors.js';

/** The first place a NUL character appears in a value, as a field path, or null. */
export function findNul(value: unknown, path: string): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNul(value[i], `${path}.${i}`);
      if (found) return found;
    }
    return null;
  }
  if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      const found = key.includes('\u0000') ? `${path}.${key.replace(/\u0000/g, '\\0')}` : findNul(inner, `${path}.${key}`);
      if (found) return found;
    }
  }
  return null;
}

/**
 * PostgreSQL text cannot hold a NUL character (U+0000), so one anywhere in the input would fail
 * deep in a query. Refuse it up front, naming the field, for every route.
 */
export function registerRejectNulCharacters(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const parts: [string, unknown][] = [['params', request.params], ['querystring', request.query], ['body', request.body]];
    for (const [part, value] of parts) {
      const found = findNul(value, part);
      if (found) {
        // Body fields are named as sent ("summary"), like the other validation errors.
        const field = found.startsWith('body.') ? found.slice(5) : found;
        throw new ValidationError([{ field, message: 'must not contain a NUL character (U+0000)' }]);
      }
    }
  });
}
