/**
 * The plain rows a synthetic borough is made of. They are shaped exactly like the
 * tables' insert rows (snake_case, explicit ids, ISO timestamps as text) so the
 * inserter passes them to the database untouched and tests can deep-compare them.
 */

/** How much of a child's life has gone wrong, as the generator models it (ground truth, never stored). */
export type Tier = 'none' | 'emerging' | 'complex' | 'escalating';

/** The common experiences of children later hurt by youth violence (BRIEF.md), plus the escalation that may follow. */
export type Experience =
  | 'domestic_abuse'
  | 'send_need'
  | 'not_brought'
  | 'exclusion'
  | 'poor_attendance'
  | 'frequent_moves'
  | 'poverty_housing'
  | 'relative_in_crime'
  | 'bereavement_violence'
  | 'going_missing'
  | 'parental_mental_health'
  | 'escalation';

/** The experiences drawn from rates; escalation follows from the tier instead. */
export type CommonExperience = Exclude<Experience, 'escalation'>;

/** Options that fully determine a world. */
export interface WorldOptions {
  children: number;
  seed: number;
  /** The (first) borough's name; defaults to Northbridge. */
  borough?: string;
  /**
   * How many neighbouring boroughs, each its own partnership with `children` children (1 to 4;
   * default 1). With more than one they share a police command unit and an NHS trust, and
   * families move between them.
   */
  boroughs?: number;
  /**
   * The world's "today" (YYYY-MM-DD): every event happens before it. Defaults to the fixed reference
   * date, so a world depends on its options alone; the seed passes a day in the week it runs.
   */
  referenceDate?: string;
}

/** A demo account with a fixed, documented email. */
export interface DemoUser {
  email: string;
  password: string;
  role: string;
  description: string;
}

/** An organisation row. */
export interface WorldOrganisation {
  id: string;
  name: string;
  kind: string;
  borough: string;
  created_at: string;
}

/** An organisation that also belongs to another borough's partnership (beyond its home borough's). */
export interface WorldOrganisationBorough {
  organisation_id: string;
  borough: string;
}

/** The front door (MASH) of the partnership covering a borough. */
export interface WorldFrontDoor {
  borough: string;
  organisation_id: string;
  team_id: string;
}

/** A team row. */
export interface WorldTeam {
  id: string;
  organisation_id: string;
  name: string;
}

/** A user without a password hash: the inserter adds the one shared hash. */
export interface WorldUser {
  id: string;
  email: string;
  name: string;
  organisation_id: string;
  team_id: string | null;
  roles: string[];
  job_title: string | null;
  active: boolean;
  created_at: string;
}

/** A person row: a child, a parent or carer, a relative, or a duplicate record. */
export interface WorldPerson {
  id: string;
  date_of_birth: string | null;
  dob_accuracy: string;
  sex: string;
  ethnicity: string | null;
  created_at: string;
  created_by_organisation_id: string | null;
}

/** A name a person is recorded under, with the agency that used it. */
export interface WorldPersonName {
  id: string;
  person_id: string;
  kind: string;
  given_names: string | null;
  family_name: string | null;
  valid_from: string | null;
  valid_to: string | null;
  recorded_by_organisation_id: string | null;
}

/** An identifier (NHS number, UPN, police id, local case number). */
export interface WorldIdentifier {
  id: string;
  person_id: string;
  scheme: string;
  value: string;
  issuer_organisation_id: string | null;
}

/** An address over a period. */
export interface WorldAddress {
  id: string;
  person_id: string;
  line1: string | null;
  town: string | null;
  postcode: string | null;
  borough: string | null;
  valid_from: string | null;
  valid_to: string | null;
  recorded_by_organisation_id: string | null;
}

/** A family relationship: the related person is the parent, carer, sibling or relative of the person. */
export interface WorldRelationship {
  id: string;
  person_id: string;
  related_person_id: string;
  kind: string;
  valid_from: string | null;
  valid_to: string | null;
}

/** A professional or service involved with a child over a period (open when ended_on is null). */
export interface WorldInvolvement {
  id: string;
  person_id: string;
  organisation_id: string;
  team_id: string | null;
  user_id: string | null;
  role: string;
  started_on: string;
  ended_on: string | null;
}

/** A chronology entry with its provenance. */
export interface WorldEvent {
  id: string;
  event_type_code: string;
  vocabulary_version: string;
  occurred_at: string;
  occurred_precision: string;
  recorded_at: string;
  recorded_by_user_id: string | null;
  recorded_via: string;
  api_key_id: string | null;
  organisation_id: string;
  source_system: string;
  source_record_id: string | null;
  summary: string;
  narrative: string | null;
  place: string | null;
  factor_codes: string[];
  sensitivity: string;
  reliability: string;
  supersedes: string | null;
  correction_reason: string | null;
}

/** Who a chronology entry is about, and in what role. */
export interface WorldEventPerson {
  event_id: string;
  person_id: string;
  role: string;
}

/** A place: a place of concern, a school, a youth centre or an online space (platform and handle). */
export interface WorldPlace {
  id: string;
  kind: 'school' | 'youth_centre' | 'estate' | 'park' | 'transport_hub' | 'shop' | 'address' | 'online' | 'other';
  name: string;
  postcode: string | null;
  ward: string | null;
  borough: string;
  platform: string | null;
  handle: string | null;
  recorded_by_organisation_id: string;
  created_at: string;
}

/** Where an entry happened. */
export interface WorldEventPlace {
  event_id: string;
  place_id: string;
}

/** A child's link to a place over a period (enrolled at a school, attends a youth centre, frequents an estate, member of a group chat). */
export interface WorldPersonPlace {
  id: string;
  person_id: string;
  place_id: string;
  kind: 'enrolled' | 'attends' | 'frequents' | 'lives' | 'member';
  source_event_id: string | null;
  recorded_by_organisation_id: string;
  grading: string | null;
  valid_from: string | null;
  valid_to: string | null;
}

/** A peer group as the police or youth workers know it. */
export interface WorldPeerGroup {
  id: string;
  name: string;
  borough: string;
  description: string;
  recorded_by_organisation_id: string;
  created_at: string;
}

/** A child's membership of a peer group. */
export interface WorldPeerGroupMember {
  id: string;
  group_id: string;
  person_id: string;
  source_event_id: string | null;
  recorded_by_organisation_id: string;
  grading: string | null;
  valid_from: string | null;
  valid_to: string | null;
}

/** A relationship beyond family (friend, rival, suspected exploiter), with its source entry or recording organisation and grading. */
export interface WorldPeerRelationship extends WorldRelationship {
  source_event_id: string | null;
  recorded_by_organisation_id: string;
  grading: string | null;
  sensitivity: 'standard' | 'restricted';
  recorded_at: string;
}

/** A person record that is really another (ground truth for identity matching). */
export interface DuplicatePair {
  personId: string;
  duplicateOfPersonId: string;
}

/** What the generator decided about a child (ground truth for tests and evaluation; never stored). */
export interface ChildProfile {
  personId: string;
  tier: Tier;
  experiences: Experience[];
  movedBorough: boolean;
}

/** Rows for a slice of the borough, in foreign-key order; the first chunk also carries the partnership. */
export interface WorldChunk {
  organisations: WorldOrganisation[];
  teams: WorldTeam[];
  users: WorldUser[];
  people: WorldPerson[];
  personNames: WorldPersonName[];
  identifiers: WorldIdentifier[];
  addresses: WorldAddress[];
  relationships: WorldRelationship[];
  involvements: WorldInvolvement[];
  events: WorldEvent[];
  eventPeople: WorldEventPerson[];
  /** Places of concern, schools, youth centres and group chats (the first chunk carries each partnership's own). */
  places: WorldPlace[];
  /** Where entries happened (an entry whose place is one of the partnership's places). */
  eventPlaces: WorldEventPlace[];
  personPlaces: WorldPersonPlace[];
  peerGroups: WorldPeerGroup[];
  peerGroupMembers: WorldPeerGroupMember[];
  /** Friends, rivals and suspected exploiters (written after the entries, which some name as their source). */
  peerRelationships: WorldPeerRelationship[];
  /** Organisations that join further partnerships (written after the organisations; first chunk only). */
  organisationBoroughs: WorldOrganisationBorough[];
  /** Each partnership's front door (first chunk only). */
  frontDoors: WorldFrontDoor[];
  /** Users of this chunk whose partnership is another borough's than their organisation's home (staff of a shared organisation). */
  userBoroughs: { user_id: string; borough: string }[];
  /** The children (subjects) made in this chunk, in order. */
  childIds: string[];
  childProfiles: ChildProfile[];
  duplicates: DuplicatePair[];
  /** Children made so far, counting this chunk. */
  childrenDone: number;
}

/** A whole synthetic borough (or several neighbouring ones). */
export interface World extends Omit<WorldChunk, 'childrenDone'> {
  /** The first borough. */
  borough: string;
  /** Every borough generated, the first first. */
  boroughs: string[];
  seed: number;
  /** The generated world's "today". */
  referenceDate: string;
  demoUsers: DemoUser[];
}

/** Every row array in a chunk, in the order the inserter writes them. */
export const CHUNK_TABLES = [
  'organisations',
  'teams',
  'users',
  'people',
  'personNames',
  'identifiers',
  'addresses',
  'relationships',
  'involvements',
  'events',
  'eventPeople',
  'places',
  'eventPlaces',
  'personPlaces',
  'peerGroups',
  'peerGroupMembers',
  'peerRelationships',
] as const;

/** An empty chunk. */
export function emptyChunk(): WorldChunk {
  return {
    organisations: [], teams: [], users: [], people: [], personNames: [], identifiers: [], addresses: [],
    relationships: [], involvements: [], events: [], eventPeople: [],
    places: [], eventPlaces: [], personPlaces: [], peerGroups: [], peerGroupMembers: [], peerRelationships: [], organisationBoroughs: [], frontDoors: [], userBoroughs: [], childIds: [], childProfiles: [], duplicates: [],
    childrenDone: 0,
  };
}
