/**
 * The early identification rule language. A rule is data a partnership writes and reviews,
 * not code: one of four explainable patterns over a child's chronology. Every match names the
 * exact events behind it, so a practitioner can see why they were asked to consider a child.
 */
import { z } from 'zod';
import { EXPOSURE_INCIDENT_KINDS, INCIDENT_KINDS } from '../networks/kinds.js';
import type { Vocabulary } from '../vocabulary.js';

/** Which events a part of a rule looks at: by event type, or by factor (recorded or implied by the type). */
const SelectorSchema = z
  .object({
    eventTypes: z.array(z.string().min(1)).max(100).optional(),
    factors: z.array(z.string().min(1)).max(100).optional(),
  })
  .strict()
  .refine((s) => (s.eventTypes?.length ?? 0) + (s.factors?.length ?? 0) > 0, { message: 'name at least one event type or factor' });

const days = z.number().int().min(1).max(3650);

const DistinctExperiencesSchema = z
  .object({
    kind: z.literal('distinct_experiences'),
    /** Factor codes that count as "common experiences". */
    experiences: z.array(z.string().min(1)).min(2).max(100),
    atLeast: z.number().int().min(2).max(50),
    withinDays: days,
    cooldownDays: z.number().int().min(0).max(3650).optional(),
  })
  .strict()
  .refine((d) => d.atLeast <= d.experiences.length, { message: 'atLeast cannot exceed the number of experiences listed', path: ['atLeast'] });

const SequenceSchema = z
  .object({
    kind: z.literal('sequence'),
    first: SelectorSchema,
    then: SelectorSchema,
    thenAtLeast: z.number().int().min(1).max(50).default(1),
    withinDays: days,
    cooldownDays: z.number().int().min(0).max(3650).optional(),
  })
  .strict();

const CriticalMomentSchema = z
  .object({
    kind: z.literal('critical_moment'),
    match: SelectorSchema,
    /** 2 means "a second one": the newest matching event and the one before it, within the period. */
    atLeast: z.number().int().min(1).max(20).default(1),
    withinDays: days,
    cooldownDays: z.number().int().min(0).max(3650).optional(),
  })
  .strict();

const EscalationSchema = z
  .object({
    kind: z.literal('escalation'),
    match: SelectorSchema,
    windowDays: days,
    atLeast: z.number().int().min(1).max(200),
    ratio: z.number().min(1).max(20).default(2),
    cooldownDays: z.number().int().min(0).max(3650).optional(),
  })
  .strict();

/**
 * Exposure to violence through a child's network: someone within `steps` steps of the child (relationships the
 * partnership holds) was harmed in serious violence of these kinds within the period (Papachristos: risk falls
 * with each step from a victim; most shootings follow an earlier one in the network by about 125 days).
 */
const NetworkExposureSchema = z
  .object({
    kind: z.literal('network_exposure'),
    incidentKinds: z.array(z.enum(Object.keys(INCIDENT_KINDS) as [keyof typeof INCIDENT_KINDS, ...(keyof typeof INCIDENT_KINDS)[]])).min(1).max(10)
      .default([...EXPOSURE_INCIDENT_KINDS]),
    steps: z.number().int().min(1).max(2).default(2),
    withinDays: days,
    cooldownDays: z.number().int().min(0).max(3650).optional(),
  })
  .strict();

/** Zod schema for a rule definition (without the vocabulary cross-checks). */
export const RuleDefinitionSchema = z.discriminatedUnion('kind', [DistinctExperiencesSchema, SequenceSchema, CriticalMomentSchema, EscalationSchema, NetworkExposureSchema]);

/** A rule definition, as stored on a rule version. */
export type RuleDefinition = z.infer<typeof RuleDefinitionSchema>;
/** An event selector. */
export type Selector = z.infer<typeof SelectorSchema>;
/** The kinds of rule. */
export const RULE_KINDS = ['distinct_experiences', 'sequence', 'critical_moment', 'escalation', 'network_exposure'] as const;

/** One problem with a definition: where it is and why. */
export interface RuleProblem {
  path: string;
  message: string;
}

/** The result of reading a definition: the rule, or every problem found. */
export type ParsedRule = { ok: true; definition: RuleDefinition } | { ok: false; problems: RuleProblem[] };

function selectorsOf(d: RuleDefinition): [string, Selector][] {
  switch (d.kind) {
    case 'distinct_experiences':
    case 'network_exposure':
      return [];
    case 'sequence':
      return [['first', d.first], ['then', d.then]];
    case 'critical_moment':
    case 'escalation':
      return [['match', d.match]];
  }
}

/** Validates a definition and checks every event type and factor it names against a vocabulary. */
export function parseRuleDefinition(raw: unknown, vocabulary: Pick<Vocabulary, 'eventTypes' | 'factors'>): ParsedRule {
  const result = RuleDefinitionSchema.safeParse(raw);
  if (!result.success) {
    return { ok: false, problems: result.error.issues.map((i) => ({ path: i.path.join('.') || '(definition)', message: i.message })) };
  }
  const d = result.data;
  const types = new Set(vocabulary.eventTypes.map((t) => t.code));
  const factors = new Set(vocabulary.factors.map((f) => f.code));
  const problems: RuleProblem[] = [];
  if (d.kind === 'distinct_experiences') {
    d.experiences.forEach((c, i) => {
      if (!factors.has(c)) problems.push({ path: `experiences.${i}`, message: `"${c}" is not a factor in the vocabulary` });
    });
  }
  for (const [name, s] of selectorsOf(d)) {
    (s.eventTypes ?? []).forEach((c, i) => {
      if (!types.has(c)) problems.push({ path: `${name}.eventTypes.${i}`, message: `"${c}" is not an event type in the vocabulary` });
    });
    (s.factors ?? []).forEach((c, i) => {
      if (!factors.has(c)) problems.push({ path: `${name}.factors.${i}`, message: `"${c}" is not a factor in the vocabulary` });
    });
  }
  return problems.length ? { ok: false, problems } : { ok: true, definition: d };
}

/** How far back from "now" a rule looks, in days. */
export function lookbackDays(d: RuleDefinition): number {
  // A sequence may start up to one window before its last event, which must itself be recent.
  if (d.kind === 'escalation') return d.windowDays * 2;
  return d.kind === 'sequence' ? d.withinDays * 2 : d.withinDays;
}

/**
 * After a consideration, how long before the same rule may raise another for the same child.
 * Patterns default to their own period, so a sliding window does not prompt again and again;
 * critical moments default to none, because every new one matters.
 */
export function cooldownDays(d: RuleDefinition): number {
  if (d.cooldownDays !== undefined) return d.cooldownDays;
  // Exposure is a critical moment too: each new victim near the child is its own prompt (the same victim never twice).
  if (d.kind === 'critical_moment' || d.kind === 'network_exposure') return 0;
  return d.kind === 'escalation' ? d.windowDays : d.withinDays;
}

/** Every event type and factor a rule looks at (so a full pass reads only the events that can matter). */
export function codesUsed(d: RuleDefinition): { eventTypes: string[]; factors: string[] } {
  const eventTypes = new Set<string>();
  const factors = new Set<string>(d.kind === 'distinct_experiences' ? d.experiences : []);
  for (const [, s] of selectorsOf(d)) {
    for (const t of s.eventTypes ?? []) eventTypes.add(t);
    for (const f of s.factors ?? []) factors.add(f);
  }
  return { eventTypes: [...eventTypes], factors: [...factors] };
}

function selectorText(s: Selector): string {
  const parts = [...(s.eventTypes ?? []).map((t) => t.replaceAll('_', ' ')), ...(s.factors ?? []).map((f) => `any event showing ${f.replaceAll('_', ' ')}`)];
  return parts.join(' or ');
}

/** The rule in plain words, for pages and the rules document. */
export function describeRule(d: RuleDefinition): string {
  switch (d.kind) {
    case 'distinct_experiences':
      return `At least ${d.atLeast} different experiences from this list within ${d.withinDays} days: ${d.experiences.map((e) => e.replaceAll('_', ' ')).join(', ')}.`;
    case 'sequence':
      return `${selectorText(d.first)}, followed within ${d.withinDays} days by ${d.thenAtLeast === 1 ? '' : `${d.thenAtLeast} or more of `}${selectorText(d.then)}.`;
    case 'critical_moment':
      return d.atLeast === 1
        ? `Any ${selectorText(d.match)} in the last ${d.withinDays} days.`
        : `The ${ordinal(d.atLeast)} ${selectorText(d.match)} within ${d.withinDays} days.`;
    case 'escalation':
      return `At least ${d.atLeast} of ${selectorText(d.match)} in the last ${d.windowDays} days, and at least ${d.ratio} times as many as in the ${d.windowDays} days before.`;
    case 'network_exposure':
      return `Someone ${d.steps === 1 ? 'one step' : 'one or two steps'} from the child in their network (relationships held by the partnership) was a victim of ${
        d.incidentKinds.map((k) => INCIDENT_KINDS[k].label.toLowerCase()).join(', ')} in the last ${d.withinDays} days.`;
  }
}

function ordinal(n: number): string {
  return ['first', 'second', 'third', 'fourth', 'fifth'][n - 1] ?? `${n}th`;
}
