import view from '@fastify/view';
import type { FastifyInstance } from 'fastify';
import nunjucks from 'nunjucks';
import { fileURLToPath } from 'node:url';
import { formatDate, formatDateOfBirth, formatDateTime, formatEventDate } from '../format.js';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** Template search paths: our layouts, each area's views, then GOV.UK and MOJ Frontend macros. */
export const TEMPLATE_PATHS = [
  here('../views'),
  here('../modules'),
  here('../../../node_modules/govuk-frontend/dist'),
  here('../../../node_modules/@ministryofjustice/frontend'),
];

/**
 * Invisible formatting characters that can make text display other than it reads: the bidi
 * embeddings and overrides (U+202A–U+202E), isolates (U+2066–U+2069) and marks (U+200E, U+200F,
 * U+061C), and zero-width or invisible characters (U+200B zero-width space, U+2060–U+2064 word
 * joiner and invisible operators, U+FEFF). An entry written with U+202E would otherwise show its
 * words reversed. Zero-width (non-)joiners (U+200C, U+200D) stay: some scripts and emoji need them
 * and they cannot reorder text.
 */
const DISPLAY_CONTROLS = /[\u061C\u200B\u200E\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;

/** Text as it is shown: the characters above removed (what is stored is untouched). */
export function neutraliseDisplayText(text: string): string {
  return text.replace(DISPLAY_CONTROLS, '');
}

/**
 * Registers Nunjucks (autoescaping on) as the page renderer. Every HTML page leaves with the
 * display controls above removed, so no user text (entries, evidence, names, reasons, notes) can
 * reorder or hide what a page shows, whichever template shows it.
 */
export async function registerViews(app: FastifyInstance): Promise<void> {
  app.addHook('onSend', async (_request, reply, payload) => {
    if (typeof payload !== 'string' || !String(reply.getHeader('content-type') ?? '').startsWith('text/html')) return payload;
    return neutraliseDisplayText(payload);
  });
  const env = nunjucks.configure(TEMPLATE_PATHS, { autoescape: true, throwOnUndefined: false, noCache: false });
  env.addFilter('govukDate', (v: unknown) => (v ? formatDate(v as string | Date) : ''));
  env.addFilter('govukDateTime', (v: unknown) => (v ? formatDateTime(v as Date | string) : ''));
  env.addFilter('eventDate', (v: Date | string, precision: string) => formatEventDate(v, precision));
  env.addFilter('dateOfBirth', (v: unknown, accuracy: string) => (v ? formatDateOfBirth(v as string | Date, accuracy) : ''));
  await app.register(view, {
    engine: { nunjucks },
    templates: TEMPLATE_PATHS,
    options: { onConfigure: (e: nunjucks.Environment) => copyFilters(env, e) },
    defaultContext: { serviceName: 'Jigsaw' },
  });
}

function copyFilters(from: nunjucks.Environment, to: nunjucks.Environment): void {
  for (const name of ['govukDate', 'govukDateTime', 'eventDate', 'dateOfBirth']) {
    to.addFilter(name, (from as unknown as { getFilter(n: string): (...a: unknown[]) => unknown }).getFilter(name));
  }
}
