/**
 * What services did about a child: social care and early help episodes (referral,
 * assessment, plan, closure, transfer when the family moves borough), and the
 * involvements that give practitioners their caseloads: lead professional, school
 * DSL, GP safeguarding lead, youth justice, youth work, police, mentors and CAMHS.
 */
import type { AgencyKind } from '../domain/vocabulary.js';
import type { OrgRef, PoolKey } from './partnership.js';
import { boroughAt, involvementRow, schoolAt, type BoroughContext, type ChildState, type FamilyState, type Recorder } from './history.js';
import type { Experience, WorldEvent } from './types.js';

const YEAR = 365;

const FACTOR_OF: Readonly<Partial<Record<Experience, string>>> = {
  domestic_abuse: 'domestic_abuse', send_need: 'send_need', not_brought: 'not_brought_to_health_appointments',
  exclusion: 'excluded_from_school', poor_attendance: 'poor_attendance', frequent_moves: 'frequent_moves',
  poverty_housing: 'poverty', relative_in_crime: 'relative_involved_in_crime', bereavement_violence: 'bereaved_through_violence',
  going_missing: 'going_missing', parental_mental_health: 'parental_mental_health',
};

function dayOfEvent(e: WorldEvent): number {
  return Math.floor(Date.parse(e.occurred_at) / 86_400_000);
}

/** Adds an involvement; null user means the agency holds the case without a named worker. */
function involve(child: ChildState, fam: FamilyState, org: OrgRef, teamId: string | null, userId: string | null, role: string, start: number, end: number | null): void {
  child.involvements.push(involvementRow(fam.rng, { personId: child.id, org, teamId, userId, role, start, end, refDay: fam.refDay }));
}

type EpisodeKind = 'csc' | 'eh';

interface Episode {
  kind: EpisodeKind;
  start: number;
  end: number | null;
  pool: PoolKey;
  demoUser?: string;
}

/** A social care or early help episode, split where the family moved borough mid-episode. */
function episode(ctx: BoroughContext, fam: FamilyState, child: ChildState, rec: Recorder, ep: Episode): void {
  const rng = fam.rng;
  const p = ctx.partnership;
  const kind: AgencyKind = ep.kind === 'csc' ? 'childrens_social_care' : 'early_help';
  const start = Math.max(ep.start, child.dob + 1);
  if (start >= fam.refDay - 1) return;
  const end = ep.end !== null && ep.end <= start ? start + 1 : ep.end;

  const referrers: AgencyKind[][] = ep.kind === 'csc'
    ? [['police'], ['school'], ['gp'], ['acute_hospital'], ['early_help']]
    : [['school'], ['gp'], ['community_health'], ['childrens_social_care']];
  const factors = [...child.experiences, ...fam.experiences].map((x) => FACTOR_OF[x]).filter((f): f is string => !!f);
  rec.record(ep.kind === 'csc' ? 'referral_to_childrens_social_care' : 'referral_to_early_help', child, {
    day: start - rng.int(0, 5), kinds: [...rng.pick(referrers), kind], factors: rng.shuffle([...new Set(factors)]).slice(0, 3),
  });
  rec.record('assessment_started', child, { day: start, kinds: [kind] });
  const completed = start + rng.int(25, 45);
  if (completed < fam.refDay && (end === null || completed < end)) {
    rec.record('assessment_completed', child, { day: completed, kinds: [kind] });
    const planDay = completed + rng.int(3, 20);
    if (planDay < fam.refDay && (end === null || planDay < end)) {
      if (ep.kind === 'eh') rec.record('early_help_plan_started', child, { day: planDay, kinds: ['early_help'] });
      else if (rng.chance(child.tier === 'escalating' ? 0.25 : 0.15)) rec.record('child_protection_plan_started', child, { day: planDay, kinds: ['childrens_social_care'] });
      else if (rng.chance(0.7)) rec.record('child_in_need_plan_started', child, { day: planDay, kinds: ['childrens_social_care'] });
    }
  }
  if (ep.kind === 'csc' && child.tier === 'escalating') {
    rec.record('strategy_meeting', child, { day: start + rng.int(2, 10), kinds: ['childrens_social_care'] });
    if (rng.chance(0.4)) rec.record('section_47_enquiry', child, { day: start + rng.int(3, 12), kinds: ['childrens_social_care'] });
  }
  if (ep.kind === 'csc' && end === null && rng.chance(child.tier === 'escalating' ? 0.08 : 0.04)) {
    const looked = rng.dayBetween(start + 30, fam.refDay - 1);
    rec.record('became_looked_after', child, { day: looked, kinds: ['childrens_social_care'] });
    for (let i = rng.int(0, 2); i > 0; i -= 1) rec.record('placement_move', child, { day: rng.dayBetween(looked + 20, fam.refDay - 1), kinds: ['childrens_social_care'] });
  }
  if (end !== null) {
    if (ep.kind === 'eh') rec.record('early_help_plan_ended', child, { day: end, kinds: ['early_help'] });
    rec.record('case_closed', child, { day: end, kinds: [kind] });
  }

  // Split at a move between boroughs: the old borough transfers, the new one starts again.
  const m = fam.move;
  const parts: { from: number; to: number | null }[] = [];
  if (m && start < m.day && (end === null || end > m.day)) {
    let cut = Math.min(m.day + rng.int(7, 40), fam.refDay - 1);
    if (end !== null) cut = Math.min(cut, end);
    parts.push({ from: start, to: cut });
    if (cut + 1 < fam.refDay && (end === null || cut + 1 <= end)) parts.push({ from: cut + 1, to: end });
  } else {
    parts.push({ from: start, to: end });
  }
  parts.forEach((part, i) => {
    const borough = boroughAt(fam, part.from);
    const org = p.orgOf(borough, kind)!;
    if (i === 1) {
      const prev = p.orgOf(boroughAt(fam, parts[0]!.from), kind)!;
      rec.record('case_transferred_between_boroughs', child, { day: part.from - 1, org: prev, vars: { borough } });
      const again = part.from + rng.int(3, 15);
      if (again < fam.refDay) rec.record('assessment_started', child, { day: again, org });
    }
    if (org.borough !== p.borough) {
      involve(child, fam, org, null, p.leadOf(org.id) ?? null, 'lead_professional', part.from, part.to);
      return;
    }
    // Long episodes change hands: the child's number of workers is something panels look at.
    const changes: number[] = [];
    const length = (part.to ?? fam.refDay) - part.from;
    if (ep.kind === 'csc' && length > 200) for (let n = rng.int(0, 2); n > 0; n -= 1) changes.push(rng.dayBetween(part.from + 60, part.from + length - 20));
    changes.sort((a, b) => a - b);
    const bounds = [part.from, ...changes];
    bounds.forEach((from, j) => {
      const last = j === bounds.length - 1;
      const to = last ? part.to : bounds[j + 1]! - 1;
      if (j > 0) rec.record('allocated_worker_changed', child, { day: from, org });
      const current = last && to === null;
      const a = current ? (ep.demoUser ? p.allocateTo(ep.pool, ep.demoUser) : p.allocate(ep.pool, rng)) : p.pastWorker(ep.pool, rng);
      involve(child, fam, org, a.teamId, a.userId, 'lead_professional', from, to);
    });
  });
}

/** Lead professional episodes, then every other involvement a child's history calls for. */
export function services(ctx: BoroughContext, fam: FamilyState, child: ChildState, rec: Recorder, escalationStart: number | null): void {
  const rng = fam.rng;
  const p = ctx.partnership;
  const tier = child.tier;
  const featured = child.featured !== null;

  if (tier === 'escalating' || tier === 'complex') {
    if (rng.chance(0.4) && child.age >= 4) {
      const s = rng.dayBetween(child.dob + 365, fam.refDay - 3 * YEAR);
      const earlier = rng.chance(0.5) ? 'eh' : 'csc';
      if (s < fam.refDay - 3 * YEAR) episode(ctx, fam, child, rec, { kind: earlier, start: s, end: s + rng.int(120, 400), pool: earlier === 'eh' ? 'eh.family' : 'csc.cin' });
    }
    if (tier === 'escalating') {
      let start = Math.min(Math.max((escalationStart ?? fam.refDay - 365) + rng.int(3, 40), fam.refDay - 730), fam.refDay - 30);
      if (featured) start = Math.min(start, fam.refDay - 60);
      episode(ctx, fam, child, rec, { kind: 'csc', start, end: null, pool: 'csc.adolescent', demoUser: featured ? p.demo.practitioner : undefined });
    } else if (rng.chance(0.8)) {
      const start = fam.refDay - rng.int(20, 600);
      episode(ctx, fam, child, rec, { kind: 'csc', start, end: null, pool: fam.refDay - start < 60 ? 'csc.assessment' : 'csc.cin' });
    } else {
      episode(ctx, fam, child, rec, { kind: 'eh', start: fam.refDay - rng.int(30, 400), end: null, pool: 'eh.family' });
    }
  } else if (tier === 'emerging') {
    const roll = rng.next();
    if (roll < 0.35) episode(ctx, fam, child, rec, { kind: 'eh', start: fam.refDay - rng.int(30, 400), end: null, pool: 'eh.family' });
    else if (roll < 0.6) {
      const s = rng.dayBetween(child.dob + 180, fam.refDay - 200);
      episode(ctx, fam, child, rec, { kind: 'eh', start: s, end: s + rng.int(90, 300), pool: 'eh.family' });
    }
  }
  if (tier === 'none') return;

  youthJustice(ctx, fam, child, rec);
  youthWork(ctx, fam, child, rec);
  if (tier === 'escalating') policeInvolvement(ctx, fam, child);
  schoolAndHealth(ctx, fam, child);
  for (const e of child.events) {
    if (e.event_type_code !== 'mentoring_started') continue;
    const mentor = p.leadOf(e.organisation_id);
    const org = p.orgById(e.organisation_id);
    if (mentor && org) involve(child, fam, org, null, mentor, 'trusted_adult', dayOfEvent(e), null);
  }
  const camhs = child.events.filter((e) => ['camhs_referral', 'adhd_diagnosis', 'self_harm_presentation'].includes(e.event_type_code)).map(dayOfEvent);
  const recent = camhs.filter((d) => fam.refDay - d < 540);
  if ((tier === 'complex' || tier === 'escalating') && recent.length && boroughAt(fam, fam.refDay - 1) === p.borough) {
    involve(child, fam, p.orgOf(p.borough, 'camhs')!, null, p.camhsClinician(rng), 'other', Math.min(...recent) + rng.int(20, 60), null);
  }
}

function youthJustice(ctx: BoroughContext, fam: FamilyState, child: ChildState, rec: Recorder): void {
  const rng = fam.rng;
  const p = ctx.partnership;
  const police = child.events.filter((e) => e.event_type_code === 'stop_and_search' || e.event_type_code === 'suspect_in_offence');
  const yjCodes = ['out_of_court_disposal', 'court_outcome', 'youth_justice_order', 'custody', 'youth_justice_prevention_started'];
  if (!child.events.some((e) => yjCodes.includes(e.event_type_code)) && police.length && child.tier === 'complex' && rng.chance(0.3)) {
    rec.record('youth_justice_prevention_started', child, { day: dayOfEvent(police[0]!) + rng.int(10, 60), kinds: ['youth_justice'] });
  }
  const yj = child.events.filter((e) => yjCodes.includes(e.event_type_code) && p.orgById(e.organisation_id)?.borough === p.borough).map(dayOfEvent);
  if (!yj.length) return;
  const first = Math.min(...yj);
  const last = Math.max(...yj);
  const current = fam.refDay - last < 365 && boroughAt(fam, fam.refDay - 1) === p.borough;
  const a = current ? p.allocate('yjs.case', rng) : p.pastWorker('yjs.case', rng);
  involve(child, fam, p.poolOrg('yjs.case'), a.teamId, a.userId, 'case_holder', first, current ? null : Math.min(last + rng.int(90, 200), fam.refDay - 1));
}

function youthWork(ctx: BoroughContext, fam: FamilyState, child: ChildState, rec: Recorder): void {
  const rng = fam.rng;
  const p = ctx.partnership;
  if (child.age < 11 || boroughAt(fam, fam.refDay - 1) !== p.borough) return;
  const f = child.featured;
  const chance = child.tier === 'escalating' ? 0.45 : child.tier === 'complex' ? 0.12 : 0;
  if (!(f === 0 || f === 1 || rng.chance(chance))) return;
  const start = Math.max(fam.refDay - rng.int(30, 400), child.dob + 11 * YEAR);
  rec.record('outreach_contact', child, { day: start, kinds: ['targeted_youth_support'] });
  const current = f !== null || rng.chance(0.8);
  const a = current ? (f === 0 || f === 1 ? p.allocateTo('tys.outreach', p.demo.youthWorker) : p.allocate('tys.outreach', rng)) : p.pastWorker('tys.outreach', rng);
  involve(child, fam, p.poolOrg('tys.outreach'), a.teamId, a.userId, 'key_worker', start, current ? null : Math.min(start + rng.int(60, 200), fam.refDay - 1));
}

function policeInvolvement(ctx: BoroughContext, fam: FamilyState, child: ChildState): void {
  const rng = fam.rng;
  const p = ctx.partnership;
  const concerns = child.events
    .filter((e) => ['criminal_exploitation_concern', 'sexual_exploitation_concern', 'county_lines_concern'].includes(e.event_type_code))
    .map(dayOfEvent);
  if (!concerns.length || boroughAt(fam, fam.refDay - 1) !== p.borough) return;
  const a = child.featured !== null ? p.allocateTo('police.exploitation', p.demo.police) : p.allocate('police.exploitation', rng);
  involve(child, fam, p.poolOrg('police.exploitation'), a.teamId, a.userId, 'other', Math.min(...concerns) + rng.int(1, 14), null);
}

function schoolAndHealth(ctx: BoroughContext, fam: FamilyState, child: ChildState): void {
  const rng = fam.rng;
  const p = ctx.partnership;
  const categoryOf = (e: WorldEvent) => ctx.types.get(e.event_type_code)?.category;
  const education = child.events.filter((e) => categoryOf(e) === 'education');
  if (education.length) {
    // The DSL of each school that recorded something, until the child left it; the current school's DSL carries on.
    const now = schoolAt(child, fam.refDay - 1);
    for (const spell of child.schools) {
      const lead = p.leadOf(spell.org.id);
      // A school in another borough of the world has its own DSL (a stand-in neighbour's school has none).
      if (!lead) continue;
      const here = education.filter((e) => e.organisation_id === spell.org.id).map(dayOfEvent);
      const isNow = now?.id === spell.org.id && spell.to > fam.refDay - 1;
      if (!here.length && !isNow) continue;
      const start = here.length ? Math.max(spell.from, Math.min(...here)) : spell.from;
      involve(child, fam, spell.org, null, lead, 'designated_safeguarding_lead', start, isNow ? null : spell.to - 1);
    }
  }
  // The GP's safeguarding lead follows patients with recent health concerns (the last two years).
  const health = child.events.filter((e) => categoryOf(e) === 'health').map(dayOfEvent).filter((d) => fam.refDay - d < 2 * YEAR);
  const gp = fam.gps.get(p.borough);
  if (health.length && gp && boroughAt(fam, fam.refDay - 1) === p.borough) {
    const lead = p.leadOf(gp.id);
    if (lead) involve(child, fam, gp, null, lead, 'health_lead', Math.min(...health) + rng.int(0, 14), null);
  }
}

/** Credits each entry to the named worker who held the case for that agency at the time, where there was one. */
export function creditRecorders(child: ChildState): void {
  for (const inv of child.involvements) {
    if (!inv.user_id) continue;
    const from = Date.parse(inv.started_on);
    const to = inv.ended_on ? Date.parse(inv.ended_on) + 86_400_000 : Infinity;
    for (const e of child.events) {
      const at = Date.parse(e.occurred_at);
      if (e.recorded_by_user_id === null && e.organisation_id === inv.organisation_id && at >= from && at < to) e.recorded_by_user_id = inv.user_id;
    }
  }
}
