import { describe, expect, it } from 'vitest';
import { loadVocabulary } from '../vocabulary.js';
import { evaluateRule, evidenceKey, type RuleEvent } from './evaluate.js';
import { cooldownDays, describeRule, parseRuleDefinition, type RuleDefinition } from './rule-language.js';

const asOf = new Date('2026-11-01T12:00:00Z');
let n = 0;
const ev = (type: string, date: string, factors: string[] = []): RuleEvent => ({ id: `e${String(++n).padStart(3, '0')}`, eventTypeCode: type, occurredAt: new Date(`${date}T10:00:00Z`), factors });
const parse = (raw: unknown): RuleDefinition => {
  const r = parseRuleDefinition(raw, loadVocabulary('1'));
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.definition;
};

describe('rule language', () => {
  it('names each problem with its place in the definition', () => {
    const r = parseRuleDefinition({ kind: 'sequence', first: { eventTypes: ['no_such_type'] }, then: {}, withinDays: 0 }, loadVocabulary('1'));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => p.path).sort()).toEqual(['then', 'withinDays']);
    const v = parseRuleDefinition({ kind: 'critical_moment', match: { eventTypes: ['no_such_type'], factors: ['nor_this'] }, withinDays: 30 }, loadVocabulary('1'));
    expect(v).toEqual({ ok: false, problems: [
      { path: 'match.eventTypes.0', message: '"no_such_type" is not an event type in the vocabulary' },
      { path: 'match.factors.0', message: '"nor_this" is not a factor in the vocabulary' },
    ] });
  });

  it('refuses unknown properties and an impossible threshold', () => {
    const r = parseRuleDefinition({ kind: 'distinct_experiences', experiences: ['domestic_abuse', 'neglect'], atLeast: 3, withinDays: 365, colour: 'red' }, loadVocabulary('1'));
    expect(r.ok).toBe(false);
  });

  it('describes a rule in words and gives critical moments no cool-down', () => {
    const d = parse({ kind: 'critical_moment', match: { eventTypes: ['ae_attendance_stab_wound'] }, atLeast: 2, withinDays: 365 });
    expect(describeRule(d)).toBe('The second ae attendance stab wound within 365 days.');
    expect(cooldownDays(d)).toBe(0);
    expect(cooldownDays(parse({ kind: 'escalation', match: { eventTypes: ['arrest'] }, windowDays: 60, atLeast: 3 }))).toBe(60);
  });
});

describe('evaluating rules', () => {
  const distinct = () => parse({ kind: 'distinct_experiences', experiences: ['domestic_abuse', 'excluded_from_school', 'going_missing', 'frequent_moves'], atLeast: 3, withinDays: 365 });

  it('matches several distinct experiences in the period, naming the first event for each', () => {
    const a = ev('domestic_abuse_notification', '2026-02-01', ['domestic_abuse']);
    const b = ev('domestic_abuse_notification', '2026-03-01', ['domestic_abuse']);
    const c = ev('suspension', '2026-04-01', ['excluded_from_school']);
    const old = ev('missing_episode', '2025-06-01', ['going_missing']); // outside the year
    const d = ev('missing_episode', '2026-06-01', ['going_missing']);
    const later = ev('school_move', '2026-07-01', ['frequent_moves']);
    const m = evaluateRule(distinct(), [later, d, old, c, b, a], asOf);
    expect(m?.eventIds).toEqual([a.id, c.id, d.id]);
    expect(m?.explanation).toContain('3 different experiences within 365 days');
    expect(m?.explanation).toContain('domestic abuse (domestic abuse notification on 2026-02-01)');
    expect(evaluateRule(distinct(), [a, b, c, old], asOf)).toBeNull();
  });

  it('keeps the same evidence when later events arrive, so the evidence key is stable', () => {
    const base = [ev('domestic_abuse_notification', '2026-02-01', ['domestic_abuse']), ev('suspension', '2026-04-01', ['excluded_from_school']), ev('missing_episode', '2026-06-01', ['going_missing'])];
    const first = evaluateRule(distinct(), base, asOf)!;
    const again = evaluateRule(distinct(), [...base, ev('school_move', '2026-09-01', ['frequent_moves'])], asOf)!;
    expect(again.eventIds).toEqual(first.eventIds);
    expect(evidenceKey(again.eventIds)).toBe(evidenceKey([...first.eventIds].reverse()));
  });

  it('matches a sequence only in order and within the window', () => {
    const rule = parse({ kind: 'sequence', first: { eventTypes: ['permanent_exclusion', 'suspension'] }, then: { eventTypes: ['missing_episode'] }, thenAtLeast: 2, withinDays: 90 });
    const m1 = ev('missing_episode', '2026-03-01');
    const ex = ev('suspension', '2026-03-10');
    const m2 = ev('missing_episode', '2026-04-01');
    const asOfJune = new Date('2026-06-30T00:00:00Z');
    expect(evaluateRule(rule, [m1, ex, m2], asOfJune)).toBeNull(); // only one missing episode after the exclusion
    const m3 = ev('missing_episode', '2026-05-20');
    const m4 = ev('missing_episode', '2026-07-01'); // more than 90 days after
    expect(evaluateRule(rule, [m1, ex, m2, m4], new Date('2026-07-02T00:00:00Z'))).toBeNull();
    expect(evaluateRule(rule, [m1, ex, m2, m3, m4], asOfJune)?.eventIds).toEqual([ex.id, m2.id, m3.id]);
    expect(evaluateRule(rule, [m1, ex, m2, m3, m4], asOf)).toBeNull(); // completed more than 90 days before
    expect(describeRule(rule)).toBe('permanent exclusion or suspension, followed within 90 days by 2 or more of missing episode.');
  });

  it('treats each new critical moment as new evidence, and a second stabbing as a repeat', () => {
    const rule = parse({ kind: 'critical_moment', match: { eventTypes: ['ae_attendance_stab_wound', 'victim_of_serious_violence'] }, atLeast: 2, withinDays: 365 });
    const s1 = ev('ae_attendance_stab_wound', '2026-01-05');
    expect(evaluateRule(rule, [s1], asOf)).toBeNull();
    const s2 = ev('victim_of_serious_violence', '2026-05-05');
    expect(evaluateRule(rule, [s1, s2], asOf)?.eventIds).toEqual([s1.id, s2.id]);
    const s3 = ev('ae_attendance_stab_wound', '2026-08-05');
    expect(evaluateRule(rule, [s1, s2, s3], asOf)?.eventIds).toEqual([s2.id, s3.id]);
    const single = parse({ kind: 'critical_moment', match: { factors: ['bereaved_through_violence'] }, withinDays: 90 });
    expect(evaluateRule(single, [ev('bereavement_through_violence', '2026-06-01', ['bereaved_through_violence'])], asOf)).toBeNull(); // too long ago
    const recent = ev('bereavement_through_violence', '2026-10-01', ['bereaved_through_violence']);
    expect(evaluateRule(single, [recent], asOf)?.explanation).toBe('bereavement through violence on 2026-10-01, within the last 90 days.');
  });

  it('finds escalation against the window before', () => {
    const rule = parse({ kind: 'escalation', match: { eventTypes: ['missing_episode', 'arrest'] }, windowDays: 90, atLeast: 3, ratio: 2 });
    const before = [ev('arrest', '2026-06-01'), ev('missing_episode', '2026-07-01')];
    const recent = [ev('missing_episode', '2026-08-10'), ev('arrest', '2026-09-01'), ev('missing_episode', '2026-10-01')];
    expect(evaluateRule(rule, [...before, ...recent], asOf)).toBeNull(); // 3 against 2 is not double
    const more = ev('missing_episode', '2026-10-20');
    const m = evaluateRule(rule, [...before, ...recent, more], asOf);
    expect(m?.eventIds).toEqual([...recent, more].map((e) => e.id));
    expect(m?.explanation).toMatch(/^4 in the last 90 days against 2 in the 90 days before/);
  });

  it('ignores events after the moment it runs as of', () => {
    const rule = parse({ kind: 'critical_moment', match: { eventTypes: ['witness_to_serious_violence'] }, withinDays: 30 });
    expect(evaluateRule(rule, [ev('witness_to_serious_violence', '2026-11-05')], asOf)).toBeNull();
  });
});

describe('explanations', () => {
  it('use the vocabulary labels when given', () => {
    const rule = parse({ kind: 'distinct_experiences', experiences: ['domestic_abuse', 'going_missing'], atLeast: 2, withinDays: 365 });
    const events = [ev('domestic_abuse_notification', '2026-05-01', ['domestic_abuse']), ev('missing_episode', '2026-06-01', ['going_missing'])];
    const v = loadVocabulary('1');
    const labels = { eventType: (c: string) => v.eventTypes.find((t) => t.code === c)?.label, factor: (c: string) => v.factors.find((f) => f.code === c)?.label };
    expect(evaluateRule(rule, events, asOf, labels)?.explanation).toBe(
      `2 different experiences within 365 days: domestic abuse in the home (${v.eventTypes.find((t) => t.code === 'domestic_abuse_notification')!.label.toLowerCase()} on 2026-05-01); going missing (missing episode on 2026-06-01).`,
    );
  });
});
