/**
 * The state a family is generated in, and the recorder that turns "this happened to
 * this child on this day" into a chronology entry with full provenance: the agency
 * whose kind the vocabulary allows, its source system and record number, when it
 * was recorded, how reliable it is, and who else was involved.
 */
import type { AgencyKind, EventType, Vocabulary } from '../domain/vocabulary.js';
import type { Sex } from './names.js';
import { LEGACY_SOCIAL_CARE_SYSTEM, SOURCE_SYSTEMS, type OrgRef, type Partnership } from './partnership.js';
import { RECORDS } from './rates.js';
import { dayOf, isoTime, monthStart, yearOf, type Rng } from './random.js';
import { narrate, summarise, type SummaryVars } from './summaries.js';
import type { PeerNetwork } from './network.js';
import type { Experience, Tier, WorldEvent, WorldEventPerson, WorldInvolvement } from './types.js';

/** Before this day social care used its previous system; entries migrated from it keep that name. */
const LEGACY_UNTIL = dayOf('2021-04-01');

/** Where a family lived from one day until (not including) another. */
export interface Spell {
  from: number;
  to: number | null;
  borough: string;
  line1: string;
  postcode: string;
  temporary: boolean;
}

/** A school a child attended from one day until (not including) another. */
export interface SchoolSpell {
  from: number;
  to: number;
  org: OrgRef;
}

/** A move between boroughs. */
export interface BoroughMove {
  kind: 'in' | 'out';
  day: number;
  from: string;
  to: string;
  relocation: boolean;
}

/** A planned exclusion pathway (decided before events so the school history can include the referral unit). */
export interface ExclusionPlan {
  suspensions: number[];
  permanent: number | null;
  alternativeProvision: number | null;
  partTime: number | null;
  managedMove: number | null;
}

/** A child as the generator works on them. */
export interface ChildState {
  id: string;
  dob: number;
  age: number;
  sex: Sex;
  ethnicity: string;
  tier: Tier;
  given: string;
  family: string;
  experiences: Set<Experience>;
  schools: SchoolSpell[];
  exclusion: ExclusionPlan | null;
  /** 0, 1 or 2 for the demo children with rich histories; null otherwise. */
  featured: number | null;
  events: WorldEvent[];
  involvements: WorldInvolvement[];
}

/** A parent, carer or adult relative. */
export interface AdultState {
  id: string;
  role: 'mother' | 'father' | 'carer' | 'relative';
  sex: Sex;
  ethnicity: string | null;
  given: string;
  family: string;
  dob: number;
}

/** A family as the generator works on it. */
export interface FamilyState {
  index: number;
  rng: Rng;
  tier: Tier;
  children: ChildState[];
  adults: AdultState[];
  spells: Spell[];
  gps: Map<string, OrgRef>;
  move: BoroughMove | null;
  experiences: Set<Experience>;
  /** The world's "today" as a day number (the partnership's): every event happens before it. */
  refDay: number;
}

/** Everything shared across families: the partnership, the vocabulary and cross-family state. */
export interface BoroughContext {
  partnership: Partnership;
  vocabulary: Vocabulary;
  types: ReadonlyMap<string, EventType>;
  network: PeerNetwork;
}

/** Where a family lived on a day (before its first spell: the first spell's borough). */
export function boroughAt(fam: FamilyState, day: number): string {
  let borough = fam.spells[0]!.borough;
  for (const s of fam.spells) if (s.from <= day) borough = s.borough;
  return borough;
}

/** The school a child attended on a day, if any. */
export function schoolAt(child: ChildState, day: number): OrgRef | undefined {
  return child.schools.find((s) => s.from <= day && day < s.to)?.org;
}

/** Clamps a day into a child's life so far (born, and before the reference date). */
export function clampDay(child: ChildState, day: number, refDay: number): number {
  return Math.max(child.dob, Math.min(refDay - 1, day));
}

/** A day in a child's life between two ages (years), or null if they have not reached the first yet. */
export function dayInAges(fam: FamilyState, child: ChildState, rng: Rng, fromAge: number, toAge: number): number | null {
  const from = child.dob + Math.floor(fromAge * 365.25);
  const to = Math.min(fam.refDay - 1, child.dob + Math.floor(toAge * 365.25));
  return from > to ? null : rng.dayBetween(from, to);
}

/** Entry types that are police intelligence; about 2% of them are restricted to the recording force. */
const INTELLIGENCE = new Set([
  'seen_with_peers_of_concern', 'seen_in_place_of_concern', 'group_violence_association_concern', 'criminal_exploitation_concern',
  'county_lines_concern', 'sexual_exploitation_concern', 'relative_involved_in_crime',
]);

const CONFIRMED = new Set([
  'permanent_exclusion', 'suspension', 'move_to_alternative_provision', 'managed_move', 'school_move', 'ehc_plan_issued',
  'ae_attendance_injury', 'ae_attendance_stab_wound', 'ae_attendance_intoxication', 'adhd_diagnosis', 'autism_diagnosis',
  'stop_and_search', 'arrest', 'charged', 'court_outcome', 'youth_justice_order', 'custody', 'release_from_custody',
  'nrm_referral', 'nrm_decision', 'assessment_started', 'assessment_completed', 'child_in_need_plan_started',
  'child_protection_plan_started', 'early_help_plan_started', 'early_help_plan_ended', 'became_looked_after', 'case_closed',
  'case_transferred_between_boroughs', 'temporary_accommodation', 'was_not_brought', 'out_of_court_disposal',
]);

/** Entry types that say where something happened. */
const PLACED = new Set(['ae_attendance_injury', 'ae_attendance_intoxication', 'missing_episode', 'outreach_contact']);

const RECORD_PREFIX: Readonly<Record<AgencyKind, string>> = {
  police: 'CR', school: 'SCH', gp: 'GP', acute_hospital: 'ED', community_health: 'CH', camhs: 'CAMHS',
  childrens_social_care: 'SC', early_help: 'EH', youth_justice: 'YJ', targeted_youth_support: 'TYS', housing: 'HSG',
  probation: 'PR', substance_misuse: 'SM', voluntary_sector: 'VS', youth_centre: 'YC',
};

const RECORDING_LAG: Readonly<Partial<Record<AgencyKind, readonly [number, number]>>> = {
  police: [0, 2], acute_hospital: [0, 1], school: [0, 3], gp: [0, 10], community_health: [1, 14], childrens_social_care: [0, 5],
};

/** A child or a person id, with the role they played. */
export type Participant = readonly [string, 'victim' | 'suspect' | 'witness' | 'associate' | 'parent' | 'subject'];

/** How to record an entry; `kinds` is a preference order and each must be allowed by the vocabulary. */
export interface RecordOptions {
  day: number;
  kinds?: readonly AgencyKind[];
  org?: OrgRef;
  also?: readonly ChildState[];
  people?: readonly Participant[];
  precision?: 'time' | 'date' | 'month' | 'approximate';
  place?: string | null;
  factors?: readonly string[];
  vars?: SummaryVars;
  reliability?: 'confirmed' | 'reported' | 'unverified';
  sensitivity?: 'standard' | 'restricted';
}

/** Collects a family's chronology entries and who each one is about. */
export class Recorder {
  readonly events: WorldEvent[] = [];
  readonly eventPeople: WorldEventPerson[] = [];

  constructor(
    private readonly ctx: BoroughContext,
    private readonly fam: FamilyState,
  ) {}

  /** The organisation of a kind that would hold a child's record on a day (their school, their GP, or the borough's agency). */
  orgFor(kind: AgencyKind, child: ChildState, day: number): OrgRef | undefined {
    if (kind === 'school') return schoolAt(child, day);
    const borough = boroughAt(this.fam, day);
    if (kind === 'gp') return this.fam.gps.get(borough) ?? this.fam.gps.get(this.ctx.partnership.borough);
    // Several voluntary organisations and youth centres: any of them may be the one that knows the child.
    const several = this.ctx.partnership.orgsOf(borough, kind);
    return several.length > 1 ? this.fam.rng.pick(several) : this.ctx.partnership.orgOf(borough, kind);
  }

  /** Records an entry about a child; returns null when no allowed agency held the child that day. */
  record(code: string, subject: ChildState, o: RecordOptions): WorldEvent | null {
    const type = this.ctx.types.get(code);
    if (!type) throw new Error(`Event type "${code}" is not in vocabulary ${this.ctx.vocabulary.version}`);
    const rng = this.fam.rng;
    const day = clampDay(subject, o.day, this.fam.refDay);
    let org = o.org;
    if (org) assertKind(type, org.kind);
    for (const kind of o.kinds ?? []) {
      if (org) break;
      assertKind(type, kind);
      org = this.orgFor(kind, subject, day);
    }
    if (!org) return null;

    const precision = o.precision ?? defaultPrecision(org.kind, day, this.fam.refDay, rng);
    // Brothers and sisters not yet born that day are not part of it.
    const also = (o.also ?? []).filter((c) => c.dob <= day);
    // A month-precision date is the 1st, but never before any subject was born.
    const youngest = Math.max(subject.dob, ...also.map((c) => c.dob));
    const occurredDay = precision === 'month' ? Math.max(monthStart(day), youngest) : day;
    const minutes = precision === 'time' ? eveningMinutes(rng) : 0;
    const [lagMin, lagMax] = RECORDING_LAG[org.kind] ?? [0, 7];
    const lag = rng.int(lagMin, lagMax);
    const recordedMinutes = lag === 0 && precision === 'time' ? minutes + rng.int(20, 240) : rng.int(9 * 60, 17 * 60 + 30);
    const recorded = Math.min((occurredDay + lag) * 1440 + recordedMinutes, this.fam.refDay * 1440 + 18 * 60);
    const occurred = occurredDay * 1440 + minutes;

    const wantsPlace = type.category === 'police_justice' || type.category === 'community' || PLACED.has(code);
    const place = o.place !== undefined ? o.place : wantsPlace && rng.chance(0.75) ? this.ctx.network.place(rng) : null;
    const system = org.kind === 'childrens_social_care' && day < LEGACY_UNTIL ? LEGACY_SOCIAL_CARE_SYSTEM : SOURCE_SYSTEMS[org.kind];
    const event: WorldEvent = {
      id: rng.uuid(),
      event_type_code: code,
      vocabulary_version: this.ctx.vocabulary.version,
      occurred_at: isoTime(0, occurred),
      occurred_precision: precision,
      recorded_at: isoTime(0, Math.max(recorded, occurred)),
      recorded_by_user_id: null,
      recorded_via: 'synthetic',
      api_key_id: null,
      organisation_id: org.id,
      source_system: system,
      source_record_id: rng.chance(RECORDS.missingSourceRecordId) ? null : `${RECORD_PREFIX[org.kind]}-${yearOf(day)}-${rng.digits(6)}`,
      summary: summarise(code, rng, { place: place ?? 'the local area', ...o.vars }, org.kind),
      narrative: rng.chance(RECORDS.narrative) ? narrate(type.category, rng) : null,
      place,
      factor_codes: [...(o.factors ?? [])],
      sensitivity: o.sensitivity ?? (INTELLIGENCE.has(code) && org.kind === 'police' && rng.chance(RECORDS.restrictedIntelligence) ? 'restricted' : 'standard'),
      reliability: o.reliability ?? defaultReliability(code, rng),
      supersedes: null,
      correction_reason: null,
    };
    this.events.push(event);
    const seen = new Set<string>();
    const add = (personId: string, role: string) => {
      const key = `${personId}|${role}`;
      if (seen.has(key)) return;
      seen.add(key);
      this.eventPeople.push({ event_id: event.id, person_id: personId, role });
    };
    for (const c of [subject, ...also]) {
      add(c.id, 'subject');
      c.events.push(event);
    }
    for (const [personId, role] of o.people ?? []) add(personId, role);
    return event;
  }
}

function assertKind(type: EventType, kind: AgencyKind): void {
  // A programming error, not data: fail loudly so the vocabulary and the generator never drift apart.
  if (!type.agencyKinds.includes(kind)) throw new Error(`Event type "${type.code}" cannot be recorded by a ${kind} organisation`);
}

function defaultPrecision(kind: AgencyKind, day: number, refDay: number, rng: Rng): 'time' | 'date' | 'month' | 'approximate' {
  // Old entries migrated between systems often kept only the month.
  if (refDay - day > 8 * 365 && rng.chance(0.3)) return 'month';
  if (kind === 'police' || kind === 'acute_hospital') return 'time';
  return 'date';
}

function eveningMinutes(rng: Rng): number {
  // Police and A&E contacts with adolescents cluster in the afternoon and evening.
  return rng.chance(0.75) ? rng.int(15 * 60, 23 * 60 + 59) : rng.int(0, 15 * 60 - 1);
}

function defaultReliability(code: string, rng: Rng): 'confirmed' | 'reported' | 'unverified' {
  if (CONFIRMED.has(code)) return 'confirmed';
  if (INTELLIGENCE.has(code)) return rng.weighted([['unverified', 40], ['reported', 45], ['confirmed', 15]] as const);
  return rng.chance(0.8) ? 'reported' : 'confirmed';
}

/** An involvement row; the helper keeps dates inside the world and ends those the reference date has passed. */
export function involvementRow(rng: Rng, o: { personId: string; org: OrgRef; teamId: string | null; userId: string | null; role: string; start: number; end: number | null; refDay: number }): WorldInvolvement {
  const start = Math.min(o.start, o.refDay - 1);
  const end = o.end === null || o.end >= o.refDay ? null : Math.max(o.end, start);
  return {
    id: rng.uuid(), person_id: o.personId, organisation_id: o.org.id, team_id: o.teamId, user_id: o.userId, role: o.role,
    started_on: isoTime(start).slice(0, 10), ended_on: end === null ? null : isoTime(end).slice(0, 10),
  };
}
