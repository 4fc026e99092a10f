import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

// The one Database type. Columns are snake_case as in SQL; queries map rows to camelCase domain types.

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
/** A DATE column: read as 'YYYY-MM-DD' (both engines are configured to return dates as text). */
type DateText = ColumnType<string, string, string>;

export interface OrganisationTable {
  id: Generated<string>;
  name: string;
  kind: string;
  borough: string;
  created_at: CreatedAt;
}

export interface TeamTable {
  id: Generated<string>;
  organisation_id: string;
  name: string;
}

export interface AppUserTable {
  id: Generated<string>;
  email: string;
  name: string;
  organisation_id: string;
  team_id: string | null;
  roles: string[];
  job_title: string | null;
  password_hash: string | null;
  active: Generated<boolean>;
  created_at: CreatedAt;
}

export interface PersonTable {
  id: Generated<string>;
  date_of_birth: DateText | null;
  dob_accuracy: Generated<string>;
  sex: Generated<string>;
  ethnicity: string | null;
  created_at: CreatedAt;
  created_by_organisation_id: string | null;
}

export interface PersonNameTable {
  id: Generated<string>;
  person_id: string;
  kind: string;
  given_names: string | null;
  family_name: string | null;
  valid_from: DateText | null;
  valid_to: DateText | null;
  recorded_by_organisation_id: string | null;
}

export interface PersonIdentifierTable {
  id: Generated<string>;
  person_id: string;
  scheme: string;
  value: string;
  issuer_organisation_id: string | null;
}

export interface PersonAddressTable {
  id: Generated<string>;
  person_id: string;
  line1: string | null;
  town: string | null;
  postcode: string | null;
  borough: string | null;
  valid_from: DateText | null;
  valid_to: DateText | null;
  recorded_by_organisation_id: string | null;
}

export interface PersonRelationshipTable {
  id: Generated<string>;
  person_id: string;
  related_person_id: string;
  kind: string;
  valid_from: DateText | null;
  valid_to: DateText | null;
}

export interface InvolvementTable {
  id: Generated<string>;
  person_id: string;
  organisation_id: string;
  team_id: string | null;
  user_id: string | null;
  role: string;
  started_on: DateText;
  ended_on: DateText | null;
}

export interface VocabularyVersionTable {
  version: string;
  published_on: DateText;
  checksum: string;
  loaded_at: CreatedAt;
}

export interface EventTypeTable {
  code: string;
  vocabulary_version: string;
  category: string;
  label: string;
  definition: string;
  agency_kinds: string[];
  implies_factors: string[];
  significant: boolean;
}

export interface FactorTable {
  code: string;
  vocabulary_version: string;
  kind: string;
  label: string;
  definition: string;
}

export interface ApiKeyTable {
  id: Generated<string>;
  organisation_id: string;
  name: string;
  key_prefix: string;
  key_hash: string;
  created_at: CreatedAt;
  revoked_at: Date | null;
}

export interface EventTable {
  id: Generated<string>;
  event_type_code: string;
  vocabulary_version: string;
  occurred_at: ColumnType<Date, Date | string, never>;
  occurred_precision: string;
  recorded_at: CreatedAt;
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
  sensitivity: Generated<string>;
  reliability: Generated<string>;
  supersedes: string | null;
  correction_reason: string | null;
}

export interface EventPersonTable {
  event_id: string;
  person_id: string;
  role: string;
}

export interface AccessLogTable {
  id: Generated<number>;
  at: CreatedAt;
  user_id: string | null;
  api_key_id: string | null;
  organisation_id: string | null;
  roles: string[];
  action: string;
  person_id: string | null;
  route: string;
  outcome: 'allowed' | 'denied';
  request_id: string | null;
  detail: unknown;
  /** Set by the database's chain trigger; never by the application. */
  seq: Generated<number>;
  prev_hash: Generated<string>;
  hash: Generated<string>;
}

export interface AppSessionTable {
  id: string;
  user_id: string;
  csrf_token: string;
  created_at: CreatedAt;
  last_seen_at: Date;
  expires_at: Date;
}

/** A version of the record-linkage model: its parameters and thresholds (append-only). */
export interface IdentityModelTable {
  version: string;
  created_at: CreatedAt;
  parameters: unknown;
  link_threshold: number;
  review_threshold: number;
  description: string;
}

/** An agency's record of a person, linked to the person it resolved to (append-only). */
export interface SourceRecordTable {
  id: Generated<string>;
  organisation_id: string;
  source_system: string;
  source_record_id: string;
  person_id: string;
  outcome: 'linked' | 'new' | 'review';
  match_weight: number | null;
  explanation: unknown;
  model_version: string | null;
  created_at: CreatedAt;
}

/** Each content of a source record as received (append-only; the latest is current). */
export interface SourceRecordVersionTable {
  id: Generated<string>;
  source_record_ref: string;
  content_hash: string;
  person_data: unknown;
  received_at: CreatedAt;
}

/** Blocking keys of a person (derived from their names, date of birth and postcode). */
export interface PersonMatchKeyTable {
  key: string;
  person_id: string;
}

/** Two person records read as one (append-only; undone by a person_unmerge row). */
export interface PersonMergeTable {
  id: Generated<string>;
  survivor_person_id: string;
  merged_person_id: string;
  reason: string;
  decided_by_user_id: string | null;
  created_at: CreatedAt;
}

/** The undoing of a merge (append-only). */
export interface PersonUnmergeTable {
  id: Generated<string>;
  merge_id: string;
  reason: string;
  decided_by_user_id: string | null;
  created_at: CreatedAt;
}

/** A possible match waiting for a person to decide (append-only; decisions are separate rows). */
export interface IdentityReviewItemTable {
  id: Generated<string>;
  source_record_ref: string;
  person_id: string;
  candidate_person_id: string;
  match_weight: number;
  explanation: unknown;
  model_version: string;
  created_at: CreatedAt;
}

/** A reviewer's decision on a review item (append-only). */
export interface IdentityDecisionTable {
  id: Generated<string>;
  review_item_id: string;
  decision: 'same' | 'different' | 'unsure';
  note: string | null;
  decided_by_user_id: string;
  merge_id: string | null;
  decided_at: CreatedAt;
}

/** A pair of person records judged to be different people (person_a < person_b; append-only). */
export interface PersonNonMatchTable {
  id: Generated<string>;
  person_a: string;
  person_b: string;
  decided_by_user_id: string | null;
  reason: string;
  created_at: CreatedAt;
}

/** Every table, by its SQL name. */
export interface Database {
  organisation: OrganisationTable;
  team: TeamTable;
  app_user: AppUserTable;
  person: PersonTable;
  person_name: PersonNameTable;
  person_identifier: PersonIdentifierTable;
  person_address: PersonAddressTable;
  person_relationship: PersonRelationshipTable;
  involvement: InvolvementTable;
  vocabulary_version: VocabularyVersionTable;
  event_type: EventTypeTable;
  factor: FactorTable;
  api_key: ApiKeyTable;
  event: EventTable;
  event_person: EventPersonTable;
  access_log: AccessLogTable;
  app_session: AppSessionTable;
  identity_model: IdentityModelTable;
  source_record: SourceRecordTable;
  source_record_version: SourceRecordVersionTable;
  person_match_key: PersonMatchKeyTable;
  person_merge: PersonMergeTable;
  person_unmerge: PersonUnmergeTable;
  identity_review_item: IdentityReviewItemTable;
  identity_decision: IdentityDecisionTable;
  person_non_match: PersonNonMatchTable;
}

export type AppUserRow = Selectable<AppUserTable>;
export type EventRow = Selectable<EventTable>;
export type NewEvent = Insertable<EventTable>;
export type PersonRow = Selectable<PersonTable>;
