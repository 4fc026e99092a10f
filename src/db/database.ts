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
}

export interface AppSessionTable {
  id: string;
  user_id: string;
  csrf_token: string;
  created_at: CreatedAt;
  last_seen_at: Date;
  expires_at: Date;
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
}

export type AppUserRow = Selectable<AppUserTable>;
export type EventRow = Selectable<EventTable>;
export type NewEvent = Insertable<EventTable>;
export type PersonRow = Selectable<PersonTable>;
