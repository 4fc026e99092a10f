/**
 * One family at a time: who is in it, where they lived, which schools the children
 * went to, what happened to them, and how each agency recorded who they are (with the
 * misspellings, missing identifiers and duplicate records real agencies produce).
 * Each family draws from its own seeded stream, so families are independent of chunking.
 */
import { makeNhsNumber, makeTemporaryUpn, makeUpn, UPN_CHECK_LETTERS } from '../domain/identifiers.js';
import type { AgencyKind } from '../domain/vocabulary.js';
import { childExperiences, escalation, everydayEntries, experiencesOf, familyExperiences, singleOrdinaryEntry } from './experiences.js';
import {
  Recorder, boroughAt, schoolAt, type AdultState, type BoroughContext, type BoroughMove, type ChildState,
  type ExclusionPlan, type FamilyState, type SchoolSpell, type Spell,
} from './history.js';
import { NameMaker, makeHandle, makeNickname, misspell, shortForm, type Sex } from './names.js';
import type { OrgRef, SchoolPhase } from './partnership.js';
import { laCodeFor, makePostcode, postcodeArea } from './places.js';
import {
  AGE_WEIGHTS, CROSS_BOROUGH_MOVE, DISPROPORTIONALITY, ESCALATION, ETHNICITY_WEIGHTS, EXPERIENCE_RATES, FAMILY_SIZE_WEIGHTS,
  FAMILY_TIER_WEIGHTS, GIRL_ESCALATION_DAMPING, HOUSEHOLD_WEIGHTS, MIN_EXPERIENCES, NONE_TIER_SINGLE_EVENT, RECORDS,
  SIBLING_SAME_TIER,
} from './rates.js';
import { Rng, ageOn, hashParts, isoDay, yearOf } from './random.js';
import { creditRecorders, services } from './services.js';
import { correctionReason, summarise } from './summaries.js';
import type { CommonExperience, Experience, Tier, WorldChunk, WorldEvent, WorldPerson } from './types.js';

const YEAR = 365.25;
const TIERS: readonly Tier[] = ['none', 'emerging', 'complex', 'escalating'];
const FAMILY_LEVEL: readonly CommonExperience[] = ['domestic_abuse', 'poverty_housing', 'relative_in_crime', 'frequent_moves', 'parental_mental_health', 'bereavement_violence'];
const CHILD_LEVEL: readonly CommonExperience[] = ['send_need', 'not_brought', 'exclusion', 'poor_attendance', 'going_missing'];
/** Youngest age (on the reference date) at which each child-level experience can have happened. */
const MIN_AGE: Readonly<Partial<Record<Experience, number>>> = { exclusion: 8, poor_attendance: 6, going_missing: 10, send_need: 3 };

/** The three demo children's fixed shapes: age, sex and the experiences their stories need. */
const FEATURED: readonly { age: number; sex: Sex; experiences: CommonExperience[] }[] = [
  { age: 15, sex: 'male', experiences: ['domestic_abuse', 'send_need', 'exclusion', 'poor_attendance', 'going_missing', 'not_brought'] },
  { age: 16, sex: 'male', experiences: ['frequent_moves', 'relative_in_crime', 'exclusion', 'going_missing', 'poverty_housing'] },
  { age: 14, sex: 'female', experiences: ['domestic_abuse', 'not_brought', 'going_missing', 'poor_attendance'] },
];

const MIXED_PARENTS: Readonly<Record<string, readonly [string, readonly string[]]>> = {
  MWBC: ['WBRI', ['BCRB']], MWBA: ['WBRI', ['BAFR']], MWAS: ['WBRI', ['AIND', 'APKN']], MOTH: ['WOTH', ['AOTH', 'OOTH', 'BAFR']],
};

/** Generates families into chunks, holding the state that must persist between them (issued identifiers, serials). */
export class FamilyGenerator {
  readonly #names = new NameMaker();
  readonly #nhs: Set<string>;
  readonly #serials: Map<string, number>;
  readonly #refDay: number;

  /** `issued` is shared by the boroughs of one world, so identifiers stay unique across them (one police force numbers them all). */
  constructor(
    private readonly ctx: BoroughContext,
    private readonly seed: number,
    issued: { nhs: Set<string>; serials: Map<string, number> } = { nhs: new Set(), serials: new Map() },
  ) {
    this.#nhs = issued.nhs;
    this.#serials = issued.serials;
    this.#refDay = ctx.partnership.refDay;
  }

  /** Makes family number `index` with at most `maxChildren` children, appending its rows to `out`; returns how many children it made. */
  generate(index: number, maxChildren: number, out: WorldChunk): number {
    const fam = this.#plan(index, maxChildren);
    const rec = new Recorder(this.ctx, fam);
    familyExperiences(this.ctx, fam, rec);
    for (const child of fam.children) {
      childExperiences(this.ctx, fam, child, rec);
      let escalationStart: number | null = null;
      if (child.tier === 'escalating') escalationStart = escalation(this.ctx, fam, child, rec);
      else everydayEntries(this.ctx, fam, child, rec);
      if (child.tier === 'none' && child.events.length === 0 && fam.rng.chance(NONE_TIER_SINGLE_EVENT)) singleOrdinaryEntry(fam, child, rec);
      services(this.ctx, fam, child, rec, escalationStart);
      creditRecorders(child);
    }
    this.#emit(fam, rec, out);
    return fam.children.length;
  }

  // ---------------------------------------------------------------- planning

  #plan(index: number, maxChildren: number): FamilyState {
    const p = this.ctx.partnership;
    const rng = new Rng(this.seed, p.slug, 'family', index);
    this.#names.reseed(hashParts(this.seed, p.slug, 'names', index)[0], rng);
    const featured = index < FEATURED.length ? index : null;
    const size = Math.min(maxChildren, rng.weighted(FAMILY_SIZE_WEIGHTS));

    const familyTier: Tier = featured !== null ? 'escalating' : rng.weighted(FAMILY_TIER_WEIGHTS);
    let ages = Array.from({ length: size }, () => rng.weighted(AGE_WEIGHTS.map((w, age) => [age, w] as const)));
    ages = ages.sort((a, b) => b - a);
    // A family escalates through an adolescent: its eldest is at least 12.
    if (featured !== null) ages[0] = FEATURED[featured]!.age;
    else if (familyTier === 'escalating' && ages[0]! < 12) ages[0] = rng.int(12, 17);
    ages = ages.sort((a, b) => b - a);
    const twins = ages.map((a, i) => i > 0 && a === ages[i - 1] && rng.chance(0.25));
    ages = ages.map((a, i) => (i > 0 && a === ages[i - 1] && !twins[i] && a > 0 ? a - 1 : a));
    const dobs: number[] = [];
    ages.forEach((age, i) => dobs.push(twins[i] ? dobs[i - 1]! : this.#refDay - Math.floor(age * YEAR) - rng.int(1, 364)));

    const childEthnicity = rng.weighted(ETHNICITY_WEIGHTS);
    const [ethA, ethB] = parentEthnicities(childEthnicity, rng);
    const household = rng.weighted(HOUSEHOLD_WEIGHTS.map(([h, w]) => [h, w] as const));

    const fam: FamilyState = {
      index, rng, tier: familyTier, children: [], adults: [], spells: [], gps: new Map(), move: null, experiences: new Set(),
      refDay: this.#refDay,
    };
    const oldestDob = Math.min(...dobs);
    const adult = (role: AdultState['role'], sex: Sex, ethnicity: string | null, dob: number, family?: string): AdultState => {
      const a = { id: rng.uuid(), role, sex, ethnicity, given: this.#names.given(sex, ethnicity), family: family ?? this.#names.family(ethnicity), dob };
      fam.adults.push(a);
      return a;
    };
    const motherDob = oldestDob - Math.floor(rng.int(19, 38) * YEAR) - rng.int(0, 364);
    const mother = household !== 'father' ? adult('mother', 'female', ethA, motherDob) : undefined;
    const father = household === 'two_parents' || household === 'father' ? adult('father', 'male', ethB, motherDob - rng.int(-700, 2500)) : undefined;
    if (household === 'kinship_carer') fam.adults.splice(0, fam.adults.length, { ...mother!, role: 'carer', dob: oldestDob - Math.floor(rng.int(42, 60) * YEAR) });
    const carer = fam.adults[0]!;
    const absentFamily = this.#names.family(ethB);
    const childFamily = father && (household === 'father' || rng.chance(0.6)) ? father.family : household === 'mother' && rng.chance(0.25) ? absentFamily : carer.family;

    fam.children = ages.map((age, i) => {
      const f = i === 0 ? featured : null;
      const sex: Sex = f !== null ? FEATURED[f]!.sex : rng.chance(0.51) ? 'male' : 'female';
      // The eldest carries the family's tier; siblings share it or sit one step lower.
      let tier: Tier = i === 0 || rng.chance(SIBLING_SAME_TIER) ? familyTier : TIERS[Math.max(0, TIERS.indexOf(familyTier) - 1)]!;
      if (tier === 'escalating' && f === null && (age < 12 || (sex === 'female' && rng.chance(GIRL_ESCALATION_DAMPING)))) tier = 'complex';
      const dob = dobs[i]!;
      return {
        id: rng.uuid(), dob, age: ageOn(dob, this.#refDay), sex, ethnicity: childEthnicity, tier,
        given: this.#names.given(sex, childEthnicity), family: childFamily, experiences: new Set<Experience>(), schools: [],
        exclusion: null, featured: f, events: [], involvements: [],
      };
    });
    const effectiveTier = TIERS[Math.max(...fam.children.map((c) => TIERS.indexOf(c.tier)))]!;
    fam.tier = effectiveTier;
    this.#experiences(fam);
    if (fam.experiences.has('relative_in_crime') && (!father || rng.chance(0.5))) {
      adult('relative', 'male', childEthnicity, this.#refDay - Math.floor(rng.int(18, 26) * YEAR) - rng.int(0, 364), childFamily);
    }
    this.#spells(fam, featured);
    for (const borough of new Set(fam.spells.map((s) => s.borough))) {
      const gps = p.orgsOf(borough, 'gp');
      if (gps.length) fam.gps.set(borough, rng.pick(gps));
    }
    this.#schools(fam);
    for (const c of fam.children) if (c.experiences.has('exclusion')) this.#exclusion(fam, c);
    return fam;
  }

  #experiences(fam: FamilyState): void {
    const rng = fam.rng;
    for (const x of FAMILY_LEVEL) if (rng.chance(EXPERIENCE_RATES[fam.tier][x])) fam.experiences.add(x);
    for (const child of fam.children) {
      const rates = EXPERIENCE_RATES[child.tier];
      const eligible = CHILD_LEVEL.filter((x) => child.age >= (MIN_AGE[x] ?? 0));
      for (const x of eligible) {
        const p = x === 'exclusion' && DISPROPORTIONALITY.codes.includes(child.ethnicity) ? Math.min(0.95, rates[x] * DISPROPORTIONALITY.exclusion) : rates[x];
        if (rng.chance(p)) child.experiences.add(x);
      }
      if (child.featured !== null) for (const x of FEATURED[child.featured]!.experiences) (FAMILY_LEVEL.includes(x) ? fam.experiences : child.experiences).add(x);
      // "A minority accumulate several": top up to the tier's minimum with the likeliest experiences.
      const byRate = [...eligible, ...FAMILY_LEVEL].sort((a, b) => rates[b] - rates[a]);
      for (const x of byRate) {
        if (child.experiences.size + fam.experiences.size >= MIN_EXPERIENCES[child.tier]) break;
        (FAMILY_LEVEL.includes(x) ? fam.experiences : child.experiences).add(x);
      }
      if (child.tier === 'escalating') child.experiences.add('escalation');
    }
  }

  #spells(fam: FamilyState, featured: number | null): void {
    const rng = fam.rng;
    const p = this.ctx.partnership;
    const oldest = fam.children[0]!;
    const start = oldest.dob - rng.int(0, 3 * 365);
    const other = rng.pick(p.neighbours);
    let move: BoroughMove | null = null;
    const earliest = Math.max(start + 365, oldest.dob + 365);
    if (featured === 1) {
      move = { kind: 'in', day: this.#refDay - rng.int(900, 1300), from: other, to: p.borough, relocation: false };
    } else if (featured === null && fam.tier === 'escalating' && oldest.age >= 12 && rng.chance(ESCALATION.relocationForSafety)) {
      move = { kind: 'out', day: this.#refDay - rng.int(60, 400), from: p.borough, to: other, relocation: true };
    } else if (featured === null && earliest < this.#refDay - 60 && rng.chance(CROSS_BOROUGH_MOVE[fam.tier])) {
      const kind = rng.chance(0.5) ? 'in' : 'out';
      const day = rng.dayBetween(earliest, this.#refDay - 60);
      move = kind === 'in' ? { kind, day, from: other, to: p.borough, relocation: false } : { kind, day, from: p.borough, to: other, relocation: false };
    }
    fam.move = move;
    const local = fam.experiences.has('frequent_moves') ? rng.int(2, 4) : rng.chance(0.3) ? 1 : 0;
    const moves = Array.from({ length: local }, () => rng.dayBetween(start + 180, this.#refDay - 30));
    if (move) moves.push(move.day);
    const temporary = fam.experiences.has('poverty_housing') && local > 0 && rng.chance(0.35) ? rng.below(local) : -1;
    const bounds = [start, ...[...new Set(moves)].sort((a, b) => a - b)];
    fam.spells = bounds.map((from, i): Spell => {
      const borough = move && (move.kind === 'in' ? from < move.day : from >= move.day) ? other : p.borough;
      const isTemporary = i > 0 && moves[temporary] === from && from !== move?.day;
      const street = this.#names.street();
      return {
        from, to: bounds[i + 1] ?? null, borough, postcode: makePostcode(rng, postcodeArea(borough)), temporary: isTemporary,
        line1: isTemporary ? `Room ${rng.int(1, 40)}, ${street.split(' ')[0]} House` : `${rng.chance(0.3) ? `Flat ${rng.int(1, 30)}, ` : ''}${rng.int(1, 180)} ${street}`,
      };
    });
  }

  #schools(fam: FamilyState): void {
    const rng = fam.rng;
    const p = this.ctx.partnership;
    // A school "epoch" changes when the family changes borough, or (half the time) moves within it.
    const epochs: number[] = [];
    fam.spells.forEach((s, i) => epochs.push(i === 0 ? 0 : s.borough !== fam.spells[i - 1]!.borough || rng.chance(0.5) ? epochs[i - 1]! + 1 : epochs[i - 1]!));
    const chosen = new Map<string, OrgRef>();
    const sixthForm = rng.chance(0.5);
    for (const child of fam.children) {
      const phases: [SchoolPhase, number, number][] = [
        ['primary', child.dob + Math.floor(4.6 * YEAR), child.dob + Math.floor(11.6 * YEAR)],
        ['secondary', child.dob + Math.floor(11.6 * YEAR), child.dob + Math.floor((sixthForm ? 18.6 : 16.6) * YEAR)],
      ];
      for (const [phase, from, to] of phases) {
        if (from >= this.#refDay) continue;
        fam.spells.forEach((s, i) => {
          const a = Math.max(from, s.from);
          const b = Math.min(to, s.to ?? Infinity);
          if (a >= b) return;
          const key = `${epochs[i]}|${phase}`;
          let org = chosen.get(key);
          if (!org) {
            const options = p.schoolsOf(s.borough, phase);
            if (!options.length) return;
            org = rng.pick(options);
            chosen.set(key, org);
          }
          const last = child.schools.at(-1);
          if (last && last.org.id === org.id && last.to === a) last.to = b;
          else child.schools.push({ from: a, to: b, org });
        });
      }
    }
  }

  #exclusion(fam: FamilyState, child: ChildState): void {
    const rng = fam.rng;
    const p = this.ctx.partnership;
    const from = Math.max(child.dob + Math.floor(8 * YEAR), this.#refDay - 4 * 365);
    const atSchool = (d: number) => schoolAt(child, d) !== undefined;
    const pickDay = (a: number, b: number) => {
      for (let i = 0; i < 6; i += 1) {
        const d = rng.dayBetween(a, b);
        if (atSchool(d)) return d;
      }
      return null;
    };
    const [lo, hi] = child.tier === 'escalating' ? [2, 6] : child.tier === 'complex' ? [1, 4] : [1, 2];
    const suspensions = Array.from({ length: rng.int(lo, hi) }, () => pickDay(from, this.#refDay - 1)).filter((d): d is number => d !== null).sort((a, b) => a - b);
    if (!suspensions.length) return;
    const plan: ExclusionPlan = { suspensions, permanent: null, alternativeProvision: null, partTime: null, managedMove: null };
    const lastSuspension = suspensions.at(-1)!;
    const pexRate = child.tier === 'escalating' ? 0.45 : child.tier === 'complex' ? 0.25 : 0.05;
    const mainSecondary = (d: number) => {
      const s = schoolAt(child, d);
      return s?.phase === 'secondary' && s.borough === p.borough;
    };
    const ap = p.schoolsOf(p.borough, 'ap')[0]!;
    if (lastSuspension < this.#refDay - 30 && (child.featured === 0 || rng.chance(pexRate))) {
      const day = rng.dayBetween(lastSuspension + 5, this.#refDay - 20);
      if (mainSecondary(day)) {
        plan.permanent = day;
        if (rng.chance(0.3)) plan.partTime = Math.max(lastSuspension + 1, day - rng.int(20, 80));
        if (child.featured === 0 || rng.chance(0.9)) {
          plan.alternativeProvision = day + rng.int(10, 40);
          if (plan.alternativeProvision >= this.#refDay) plan.alternativeProvision = null;
        }
      }
    } else if (rng.chance(0.15) && mainSecondary(lastSuspension + 30) && lastSuspension + 30 < this.#refDay) {
      plan.alternativeProvision = lastSuspension + 30;
    } else if (rng.chance(0.15) && mainSecondary(lastSuspension + 40) && lastSuspension + 40 < this.#refDay) {
      const current = schoolAt(child, lastSuspension + 40)!;
      const others = p.schoolsOf(p.borough, 'secondary').filter((s) => s.id !== current.id);
      if (others.length) {
        plan.managedMove = lastSuspension + 40;
        switchSchool(child, plan.managedMove, rng.pick(others));
      }
    }
    if (plan.alternativeProvision !== null) switchSchool(child, plan.alternativeProvision, ap);
    child.exclusion = plan;
  }

  // ---------------------------------------------------------------- records

  #emit(fam: FamilyState, rec: Recorder, out: WorldChunk): void {
    const rng = fam.rng;
    const p = this.ctx.partnership;
    const mainGp = fam.gps.get(p.borough) ?? fam.gps.values().next().value;
    for (const child of fam.children) {
      const first = child.events.reduce<WorldEvent | undefined>((a, e) => (!a || e.occurred_at < a.occurred_at ? e : a), undefined);
      const accuracy = child.featured === null ? rng.weighted([['exact', 1 - RECORDS.dobMonth - RECORDS.dobEstimated], ['month', RECORDS.dobMonth], ['estimated', RECORDS.dobEstimated]] as const) : 'exact';
      const dob = accuracy === 'month' ? isoDay(child.dob).slice(0, 8) + '01' : isoDay(child.dob);
      out.people.push(person(child.id, dob, accuracy, child.sex, child.ethnicity, first?.organisation_id ?? mainGp?.id ?? null, this.ctx.partnership.createdAt));
      this.#childNames(fam, child, out);
      this.#childIdentifiers(fam, child, out);
      this.#addresses(fam, child.id, child.dob, out);
      for (const a of fam.adults) {
        if (a.role === 'relative') out.relationships.push(relationship(rng, child.id, a.id, 'other_family', null));
        else out.relationships.push(relationship(rng, child.id, a.id, a.role === 'carer' ? 'carer' : 'parent', isoDay(child.dob)));
      }
      for (const sib of fam.children) if (sib !== child) out.relationships.push(relationship(rng, child.id, sib.id, 'sibling', isoDay(Math.max(child.dob, sib.dob))));
      out.involvements.push(...child.involvements);
      out.childIds.push(child.id);
      out.childProfiles.push({ personId: child.id, tier: child.tier, experiences: experiencesOf(child, fam), movedBorough: fam.move !== null });
    }
    for (const a of fam.adults) {
      const accuracy = rng.chance(0.05) ? 'year' : 'exact';
      out.people.push(person(a.id, accuracy === 'year' ? `${yearOf(a.dob)}-01-01` : isoDay(a.dob), accuracy, a.sex, a.ethnicity && rng.chance(0.7) ? a.ethnicity : null, mainGp?.id ?? null, this.ctx.partnership.createdAt));
      out.personNames.push({ id: rng.uuid(), person_id: a.id, kind: 'legal', given_names: a.given, family_name: a.family, valid_from: null, valid_to: null, recorded_by_organisation_id: null });
      if (rng.chance(RECORDS.adultNhsNumber)) this.#identifier(rng, out, a.id, 'nhs_number', this.#nhsNumber(rng), null);
      this.#addresses(fam, a.id, a.role === 'relative' ? Math.max(a.dob, fam.spells[0]!.from) : fam.spells[0]!.from, out);
    }
    for (const child of fam.children) if (child.featured === null && rng.chance(RECORDS.duplicate)) this.#duplicate(fam, child, rec, out);
    this.#corrections(rng, rec);
    out.events.push(...rec.events);
    out.eventPeople.push(...rec.eventPeople);
    this.ctx.network.placeFamily(fam.children, rec.events);
  }

  #childNames(fam: FamilyState, child: ChildState, out: WorldChunk): void {
    const rng = fam.rng;
    const name = (kind: string, given: string | null, family: string | null, by: string | null, from: string | null = null, to: string | null = null) =>
      out.personNames.push({ id: rng.uuid(), person_id: child.id, kind, given_names: given, family_name: family, valid_from: from, valid_to: to, recorded_by_organisation_id: by });
    if (child.age >= 3 && rng.chance(RECORDS.previousName)) {
      const changed = Math.min(this.#refDay - 30, child.dob + rng.int(365, Math.max(366, Math.floor(child.age * 365) - 30)));
      name('previous', child.given, this.#names.family(child.ethnicity), null, isoDay(child.dob), isoDay(changed));
      name('legal', child.given, child.family, null, isoDay(changed + 1));
    } else {
      name('legal', child.given, child.family, null);
    }
    const short = shortForm(child.given);
    if (short && rng.chance(0.5)) name('known_as', short, child.family, schoolAt(child, this.#refDay - 1)?.id ?? null);
    // Every further agency that holds the child may spell the name its own way.
    const orgs = [...new Set(child.events.map((e) => e.organisation_id))];
    for (const orgId of orgs.slice(1)) {
      if (!rng.chance(RECORDS.agencySpelling)) continue;
      const givenWrong = rng.chance(0.6);
      name('alias', givenWrong ? misspell(child.given, rng) : child.given, givenWrong ? child.family : misspell(child.family, rng), orgId);
    }
    if (child.age >= 12) {
      const heavy = child.tier === 'complex' || child.tier === 'escalating';
      const policeOrYouth = orgs.filter((id) => ['police', 'youth_centre', 'targeted_youth_support', 'school'].includes(this.ctx.partnership.orgById(id)?.kind ?? ''));
      const by = policeOrYouth.length ? rng.pick(policeOrYouth) : null;
      if (rng.chance(heavy ? RECORDS.nickname : RECORDS.nicknameOther) || child.featured === 0) name('nickname', makeNickname(child.given, rng), null, by);
      if (rng.chance(heavy ? RECORDS.onlineHandle : RECORDS.onlineHandleOther)) name('online_handle', makeHandle(child.given, rng), null, by);
    }
  }

  #childIdentifiers(fam: FamilyState, child: ChildState, out: WorldChunk): void {
    const rng = fam.rng;
    const p = this.ctx.partnership;
    if (child.featured !== null || rng.chance(RECORDS.nhsNumber)) this.#identifier(rng, out, child.id, 'nhs_number', this.#nhsNumber(rng), null);
    const firstSchool = child.schools[0];
    if (firstSchool && child.age >= 5 && (child.featured !== null || rng.chance(RECORDS.upn))) {
      const la = laCodeFor(firstSchool.org.borough);
      const est = firstSchool.org.establishment ?? '2001';
      const year = String(yearOf(firstSchool.from) % 100).padStart(2, '0');
      const key = `${la}|${est}|${year}`;
      const serial = this.#serials.get(key) ?? 0;
      this.#serials.set(key, serial + 1);
      // Temporary UPNs are issued while a permanent one is awaited (and when a year's serials run out).
      const upn = serial >= 1000 || rng.chance(RECORDS.temporaryUpn)
        ? makeTemporaryUpn(rng.nextInt, la, est, year, serial % 100)
        : makeUpn(rng.nextInt, la, est, year, serial);
      this.#identifier(rng, out, child.id, 'upn', upn, firstSchool.org.id);
    }
    const police = child.events.find((e) => p.orgById(e.organisation_id)?.kind === 'police');
    if (police && rng.chance(RECORDS.policeId)) {
      const serial = this.#next('police', 100000);
      const yy = police.occurred_at.slice(2, 4);
      this.#identifier(rng, out, child.id, 'police_id', `${yy}/${String(serial).padStart(7, '0')}${UPN_CHECK_LETTERS[serial % 23]}`, police.organisation_id);
    }
    // Local case numbers from each service that opened a case.
    const seen = new Set<string>();
    for (const inv of child.involvements) {
      const org = p.orgById(inv.organisation_id);
      if (!org || seen.has(org.id)) continue;
      const prefix = ({ childrens_social_care: 'SC', early_help: 'EH', youth_justice: 'YJ' } as Partial<Record<AgencyKind, string>>)[org.kind];
      if (!prefix) continue;
      seen.add(org.id);
      this.#identifier(rng, out, child.id, 'local_id', `${prefix}${postcodeArea(org.borough)}${String(this.#next(org.id, 10000)).padStart(6, '0')}`, org.id);
    }
  }

  #next(key: string, start: number): number {
    const n = this.#serials.get(key) ?? start + (hashParts(this.seed, key)[0] % start);
    this.#serials.set(key, n + 1);
    return n;
  }

  #nhsNumber(rng: Rng): string {
    // Unique within a world: a shared NHS number would make two children look like one.
    if (this.#nhs.size > 800_000) throw new Error('Too many people for the synthetic NHS number range');
    for (;;) {
      const n = makeNhsNumber(rng.nextInt);
      if (!this.#nhs.has(n)) {
        this.#nhs.add(n);
        return n;
      }
    }
  }

  #identifier(rng: Rng, out: WorldChunk, personId: string, scheme: string, value: string, issuer: string | null): void {
    out.identifiers.push({ id: rng.uuid(), person_id: personId, scheme, value, issuer_organisation_id: issuer });
  }

  #addresses(fam: FamilyState, personId: string, since: number, out: WorldChunk): void {
    for (const s of fam.spells) {
      if (s.to !== null && s.to <= since) continue;
      out.addresses.push({
        id: fam.rng.uuid(), person_id: personId, line1: s.line1, town: 'London', postcode: s.postcode, borough: s.borough,
        valid_from: isoDay(Math.max(s.from, since)), valid_to: s.to === null ? null : isoDay(s.to - 1),
        recorded_by_organisation_id: fam.gps.get(s.borough)?.id ?? null,
      });
    }
  }

  /** A second record of the child made by an agency that could not find the first: misspelt, few identifiers. */
  #duplicate(fam: FamilyState, child: ChildState, rec: Recorder, out: WorldChunk): void {
    const rng = fam.rng;
    const p = this.ctx.partnership;
    const kinds = new Set<string>(['police', 'acute_hospital', 'school', 'gp', 'youth_justice', 'community_health', 'camhs']);
    const candidates = [...new Set(child.events.map((e) => e.organisation_id))].filter((id) => kinds.has(p.orgById(id)?.kind ?? ''));
    const dupId = rng.uuid();
    let orgId: string;
    if (candidates.length) {
      orgId = rng.pick(candidates);
      const moved = new Set(child.events.filter((e) => e.organisation_id === orgId).map((e) => e.id));
      for (const ep of rec.eventPeople) if (ep.person_id === child.id && ep.role === 'subject' && moved.has(ep.event_id)) ep.person_id = dupId;
    } else {
      // Nobody else holds the child yet: the duplicate comes from a first contact the agency did not match.
      const e = child.age >= 10
        ? rec.record('police_welfare_concern', child, { day: this.#refDay - rng.int(20, 700), kinds: ['police'] })
        : rec.record('was_not_brought', child, { day: this.#refDay - rng.int(20, 700), kinds: ['gp'] });
      if (!e) return;
      orgId = e.organisation_id;
      for (const ep of rec.eventPeople) if (ep.event_id === e.id && ep.person_id === child.id) ep.person_id = dupId;
    }
    const dobRoll = rng.next();
    const dob = isoDay(child.dob);
    const [dupDob, accuracy] = dobRoll < 0.6 ? [dob, 'exact'] : dobRoll < 0.8 ? [swapDayMonth(dob), 'exact'] : dobRoll < 0.9 ? [`${dob.slice(0, 4)}-01-01`, 'year'] : [null, 'unknown'];
    out.people.push(person(dupId, dupDob, accuracy, rng.chance(0.95) ? child.sex : 'not_known', rng.chance(0.5) ? child.ethnicity : null, orgId, this.ctx.partnership.createdAt));
    const both = rng.chance(0.2);
    const givenWrong = both || rng.chance(0.5);
    out.personNames.push({
      id: rng.uuid(), person_id: dupId, kind: 'legal', given_names: givenWrong ? misspell(child.given, rng) : child.given,
      family_name: both || !givenWrong ? misspell(child.family, rng) : child.family, valid_from: null, valid_to: null, recorded_by_organisation_id: orgId,
    });
    const ids = out.identifiers.filter((i) => i.person_id === child.id);
    const nhs = ids.find((i) => i.scheme === 'nhs_number');
    const upn = ids.find((i) => i.scheme === 'upn');
    const roll = rng.next();
    if (roll < 0.15 && nhs) this.#identifier(rng, out, dupId, 'nhs_number', nhs.value, null);
    else if (roll < 0.25 && upn) this.#identifier(rng, out, dupId, 'upn', upn.value, upn.issuer_organisation_id);
    const now = fam.spells.at(-1)!;
    if (rng.chance(0.5)) {
      out.addresses.push({
        id: rng.uuid(), person_id: dupId, line1: now.line1.toUpperCase(), town: null, postcode: now.postcode.replace(' ', ''), borough: now.borough,
        valid_from: null, valid_to: null, recorded_by_organisation_id: orgId,
      });
    }
    out.duplicates.push({ personId: dupId, duplicateOfPersonId: child.id });
  }

  /** About 1% of entries are later corrected by their agency: a superseding entry, with both kept. */
  #corrections(rng: Rng, rec: Recorder): void {
    for (const original of [...rec.events]) {
      if (!rng.chance(RECORDS.correction)) continue;
      const redate = rng.chance(0.5);
      // Corrected dates move later only, so a correction can never predate the child's birth.
      const shift = rng.pick([1, 2, 3, 5, 7]) * 86_400_000;
      const occurred = redate ? new Date(Math.min(Date.parse(original.occurred_at) + shift, (this.#refDay - 1) * 86_400_000)).toISOString() : original.occurred_at;
      const recorded = new Date(Math.min(Date.parse(original.recorded_at) + rng.int(1, 30) * 86_400_000, this.#refDay * 86_400_000 + 18 * 3_600_000));
      const correction: WorldEvent = {
        ...original,
        id: rng.uuid(),
        factor_codes: [...original.factor_codes],
        occurred_at: occurred,
        recorded_at: new Date(Math.max(recorded.getTime(), Date.parse(occurred), Date.parse(original.recorded_at))).toISOString(),
        summary: redate ? original.summary : summarise(original.event_type_code, rng, { place: original.place ?? 'the local area' }, this.ctx.partnership.orgById(original.organisation_id)?.kind),
        supersedes: original.id,
        correction_reason: correctionReason(rng),
      };
      rec.events.push(correction);
      for (const ep of rec.eventPeople.filter((x) => x.event_id === original.id)) rec.eventPeople.push({ ...ep, event_id: correction.id });
    }
  }
}

function switchSchool(child: ChildState, day: number, org: OrgRef): void {
  const i = child.schools.findIndex((s) => s.from <= day && day < s.to);
  if (i < 0) return;
  const spell = child.schools[i]!;
  const next: SchoolSpell = { from: day, to: spell.to, org };
  spell.to = day;
  child.schools.splice(i + 1, 0, next);
}

function parentEthnicities(child: string, rng: Rng): [string | null, string | null] {
  const mixed = MIXED_PARENTS[child];
  if (mixed) {
    const pair: [string, string] = [mixed[0], rng.pick(mixed[1])];
    return rng.chance(0.5) ? pair : [pair[1], pair[0]];
  }
  if (child === 'REFU' || child === 'NOBT') return [null, null];
  return [child, child];
}

function swapDayMonth(iso: string): string {
  const [y, m, d] = iso.split('-');
  return Number(d) <= 12 && d !== m ? `${y}-${d}-${m}` : iso;
}

function person(id: string, dob: string | null, accuracy: string, sex: string, ethnicity: string | null, by: string | null, createdAt: string): WorldPerson {
  return { id, date_of_birth: dob, dob_accuracy: accuracy, sex, ethnicity, created_at: createdAt, created_by_organisation_id: by };
}

function relationship(rng: Rng, personId: string, relatedId: string, kind: string, from: string | null) {
  return { id: rng.uuid(), person_id: personId, related_person_id: relatedId, kind, valid_from: from, valid_to: null };
}
