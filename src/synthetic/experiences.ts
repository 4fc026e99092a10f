/**
 * Life histories: the common experiences the reviews found in children later hurt by
 * youth violence, recorded by whichever agency would have seen each one, and for a
 * minority the escalation that followed (missing, exclusion, stop and search, weapons,
 * injuries, exploitation, NRM referral). Each agency sees only its own piece.
 */
import type { AgencyKind } from '../domain/vocabulary.js';
import { DISPROPORTIONALITY, ESCALATION } from './rates.js';
import { boroughAt, dayInAges, schoolAt, type BoroughContext, type ChildState, type FamilyState, type Participant, type Recorder } from './history.js';
import type { Rng } from './random.js';
import type { Experience, WorldEvent } from './types.js';

const YEAR = 365;

/** Every event type code the generator may record; checked against the vocabulary at start-up. */
export const USED_EVENT_CODES = [
  'permanent_exclusion', 'suspension', 'attendance_concern', 'part_time_timetable', 'move_to_alternative_provision',
  'managed_move', 'school_move', 'child_missing_education', 'send_assessment_requested', 'ehc_plan_issued',
  'education_engagement_noted', 'was_not_brought', 'ae_attendance_injury', 'ae_attendance_stab_wound',
  'ae_attendance_intoxication', 'self_harm_presentation', 'camhs_referral', 'speech_language_need_identified',
  'adhd_diagnosis', 'autism_diagnosis', 'substance_misuse_referral', 'missing_episode', 'police_welfare_concern',
  'stop_and_search', 'arrest', 'weapon_incident', 'victim_of_crime', 'victim_of_serious_violence',
  'witness_to_serious_violence', 'suspect_in_offence', 'charged', 'released_under_investigation',
  'referral_to_childrens_social_care', 'referral_to_early_help', 'assessment_started', 'assessment_completed',
  'section_47_enquiry', 'strategy_meeting', 'early_help_plan_started', 'early_help_plan_ended',
  'child_in_need_plan_started', 'child_protection_plan_started', 'became_looked_after', 'placement_move',
  'return_home_interview', 'nrm_referral', 'nrm_decision', 'allocated_worker_changed', 'case_transferred_between_boroughs',
  'case_closed', 'out_of_court_disposal', 'court_outcome', 'youth_justice_order', 'custody', 'release_from_custody',
  'youth_justice_prevention_started', 'change_of_address', 'move_to_another_borough', 'relocation_for_safety',
  'temporary_accommodation', 'eviction_or_homelessness', 'overcrowding', 'domestic_abuse_notification',
  'parental_substance_misuse', 'parental_mental_health_concern', 'parent_in_custody', 'relative_involved_in_crime',
  'young_carer_identified', 'bereavement_through_violence', 'financial_hardship_identified', 'child_to_parent_violence',
  'supportive_family_member_identified', 'criminal_exploitation_concern', 'sexual_exploitation_concern',
  'county_lines_concern', 'group_violence_association_concern', 'seen_with_peers_of_concern', 'seen_in_place_of_concern',
  'youth_club_attendance', 'outreach_contact', 'mentoring_started', 'trusted_adult_identified', 'positive_activity',
  'online_harm_reported', 'online_threats_or_taunts', 'online_sexual_harm', 'online_bullying',
] as const;

function adult(fam: FamilyState, role: 'mother' | 'father' | 'carer' | 'relative') {
  return fam.adults.find((a) => a.role === role);
}

function mainCarer(fam: FamilyState): Participant[] {
  const carer = adult(fam, 'mother') ?? adult(fam, 'carer') ?? adult(fam, 'father');
  return carer ? [[carer.id, 'parent']] : [];
}

function bornBy(fam: FamilyState, day: number): ChildState[] {
  return fam.children.filter((c) => c.dob <= day);
}

function days(rng: Rng, n: number, from: number, to: number): number[] {
  return Array.from({ length: n }, () => rng.dayBetween(from, to)).sort((a, b) => a - b);
}

function disproportionate(child: ChildState, p: number, factor: number): number {
  return DISPROPORTIONALITY.codes.includes(child.ethnicity) ? Math.min(0.97, p * factor) : p;
}

/** Entries that a whole household shares: domestic abuse, hardship, moves, a relative in crime, parental health. */
export function familyExperiences(ctx: BoroughContext, fam: FamilyState, rec: Recorder): void {
  const rng = fam.rng;
  const oldest = fam.children[0]!;
  const start = Math.max(oldest.dob + 60, fam.spells[0]!.from);
  const heavy = fam.tier === 'escalating' || fam.tier === 'complex';

  if (fam.experiences.has('domestic_abuse')) {
    const incidents = days(rng, rng.int(heavy ? 2 : 1, heavy ? 5 : 3), start, fam.refDay - 1);
    incidents.forEach((day, i) => {
      const kids = bornBy(fam, day);
      const father = adult(fam, 'father');
      const people: Participant[] = [...mainCarer(fam)];
      if (father && rng.chance(0.6)) people.push([father.id, 'suspect']);
      const old = fam.refDay - day > 6 * YEAR;
      rec.record('domestic_abuse_notification', kids[0]!, { day, kinds: ['police'], also: kids.slice(1), people, factors: ['domestic_abuse'], precision: old && rng.chance(0.2) ? 'approximate' : 'time' });
      // Schools hear the next morning, and record it in their own system.
      for (const k of kids) if (schoolAt(k, day + 1) && rng.chance(0.5)) rec.record('domestic_abuse_notification', k, { day: day + 1, kinds: ['school'] });
      if (i === 0 && rng.chance(0.5)) {
        rec.record('referral_to_childrens_social_care', kids[0]!, { day: day + rng.int(0, 3), kinds: ['police'], also: kids.slice(1), factors: ['domestic_abuse'], vars: { referrer: 'the police' } });
      }
    });
  }

  if (fam.experiences.has('poverty_housing')) {
    for (const day of days(rng, rng.int(1, 2), start, fam.refDay - 1)) {
      const kids = bornBy(fam, day);
      rec.record('financial_hardship_identified', kids[0]!, { day, kinds: rng.pick([['early_help'], ['school', 'early_help'], ['housing']] as AgencyKind[][]), also: kids.slice(1), people: mainCarer(fam) });
    }
    if (rng.chance(0.4)) {
      const day = rng.dayBetween(start, fam.refDay - 1);
      const kids = bornBy(fam, day);
      rec.record('overcrowding', kids[0]!, { day, kinds: ['housing'], also: kids.slice(1), vars: { count: kids.length } });
    }
  }
  for (const [i, spell] of fam.spells.entries()) {
    if (i === 0) continue;
    const kids = bornBy(fam, spell.from);
    if (!kids.length) continue;
    if (spell.temporary) {
      if (rng.chance(0.5)) rec.record('eviction_or_homelessness', kids[0]!, { day: spell.from - rng.int(7, 40), kinds: ['housing'], also: kids.slice(1), people: mainCarer(fam) });
      rec.record('temporary_accommodation', kids[0]!, { day: spell.from, kinds: ['housing'], also: kids.slice(1) });
    } else if (fam.spells[i - 1]!.borough === spell.borough && rng.chance(fam.experiences.has('frequent_moves') ? 0.85 : 0.5)) {
      rec.record('change_of_address', kids[0]!, { day: spell.from, kinds: rng.pick([['housing'], ['school', 'gp'], ['gp']] as AgencyKind[][]), also: kids.slice(1) });
    }
  }
  if (fam.move) {
    const m = fam.move;
    const kids = bornBy(fam, m.day);
    if (kids.length) {
      const code = m.relocation ? 'relocation_for_safety' : 'move_to_another_borough';
      const kinds: AgencyKind[] = m.relocation ? ['childrens_social_care'] : rng.pick([['housing'], ['school', 'gp'], ['gp'], ['police']] as AgencyKind[][]);
      // Recorded by the borough the family left: the receiving borough starts with nothing.
      rec.record(code, kids[0]!, { day: m.day - 1, kinds, also: kids.slice(1), vars: { borough: m.to }, reliability: 'confirmed' });
    }
  }

  if (fam.experiences.has('relative_in_crime')) {
    const relative = adult(fam, 'relative') ?? adult(fam, 'father');
    const day = rng.dayBetween(start, fam.refDay - 1);
    const kids = bornBy(fam, day).filter((k) => day - k.dob > 5 * YEAR);
    if (kids.length && relative) {
      rec.record('relative_involved_in_crime', kids[0]!, { day, kinds: rng.pick([['police'], ['probation'], ['youth_justice']] as AgencyKind[][]), also: kids.slice(1), people: [[relative.id, 'associate']], factors: ['relative_involved_in_crime'] });
    }
    const father = adult(fam, 'father');
    if (father && rng.chance(0.4)) {
      const d = rng.dayBetween(start, fam.refDay - 1);
      const kids2 = bornBy(fam, d);
      rec.record('parent_in_custody', kids2[0]!, { day: d, kinds: ['probation', 'police'], also: kids2.slice(1), people: [[father.id, 'parent']] });
    }
  }

  if (fam.experiences.has('parental_mental_health')) {
    for (const day of days(rng, rng.int(1, 2), start, fam.refDay - 1)) {
      const kids = bornBy(fam, day);
      rec.record('parental_mental_health_concern', kids[0]!, { day, kinds: rng.pick([['gp'], ['community_health'], ['childrens_social_care']] as AgencyKind[][]), also: kids.slice(1), people: mainCarer(fam) });
    }
    if (rng.chance(0.35)) {
      const day = rng.dayBetween(start, fam.refDay - 1);
      const kids = bornBy(fam, day);
      rec.record('parental_substance_misuse', kids[0]!, { day, kinds: rng.pick([['substance_misuse'], ['gp'], ['childrens_social_care']] as AgencyKind[][]), also: kids.slice(1), people: mainCarer(fam) });
    }
    for (const k of fam.children) {
      const day = dayInAges(fam, k, rng, 8, 17);
      if (day !== null && rng.chance(0.3)) rec.record('young_carer_identified', k, { day, kinds: ['school', 'early_help'] });
    }
  }

  if (fam.experiences.has('bereavement_violence')) {
    const day = rng.dayBetween(Math.max(start, fam.refDay - 6 * YEAR), fam.refDay - 1);
    const kids = bornBy(fam, day).filter((k) => day - k.dob > 5 * YEAR);
    if (kids.length) rec.record('bereavement_through_violence', kids[0]!, { day, kinds: ['school', 'childrens_social_care', 'voluntary_sector'], also: kids.slice(1), precision: rng.chance(0.5) ? 'approximate' : 'date', factors: ['bereaved_through_violence'] });
  }
  // The referral unit and school changes that were planned with the school history.
  for (const child of fam.children) schoolChanges(child, fam, rec);
}

function schoolChanges(child: ChildState, fam: FamilyState, rec: Recorder): void {
  for (let i = 1; i < child.schools.length; i += 1) {
    const s = child.schools[i]!;
    const prev = child.schools[i - 1]!;
    if (s.from !== prev.to) continue;
    if (s.org.phase === 'ap') continue; // recorded by the exclusion pathway
    if (prev.org.phase === s.org.phase || boroughAt(fam, s.from) !== boroughAt(fam, prev.from)) {
      rec.record('school_move', child, { day: s.from, org: s.org });
    }
  }
}

/** The experiences that belong to one child: needs, missed appointments, school, going missing. */
export function childExperiences(ctx: BoroughContext, fam: FamilyState, child: ChildState, rec: Recorder): void {
  const rng = fam.rng;
  const x = child.experiences;
  if (x.has('send_need')) {
    const slc = dayInAges(fam, child, rng, 2, 4.5);
    if (slc !== null && rng.chance(0.6)) rec.record('speech_language_need_identified', child, { day: slc, kinds: ['community_health'] });
    const ask = dayInAges(fam, child, rng, 5, 10);
    if (ask !== null && rng.chance(0.7)) {
      const e = rec.record('send_assessment_requested', child, { day: ask, kinds: ['school', 'early_help'] });
      if (e && rng.chance(0.45)) rec.record('ehc_plan_issued', child, { day: ask + rng.int(110, 200), kinds: ['school'] });
    }
    const adhd = dayInAges(fam, child, rng, 7, 14);
    if (adhd !== null && rng.chance(0.4)) rec.record('adhd_diagnosis', child, { day: adhd, kinds: ['camhs', 'community_health'] });
    const asd = dayInAges(fam, child, rng, 4, 10);
    if (asd !== null && rng.chance(0.15)) rec.record('autism_diagnosis', child, { day: asd, kinds: ['community_health', 'camhs'] });
  }
  if (x.has('not_brought')) {
    for (let i = rng.int(1, 4); i > 0; i -= 1) {
      const day = dayInAges(fam, child, rng, 0, 12);
      if (day === null) continue;
      const kinds = rng.weighted([[['gp'], 5], [['community_health'], 3], [['camhs', 'gp'], 1], [['acute_hospital'], 1]] as const);
      rec.record('was_not_brought', child, { day, kinds, people: mainCarer(fam) });
    }
  }
  if (x.has('poor_attendance')) {
    for (let i = rng.int(1, 3); i > 0; i -= 1) {
      const day = dayInAges(fam, child, rng, 6, 16.5);
      if (day !== null) rec.record('attendance_concern', child, { day, kinds: rng.chance(0.85) ? ['school'] : ['early_help'] });
    }
    const cme = dayInAges(fam, child, rng, 7, 16);
    if (cme !== null && rng.chance(0.05)) rec.record('child_missing_education', child, { day: cme, kinds: ['school', 'early_help'] });
  }
  if (child.exclusion) exclusionEvents(child, rec);
  if (x.has('going_missing')) missingEpisodes(ctx, fam, child, rec);
}

function exclusionEvents(child: ChildState, rec: Recorder): void {
  const p = child.exclusion!;
  for (const day of p.suspensions) rec.record('suspension', child, { day, kinds: ['school'] });
  if (p.partTime !== null) rec.record('part_time_timetable', child, { day: p.partTime, kinds: ['school'] });
  if (p.managedMove !== null) {
    const before = schoolAt(child, p.managedMove - 1);
    if (before) rec.record('managed_move', child, { day: p.managedMove - 1, org: before });
  }
  if (p.permanent !== null) rec.record('permanent_exclusion', child, { day: p.permanent, kinds: ['school'], factors: ['excluded_from_school'] });
  if (p.alternativeProvision !== null) rec.record('move_to_alternative_provision', child, { day: p.alternativeProvision, kinds: ['school'] });
}

function missingEpisodes(ctx: BoroughContext, fam: FamilyState, child: ChildState, rec: Recorder): void {
  const rng = fam.rng;
  const escalating = child.tier === 'escalating';
  const [lo, hi] = escalating ? ESCALATION.missingEpisodes : [1, 2];
  const from = Math.max(child.dob + 10 * YEAR, fam.refDay - 3 * YEAR);
  if (from >= fam.refDay - 1) return;
  for (const day of days(rng, rng.int(lo, hi), from, fam.refDay - 1)) {
    const away = fam.move && fam.move.kind === 'out' && day > fam.move.day ? fam.move.from : ctx.partnership.neighbours[0]!;
    const e = rec.record('missing_episode', child, {
      day, kinds: ['police'], people: rng.chance(0.7) ? mainCarer(fam) : [], factors: ['going_missing'],
      vars: { hours: String(rng.pick([6, 9, 14, 20, 30, 48, 72])), borough: away },
    });
    if (!e) continue;
    // Return home interviews are expected within 72 hours; many are late or never happen.
    const roll = rng.next();
    if (roll < ESCALATION.returnInterviewWithin72h) {
      rec.record('return_home_interview', child, { day: day + rng.int(1, 3), kinds: rng.chance(0.6) ? ['childrens_social_care'] : ['voluntary_sector'] });
    } else if (roll < ESCALATION.returnInterviewWithin72h + ESCALATION.returnInterviewLate) {
      rec.record('return_home_interview', child, { day: day + rng.int(4, 12), kinds: ['childrens_social_care', 'voluntary_sector'] });
    }
  }
}

/** Lower-level entries for children who are not escalating: clubs, online bullying, mental health, an odd police contact. */
export function everydayEntries(ctx: BoroughContext, fam: FamilyState, child: ChildState, rec: Recorder): void {
  const rng = fam.rng;
  const teen = (p: number, code: string, kinds: AgencyKind[], from = 10) => {
    const day = dayInAges(fam, child, rng, Math.max(from, child.age - 3), 18);
    if (day !== null && rng.chance(p)) rec.record(code, child, { day, kinds });
  };
  if (child.tier === 'none') return;
  const complex = child.tier === 'complex' || child.tier === 'escalating';
  teen(complex ? 0.3 : 0.2, 'youth_club_attendance', ['youth_centre']);
  teen(complex ? 0.15 : 0.1, 'online_bullying', ['school'], 9);
  teen(complex ? 0.05 : 0.02, 'online_harm_reported', rng.chance(0.6) ? ['school'] : ['police'], 11);
  teen(complex ? 0.25 : 0.1, 'camhs_referral', rng.chance(0.5) ? ['school'] : ['gp']);
  teen(complex ? 0.1 : 0.03, 'self_harm_presentation', rng.chance(0.5) ? ['acute_hospital'] : ['camhs'], 11);
  teen(complex ? 0.1 : 0.04, 'victim_of_crime', ['police']);
  teen(complex ? 0.08 : 0.02, 'police_welfare_concern', ['police']);
  teen(0.1, 'supportive_family_member_identified', ['early_help', 'childrens_social_care'], 0);
  if (child.tier === 'complex') {
    teen(disproportionate(child, 0.12, DISPROPORTIONALITY.stopAndSearch), 'stop_and_search', ['police'], 12);
    teen(0.15, 'seen_with_peers_of_concern', ['school', 'youth_centre', 'police'], 12);
    teen(0.1, 'positive_activity', ['youth_centre', 'voluntary_sector']);
    teen(0.08, 'education_engagement_noted', ['school'], 11);
  }
}

/** One ordinary entry for a child the services otherwise never needed to know. */
export function singleOrdinaryEntry(fam: FamilyState, child: ChildState, rec: Recorder): void {
  const rng = fam.rng;
  const options: [string, AgencyKind[], number, number][] = [
    ['was_not_brought', ['gp'], 0, 12], ['attendance_concern', ['school'], 6, 16], ['youth_club_attendance', ['youth_centre'], 10, 18],
    ['positive_activity', ['youth_centre', 'voluntary_sector'], 8, 18], ['victim_of_crime', ['police'], 11, 18],
    ['online_bullying', ['school'], 9, 16], ['police_welfare_concern', ['police'], 12, 18],
  ];
  const eligible = options.filter(([, , from]) => child.age >= from);
  if (!eligible.length) return;
  const [code, kinds, from, to] = rng.pick(eligible);
  const day = dayInAges(fam, child, rng, Math.max(from, child.age - 4), to);
  if (day !== null) rec.record(code, child, { day, kinds });
}

/** The escalation in an adolescent's last few years, with peers, places and rivals from across the borough. */
export function escalation(ctx: BoroughContext, fam: FamilyState, child: ChildState, rec: Recorder): number {
  const rng = fam.rng;
  const f = child.featured;
  const E = ESCALATION;
  const from = Math.max(child.dob + 12 * YEAR, fam.refDay - rng.int(540, 1100));
  const to = fam.refDay - 1;
  const when = () => rng.dayBetween(from, to);
  const group = ctx.network.join(child, rng, E.joinExistingPeerGroup);
  const peers = (): Participant[] => rng.shuffle(group.members).slice(0, rng.int(0, 2)).map((m) => [m.personId, 'associate'] as const);
  const yes = (p: number, forced = false) => forced || rng.chance(p);
  const firstDay: number[] = [];
  const note = (e: WorldEvent | null): WorldEvent | null => {
    if (e) firstDay.push(Math.floor(Date.parse(e.occurred_at) / 86_400_000));
    return e;
  };
  // After a relocation, police entries sometimes still go to the old borough (Child K).
  const policeOrg = (day: number) => (fam.move?.relocation && day > fam.move.day && rng.chance(0.5) ? ctx.partnership.orgOf(fam.move.from, 'police') : undefined);

  let seenWithGroup: WorldEvent | null = null;
  if (yes(E.peersOfConcern, f !== null)) {
    for (let i = rng.int(1, 3); i > 0; i -= 1) {
      seenWithGroup = note(rec.record('seen_with_peers_of_concern', child, { day: when(), kinds: rng.pick([['police'], ['school', 'police'], ['youth_centre'], ['targeted_youth_support']] as AgencyKind[][]), people: peers(), place: rng.chance(0.7) ? group.place : undefined, factors: ['peers_of_concern'] }));
    }
  }
  if (yes(E.placeOfConcern)) note(rec.record('seen_in_place_of_concern', child, { day: when(), kinds: rng.pick([['police'], ['targeted_youth_support'], ['youth_centre']] as AgencyKind[][]), place: group.place }));
  if (yes(disproportionate(child, E.stopAndSearch, DISPROPORTIONALITY.stopAndSearch), f === 0 || f === 1)) {
    const n = DISPROPORTIONALITY.codes.includes(child.ethnicity) ? rng.int(1, 5) : rng.int(1, 3);
    for (let i = 0; i < n; i += 1) {
      const day = when();
      note(rec.record('stop_and_search', child, { day, kinds: ['police'], org: policeOrg(day), people: peers(), place: rng.chance(0.6) ? group.place : undefined }));
    }
  }
  if (yes(E.suspect, f === 1)) {
    const day = when();
    const rival = ctx.network.rival(group, rng);
    const offence = note(rec.record('suspect_in_offence', child, { day, kinds: ['police'], org: policeOrg(day), people: rival ? [[rival.personId, 'victim']] : [], factors: ['involved_in_offending'] }));
    if (offence && rival) ctx.network.relate(child.id, rival.personId, 'rival', offence, offence.organisation_id, day, null);
    if (rng.chance(0.6)) rec.record('arrest', child, { day: day + rng.int(0, 20), kinds: ['police'] });
    if (rng.chance(0.4)) rec.record('released_under_investigation', child, { day: day + rng.int(1, 25), kinds: ['police'] });
    if (yes(E.outOfCourtDisposal)) rec.record('out_of_court_disposal', child, { day: day + rng.int(30, 90), kinds: ['youth_justice', 'police'] });
    else if (yes(E.charged, f === 1)) {
      const charged = day + rng.int(10, 60);
      rec.record('charged', child, { day: charged, kinds: ['police'] });
      const court = charged + rng.int(30, 100);
      if (court < fam.refDay && rng.chance(E.orderGivenCharge)) {
        rec.record('court_outcome', child, { day: court, kinds: ['youth_justice'], vars: { outcome: rng.pick(['a referral order', 'a youth rehabilitation order']) } });
        rec.record('youth_justice_order', child, { day: court + 1, kinds: ['youth_justice'] });
        if (rng.chance(E.custodyGivenOrder)) {
          rec.record('custody', child, { day: court + 2, kinds: ['youth_justice'] });
          const release = court + rng.int(90, 200);
          if (release < fam.refDay) rec.record('release_from_custody', child, { day: release, kinds: ['youth_justice'] });
        }
      } else if (court < fam.refDay) {
        rec.record('court_outcome', child, { day: court, kinds: ['youth_justice'], vars: { outcome: rng.pick(['a conditional discharge', 'a fine']) } });
      }
    }
  }
  if (yes(E.weaponIncident, f === 0)) {
    const day = when();
    note(rec.record('weapon_incident', child, { day, kinds: rng.chance(0.7) ? ['police'] : ['school'], org: policeOrg(day), people: peers(), factors: ['carrying_weapon'] }));
  }
  const victimised = yes(disproportionate(child, E.victimOfSeriousViolence, DISPROPORTIONALITY.victimOfViolence), f === 0);
  if (victimised) {
    const day = when();
    const rival = ctx.network.rival(group, rng);
    const byRival = rival !== undefined && rng.chance(0.5);
    const violence = note(rec.record('victim_of_serious_violence', child, { day, kinds: ['police'], people: rival && byRival ? [[rival.personId, 'suspect']] : peers().map(([id]) => [id, 'witness'] as const) }));
    if (violence && rival && byRival) ctx.network.relate(child.id, rival.personId, 'rival', violence, violence.organisation_id, day, null);
    if (yes(0.4, f === 0)) rec.record('ae_attendance_stab_wound', child, { day, kinds: ['acute_hospital'] });
    else rec.record('ae_attendance_injury', child, { day, kinds: ['acute_hospital'] });
  } else if (yes(E.aeStabWound)) {
    note(rec.record('ae_attendance_stab_wound', child, { day: when(), kinds: ['acute_hospital'] }));
  } else if (yes(E.aeInjury)) {
    note(rec.record('ae_attendance_injury', child, { day: when(), kinds: ['acute_hospital'] }));
  }
  // The first demo child witnessed serious violence two to eight weeks before the world's "today": a
  // critical moment the rules prompt on for 90 days, so the demo practitioner's inbox has it whenever the borough is seeded.
  if (yes(E.witnessToSeriousViolence, f === 0)) {
    const day = f === 0 ? rng.dayBetween(fam.refDay - 56, fam.refDay - 14) : when();
    note(rec.record('witness_to_serious_violence', child, { day, kinds: rng.chance(0.7) ? ['police'] : ['school'], people: peers().map(([id]) => [id, 'witness'] as const) }));
  }

  const cce = yes(E.criminalExploitation, f === 0 || f === 1);
  if (cce) {
    for (let i = rng.int(1, 2); i > 0; i -= 1) {
      const day = when();
      const kinds = rng.pick([['police'], ['childrens_social_care'], ['school'], ['youth_justice'], ['targeted_youth_support']] as AgencyKind[][]);
      const people = peers();
      // The first concern often names the adult suspected of exploiting the child (drawn from the network's stream).
      const adult = i === 1 && ctx.network.chance(0.6) ? ctx.network.exploiter() : null;
      const concern = note(rec.record('criminal_exploitation_concern', child, { day, kinds, people: adult ? [...people, [adult, 'suspect'] as const] : people }));
      if (concern && adult) ctx.network.relate(child.id, adult, 'suspected_exploiter', concern, concern.organisation_id, day, null);
    }
  }
  const lines = yes(E.countyLines, f === 1);
  if (lines) note(rec.record('county_lines_concern', child, { day: when(), kinds: rng.chance(0.7) ? ['police'] : ['childrens_social_care'], place: null }));
  const cse = child.sex === 'female' ? yes(E.sexualExploitationGirls, f === 2) : yes(E.sexualExploitationBoys);
  if (cse) {
    note(rec.record('sexual_exploitation_concern', child, { day: when(), kinds: rng.pick([['police'], ['childrens_social_care'], ['school'], ['community_health']] as AgencyKind[][]) }));
    if (yes(0.4, f === 2)) rec.record('online_sexual_harm', child, { day: when(), kinds: ['police', 'school'] });
  }
  if ((cce || lines || cse) && yes(E.nrmReferralGivenExploitation, f === 0)) {
    const day = when();
    rec.record('nrm_referral', child, { day, kinds: ['childrens_social_care', 'police'], factors: cce || lines ? ['criminal_exploitation'] : ['sexual_exploitation'] });
    const decision = day + rng.int(30, 200);
    if (decision < fam.refDay && rng.chance(E.nrmDecisionGivenReferral)) rec.record('nrm_decision', child, { day: decision, kinds: ['childrens_social_care'] });
  }
  if (yes(E.groupViolence)) {
    note(rec.record('group_violence_association_concern', child, { day: when(), kinds: ['police'], people: peers(), place: group.place }));
  }
  if (f === 0) {
    // The demo's restricted entry: an intelligence report only the police can read in full.
    rec.record('group_violence_association_concern', child, { day: when(), kinds: ['police'], people: peers(), place: group.place, sensitivity: 'restricted', reliability: 'unverified' });
  }
  if (yes(E.onlineThreats)) rec.record('online_threats_or_taunts', child, { day: when(), kinds: ['police', 'school'], people: peers() });
  if (yes(E.substanceMisuse)) {
    rec.record('substance_misuse_referral', child, { day: when(), kinds: rng.pick([['youth_justice'], ['school'], ['gp']] as AgencyKind[][]), factors: ['substance_misuse'] });
    if (rng.chance(0.3)) rec.record('ae_attendance_intoxication', child, { day: when(), kinds: ['acute_hospital'] });
  }
  if (rng.chance(0.1)) rec.record('child_to_parent_violence', child, { day: when(), kinds: ['police', 'early_help'], people: mainCarer(fam) });
  if (rng.chance(0.3)) rec.record('camhs_referral', child, { day: when(), kinds: ['school', 'gp'] });
  if (yes(E.trustedAdult, f === 0)) rec.record('trusted_adult_identified', child, { day: when(), kinds: rng.pick([['targeted_youth_support'], ['youth_centre'], ['school']] as AgencyKind[][]) });
  if (yes(E.mentoring)) rec.record('mentoring_started', child, { day: when(), kinds: ['voluntary_sector'] });

  // Now and then something happens to a whole group: a friend is killed, and every member is bereaved and a witness.
  if (group.members.length >= 2 && rng.chance(E.peerGroupIncident)) {
    const day = when();
    const friends = group.members.map((m) => [m.personId, 'witness'] as const);
    rec.record('witness_to_serious_violence', child, { day, kinds: ['police'], people: friends, place: group.place });
    rec.record('bereavement_through_violence', child, { day: day + rng.int(0, 3), kinds: ['school', 'childrens_social_care'], factors: ['bereaved_through_violence'], people: group.members.map((m) => [m.personId, 'associate'] as const) });
  }
  ctx.network.enrol(group, child, from, seenWithGroup);
  return firstDay.length ? Math.min(...firstDay) : from;
}

/** The experiences a child ends up with (for the ground-truth profile). */
export function experiencesOf(child: ChildState, fam: FamilyState): Experience[] {
  const all = new Set<Experience>(child.experiences);
  for (const e of fam.experiences) all.add(e);
  return [...all].sort();
}
