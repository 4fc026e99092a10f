/**
 * The early help directory in Open Referral UK's JSON (the UK profile of the Human Services Data
 * Specification, HSDS 3.0): a page of services, each with its organisation, ages, service areas,
 * contacts and attributes. Jigsaw's own fields travel in HSDS fields where HSDS has them
 * (`application_process` for the referral route) and otherwise as attributes with Jigsaw's
 * taxonomy (`jigsaw:need` for needs met, `jigsaw:waiting_weeks` for the waiting time). Pure: no I/O.
 */
import { z } from 'zod';

/** A service as Jigsaw holds it, for import and export. */
export interface DirectoryService {
  externalId: string;
  name: string;
  description: string | null;
  providerName: string;
  minAge: number | null;
  maxAge: number | null;
  needs: string[];
  areas: string[];
  referralRoute: string | null;
  contactEmail: string | null;
  contactPhone: string | null;
  url: string | null;
  waitingWeeks: number | null;
  status: 'active' | 'inactive' | 'defunct' | 'temporarily closed';
}

export const NEED_VOCABULARY = 'jigsaw:need';
export const WAITING_VOCABULARY = 'jigsaw:waiting_weeks';

const str = (max: number) => z.string().trim().max(max);
const attribute = z.object({
  value: z.union([z.string(), z.number()]).optional().nullable(),
  taxonomy_term: z.object({ code: str(200).optional().nullable(), name: str(300).optional().nullable(), vocabulary: str(200).optional().nullable() }).passthrough().optional().nullable(),
}).passthrough();
const hsdsService = z.object({
  id: str(200).min(1),
  name: str(300).min(1),
  description: str(10000).optional().nullable(),
  url: str(1000).optional().nullable(),
  email: str(300).optional().nullable(),
  status: z.enum(['active', 'inactive', 'defunct', 'temporarily closed']).default('active'),
  minimum_age: z.number().int().min(0).max(30).optional().nullable(),
  maximum_age: z.number().int().min(0).max(30).optional().nullable(),
  application_process: str(2000).optional().nullable(),
  organization: z.object({ id: str(200).optional().nullable(), name: str(300).min(1) }).passthrough(),
  service_areas: z.array(z.object({ name: str(100).optional().nullable(), extent: str(100).optional().nullable() }).passthrough()).max(100).optional().nullable(),
  contacts: z.array(z.object({ email: str(300).optional().nullable(), phones: z.array(z.object({ number: str(50) }).passthrough()).optional().nullable() }).passthrough()).max(50).optional().nullable(),
  phones: z.array(z.object({ number: str(50) }).passthrough()).max(50).optional().nullable(),
  attributes: z.array(attribute).max(200).optional().nullable(),
}).passthrough();

/** A problem with one service in an import. */
export interface HsdsProblem {
  index: number;
  id: string | null;
  message: string;
}

/** Reads Open Referral UK JSON: a page (`{ contents: [...] }` or `{ content: [...] }`), an array of services, or one service. */
export function parseHsds(text: string): { services: DirectoryService[]; problems: HsdsProblem[] } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { services: [], problems: [{ index: 0, id: null, message: 'The file is not JSON' }] };
  }
  const list: unknown[] = Array.isArray(doc) ? doc
    : doc && typeof doc === 'object' && Array.isArray((doc as { contents?: unknown }).contents) ? (doc as { contents: unknown[] }).contents
      : doc && typeof doc === 'object' && Array.isArray((doc as { content?: unknown }).content) ? (doc as { content: unknown[] }).content
        : [doc];
  const services: DirectoryService[] = [];
  const problems: HsdsProblem[] = [];
  list.forEach((item, index) => {
    const parsed = hsdsService.safeParse(item);
    if (!parsed.success) {
      const id = item && typeof item === 'object' && typeof (item as { id?: unknown }).id === 'string' ? (item as { id: string }).id : null;
      problems.push({ index, id, message: parsed.error.issues.map((i) => `${i.path.join('.') || 'service'}: ${i.message}`).join('; ') });
      return;
    }
    const s = parsed.data;
    if (s.minimum_age != null && s.maximum_age != null && s.minimum_age > s.maximum_age) {
      problems.push({ index, id: s.id, message: 'minimum_age is above maximum_age' });
      return;
    }
    const attrs = s.attributes ?? [];
    const waiting = attrs.find((a) => a.taxonomy_term?.vocabulary === WAITING_VOCABULARY);
    const weeks = waiting ? Number(waiting.value ?? waiting.taxonomy_term?.code) : NaN;
    services.push({
      externalId: s.id, name: s.name, description: s.description || null, providerName: s.organization.name,
      minAge: s.minimum_age ?? null, maxAge: s.maximum_age ?? null,
      needs: [...new Set(attrs.filter((a) => a.taxonomy_term?.vocabulary === NEED_VOCABULARY).map((a) => a.taxonomy_term?.code ?? '').filter(Boolean))],
      areas: [...new Set((s.service_areas ?? []).map((a) => (a.name || a.extent || '').trim()).filter(Boolean))],
      referralRoute: s.application_process || null,
      contactEmail: s.email || s.contacts?.find((c) => c.email)?.email || null,
      contactPhone: s.phones?.[0]?.number || s.contacts?.flatMap((c) => c.phones ?? [])[0]?.number || null,
      url: s.url || null,
      waitingWeeks: Number.isInteger(weeks) && weeks >= 0 && weeks <= 520 ? weeks : null,
      status: s.status,
    });
  });
  return { services, problems };
}

/** Writes services as an Open Referral UK page of services. */
export function toHsds(services: DirectoryService[]): unknown {
  const contents = services.map((s) => ({
    id: s.externalId,
    name: s.name,
    description: s.description ?? '',
    url: s.url ?? '',
    email: s.contactEmail ?? '',
    status: s.status,
    minimum_age: s.minAge,
    maximum_age: s.maxAge,
    application_process: s.referralRoute ?? '',
    organization: { name: s.providerName },
    service_areas: s.areas.map((a) => ({ name: a, extent_type: 'borough' })),
    phones: s.contactPhone ? [{ number: s.contactPhone }] : [],
    attributes: [
      ...s.needs.map((n) => ({ taxonomy_term: { code: n, name: n.replace(/_/g, ' '), vocabulary: NEED_VOCABULARY } })),
      ...(s.waitingWeeks !== null ? [{ value: String(s.waitingWeeks), taxonomy_term: { code: 'waiting_weeks', name: 'Waiting time in weeks', vocabulary: WAITING_VOCABULARY } }] : []),
    ],
  }));
  return { total_items: contents.length, total_pages: 1, page_number: 1, size: contents.length, first_page: true, last_page: true, empty: contents.length === 0, contents };
}
