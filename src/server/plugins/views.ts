import view from '@fastify/view';
import type { FastifyInstance } from 'fastify';
import nunjucks from 'nunjucks';
import { fileURLToPath } from 'node:url';
import { formatDate, formatDateTime, formatEventDate } from '../format.js';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** Template search paths: our layouts, each area's views, then GOV.UK and MOJ Frontend macros. */
export const TEMPLATE_PATHS = [
  here('../views'),
  here('../modules'),
  here('../../../node_modules/govuk-frontend/dist'),
  here('../../../node_modules/@ministryofjustice/frontend'),
];

/** Registers Nunjucks (autoescaping on) as the page renderer. */
export async function registerViews(app: FastifyInstance): Promise<void> {
  const env = nunjucks.configure(TEMPLATE_PATHS, { autoescape: true, throwOnUndefined: false, noCache: false });
  env.addFilter('govukDate', (v: unknown) => (v ? formatDate(v as string | Date) : ''));
  env.addFilter('govukDateTime', (v: unknown) => (v ? formatDateTime(v as Date | string) : ''));
  env.addFilter('eventDate', (v: Date | string, precision: string) => formatEventDate(v, precision));
  await app.register(view, {
    engine: { nunjucks },
    templates: TEMPLATE_PATHS,
    options: { onConfigure: (e: nunjucks.Environment) => copyFilters(env, e) },
    defaultContext: { serviceName: 'Jigsaw' },
  });
}

function copyFilters(from: nunjucks.Environment, to: nunjucks.Environment): void {
  for (const name of ['govukDate', 'govukDateTime', 'eventDate']) {
    to.addFilter(name, (from as unknown as { getFilter(n: string): (...a: unknown[]) => unknown }).getFilter(name));
  }
}
