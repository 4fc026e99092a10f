/**
 * Evaluates a rule over one child's chronology. Pure and deterministic: the same events and the
 * same "as of" time give the same match, naming the same events, so running a rule again never
 * produces a different answer for the same evidence.
 */
import { createHash } from 'node:crypto';
import { INCIDENT_KINDS, incidentKindOf, INCIDENT_LINK_HOURS, type IncidentKind } from '../networks/kinds.js';
import { lookbackDays, type RuleDefinition, type Selector } from './rule-language.js';

/** What a rule sees of an event: its type, when it happened, and its factors (recorded and implied). */
export interface RuleEvent {
  id: string;
  eventTypeCode: string;
  occurredAt: Date;
  factors: readonly string[];
  /** The entry's summary, when known: its words tell a stabbing from a shooting (incidents). */
  summary?: string | null;
  /** The incident the entry was linked into (by hand or automatically), when it is one. */
  incidentId?: string | null;
}

/** A match: the events that satisfied the rule (oldest first) and why, in words. */
export interface RuleMatch {
  eventIds: string[];
  explanation: string;
}

const DAY = 86_400_000;

/** Whether an event is one a selector picks out. */
export function selects(s: Selector, e: RuleEvent): boolean {
  if (s.eventTypes?.includes(e.eventTypeCode)) return true;
  return (s.factors ?? []).some((f) => e.factors.includes(f));
}

/** How codes are named in explanations; without labels, a code's words are used. */
export interface Labels {
  eventType(code: string): string | undefined;
  factor(code: string): string | undefined;
}

const words = (code: string) => code.replaceAll('_', ' ');
const day = (d: Date) => d.toISOString().slice(0, 10);
interface Namer {
  factor(code: string): string;
  line(e: RuleEvent): string;
}

function namer(labels: Labels | undefined): Namer {
  const typeName = (code: string) => labels?.eventType(code)?.toLowerCase() ?? words(code);
  return {
    factor: (code) => labels?.factor(code)?.toLowerCase() ?? words(code),
    line: (e) => `${typeName(e.eventTypeCode)} on ${day(e.occurredAt)}`,
  };
}

/** Orders events oldest first (ties by id), which every rule relies on. */
export function chronological(events: readonly RuleEvent[]): RuleEvent[] {
  return [...events].sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * One event per happening: records of one incident (linked into it, or of the same kind of incident
 * within INCIDENT_LINK_HOURS of each other, as the automatic link decides) count once, as the earliest
 * record, so that police and A&E recording one stabbing are not "a second stabbing". Events are one
 * child's, oldest first.
 */
export function oneRecordPerIncident(events: readonly RuleEvent[]): RuleEvent[] {
  const kept: RuleEvent[] = [];
  const byIncident = new Set<string>();
  const lastOfKind = new Map<string, RuleEvent>();
  for (const e of events) {
    if (e.incidentId) {
      if (byIncident.has(e.incidentId)) continue;
      byIncident.add(e.incidentId);
    }
    const kind = incidentKindOf(e.eventTypeCode, e.summary ?? null);
    if (kind) {
      const previous = lastOfKind.get(kind);
      const linkedElsewhere = previous?.incidentId && e.incidentId && previous.incidentId !== e.incidentId;
      if (previous && !linkedElsewhere && e.occurredAt.getTime() - previous.occurredAt.getTime() <= INCIDENT_LINK_HOURS * 3_600_000) continue;
      lastOfKind.set(kind, e);
    }
    kept.push(e);
  }
  return kept;
}

/**
 * Evaluates a rule as of a moment. Only events inside the rule's period before `asOf` count,
 * so a pattern from years ago does not prompt today. Events must be for one child.
 */
export function evaluateRule(d: RuleDefinition, events: readonly RuleEvent[], asOf: Date, labels?: Labels): RuleMatch | null {
  const n = namer(labels);
  const end = asOf.getTime();
  const start = end - lookbackDays(d) * DAY;
  const inPeriod = chronological(events).filter((e) => e.occurredAt.getTime() > start && e.occurredAt.getTime() <= end);
  switch (d.kind) {
    case 'distinct_experiences':
      return distinctExperiences(d, inPeriod, n);
    // Rules that count count incidents, not records.
    case 'sequence':
      return sequence(d, oneRecordPerIncident(inPeriod), end, n);
    case 'critical_moment':
      return criticalMoment(d, oneRecordPerIncident(inPeriod), n);
    case 'escalation':
      return escalation(d, oneRecordPerIncident(inPeriod), end, n);
    // Not a pattern in the child's own chronology: evaluated over their network (evaluateExposure).
    case 'network_exposure':
      return null;
  }
}

/**
 * Someone in a child's network harmed in serious violence, as the rules found it over the edges the
 * partnership holds: the victim's record of it, and how many steps the victim is from the child.
 */
export interface Exposure {
  /** The victim's entry recording the violence. */
  eventId: string;
  eventTypeCode: string;
  summary: string | null;
  incidentId: string | null;
  occurredAt: Date;
  kind: IncidentKind;
  /** The victim (their surviving record). */
  victimId: string;
  steps: 1 | 2;
}

const STEP_WORDS = { 1: 'one step', 2: 'two steps' } as const;

/**
 * Evaluates an exposure-to-violence rule for one child over the exposures found in their network. Each
 * victim's violence counts once (the earliest record of one incident, as `oneRecordPerIncident` decides);
 * the evidence is the newest exposure in the period, at the fewest steps, so a later run with the same
 * victims names the same entry and raises nothing again. The explanation names the violence, its date
 * and the steps; who links the child to the victim is shown to each reader over what they may see.
 */
export function evaluateExposure(d: Extract<RuleDefinition, { kind: 'network_exposure' }>, exposures: readonly Exposure[], asOf: Date): RuleMatch | null {
  const end = asOf.getTime();
  const start = end - d.withinDays * DAY;
  const relevant = exposures.filter((x) => d.incidentKinds.includes(x.kind) && x.steps <= d.steps && x.occurredAt.getTime() > start && x.occurredAt.getTime() <= end);
  const nearest = new Map<string, Exposure>();
  for (const x of relevant) {
    const seen = nearest.get(`${x.victimId}|${x.eventId}`);
    if (!seen || x.steps < seen.steps) nearest.set(`${x.victimId}|${x.eventId}`, x);
  }
  const byVictim = new Map<string, Exposure[]>();
  for (const x of nearest.values()) byVictim.set(x.victimId, [...(byVictim.get(x.victimId) ?? []), x]);
  const kept: Exposure[] = [];
  for (const list of byVictim.values()) {
    const events = new Map(list.map((x) => [x.eventId, x]));
    const once = oneRecordPerIncident(chronological(list.map((x) => ({ id: x.eventId, eventTypeCode: x.eventTypeCode, occurredAt: x.occurredAt, factors: [], summary: x.summary, incidentId: x.incidentId }))));
    kept.push(...once.map((e) => events.get(e.id)!));
  }
  if (kept.length === 0) return null;
  kept.sort((a, b) => b.occurredAt.getTime() - a.occurredAt.getTime() || a.steps - b.steps || (a.eventId < b.eventId ? -1 : 1));
  const newest = kept[0]!;
  const others = kept.length - 1;
  return {
    eventIds: [newest.eventId],
    explanation: `Someone ${STEP_WORDS[newest.steps]} from this child in their network was a victim of a ${INCIDENT_KINDS[newest.kind].label.toLowerCase()} on ${day(newest.occurredAt)}, `
      + `within the last ${d.withinDays} days${others ? ` (and ${others} other serious ${others === 1 ? 'incident' : 'incidents'} of violence against someone in the network in that time)` : ''}.`,
  };
}

// The earliest point in the period at which enough different experiences had been recorded;
// later events do not change it, so the evidence is stable while the pattern stands.
function distinctExperiences(d: Extract<RuleDefinition, { kind: 'distinct_experiences' }>, events: RuleEvent[], n: Namer): RuleMatch | null {
  const firstFor = new Map<string, RuleEvent>();
  for (const e of events) {
    for (const f of d.experiences) if (!firstFor.has(f) && e.factors.includes(f)) firstFor.set(f, e);
    if (firstFor.size >= d.atLeast) break;
  }
  if (firstFor.size < d.atLeast) return null;
  const evidence = chronological([...new Map([...firstFor.values()].map((e) => [e.id, e])).values()]);
  const listed = [...firstFor.entries()].map(([f, e]) => `${n.factor(f)} (${n.line(e)})`);
  return {
    eventIds: evidence.map((e) => e.id),
    explanation: `${firstFor.size} different experiences within ${d.withinDays} days: ${listed.join('; ')}.`,
  };
}

function sequence(d: Extract<RuleDefinition, { kind: 'sequence' }>, events: RuleEvent[], end: number, n: Namer): RuleMatch | null {
  const recentFrom = end - d.withinDays * DAY;
  for (let i = 0; i < events.length; i++) {
    const first = events[i]!;
    if (!selects(d.first, first)) continue;
    const limit = first.occurredAt.getTime() + d.withinDays * DAY;
    const then = events.slice(i + 1).filter((e) => e.occurredAt.getTime() <= limit && e.id !== first.id && selects(d.then, e)).slice(0, d.thenAtLeast);
    // The sequence must have completed within the period, so an old pattern does not prompt today.
    if (then.length >= d.thenAtLeast && then[then.length - 1]!.occurredAt.getTime() > recentFrom) {
      return {
        eventIds: [first.id, ...then.map((e) => e.id)],
        explanation: `${n.line(first)}, then within ${d.withinDays} days: ${then.map(n.line).join('; ')}.`,
      };
    }
  }
  return null;
}

// The newest matching event is the critical moment; with atLeast > 1, the ones just before it show it is a repeat.
function criticalMoment(d: Extract<RuleDefinition, { kind: 'critical_moment' }>, events: RuleEvent[], n: Namer): RuleMatch | null {
  const matching = events.filter((e) => selects(d.match, e));
  if (matching.length < d.atLeast) return null;
  const evidence = matching.slice(-d.atLeast);
  const latest = evidence[evidence.length - 1]!;
  const earlier = evidence.slice(0, -1);
  return {
    eventIds: evidence.map((e) => e.id),
    explanation: earlier.length
      ? `${n.line(latest)}, after ${earlier.map(n.line).join('; ')}: ${evidence.length} within ${d.withinDays} days.`
      : `${n.line(latest)}, within the last ${d.withinDays} days.`,
  };
}

function escalation(d: Extract<RuleDefinition, { kind: 'escalation' }>, events: RuleEvent[], end: number, n: Namer): RuleMatch | null {
  const split = end - d.windowDays * DAY;
  const matching = events.filter((e) => selects(d.match, e));
  const recent = matching.filter((e) => e.occurredAt.getTime() > split);
  const before = matching.length - recent.length;
  if (recent.length < d.atLeast || recent.length <= before || recent.length < d.ratio * before) return null;
  return {
    eventIds: recent.map((e) => e.id),
    explanation: `${recent.length} in the last ${d.windowDays} days against ${before} in the ${d.windowDays} days before: ${recent.map(n.line).join('; ')}.`,
  };
}

/** A stable key for a set of evidence: the same events, in any order, give the same key. */
export function evidenceKey(eventIds: readonly string[]): string {
  return createHash('sha256').update([...eventIds].sort().join(',')).digest('hex');
}
