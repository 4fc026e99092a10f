/**
 * The common vocabulary: coded event types and vulnerability, risk and protective
 * factors shared by every agency. It is versioned data, not code, so partners can
 * review a published version; this module checks a version's internal consistency
 * before anything relies on it, because a dangling code would silently drop
 * evidence from prompts and briefing packs.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** Kinds of agency that contribute to a chronology. */
export const AGENCY_KINDS = [
  'police',
  'school',
  'gp',
  'acute_hospital',
  'community_health',
  'camhs',
  'childrens_social_care',
  'early_help',
  'youth_justice',
  'targeted_youth_support',
  'housing',
  'probation',
  'substance_misuse',
  'voluntary_sector',
  'youth_centre',
] as const;

/** A kind of agency. */
export type AgencyKind = (typeof AGENCY_KINDS)[number];

/** The nine event categories, in display order. */
export const CATEGORY_CODES = [
  'education',
  'health',
  'police_justice',
  'social_care',
  'youth_justice',
  'housing',
  'family',
  'community',
  'online',
] as const;

/** An event category code. */
export type CategoryCode = (typeof CATEGORY_CODES)[number];

/** Whether a factor makes harm more likely (vulnerability, risk) or less likely (protective). */
export const FACTOR_KINDS = ['vulnerability', 'risk', 'protective'] as const;

/** A factor kind. */
export type FactorKind = (typeof FACTOR_KINDS)[number];

// Codes are stored on events for ever, so they must be stable identifiers rather than prose.
const code = z.string().regex(/^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/, 'codes are lowercase snake_case');
const text = z.string().trim().min(1);

const CategorySchema = z.object({ code: z.enum(CATEGORY_CODES), label: text });

const EventTypeSchema = z.object({
  code,
  category: z.enum(CATEGORY_CODES),
  label: text,
  definition: text,
  agencyKinds: z.array(z.enum(AGENCY_KINDS)).min(1),
  impliesFactors: z.array(code),
  significant: z.boolean(),
});

const FactorSchema = z.object({
  code,
  kind: z.enum(FACTOR_KINDS),
  label: text,
  definition: text,
  evidence: text,
  cinFactors: z.array(z.string()),
});

const CinFactorCodeSchema = z.object({ code: z.string().regex(/^\d{1,2}[A-Z]?$/), label: text });

function duplicates(values: readonly string[]): string[] {
  const seen = new Set<string>();
  const dupes = new Set<string>();
  for (const v of values) (seen.has(v) ? dupes : seen).add(v);
  return [...dupes];
}

/** Zod schema for a vocabulary file, including the cross-reference checks. */
export const VocabularySchema = z
  .object({
    version: z.string().regex(/^\d+$/),
    publishedOn: z.iso.date(),
    categories: z.array(CategorySchema),
    eventTypes: z.array(EventTypeSchema).min(1),
    factors: z.array(FactorSchema).min(1),
    cinFactorCodes: z.array(CinFactorCodeSchema).min(1),
  })
  .superRefine((v, ctx) => {
    const issue = (message: string, path: (string | number)[]) => ctx.addIssue({ code: 'custom', message, path });

    const categoryCodes = v.categories.map((c) => c.code);
    for (const c of CATEGORY_CODES) {
      if (!categoryCodes.includes(c)) issue(`category "${c}" is missing`, ['categories']);
    }
    for (const d of duplicates(categoryCodes)) issue(`duplicate category code "${d}"`, ['categories']);
    for (const d of duplicates(v.eventTypes.map((e) => e.code))) issue(`duplicate event type code "${d}"`, ['eventTypes']);
    for (const d of duplicates(v.factors.map((f) => f.code))) issue(`duplicate factor code "${d}"`, ['factors']);
    for (const d of duplicates(v.cinFactorCodes.map((f) => f.code))) issue(`duplicate CIN factor code "${d}"`, ['cinFactorCodes']);

    const categorySet = new Set<string>(categoryCodes);
    const factorSet = new Set(v.factors.map((f) => f.code));
    const cinSet = new Set(v.cinFactorCodes.map((f) => f.code));
    v.eventTypes.forEach((e, i) => {
      if (!categorySet.has(e.category)) issue(`event type "${e.code}" uses undefined category "${e.category}"`, ['eventTypes', i, 'category']);
      for (const d of duplicates(e.agencyKinds)) issue(`event type "${e.code}" lists agency kind "${d}" twice`, ['eventTypes', i, 'agencyKinds']);
      for (const f of e.impliesFactors) {
        if (!factorSet.has(f)) issue(`event type "${e.code}" implies undefined factor "${f}"`, ['eventTypes', i, 'impliesFactors']);
      }
    });
    v.factors.forEach((f, i) => {
      for (const c of f.cinFactors) {
        if (!cinSet.has(c)) issue(`factor "${f.code}" maps to undefined CIN factor code "${c}"`, ['factors', i, 'cinFactors']);
      }
    });
  });

/** A parsed vocabulary version. */
export type Vocabulary = z.infer<typeof VocabularySchema>;
/** A category entry: code and label. */
export type EventCategory = z.infer<typeof CategorySchema>;
/** A coded event type. */
export type EventType = z.infer<typeof EventTypeSchema>;
/** A vulnerability, risk or protective factor. */
export type Factor = z.infer<typeof FactorSchema>;
/** A DfE Children in Need census "factors identified at the end of assessment" code with its official label. */
export type CinFactorCode = z.infer<typeof CinFactorCodeSchema>;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Validates raw vocabulary JSON; throws an error listing every problem found. */
export function parseVocabulary(raw: unknown): Vocabulary {
  const result = VocabularySchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`Invalid vocabulary:\n${problems.join('\n')}`);
  }
  return result.data;
}

const cache = new Map<string, Vocabulary>();

/** Reads, validates and caches a published vocabulary version; the result is frozen because it is shared. */
export function loadVocabulary(version = '1'): Vocabulary {
  const cached = cache.get(version);
  if (cached) return cached;
  // The version becomes part of a file path, so accept only the published form.
  if (!/^\d+$/.test(version)) throw new Error(`Unknown vocabulary version "${version}"`);
  const file = new URL(`./vocabulary/vocabulary.v${version}.json`, import.meta.url);
  const vocabulary = parseVocabulary(JSON.parse(readFileSync(file, 'utf8')));
  if (vocabulary.version !== version) {
    throw new Error(`Vocabulary file for version ${version} declares version ${vocabulary.version}`);
  }
  cache.set(version, deepFreeze(vocabulary));
  return vocabulary;
}

/** Looks up an event type by code in a vocabulary. */
export function findEventType(vocabulary: Vocabulary, eventTypeCode: string): EventType | undefined {
  return vocabulary.eventTypes.find((e) => e.code === eventTypeCode);
}

/** Looks up a factor by code in a vocabulary. */
export function findFactor(vocabulary: Vocabulary, factorCode: string): Factor | undefined {
  return vocabulary.factors.find((f) => f.code === factorCode);
}
