/**
 * The safeguarding partnership of a synthetic borough: its agencies (every kind the
 * schema knows), their teams and staff, the demo accounts, and a few agencies in the
 * neighbouring boroughs that families move to. Case-holding teams recruit as their
 * caseloads fill, so caseloads stay realistic at any size without a second pass.
 *
 * In a world of several neighbouring boroughs (a `Region`) each borough is a whole
 * partnership; the boroughs share one police command unit (its teams per borough), the first
 * two share an NHS trust's hospital, and a family that moves between them is served by the
 * other borough's own agencies rather than by stand-ins.
 */
import type { AgencyKind } from '../domain/vocabulary.js';
import { NameMaker, emailLocalPart } from './names.js';
import { boroughSlug, neighboursOf, placesOfConcern, placeWeights } from './places.js';
import { CASELOAD, DEMO_PASSWORD, ETHNICITY_WEIGHTS, REFERENCE_DATE } from './rates.js';
import { Rng, dayOf, hashParts } from './random.js';
import type { DemoUser, WorldFrontDoor, WorldOrganisation, WorldOrganisationBorough, WorldTeam, WorldUser } from './types.js';

/** A school's phase; 'ap' is the pupil referral unit (alternative provision). */
export type SchoolPhase = 'primary' | 'secondary' | 'ap';

/** An organisation as the generator refers to it. */
export interface OrgRef {
  id: string;
  name: string;
  kind: AgencyKind;
  borough: string;
  phase?: SchoolPhase;
  /** DfE establishment number (schools), used in UPNs. */
  establishment?: string;
}

/** Teams whose workers hold cases, with a caseload limit (see CASELOAD). */
export type PoolKey =
  | 'csc.assessment' | 'csc.cin' | 'csc.adolescent' | 'eh.family' | 'yjs.case' | 'tys.outreach' | 'police.exploitation';

/** An allocation of a child to a worker. */
export interface Allocation {
  organisationId: string;
  teamId: string | null;
  userId: string;
}

interface PoolMember {
  userId: string;
  load: number;
  cap: number;
}

interface Pool {
  org: OrgRef;
  teamId: string;
  jobTitle: string;
  caseload: readonly [number, number];
  members: PoolMember[];
}

/** Invented source system names, one per agency kind (what the agency's own record system is called). */
export const SOURCE_SYSTEMS: Readonly<Record<AgencyKind, string>> = {
  police: 'PoliceRMS', school: 'SchoolMIS', gp: 'GPClinical', acute_hospital: 'EDsys', community_health: 'CommunityEPR',
  camhs: 'CAMHS-EPR', childrens_social_care: 'SocialCareCMS', early_help: 'EarlyHelpModule', youth_justice: 'YJCaseSystem',
  targeted_youth_support: 'YouthWorkDB', housing: 'HousingMS', probation: 'ProbationCMS', substance_misuse: 'TreatmentRecord',
  voluntary_sector: 'CharityLog', youth_centre: 'YouthClubRegister',
};

/** The system social care used before its replacement: older entries were migrated from it. */
export const LEGACY_SOCIAL_CARE_SYSTEM = 'LegacyCareRecords';


const SCHOOL_STEMS = ['Ash', 'Beech', 'Cedar', 'Elm', 'Fox', 'Hazel', 'Lark', 'Maple', 'Oak', 'Rowan', 'Willow', 'Birch', 'Holly', 'Linden', 'Alder', 'Thorn'];
const SCHOOL_ENDINGS = ['field', 'wood', 'mere', 'ridge', 'bank', 'brook', 'dale', 'gate', 'hurst', 'lea', 'croft', 'well'];

/**
 * Neighbouring boroughs generated together, each its own partnership. Holds what they share: the
 * police command unit that covers them all, the NHS trust of the first two, and the extra
 * partnerships those organisations belong to beyond their home borough's.
 */
export class Region {
  readonly boroughs: readonly string[];
  readonly partnerships: Partnership[] = [];
  /** Organisations that also belong to another borough's partnership (the police command unit, the NHS trust). */
  readonly memberships: WorldOrganisationBorough[] = [];
  police: OrgRef | undefined;
  trust: OrgRef | undefined;

  constructor(boroughs: readonly string[]) {
    if (new Set(boroughs).size !== boroughs.length) throw new Error('A region\'s boroughs must differ');
    this.boroughs = boroughs;
  }

  /** The partnership of a borough of this region. */
  partnershipOf(borough: string): Partnership | undefined {
    return this.partnerships.find((p) => p.borough === borough);
  }

  /** An organisation by id, in any of the region's partnerships. */
  orgById(id: string): OrgRef | undefined {
    for (const p of this.partnerships) {
      const org = p.ownOrgById(id);
      if (org) return org;
    }
    return undefined;
  }

  /** The named contact at an organisation of any of the region's partnerships. */
  leadOf(orgId: string): string | undefined {
    for (const p of this.partnerships) {
      const lead = p.ownLeadOf(orgId);
      if (lead) return lead;
    }
    return undefined;
  }
}

/** The partnership: organisations, teams, staff and the allocator that grows case-holding teams. */
export class Partnership {
  readonly borough: string;
  readonly slug: string;
  /** The world's "today" as a day number: every event happens before it. */
  readonly refDay: number;
  /** When the generated rows were made: six in the morning of the world's "today". */
  readonly createdAt: string;
  readonly neighbours: string[];
  readonly organisations: WorldOrganisation[] = [];
  readonly teams: WorldTeam[] = [];
  readonly users: WorldUser[] = [];
  readonly places: string[];
  readonly placeWeights: number[];
  readonly demoUsers: DemoUser[] = [];
  /** User ids of the demo accounts that the generator gives cases to explicitly. */
  readonly demo: { practitioner: string; youthWorker: string; police: string; unrelated: string };
  /** Where the partnership's considerations go when a child has no lead professional: the MASH. */
  frontDoor!: WorldFrontDoor;

  readonly #rng: Rng;
  readonly #region: Region | undefined;

  /** The region this borough is generated with, if any. */
  get region(): Region | undefined {
    return this.#region;
  }
  readonly #names = new NameMaker();
  readonly #orgs = new Map<string, Map<AgencyKind, OrgRef[]>>();
  readonly #pools = new Map<PoolKey, Pool>();
  readonly #leads = new Map<string, string>(); // school DSL / GP lead / other single contact, by organisation id
  readonly #neighbourWorkers = new Map<string, string>(); // by organisation id
  readonly #byId = new Map<string, OrgRef>();
  readonly #camhs: string[] = [];
  readonly #emails = new Set<string>();
  #newUsers: WorldUser[] = [];

  constructor(opts: { children: number; seed: number; borough: string; region?: Region; referenceDate?: string }) {
    this.borough = opts.borough;
    const today = opts.referenceDate ?? REFERENCE_DATE;
    this.refDay = dayOf(today);
    this.createdAt = `${today}T06:00:00.000Z`;
    this.slug = boroughSlug(opts.borough);
    this.#region = opts.region;
    if (opts.region && !opts.region.boroughs.includes(opts.borough)) throw new Error(`${opts.borough} is not in the region`);
    // In a region families move between its boroughs; alone, between a borough and three stand-in neighbours.
    this.neighbours = opts.region ? opts.region.boroughs.filter((b) => b !== opts.borough) : neighboursOf(opts.borough);
    this.#rng = new Rng(opts.seed, this.slug, 'partnership');
    this.#names.reseed(hashParts(opts.seed, this.slug, 'staff-names')[0], this.#rng);
    this.places = placesOfConcern(opts.borough, this.#rng);
    this.placeWeights = placeWeights(this.places.length);
    this.demo = this.#build(opts.children);
    opts.region?.partnerships.push(this);
  }

  /** Organisations of a kind in a borough (schools and GP practices are several); another borough of the region answers for its own. */
  orgsOf(borough: string, kind: AgencyKind): OrgRef[] {
    const own = this.#orgs.get(borough);
    if (own || borough === this.borough) return own?.get(kind) ?? [];
    return this.#region?.partnershipOf(borough)?.orgsOf(borough, kind) ?? [];
  }

  /** The organisation of a kind in a borough, falling back to the home borough's (e.g. its A&E serves neighbours too). */
  orgOf(borough: string, kind: AgencyKind): OrgRef | undefined {
    return this.orgsOf(borough, kind)[0] ?? this.orgsOf(this.borough, kind)[0];
  }

  /** Schools of a phase in a borough. */
  schoolsOf(borough: string, phase: SchoolPhase): OrgRef[] {
    return this.orgsOf(borough, 'school').filter((s) => s.phase === phase);
  }

  /** The one named contact at an organisation (school DSL, GP safeguarding lead, mentor, A&E nurse...). */
  leadOf(orgId: string): string | undefined {
    return this.ownLeadOf(orgId) ?? this.#region?.leadOf(orgId);
  }

  /** An organisation by id (in a region, any of its partnerships'). */
  orgById(id: string): OrgRef | undefined {
    return this.#byId.get(id) ?? this.#region?.orgById(id);
  }

  /** The named contact at one of this partnership's own organisations. */
  ownLeadOf(orgId: string): string | undefined {
    return this.#leads.get(orgId) ?? this.#neighbourWorkers.get(orgId);
  }

  /** One of this partnership's own organisations by id. */
  ownOrgById(id: string): OrgRef | undefined {
    return this.#byId.get(id);
  }

  /** A CAMHS clinician. */
  camhsClinician(rng: Rng): string {
    return rng.pick(this.#camhs);
  }

  /** The team a pool's workers belong to. */
  poolOrg(key: PoolKey): OrgRef {
    return this.#pool(key).org;
  }

  /** Allocates a case to the worker with most room (weighted), recruiting a new worker when everyone is full. */
  allocate(key: PoolKey, rng: Rng): Allocation {
    const pool = this.#pool(key);
    const open = pool.members.filter((m) => m.load < m.cap);
    const member = open.length ? rng.weighted(open.map((m) => [m, m.cap - m.load] as const)) : this.#hire(key, pool);
    member.load += 1;
    return { organisationId: pool.org.id, teamId: pool.teamId, userId: member.userId };
  }

  /** Allocates a case to a named worker (the demo accounts' children), whatever their load. */
  allocateTo(key: PoolKey, userId: string): Allocation {
    const pool = this.#pool(key);
    const member = pool.members.find((m) => m.userId === userId);
    if (!member) throw new Error(`User ${userId} is not in pool ${key}`);
    member.load += 1;
    return { organisationId: pool.org.id, teamId: pool.teamId, userId };
  }

  /** A past worker in a pool (for involvements that have ended); caseloads are unaffected. */
  pastWorker(key: PoolKey, rng: Rng): Allocation {
    const pool = this.#pool(key);
    return { organisationId: pool.org.id, teamId: pool.teamId, userId: rng.pick(pool.members).userId };
  }

  /** Users recruited since the last call (the chunk that first refers to them must insert them). */
  takeNewUsers(): WorldUser[] {
    const out = this.#newUsers;
    this.#newUsers = [];
    return out;
  }

  /** Current active caseload of every case-holding worker (for tests and reports). */
  caseloads(): { pool: PoolKey; userId: string; load: number }[] {
    return [...this.#pools].flatMap(([pool, p]) => p.members.map((m) => ({ pool, userId: m.userId, load: m.load })));
  }

  #pool(key: PoolKey): Pool {
    const pool = this.#pools.get(key);
    if (!pool) throw new Error(`No pool ${key}`);
    return pool;
  }

  #hire(key: PoolKey, pool: Pool): PoolMember {
    const user = this.#user(pool.org, pool.teamId, ['practitioner'], pool.jobTitle);
    const member = { userId: user.id, load: 0, cap: this.#rng.int(pool.caseload[0], pool.caseload[1]) };
    pool.members.push(member);
    return member;
  }

  #org(borough: string, kind: AgencyKind, name: string, extra: Partial<OrgRef> = {}): OrgRef {
    const ref: OrgRef = { id: this.#rng.uuid(), name, kind, borough, ...extra };
    this.organisations.push({ id: ref.id, name, kind, borough, created_at: this.createdAt });
    this.#byId.set(ref.id, ref);
    let byKind = this.#orgs.get(borough);
    if (!byKind) this.#orgs.set(borough, (byKind = new Map()));
    byKind.set(kind, [...(byKind.get(kind) ?? []), ref]);
    return ref;
  }

  /** Registers another partnership's organisation as serving this borough too (it joins this partnership). */
  #share(org: OrgRef, kind: AgencyKind): OrgRef {
    let byKind = this.#orgs.get(this.borough);
    if (!byKind) this.#orgs.set(this.borough, (byKind = new Map()));
    byKind.set(kind, [...(byKind.get(kind) ?? []), org]);
    this.#region!.memberships.push({ organisation_id: org.id, borough: this.borough });
    return org;
  }

  #team(org: OrgRef, name: string): string {
    const id = this.#rng.uuid();
    this.teams.push({ id, organisation_id: org.id, name });
    return id;
  }

  #user(org: OrgRef, teamId: string | null, roles: string[], jobTitle: string, email?: string): WorldUser {
    const ethnicity = this.#rng.weighted(ETHNICITY_WEIGHTS);
    const sex = this.#rng.chance(0.6) ? 'female' : 'male';
    const given = this.#names.given(sex, ethnicity);
    const family = this.#names.family(ethnicity);
    let address = email;
    if (!address) {
      const local = emailLocalPart(given, family);
      address = `${local}@${this.slug}.jigsaw.test`;
      for (let n = 2; this.#emails.has(address); n += 1) address = `${local}${n}@${this.slug}.jigsaw.test`;
    }
    this.#emails.add(address);
    const user: WorldUser = {
      id: this.#rng.uuid(), email: address, name: `${given} ${family}`, organisation_id: org.id, team_id: teamId,
      roles, job_title: jobTitle, active: true, created_at: this.createdAt,
    };
    this.users.push(user);
    this.#newUsers.push(user);
    return user;
  }

  #staff(org: OrgRef, teamId: string | null, count: number, roles: string[], jobTitle: string): WorldUser[] {
    return Array.from({ length: count }, () => this.#user(org, teamId, roles, jobTitle));
  }

  #addPool(key: PoolKey, org: OrgRef, teamId: string, jobTitle: string, caseload: readonly [number, number], initial: string[]): void {
    const members = initial.map((userId) => ({ userId, load: 0, cap: this.#rng.int(caseload[0], caseload[1]) }));
    this.#pools.set(key, { org, teamId, jobTitle, caseload, members });
  }

  #demoUser(local: string, role: string, description: string): string {
    this.demoUsers.push({ email: `${local}@${this.slug}.jigsaw.test`, password: DEMO_PASSWORD, role, description });
    return `${local}@${this.slug}.jigsaw.test`;
  }

  #build(children: number) {
    const b = this.borough;
    const scale = Math.max(1, children / 1000);

    // Police: one borough command unit of the (invented) capital force. In a region one basic
    // command unit covers every borough, with each borough's own teams; it belongs to every partnership.
    const region = this.#region;
    const firstInRegion = !region || region.partnerships.length === 0;
    let police: OrgRef;
    if (!region) police = this.#org(b, 'police', `${b} Borough Command Unit`);
    else if (!region.police) police = region.police = this.#org(b, 'police', `${listOf(region.boroughs)} Basic Command Unit`);
    else police = this.#share(region.police, 'police');
    const policeTeam = (name: string) => (region ? `${b} ${name[0]!.toLowerCase()}${name.slice(1)}` : name);
    const hub = this.#team(police, policeTeam('Safeguarding hub'));
    const exploitation = this.#team(police, policeTeam('Exploitation and missing team'));
    const neighbourhood = this.#team(police, policeTeam('Neighbourhood policing team'));
    this.#staff(police, hub, Math.ceil(scale), ['practitioner'], 'Detective constable, safeguarding hub');
    this.#staff(police, neighbourhood, Math.ceil(scale * 2), ['practitioner'], 'Police constable, neighbourhood team');
    this.#staff(police, exploitation, 1, ['team_manager'], 'Detective sergeant');
    const demoPolice = this.#user(police, exploitation, ['practitioner'], 'Detective constable, exploitation team',
      this.#demoUser('police', 'practitioner', 'Police officer in the exploitation and missing team, involved with children at risk of exploitation'));
    const police2 = this.#user(police, exploitation, ['practitioner'], 'Detective constable, exploitation team');
    this.#addPool('police.exploitation', police, exploitation, 'Detective constable, exploitation team', CASELOAD.police_exploitation!, [demoPolice.id, police2.id]);
    if (firstInRegion) this.#analyst(police);

    // Children's social care, with the partnership roles the local authority hosts.
    const csc = this.#org(b, 'childrens_social_care', `${b} Children's Social Care`);
    const frontDoor = this.#team(csc, 'Front door (MASH)');
    const assessment = this.#team(csc, 'Assessment team');
    const cin = this.#team(csc, 'Children in need team');
    const adolescent = this.#team(csc, 'Adolescent and exploitation team');
    const lac = this.#team(csc, 'Children looked after team');
    const fostering = this.#team(csc, 'Fostering team');
    for (const t of [frontDoor, assessment, cin, lac, fostering]) this.#staff(csc, t, 1, ['team_manager'], 'Team manager');
    this.#user(csc, adolescent, ['team_manager'], 'Team manager',
      this.#demoUser('manager', 'team_manager', 'Team manager of the adolescent and exploitation team: sees the whole team\'s caseload'));
    this.#staff(csc, frontDoor, Math.ceil(scale), ['practitioner'], 'Social worker, front door');
    this.frontDoor = { borough: b, organisation_id: csc.id, team_id: frontDoor };
    const demoPractitioner = this.#user(csc, adolescent, ['practitioner'], 'Social worker',
      this.#demoUser('practitioner', 'practitioner', 'Social worker in the adolescent and exploitation team, with a caseload including children with long histories'));
    const sw2 = this.#user(csc, adolescent, ['practitioner'], 'Social worker');
    this.#addPool('csc.adolescent', csc, adolescent, 'Social worker', CASELOAD.social_work!, [demoPractitioner.id, sw2.id]);
    const assessors = this.#staff(csc, assessment, 2, ['practitioner'], 'Social worker').map((u) => u.id);
    this.#addPool('csc.assessment', csc, assessment, 'Social worker', CASELOAD.social_work!, assessors);
    // A family from another borough of the region is held by one of its assessment social workers.
    if (region) this.#neighbourWorkers.set(csc.id, assessors[0]!);
    this.#addPool('csc.cin', csc, cin, 'Social worker', CASELOAD.social_work!, this.#staff(csc, cin, 2, ['practitioner'], 'Social worker').map((u) => u.id));
    this.#staff(csc, lac, 1, ['practitioner'], 'Social worker');
    const unrelated = this.#user(csc, fostering, ['practitioner'], 'Social worker, fostering',
      this.#demoUser('unrelated', 'practitioner', 'Social worker in the fostering team with no involvement with any child: every child\'s record is refused'));
    this.#user(csc, null, ['panel_coordinator'], 'MACE panel coordinator',
      this.#demoUser('panel', 'panel_coordinator', 'MACE panel coordinator: schedules meetings, invites agencies, reads the briefing packs and records the meetings'));
    this.#user(csc, null, ['partnership_admin'], 'Safeguarding partnership business manager',
      this.#demoUser('admin', 'partnership_admin', 'Partnership administrator: manages organisations and users, sees no children'));
    this.#user(csc, null, ['data_protection_officer'], 'Data protection officer',
      this.#demoUser('dpo', 'data_protection_officer', 'Data protection officer: sees who accessed what and why, not the records themselves'));
    this.#user(csc, null, ['analyst'], 'Exploitation analyst',
      this.#demoUser('analyst', 'analyst', 'Exploitation analyst: fairness of the early identification rules, return interview timeliness, panel and offer figures; sees no children'));

    const eh = this.#org(b, 'early_help', `${b} Early Help and Family Support`);
    const family = this.#team(eh, 'Family support team');
    this.#team(eh, 'Early help locality team');
    this.#staff(eh, family, 1, ['team_manager'], 'Team manager');
    const ehWorkers = this.#staff(eh, family, 2, ['practitioner'], 'Early help practitioner').map((u) => u.id);
    this.#addPool('eh.family', eh, family, 'Early help practitioner', CASELOAD.early_help!, ehWorkers);
    if (region) this.#neighbourWorkers.set(eh.id, ehWorkers[0]!);

    const yjs = this.#org(b, 'youth_justice', `${b} Youth Justice Service`);
    const yjTeam = this.#team(yjs, 'Youth justice team');
    this.#team(yjs, 'Prevention and diversion team');
    this.#staff(yjs, yjTeam, 1, ['team_manager'], 'Team manager');
    this.#addPool('yjs.case', yjs, yjTeam, 'Youth justice case manager', CASELOAD.youth_justice!, this.#staff(yjs, yjTeam, 2, ['practitioner'], 'Youth justice case manager').map((u) => u.id));

    const tys = this.#org(b, 'targeted_youth_support', `${b} Targeted Youth Support`);
    const outreach = this.#team(tys, 'Detached and outreach team');
    this.#staff(tys, outreach, 1, ['team_manager'], 'Team manager');
    const demoYouth = this.#user(tys, outreach, ['practitioner'], 'Youth worker',
      this.#demoUser('youthworker', 'practitioner', 'Youth worker in the detached and outreach team, key worker for several adolescents'));
    const yw2 = this.#user(tys, outreach, ['practitioner'], 'Youth worker');
    this.#addPool('tys.outreach', tys, outreach, 'Youth worker', CASELOAD.youth_work!, [demoYouth.id, yw2.id]);

    const housing = this.#org(b, 'housing', `${b} Housing Needs Service`);
    this.#lead(housing, this.#team(housing, 'Housing needs team'), 'Housing officer');
    const camhs = this.#org(b, 'camhs', `${b} Child and Adolescent Mental Health Service`);
    const camhsTeam = this.#team(camhs, 'Adolescent outreach team');
    this.#camhs.push(...this.#staff(camhs, camhsTeam, 2, ['practitioner'], 'CAMHS clinician').map((u) => u.id));
    // In a region the first two boroughs share one NHS trust's hospital (it belongs to both partnerships).
    if (region && region.trust && region.partnerships.length === 1) {
      this.#share(region.trust, 'acute_hospital');
    } else {
      const trust = region && region.boroughs.length > 1 && firstInRegion;
      const hospital = this.#org(b, 'acute_hospital', trust ? `${region.boroughs[0]} and ${region.boroughs[1]} Hospitals NHS Trust` : `${b} General Hospital`);
      if (trust) region.trust = hospital;
      this.#lead(hospital, this.#team(hospital, 'Emergency department safeguarding team'), 'A&E safeguarding nurse');
    }
    const community = this.#org(b, 'community_health', `${b} Community Health Services`);
    this.#lead(community, this.#team(community, 'School nursing team'), 'School nurse');
    this.#staff(community, this.#team(community, 'Health visiting team'), 1, ['practitioner'], 'Health visitor');
    this.#lead(this.#org(b, 'probation', `${b} Probation Delivery Unit`), null, 'Probation officer');
    this.#lead(this.#org(b, 'substance_misuse', `${b} Young People's Drug and Alcohol Service`), null, 'Substance misuse worker');
    for (const name of [`${b} Mentoring Project`, `${b} Families Trust`, `${b} Youth Safety Charity`].slice(0, children >= 2000 ? 3 : 2)) {
      this.#lead(this.#org(b, 'voluntary_sector', name), null, 'Mentor');
    }
    const centres = Math.min(4, 2 + Math.floor(children / 5000));
    for (const area of ['Central', 'Riverside', 'North', 'East'].slice(0, centres)) {
      this.#lead(this.#org(b, 'youth_centre', `${b} ${area} Youth Centre`), null, 'Youth worker');
    }
    const gps = Math.max(3, Math.round(children / 1500));
    for (let i = 0; i < gps; i += 1) {
      const gp = this.#org(b, 'gp', `${this.#names.street().split(' ')[0]} ${this.#rng.pick(['Medical Practice', 'Surgery', 'Health Centre'])}`);
      this.#lead(gp, null, 'GP safeguarding lead');
    }
    this.#schools(b, children);
    // Alone, a borough makes stand-in agencies for its neighbours; in a region they are whole partnerships.
    if (!region) for (const n of this.neighbours) this.#neighbour(n);
    // The partnership's oversight roles, hosted by the local authority (made last, so the rest of the borough is unchanged).
    this.#user(csc, null, ['partnership_lead'], 'Safeguarding partnership lead',
      this.#demoUser('lead', 'partnership_lead', 'Partnership lead: the dashboards (counts, trends and disproportionality), audit grades and open review recommendations; sees no children'));
    this.#user(csc, null, ['scrutineer'], 'Independent scrutineer',
      this.#demoUser('scrutineer', 'scrutineer', 'Independent scrutineer: reads the dashboards, audits and review recommendations; sees no children'));
    this.#user(csc, null, ['quality_assurance_lead'], 'Quality assurance lead',
      this.#demoUser('qa', 'quality_assurance_lead', 'Quality assurance lead: runs multi-agency case audits and records learning review recommendations'));
    return { practitioner: demoPractitioner.id, youthWorker: demoYouth.id, police: demoPolice.id, unrelated: unrelated.id };
  }

  #analyst(org: OrgRef): void {
    this.#user(org, null, ['analyst'], 'Exploitation analyst');
  }

  #lead(org: OrgRef, teamId: string | null, jobTitle: string): void {
    const roles = jobTitle === 'Designated safeguarding lead' ? ['designated_safeguarding_lead'] : ['practitioner'];
    this.#leads.set(org.id, this.#user(org, teamId, roles, jobTitle).id);
  }

  #schools(b: string, children: number): void {
    const total = Math.max(4, Math.round(children / 250));
    const mainstream = total - 1;
    const primaries = Math.max(2, Math.round(mainstream * 0.7));
    const secondaries = Math.max(1, mainstream - primaries);
    const names = this.#rng.shuffle(SCHOOL_STEMS.flatMap((s) => SCHOOL_ENDINGS.map((e) => s + e)));
    let n = 0;
    const stem = () => names[n++ % names.length]! + (n > names.length ? ` ${Math.ceil(n / names.length)}` : '');
    for (let i = 0; i < primaries; i += 1) {
      const s = this.#org(b, 'school', `${stem()} Primary School`, { phase: 'primary', establishment: String(2001 + i) });
      this.#lead(s, null, 'Designated safeguarding lead');
    }
    for (let i = 0; i < secondaries; i += 1) {
      const s = this.#org(b, 'school', `${stem()} ${this.#rng.pick(['Academy', 'High School', 'School'])}`, { phase: 'secondary', establishment: String(4001 + i) });
      this.#lead(s, null, 'Designated safeguarding lead');
    }
    // The pupil referral unit's designated safeguarding lead is the demo's: its pupils include children with long histories.
    const pru = this.#org(b, 'school', `${b} Pupil Referral Unit`, { phase: 'ap', establishment: '1101' });
    this.#leads.set(pru.id, this.#user(pru, null, ['designated_safeguarding_lead'], 'Designated safeguarding lead',
      this.#demoUser('dsl', 'designated_safeguarding_lead', 'Designated safeguarding lead of the pupil referral unit: its pupils\' records, and domestic abuse notifications before school (Operation Encompass)')).id);
  }

  // Just enough of a neighbouring borough for a family's history to be held there.
  #neighbour(n: string): void {
    this.#org(n, 'police', `${n} Borough Command Unit`);
    for (const kind of ['childrens_social_care', 'early_help'] as const) {
      const org = this.#org(n, kind, kind === 'childrens_social_care' ? `${n} Children's Social Care` : `${n} Early Help`);
      this.#neighbourWorkers.set(org.id, this.#user(org, null, ['practitioner'], kind === 'childrens_social_care' ? 'Social worker' : 'Early help practitioner').id);
    }
    this.#org(n, 'housing', `${n} Housing Service`);
    this.#org(n, 'youth_justice', `${n} Youth Justice Service`);
    this.#org(n, 'community_health', `${n} Community Health`);
    this.#org(n, 'gp', `${n} Medical Centre`);
    this.#org(n, 'school', `${n} Park Primary School`, { phase: 'primary', establishment: '2801' });
    this.#org(n, 'school', `${n} Academy`, { phase: 'secondary', establishment: '4801' });
  }
}

/** "A, B and C". */
function listOf(names: readonly string[]): string {
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}
