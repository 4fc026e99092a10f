import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import {
  AGENCY_KINDS,
  CATEGORY_CODES,
  findEventType,
  findFactor,
  loadVocabulary,
  parseVocabulary,
  type Vocabulary,
} from './vocabulary.js';

const vocabulary = loadVocabulary();

/** A fresh, mutable copy of the published file for negative tests. */
function rawCopy(): Vocabulary {
  return JSON.parse(readFileSync(new URL('./vocabulary/vocabulary.v1.json', import.meta.url), 'utf8')) as Vocabulary;
}

// Everything the product brief and the reviews say a practitioner must be able to record.
const REQUIRED_EVENT_TYPES = [
  'permanent_exclusion',
  'suspension',
  'attendance_concern',
  'move_to_alternative_provision',
  'missing_episode',
  'return_home_interview',
  'was_not_brought',
  'domestic_abuse_notification',
  'stop_and_search',
  'arrest',
  'weapon_incident',
  'ae_attendance_injury',
  'ae_attendance_stab_wound',
  'bereavement_through_violence',
  'referral_to_childrens_social_care',
  'referral_to_early_help',
  'assessment_started',
  'assessment_completed',
  'child_in_need_plan_started',
  'child_in_need_plan_ended',
  'child_protection_plan_started',
  'child_protection_plan_ended',
  'became_looked_after',
  'ceased_looked_after',
  'case_closed',
  'change_of_address',
  'move_to_another_borough',
  'send_assessment_requested',
  'ehc_plan_issued',
  'camhs_referral',
  'nrm_referral',
  'speech_language_need_identified',
  'adhd_diagnosis',
  'relative_involved_in_crime',
  'victim_of_crime',
  'suspect_in_offence',
  'charged',
  'court_outcome',
  'youth_justice_order',
  'custody',
  'online_harm_reported',
  'criminal_exploitation_concern',
  'sexual_exploitation_concern',
  'county_lines_concern',
  'temporary_accommodation',
  'eviction_or_homelessness',
  'overcrowding',
  'parental_substance_misuse',
  'parental_mental_health_concern',
  'parent_in_custody',
  'young_carer_identified',
  'seen_with_peers_of_concern',
  'youth_club_attendance',
  'mentoring_started',
  'trusted_adult_identified',
  'positive_activity',
] as const;

const REQUIRED_FACTORS = {
  vulnerability: [
    'domestic_abuse',
    'send_need',
    'speech_language_communication_need',
    'adhd',
    'not_brought_to_health_appointments',
    'excluded_from_school',
    'in_alternative_provision',
    'poor_attendance',
    'frequent_moves',
    'poverty',
    'insecure_housing',
    'relative_involved_in_crime',
    'bereaved_through_violence',
    'going_missing',
  ],
  risk: [
    'carrying_weapon',
    'criminal_exploitation',
    'sexual_exploitation',
    'county_lines',
    'gang_association',
    'online_harm',
    'substance_misuse',
    'violence_towards_others',
  ],
  protective: [
    'trusted_adult',
    'engaged_in_education',
    'positive_activity',
    'supportive_family_member',
    'stable_housing',
    'mentoring',
  ],
} as const;

// Events that every involved agency must hear about at once (BRIEF: "follow the child").
const MUST_BE_SIGNIFICANT = [
  'permanent_exclusion',
  'missing_episode',
  'weapon_incident',
  'ae_attendance_stab_wound',
  'arrest',
  'bereavement_through_violence',
  'criminal_exploitation_concern',
  'sexual_exploitation_concern',
  'county_lines_concern',
  'nrm_referral',
  'move_to_another_borough',
];

// The CIN census factor codes as enumerated in the DfE CIN schema (assessmentfactorstype).
const CIN_SCHEMA_CODES = [
  '1A', '1B', '1C', '2A', '2B', '2C', '3A', '3B', '3C', '4A', '4B', '4C', '5A', '5B', '5C',
  '6A', '6B', '6C', '7A', '8B', '8C', '8D', '8E', '8F', '9A', '10A', '11A', '12A', '13A', '14A',
  '15A', '16A', '17A', '18B', '18C', '19B', '19C', '20', '21', '22A', '23A', '24A',
];

describe('vocabulary v1', () => {
  it('loads, is version 1 and is cached and frozen', () => {
    expect(vocabulary.version).toBe('1');
    expect(vocabulary.publishedOn).toBe('2026-11-23');
    expect(loadVocabulary('1')).toBe(vocabulary);
    expect(Object.isFrozen(vocabulary.eventTypes[0])).toBe(true);
  });

  it('has exactly the nine categories, each used by at least one event type', () => {
    expect(vocabulary.categories.map((c) => c.code)).toEqual([...CATEGORY_CODES]);
    for (const c of CATEGORY_CODES) {
      expect(vocabulary.eventTypes.some((e) => e.category === c), c).toBe(true);
    }
  });

  it('has at least 48 event types and 30 factors with unique snake_case codes', () => {
    expect(vocabulary.eventTypes.length).toBeGreaterThanOrEqual(48);
    expect(vocabulary.factors.length).toBeGreaterThanOrEqual(30);
    const eventCodes = vocabulary.eventTypes.map((e) => e.code);
    const factorCodes = vocabulary.factors.map((f) => f.code);
    expect(new Set(eventCodes).size).toBe(eventCodes.length);
    expect(new Set(factorCodes).size).toBe(factorCodes.length);
    for (const c of [...eventCodes, ...factorCodes]) expect(c).toMatch(/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/);
  });

  it('only references defined factors, categories, agency kinds and CIN codes', () => {
    const factorCodes = new Set(vocabulary.factors.map((f) => f.code));
    const cinCodes = new Set(vocabulary.cinFactorCodes.map((c) => c.code));
    for (const e of vocabulary.eventTypes) {
      expect(CATEGORY_CODES).toContain(e.category);
      for (const f of e.impliesFactors) expect(factorCodes.has(f), `${e.code} -> ${f}`).toBe(true);
      for (const a of e.agencyKinds) expect(AGENCY_KINDS).toContain(a);
    }
    for (const f of vocabulary.factors) {
      for (const c of f.cinFactors) expect(cinCodes.has(c), `${f.code} -> ${c}`).toBe(true);
    }
  });

  it('carries the CIN census factor codes exactly as the DfE schema enumerates them', () => {
    expect(vocabulary.cinFactorCodes.map((c) => c.code)).toEqual(CIN_SCHEMA_CODES);
    expect(vocabulary.cinFactorCodes.find((c) => c.code === '24A')?.label).toMatch(/criminal exploitation/i);
    expect(vocabulary.cinFactorCodes.find((c) => c.code === '10A')?.label).toMatch(/^Missing/);
  });

  it('maps key factors to the right CIN codes', () => {
    expect(findFactor(vocabulary, 'domestic_abuse')?.cinFactors).toEqual(['3A', '3B', '3C']);
    expect(findFactor(vocabulary, 'going_missing')?.cinFactors).toEqual(['10A']);
    expect(findFactor(vocabulary, 'sexual_exploitation')?.cinFactors).toEqual(['11A']);
    expect(findFactor(vocabulary, 'criminal_exploitation')?.cinFactors).toEqual(['24A']);
    expect(findFactor(vocabulary, 'gang_association')?.cinFactors).toEqual(['13A']);
    expect(findFactor(vocabulary, 'young_carer')?.cinFactors).toEqual(['7A']);
    expect(findFactor(vocabulary, 'self_harm')?.cinFactors).toEqual(['15A']);
  });

  it('covers every required event type', () => {
    const missing = REQUIRED_EVENT_TYPES.filter((c) => !findEventType(vocabulary, c));
    expect(missing).toEqual([]);
  });

  it('covers every required factor with the right kind', () => {
    for (const [kind, codes] of Object.entries(REQUIRED_FACTORS)) {
      for (const c of codes) expect(findFactor(vocabulary, c)?.kind, c).toBe(kind);
    }
  });

  it('marks critical events as significant and routine ones as not', () => {
    for (const c of MUST_BE_SIGNIFICANT) expect(findEventType(vocabulary, c)?.significant, c).toBe(true);
    expect(findEventType(vocabulary, 'youth_club_attendance')?.significant).toBe(false);
    expect(findEventType(vocabulary, 'change_of_address')?.significant).toBe(false);
  });

  it('links the common experiences to the events that evidence them', () => {
    expect(findEventType(vocabulary, 'permanent_exclusion')?.impliesFactors).toContain('excluded_from_school');
    expect(findEventType(vocabulary, 'was_not_brought')?.impliesFactors).toContain('not_brought_to_health_appointments');
    expect(findEventType(vocabulary, 'mentoring_started')?.impliesFactors).toContain('mentoring');
    expect(findEventType(vocabulary, 'county_lines_concern')?.impliesFactors).toContain('criminal_exploitation');
  });

  it('gives every entry a plain definition and every factor an evidence note', () => {
    for (const e of vocabulary.eventTypes) expect(e.definition.length, e.code).toBeGreaterThan(20);
    for (const f of vocabulary.factors) {
      expect(f.definition.length, f.code).toBeGreaterThan(20);
      expect(f.evidence.length, f.code).toBeGreaterThan(20);
    }
  });
});

describe('vocabulary validation', () => {
  it('accepts the published file', () => {
    expect(() => parseVocabulary(rawCopy())).not.toThrow();
  });

  it('rejects duplicate event type and factor codes', () => {
    const v = rawCopy();
    v.eventTypes.push({ ...v.eventTypes[0]! });
    v.factors.push({ ...v.factors[0]! });
    expect(() => parseVocabulary(v)).toThrow(/duplicate event type code "permanent_exclusion"[\s\S]*duplicate factor code/);
  });

  it('rejects an implied factor that is not defined', () => {
    const v = rawCopy();
    v.eventTypes[0]!.impliesFactors = ['no_such_factor'];
    expect(() => parseVocabulary(v)).toThrow(/implies undefined factor "no_such_factor"/);
  });

  it('rejects an unknown or missing category', () => {
    const v = rawCopy();
    (v.eventTypes[0] as { category: string }).category = 'leisure';
    expect(() => parseVocabulary(v)).toThrow(/eventTypes\.0\.category/);
    const w = rawCopy();
    w.categories = w.categories.filter((c) => c.code !== 'online');
    expect(() => parseVocabulary(w)).toThrow(/category "online" is missing/);
  });

  it('rejects a CIN factor code that is not in the list', () => {
    const v = rawCopy();
    v.factors[0]!.cinFactors = ['99Z'];
    expect(() => parseVocabulary(v)).toThrow(/undefined CIN factor code "99Z"/);
  });

  it('rejects an unknown agency kind and a badly formed code', () => {
    const v = rawCopy();
    (v.eventTypes[0]!.agencyKinds as string[]) = ['dentist'];
    expect(() => parseVocabulary(v)).toThrow(/agencyKinds/);
    const w = rawCopy();
    w.factors[0]!.code = 'Domestic Abuse';
    expect(() => parseVocabulary(w)).toThrow(/snake_case/);
  });

  it('refuses unpublished or malformed versions', () => {
    expect(() => loadVocabulary('../x')).toThrow(/Unknown vocabulary version/);
    expect(() => loadVocabulary('99')).toThrow();
  });
});
