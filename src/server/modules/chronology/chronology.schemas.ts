import { z } from 'zod';
import type { ChronologyFilter } from './chronology.queries.js';

/** True for a real calendar date written YYYY-MM-DD (JavaScript would roll 30 February into March). */
export function isRealIsoDate(v: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD').refine(isRealIsoDate, 'is not a real date');
const many = (inner: z.ZodString) =>
  z.union([inner, z.array(inner).max(50)]).transform((v) => (Array.isArray(v) ? v : [v]).filter((x) => x !== '')).optional();

/** Chronology filters as query-string parameters; repeat a parameter to choose several values. */
export const chronologyQuerySchema = z.object({
  agency: many(z.string().uuid('must be an organisation id')),
  category: many(z.string().max(40)),
  factor: many(z.string().max(60)),
  from: z.union([isoDate, z.literal('')]).optional(),
  to: z.union([isoDate, z.literal('')]).optional(),
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(500).default(50),
});

/** Turns validated query parameters into a chronology filter. */
export function toFilter(q: z.infer<typeof chronologyQuerySchema>): ChronologyFilter {
  return {
    ...(q.agency?.length ? { organisationIds: q.agency } : {}),
    ...(q.category?.length ? { categories: q.category } : {}),
    ...(q.factor?.length ? { factors: q.factor } : {}),
    ...(q.from ? { from: q.from } : {}),
    ...(q.to ? { to: q.to } : {}),
  };
}
