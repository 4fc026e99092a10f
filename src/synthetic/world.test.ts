import { describe, expect, it } from 'vitest';
import { isEthnicityCode } from '../domain/ethnicity.js';
import { isValidNhsNumber, isValidUpn } from '../domain/identifiers.js';
import { loadVocabulary, parseVocabulary } from '../domain/vocabulary.js';
import { USED_EVENT_CODES } from './experiences.js';
import { REFERENCE_DATE } from './rates.js';
import { CHUNK_TABLES, type World } from './types.js';
import { checkVocabulary, demoUsersOf, generateChildrenChunks, generateWorld, referenceDateOn } from './world.js';
import { ROLES } from '../server/actor.js';

const vocabulary = loadVocabulary();
const types = new Map(vocabulary.eventTypes.map((t) => [t.code, t]));
const factors = new Set(vocabulary.factors.map((f) => f.code));

// One borough of 2,000 children is shared by the rate checks (it takes well under a second to make).
const world = generateWorld({ children: 2000, seed: 20261101 });
const orgs = new Map(world.organisations.map((o) => [o.id, o]));
const people = new Map(world.people.map((p) => [p.id, p]));
const children = new Set(world.childIds);
const profiles = new Map(world.childProfiles.map((p) => [p.personId, p]));
const duplicateIds = new Set(world.duplicates.map((d) => d.personId));
const eventsOf = new Map<string, Set<string>>();
for (const ep of world.eventPeople) {
  if (!eventsOf.has(ep.person_id)) eventsOf.set(ep.person_id, new Set());
  eventsOf.get(ep.person_id)!.add(ep.event_id);
}
const ageOf = (id: string) => (Date.parse(REFERENCE_DATE) - Date.parse(people.get(id)!.date_of_birth!)) / (365.25 * 86_400_000);
const share = (n: number, d: number) => n / d;

describe('determinism', () => {
  it('gives byte-identical worlds, ids included, for the same seed and size', () => {
    const a = generateWorld({ children: 300, seed: 11 });
    const b = generateWorld({ children: 300, seed: 11 });
    expect(b).toEqual(a);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(a.people[0]!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('gives a different world for a different seed', () => {
    const a = generateWorld({ children: 300, seed: 11 });
    const b = generateWorld({ children: 300, seed: 12 });
    expect(b.people.map((p) => p.id)).not.toEqual(a.people.map((p) => p.id));
    expect(b.personNames.map((n) => n.family_name)).not.toEqual(a.personNames.map((n) => n.family_name));
  });

  it('streams the same rows whatever the chunk size', () => {
    const whole = generateWorld({ children: 400, seed: 5 });
    const merged: World = { ...whole, childIds: [], duplicates: [], childProfiles: [] };
    for (const table of CHUNK_TABLES) merged[table] = [];
    let chunks = 0;
    for (const chunk of generateChildrenChunks({ children: 400, seed: 5 }, 37)) {
      chunks += 1;
      for (const table of CHUNK_TABLES) (merged[table] as unknown[]).push(...chunk[table]);
      merged.childIds.push(...chunk.childIds);
      merged.duplicates.push(...chunk.duplicates);
      merged.childProfiles.push(...chunk.childProfiles);
    }
    expect(chunks).toBeGreaterThan(5);
    expect(merged).toEqual(whole);
  });

  it('keeps the demo accounts fixed whatever the seed or size', () => {
    const emails = (w: World) => w.demoUsers.map((u) => u.email).sort();
    const small = generateWorld({ children: 20, seed: 1 });
    const other = generateWorld({ children: 60, seed: 99 });
    expect(emails(small)).toEqual(emails(other));
    expect(emails(small)).toEqual([
      'admin@northbridge.jigsaw.test', 'analyst@northbridge.jigsaw.test', 'dpo@northbridge.jigsaw.test', 'dsl@northbridge.jigsaw.test', 'lead@northbridge.jigsaw.test',
      'manager@northbridge.jigsaw.test', 'panel@northbridge.jigsaw.test', 'police@northbridge.jigsaw.test', 'practitioner@northbridge.jigsaw.test',
      'qa@northbridge.jigsaw.test', 'scrutineer@northbridge.jigsaw.test', 'unrelated@northbridge.jigsaw.test', 'youthworker@northbridge.jigsaw.test',
    ]);
    expect(demoUsersOf('Eastmere')[0]!.email).toMatch(/@eastmere\.jigsaw\.test$/);
    for (const u of small.demoUsers) expect(small.users.some((x) => x.email === u.email)).toBe(true);
    // Every role has a demo account.
    expect(new Set(small.demoUsers.map((u) => u.role))).toEqual(new Set(ROLES));
  });
});

describe('the reference date', () => {
  it('is the last day on or before the clock that is whole weeks from the fixed one', () => {
    expect(referenceDateOn(new Date(`${REFERENCE_DATE}T00:00:00Z`))).toBe(REFERENCE_DATE);
    expect(referenceDateOn(new Date('2026-11-07T23:59:59Z'))).toBe(REFERENCE_DATE);
    expect(referenceDateOn(new Date('2026-11-08T00:00:00Z'))).toBe('2026-11-08');
    expect(referenceDateOn(new Date('2026-11-27T17:00:00Z'))).toBe('2026-11-22');
    expect(referenceDateOn(new Date('2026-10-31T12:00:00Z'))).toBe('2026-10-25');
    expect(referenceDateOn(new Date('2029-02-28T12:00:00Z'))).toBe('2029-02-25');
    for (const d of ['2026-11-22', '2026-10-25', '2029-02-25']) expect(new Date(`${d}T00:00:00Z`).getUTCDay()).toBe(new Date(`${REFERENCE_DATE}T00:00:00Z`).getUTCDay());
  });

  it('moves the same world in time: the same rows, each child as old on its "today", every entry before it', () => {
    const fixed = generateWorld({ children: 200, seed: 3 });
    const later = generateWorld({ children: 200, seed: 3, referenceDate: '2027-06-13' });
    const shift = Date.parse('2027-06-13') - Date.parse(REFERENCE_DATE);
    expect(later.referenceDate).toBe('2027-06-13');
    expect(later.events.map((e) => e.id)).toEqual(fixed.events.map((e) => e.id));
    expect(later.people.map((p) => p.id)).toEqual(fixed.people.map((p) => p.id));
    const exact = fixed.events.map((e, i) => [e, later.events[i]!] as const).filter(([e]) => e.occurred_precision === 'time' || e.occurred_precision === 'date');
    expect(exact.length).toBeGreaterThan(fixed.events.length / 2);
    for (const [e, l] of exact) expect(Date.parse(l.occurred_at) - Date.parse(e.occurred_at)).toBe(shift);
    for (const e of later.events) expect(e.occurred_at < '2027-06-13').toBe(true);
    const laterPeople = new Map(later.people.map((p) => [p.id, p]));
    for (const id of fixed.childIds) {
      const a = fixed.people.find((p) => p.id === id)!;
      const b = laterPeople.get(id)!;
      if (a.dob_accuracy === 'exact') expect(Date.parse(b.date_of_birth!) - Date.parse(a.date_of_birth!)).toBe(shift);
    }
    expect(later.organisations[0]!.created_at).toBe('2027-06-13T06:00:00.000Z');
  });

  it('refuses a reference date that is not a real day', () => {
    expect(() => generateWorld({ children: 1, seed: 1, referenceDate: '2026-02-30' })).toThrow(/real date/);
    expect(() => generateWorld({ children: 1, seed: 1, referenceDate: 'next week' })).toThrow(/real date/);
  });
});

describe('the vocabulary', () => {
  it('has every event type the generator can record', () => {
    for (const code of USED_EVENT_CODES) expect(types.has(code), code).toBe(true);
    for (const e of world.events) expect(types.has(e.event_type_code), e.event_type_code).toBe(true);
  });

  it('fails loudly when a code the generator relies on is missing', () => {
    const raw = structuredClone(vocabulary) as { eventTypes: { code: string }[] };
    raw.eventTypes = raw.eventTypes.filter((t) => t.code !== 'missing_episode');
    expect(() => checkVocabulary(parseVocabulary(raw))).toThrow(/missing_episode/);
  });

  it('records each entry by an organisation of a kind the event type allows, with known factor codes', () => {
    for (const e of world.events) {
      const kind = orgs.get(e.organisation_id)!.kind;
      expect(types.get(e.event_type_code)!.agencyKinds as readonly string[], `${e.event_type_code} by ${kind}`).toContain(kind);
      for (const f of e.factor_codes) expect(factors.has(f), f).toBe(true);
    }
  });
});

describe('the shape of the data', () => {
  it('uses only values the schema allows', () => {
    const allowed = {
      kind: ['police', 'school', 'gp', 'acute_hospital', 'community_health', 'camhs', 'childrens_social_care', 'early_help', 'youth_justice',
        'targeted_youth_support', 'housing', 'probation', 'substance_misuse', 'voluntary_sector', 'youth_centre'],
      roles: [...ROLES],
      sex: ['female', 'male', 'not_known'],
      accuracy: ['exact', 'month', 'year', 'estimated', 'unknown'],
      name: ['legal', 'known_as', 'alias', 'nickname', 'online_handle', 'previous'],
      scheme: ['nhs_number', 'upn', 'police_id', 'local_id'],
      relationship: ['parent', 'carer', 'sibling', 'other_family'],
      involvement: ['lead_professional', 'key_worker', 'allocated_worker', 'trusted_adult', 'case_holder', 'designated_safeguarding_lead', 'health_lead', 'other'],
      precision: ['time', 'date', 'month', 'approximate'],
      eventRole: ['subject', 'victim', 'suspect', 'witness', 'associate', 'parent'],
    };
    expect(new Set(world.organisations.map((o) => o.kind))).toEqual(new Set(allowed.kind));
    for (const u of world.users) for (const r of u.roles) expect(allowed.roles).toContain(r);
    for (const p of world.people) {
      expect(allowed.sex).toContain(p.sex);
      expect(allowed.accuracy).toContain(p.dob_accuracy);
      if (p.ethnicity !== null) expect(isEthnicityCode(p.ethnicity), p.ethnicity).toBe(true);
    }
    for (const n of world.personNames) expect(allowed.name).toContain(n.kind);
    for (const i of world.identifiers) expect(allowed.scheme).toContain(i.scheme);
    for (const r of world.relationships) expect(allowed.relationship).toContain(r.kind);
    for (const i of world.involvements) expect(allowed.involvement).toContain(i.role);
    for (const e of world.events) {
      expect(allowed.precision).toContain(e.occurred_precision);
      expect(e.recorded_via).toBe('synthetic');
      expect(['standard', 'restricted']).toContain(e.sensitivity);
      expect(['confirmed', 'reported', 'unverified']).toContain(e.reliability);
      expect(e.summary.length).toBeGreaterThan(0);
      expect(e.summary.length).toBeLessThanOrEqual(500);
    }
    for (const ep of world.eventPeople) expect(allowed.eventRole).toContain(ep.role);
  });

  it('refers only to rows that exist in the world, with unique ids and emails', () => {
    const ids = new Set<string>();
    for (const table of CHUNK_TABLES) {
      if (table === 'eventPeople' || table === 'eventPlaces') continue;
      for (const row of world[table] as { id: string }[]) {
        expect(ids.has(row.id)).toBe(false);
        ids.add(row.id);
      }
    }
    const users = new Set(world.users.map((u) => u.id));
    const teams = new Set(world.teams.map((t) => t.id));
    const events = new Set(world.events.map((e) => e.id));
    for (const u of world.users) expect(orgs.has(u.organisation_id) && (u.team_id === null || teams.has(u.team_id))).toBe(true);
    for (const t of [world.personNames, world.identifiers, world.addresses, world.relationships, world.involvements]) {
      for (const row of t) expect(people.has(row.person_id)).toBe(true);
    }
    for (const r of world.relationships) expect(people.has(r.related_person_id) && r.related_person_id !== r.person_id).toBe(true);
    for (const i of world.involvements) expect(orgs.has(i.organisation_id) && (i.user_id === null || users.has(i.user_id))).toBe(true);
    for (const e of world.events) {
      expect(orgs.has(e.organisation_id)).toBe(true);
      if (e.recorded_by_user_id) expect(users.has(e.recorded_by_user_id)).toBe(true);
      if (e.supersedes) expect(events.has(e.supersedes)).toBe(true);
    }
    const keys = new Set<string>();
    for (const ep of world.eventPeople) {
      expect(events.has(ep.event_id) && people.has(ep.person_id)).toBe(true);
      const key = `${ep.event_id}|${ep.person_id}|${ep.role}`;
      expect(keys.has(key)).toBe(false);
      keys.add(key);
    }
    expect(new Set(world.users.map((u) => u.email.toLowerCase())).size).toBe(world.users.length);
  });

  it('keeps every entry in the past of the reference date and after the child was born', () => {
    const dates = new Map(world.events.map((e) => [e.id, e]));
    for (const e of world.events) {
      expect(e.occurred_at < REFERENCE_DATE).toBe(true);
      expect(e.recorded_at >= e.occurred_at).toBe(true);
    }
    for (const ep of world.eventPeople) {
      if (!children.has(ep.person_id)) continue;
      expect(dates.get(ep.event_id)!.occurred_at.slice(0, 10) >= people.get(ep.person_id)!.date_of_birth!).toBe(true);
    }
  });
});

describe('rates over 2,000 children', () => {
  it('makes exactly the children asked for, aged 0-17 and adolescent-heavy', () => {
    expect(world.childIds).toHaveLength(2000);
    const ages = world.childIds.map(ageOf);
    expect(Math.min(...ages)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...ages)).toBeLessThan(18);
    expect(share(ages.filter((a) => a >= 10).length, ages.length)).toBeGreaterThan(0.55);
    expect(share(ages.filter((a) => a >= 10).length, ages.length)).toBeLessThan(0.66);
  });

  it('gives most children few or no entries, and a minority long, escalating histories', () => {
    const counts = world.childIds.map((id) => eventsOf.get(id)?.size ?? 0);
    expect(share(counts.filter((c) => c === 0).length, counts.length)).toBeGreaterThan(0.3);
    expect(share(counts.filter((c) => c <= 2).length, counts.length)).toBeGreaterThan(0.55);
    const escalating = world.childProfiles.filter((p) => p.tier === 'escalating');
    expect(share(escalating.length, 2000)).toBeGreaterThan(0.02);
    expect(share(escalating.length, 2000)).toBeLessThan(0.07);
    for (const p of escalating) {
      expect(p.experiences.length, 'several common experiences').toBeGreaterThanOrEqual(4);
      expect(eventsOf.get(p.personId)?.size ?? 0).toBeGreaterThanOrEqual(10);
    }
    // Escalation shows up as the entries the reviews describe.
    const codes = new Set(world.events.map((e) => e.event_type_code));
    for (const code of ['missing_episode', 'permanent_exclusion', 'stop_and_search', 'weapon_incident', 'ae_attendance_stab_wound', 'criminal_exploitation_concern', 'nrm_referral']) {
      expect(codes.has(code), code).toBe(true);
    }
  });

  it('holds an NHS number for about 92% of children and a UPN for about 90% of school-age children, all valid and unique', () => {
    const holders = (scheme: string) => new Set(world.identifiers.filter((i) => i.scheme === scheme && children.has(i.person_id)).map((i) => i.person_id));
    expect(share(holders('nhs_number').size, 2000)).toBeGreaterThan(0.89);
    expect(share(holders('nhs_number').size, 2000)).toBeLessThan(0.95);
    const schoolAge = world.childIds.filter((id) => ageOf(id) >= 5);
    const upn = holders('upn');
    expect(share(schoolAge.filter((id) => upn.has(id)).length, schoolAge.length)).toBeGreaterThan(0.86);
    expect(share(schoolAge.filter((id) => upn.has(id)).length, schoolAge.length)).toBeLessThan(0.95);
    for (const i of world.identifiers) {
      if (i.scheme === 'nhs_number') expect(isValidNhsNumber(i.value), i.value).toBe(true);
      if (i.scheme === 'upn') expect(isValidUpn(i.value), i.value).toBe(true);
    }
    for (const scheme of ['nhs_number', 'upn']) {
      const values = world.identifiers.filter((i) => i.scheme === scheme && !duplicateIds.has(i.person_id)).map((i) => i.value);
      expect(new Set(values).size, scheme).toBe(values.length);
    }
    expect(holders('police_id').size).toBeGreaterThan(0);
    expect(holders('local_id').size).toBeGreaterThan(0);
  });

  it('moves about 8% of children between boroughs, with the move recorded and an address in the new borough', () => {
    const moved = world.childProfiles.filter((p) => p.movedBorough);
    expect(share(moved.length, 2000)).toBeGreaterThan(0.05);
    expect(share(moved.length, 2000)).toBeLessThan(0.11);
    const boroughs = new Map<string, Set<string>>();
    for (const a of world.addresses) (boroughs.get(a.person_id) ?? boroughs.set(a.person_id, new Set()).get(a.person_id)!).add(a.borough!);
    const movedEvents = new Set(world.events.filter((e) => e.event_type_code === 'move_to_another_borough' || e.event_type_code === 'relocation_for_safety').map((e) => e.id));
    const withMove = moved.filter((p) => (boroughs.get(p.personId)?.size ?? 0) > 1 && [...(eventsOf.get(p.personId) ?? [])].some((id) => movedEvents.has(id)));
    expect(share(withMove.length, moved.length)).toBeGreaterThan(0.6);
    expect(world.events.some((e) => e.event_type_code === 'case_transferred_between_boroughs')).toBe(true);
  });

  it('has the record-keeping mess of real agencies', () => {
    // About 3% of children also exist as a misspelt duplicate made by another agency, with few identifiers.
    expect(share(world.duplicates.length, 2000)).toBeGreaterThan(0.015);
    expect(share(world.duplicates.length, 2000)).toBeLessThan(0.05);
    const legal = (id: string) => world.personNames.find((n) => n.person_id === id && n.kind === 'legal' && n.valid_to === null)!;
    for (const d of world.duplicates) {
      expect(children.has(d.duplicateOfPersonId)).toBe(true);
      const a = legal(d.duplicateOfPersonId);
      const b = legal(d.personId);
      expect(`${b.given_names} ${b.family_name}`).not.toBe(`${a.given_names} ${a.family_name}`);
      expect(b.recorded_by_organisation_id).toBe(people.get(d.personId)!.created_by_organisation_id);
      expect(world.identifiers.filter((i) => i.person_id === d.personId).length).toBeLessThanOrEqual(1);
      expect(eventsOf.get(d.personId)?.size ?? 0).toBeGreaterThan(0);
    }
    const aliases = world.personNames.filter((n) => n.kind === 'alias');
    expect(aliases.length).toBeGreaterThan(50);
    for (const a of aliases) expect(a.recorded_by_organisation_id).not.toBeNull();
    expect(world.personNames.some((n) => n.kind === 'nickname')).toBe(true);
    expect(world.personNames.some((n) => n.kind === 'online_handle')).toBe(true);
    expect(world.people.some((p) => p.dob_accuracy === 'month' || p.dob_accuracy === 'estimated')).toBe(true);
    const missingNhs = world.childIds.filter((id) => !world.identifiers.some((i) => i.person_id === id && i.scheme === 'nhs_number'));
    expect(missingNhs.length).toBeGreaterThan(0);
  });

  it('restricts about 2% of police intelligence, corrects about 1% of entries, and links children to each other', () => {
    const intel = ['seen_with_peers_of_concern', 'seen_in_place_of_concern', 'group_violence_association_concern', 'criminal_exploitation_concern', 'county_lines_concern', 'sexual_exploitation_concern', 'relative_involved_in_crime'];
    const police = world.events.filter((e) => intel.includes(e.event_type_code) && orgs.get(e.organisation_id)!.kind === 'police');
    const restricted = world.events.filter((e) => e.sensitivity === 'restricted');
    expect(restricted.length).toBeGreaterThan(0);
    expect(share(restricted.length, police.length)).toBeLessThan(0.1);
    const byId = new Map(world.events.map((e) => [e.id, e]));
    const corrections = world.events.filter((e) => e.supersedes);
    expect(share(corrections.length, world.events.length)).toBeGreaterThan(0.004);
    expect(share(corrections.length, world.events.length)).toBeLessThan(0.02);
    for (const c of corrections) {
      const original = byId.get(c.supersedes!)!;
      expect(c.correction_reason).toBeTruthy();
      expect(c.organisation_id).toBe(original.organisation_id);
      expect(world.events.indexOf(original)).toBeLessThan(world.events.indexOf(c));
    }
    // Network links: entries that name children from other families as associates, suspects, victims or witnesses.
    const linked = world.eventPeople.filter((ep) => ep.role !== 'subject' && ep.role !== 'parent' && children.has(ep.person_id));
    expect(linked.length).toBeGreaterThan(20);
  });
});

describe('involvements and caseloads', () => {
  const current = world.involvements.filter((i) => i.ended_on === null);

  it('gives every child with a significant history a named lead professional, and children with no entries none', () => {
    const leads = new Set(current.filter((i) => i.role === 'lead_professional' && i.user_id).map((i) => i.person_id));
    for (const p of world.childProfiles) if (p.tier === 'complex' || p.tier === 'escalating') expect(leads.has(p.personId), p.personId).toBe(true);
    const involved = new Set(world.involvements.map((i) => i.person_id));
    const duplicateOf = new Map(world.duplicates.map((d) => [d.duplicateOfPersonId, d.personId]));
    const quiet = world.childIds.filter((id) => !eventsOf.get(id)?.size && !eventsOf.get(duplicateOf.get(id) ?? '')?.size);
    expect(quiet.filter((id) => involved.has(id)).length).toBe(0);
    for (const i of world.involvements) {
      expect(i.started_on < REFERENCE_DATE).toBe(true);
      if (i.ended_on) expect(i.ended_on >= i.started_on).toBe(true);
    }
  });

  it('involves school DSLs with pupils who have education entries, and GP leads with patients who have health entries', () => {
    const byId = new Map(world.events.map((e) => [e.id, e]));
    const duplicateOf = new Map(world.duplicates.map((d) => [d.duplicateOfPersonId, d.personId]));
    // An agency's entries may sit on the child's duplicate record: that is the mess identity matching resolves.
    const categories = (personId: string) =>
      [...(eventsOf.get(personId) ?? []), ...(eventsOf.get(duplicateOf.get(personId) ?? '') ?? [])].map((id) => types.get(byId.get(id)!.event_type_code)!.category);
    const dsl = world.involvements.filter((i) => i.role === 'designated_safeguarding_lead');
    expect(dsl.length).toBeGreaterThan(0);
    for (const i of dsl) {
      expect(orgs.get(i.organisation_id)!.kind).toBe('school');
      expect(categories(i.person_id)).toContain('education');
    }
    const gp = world.involvements.filter((i) => i.role === 'health_lead');
    expect(gp.length).toBeGreaterThan(0);
    for (const i of gp) {
      expect(orgs.get(i.organisation_id)!.kind).toBe('gp');
      expect(categories(i.person_id)).toContain('health');
    }
  });

  it('gives each involvement a worker from the organisation that holds it', () => {
    const users = new Map(world.users.map((u) => [u.id, u]));
    for (const i of world.involvements) {
      if (!i.user_id) continue;
      expect(users.get(i.user_id)!.organisation_id).toBe(i.organisation_id);
      if (i.team_id) expect(users.get(i.user_id)!.team_id).toBe(i.team_id);
    }
  });

  it('keeps case-holding caseloads at about 10-25 children', () => {
    const holders = new Set(world.users.filter((u) => ['Social worker', 'Early help practitioner', 'Youth justice case manager', 'Youth worker'].includes(u.job_title ?? '')).map((u) => u.id));
    const load = new Map<string, number>();
    for (const i of current) if (i.user_id && holders.has(i.user_id)) load.set(i.user_id, (load.get(i.user_id) ?? 0) + 1);
    const loads = [...load.values()];
    expect(Math.max(...loads)).toBeLessThanOrEqual(25);
    const mean = loads.reduce((a, b) => a + b, 0) / loads.length;
    expect(mean).toBeGreaterThan(8);
    expect(mean).toBeLessThan(22);
  });

  it('gives the demo practitioner a caseload with rich histories, and the unrelated practitioner nothing', () => {
    const user = (local: string) => world.users.find((u) => u.email === `${local}@northbridge.jigsaw.test`)!;
    const practitioner = user('practitioner');
    const mine = current.filter((i) => i.user_id === practitioner.id);
    expect(mine.length).toBeGreaterThanOrEqual(3);
    expect(mine.filter((i) => (eventsOf.get(i.person_id)?.size ?? 0) >= 20).length).toBeGreaterThanOrEqual(3);
    expect(practitioner.team_id).toBe(user('manager').team_id);
    expect(user('manager').roles).toEqual(['team_manager']);
    for (const local of ['youthworker', 'police']) expect(current.some((i) => i.user_id === user(local).id), local).toBe(true);
    for (const local of ['unrelated', 'admin', 'dpo']) {
      const u = user(local);
      expect(world.involvements.some((i) => i.user_id === u.id || (u.team_id !== null && i.team_id === u.team_id)), local).toBe(false);
    }
    expect(user('admin').roles).toEqual(['partnership_admin']);
    expect(user('dpo').roles).toEqual(['data_protection_officer']);
  });
});

describe('profiles', () => {
  it('records a ground-truth profile for every child', () => {
    expect(profiles.size).toBe(2000);
    for (const id of world.childIds) expect(profiles.has(id)).toBe(true);
  });
});

describe('the contextual world: places, peer groups and relationships beyond family', () => {
  const places = new Map(world.places.map((p) => [p.id, p]));
  const events = new Map(world.events.map((e) => [e.id, e]));
  const adolescents = world.childIds.filter((id) => profiles.get(id)!.tier === 'escalating');

  it('makes the borough places: places of concern, every school and youth centre, and group chats with a platform and handle', () => {
    const kinds = new Set(world.places.map((p) => p.kind));
    for (const k of ['estate', 'park', 'transport_hub', 'shop', 'school', 'youth_centre', 'online']) expect(kinds).toContain(k);
    const schoolsAndCentres = world.organisations.filter((o) => o.kind === 'school' || o.kind === 'youth_centre');
    expect(world.places.filter((p) => p.kind === 'school' || p.kind === 'youth_centre')).toHaveLength(schoolsAndCentres.length);
    for (const p of world.places.filter((q) => q.kind === 'online')) expect(p.platform && p.handle).toBeTruthy();
    for (const p of world.places) expect(orgs.has(p.recorded_by_organisation_id)).toBe(true);
  });

  it('places entries that name a place of concern, and enrols children at their schools over time', () => {
    for (const ep of world.eventPlaces) {
      const e = events.get(ep.event_id)!;
      expect(places.get(ep.place_id)!.name).toBe(e.place);
    }
    expect(world.eventPlaces.length).toBeGreaterThan(100);
    const enrolled = world.personPlaces.filter((pp) => pp.kind === 'enrolled');
    const enrolledChildren = new Set(enrolled.map((pp) => pp.person_id));
    expect(share(enrolledChildren.size, children.size)).toBeGreaterThan(0.5);
    for (const pp of world.personPlaces) {
      expect(people.has(pp.person_id) && places.has(pp.place_id)).toBe(true);
      if (pp.source_event_id) expect(events.get(pp.source_event_id)!.organisation_id).toBe(pp.recorded_by_organisation_id);
      if (pp.valid_to) expect(pp.valid_to >= pp.valid_from!).toBe(true);
    }
    expect(world.personPlaces.some((pp) => pp.kind === 'attends' && places.get(pp.place_id)!.kind === 'youth_centre')).toBe(true);
  });

  it('puts escalating adolescents in peer groups with friends, and records rivals and suspected exploiters from the entries that show them', () => {
    const members = new Map<string, string[]>();
    for (const m of world.peerGroupMembers) members.set(m.group_id, [...(members.get(m.group_id) ?? []), m.person_id]);
    const inGroups = new Set(world.peerGroupMembers.map((m) => m.person_id));
    for (const id of adolescents) expect(inGroups.has(id)).toBe(true);
    expect([...members.values()].some((list) => list.length >= 3)).toBe(true);
    const byKind = (k: string) => world.peerRelationships.filter((r) => r.kind === k);
    expect(byKind('friend').length).toBeGreaterThan(10);
    expect(byKind('rival').length).toBeGreaterThan(0);
    expect(byKind('suspected_exploiter').length).toBeGreaterThan(0);
    for (const r of world.peerRelationships) {
      expect(people.has(r.person_id) && people.has(r.related_person_id) && r.person_id !== r.related_person_id).toBe(true);
      if (r.source_event_id) {
        // A relationship drawn from an entry names both people in it and takes its organisation and sensitivity.
        const e = events.get(r.source_event_id)!;
        const named = world.eventPeople.filter((ep) => ep.event_id === e.id).map((ep) => ep.person_id);
        expect(named).toEqual(expect.arrayContaining([r.person_id, r.related_person_id]));
        expect(r.recorded_by_organisation_id).toBe(e.organisation_id);
        expect(r.sensitivity).toBe(e.sensitivity === 'restricted' ? 'restricted' : 'standard');
      } else {
        expect(r.grading).toMatch(/^[1-3][A-E]$/);
      }
    }
    for (const r of byKind('suspected_exploiter')) expect(ageOf(r.related_person_id)).toBeGreaterThanOrEqual(18);
  });
});
