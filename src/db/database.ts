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
  /** The code partners know it by (ODS code, URN, force or authority code), unique whatever its case; null until given. */
  code: string | null;
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
  /** The partnership whose configuration the user works on (set from the organisation's home borough when left out). */
  partnership_id: Generated<string>;
  /** A senior manager (head of service): signs off relocation risk assessments. Set by the partnership administrator. */
  senior_manager: Generated<boolean>;
}

export interface PersonTable {
  id: Generated<string>;
  date_of_birth: DateText | null;
  dob_accuracy: Generated<string>;
  sex: Generated<string>;
  ethnicity: string | null;
  created_at: CreatedAt;
  created_by_organisation_id: string | null;
  erased_at: Date | null;
  erased_by_decision: string | null;
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
  protected: Generated<boolean>;
}

export interface PersonRelationshipTable {
  id: Generated<string>;
  person_id: string;
  related_person_id: string;
  kind: string;
  valid_from: DateText | null;
  valid_to: DateText | null;
  /** The entry the relationship came from; null when a person recorded it. */
  source_event_id: string | null;
  recorded_by_user_id: string | null;
  recorded_by_organisation_id: string | null;
  /** 3x5x2 grading: source 1-3 and intelligence A-E ("2B"). */
  grading: string | null;
  sensitivity: Generated<'standard' | 'restricted'>;
  note: string | null;
  recorded_at: CreatedAt;
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
  awaiting_second_factor: Generated<boolean>;
}

export interface UserTotpTable {
  user_id: string;
  secret: string;
  enabled_at: Date | null;
  last_used_step: number | null;
  created_at: CreatedAt;
}

export interface SignInFailureTable {
  id: Generated<number>;
  at: CreatedAt;
  account_key: string;
  ip: string;
}

/** Unauthenticated refusals counted per address per window (summarised into the access log). */
export interface UnauthenticatedRefusalTable {
  ip: string;
  window_start: Date;
  count: Generated<number>;
  reasons: Generated<Record<string, number>>;
  route: string;
}

export interface OidcProviderTable {
  id: Generated<string>;
  organisation_id: string;
  issuer: string;
  client_id: string;
  client_secret: string;
  allowed_email_domain: string;
  enabled: Generated<boolean>;
  created_at: CreatedAt;
}

export interface OidcSignInTable {
  state_hash: string;
  provider_id: string;
  nonce: string;
  code_verifier: string;
  return_to: Generated<string>;
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

/** Each change of a person's shown detail, the agency record it came from and when (append-only). */
export interface PersonDetailHistoryTable {
  id: Generated<string>;
  person_id: string;
  field: 'name' | 'date_of_birth' | 'sex' | 'ethnicity' | 'address';
  /** The value shown from then: { givenNames, familyName }, { date, precision }, a sex, an ethnicity code; null for an address. */
  value: unknown;
  /** For an address: the person_address row shown (read through it, so protection applies). */
  address_id: string | null;
  source_record_ref: string | null;
  organisation_id: string | null;
  source_received_at: ColumnType<Date | null, Date | string | null, never>;
  changed_at: ColumnType<Date, Date | string | undefined, never>;
}

/** Blocking keys of a person (derived from their names, date of birth and postcode). */
export interface PersonMatchKeyTable {
  key: string;
  person_id: string;
}

/** Derived: a person as the identity matcher compares them (a MatchRecord as JSON), one row per person. */
export interface PersonMatchProfileTable {
  person_id: string;
  record: unknown;
  indexed_at: Generated<Date>;
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

export interface SharingAgreementTable {
  id: Generated<string>;
  name: string;
  provider_organisation_id: string | null;
  recipient_organisation_id: string | null;
  categories: string[];
  purpose: string;
  valid_from: ColumnType<string, string | undefined, string>;
  valid_to: DateText | null;
  created_by: string | null;
  created_at: CreatedAt;
}

export interface RetentionRuleTable {
  id: Generated<string>;
  basis: string;
  years: number;
  description: string;
  active: Generated<boolean>;
  created_at: CreatedAt;
  /** The partnership whose rule this is; null: the default set (new partnerships copy it; children in no partnership's area). */
  partnership_id: string | null;
}

export interface RetentionDecisionTable {
  id: Generated<string>;
  person_id: string;
  rule_id: string | null;
  decision: 'retain' | 'delete';
  reason: string;
  next_review_on: DateText | null;
  decided_by: string;
  decided_at: CreatedAt;
}

/** A request to erase a record not due for review; a second data protection officer approves it (then it is erased). */
export interface RetentionDeletionRequestTable {
  id: Generated<string>;
  person_id: string;
  reason: string;
  legal_basis: string;
  requested_by: string;
  requested_at: CreatedAt;
  approved_by: string | null;
  approved_at: Date | null;
  decision_id: string | null;
}

export interface DeletionTombstoneTable {
  id: Generated<number>;
  retention_decision_id: string;
  table_name: string;
  record_id: string;
  deleted_at: CreatedAt;
}

export interface BreakGlassTable {
  id: Generated<string>;
  user_id: string;
  person_id: string;
  reason: string;
  started_at: CreatedAt;
  expires_at: Date;
}

/** A relationship with a child confirmed by a person after an import, with a reason; the DPO reviews it. */
export interface RelationshipConfirmationTable {
  id: Generated<string>;
  involvement_id: string | null;
  person_id: string;
  user_id: string;
  organisation_id: string;
  role: string;
  started_on: DateText;
  reason: string;
  batch_id: string;
  batch_seq: number;
  confirmed_at: CreatedAt;
  reviewed_by: string | null;
  reviewed_at: Date | null;
  review_note: string | null;
}

export interface BreakGlassReviewTable {
  break_glass_id: string;
  reviewed_by: string;
  reviewed_at: CreatedAt;
  note: string | null;
}

/** An invitation to set a first password: single use, expiring; only the token's SHA-256 is kept. */
export interface UserInvitationTable {
  id: Generated<string>;
  user_id: string;
  invited_by: string;
  created_at: CreatedAt;
  token_hash: string | null;
  sent_at: Date | null;
  expires_at: Date | null;
  used_at: Date | null;
  revoked_at: Date | null;
}

export interface EventRestrictionTable {
  event_id: string;
  contact: string;
  reason: string | null;
}

export interface EventRestrictionGrantTable {
  id: Generated<string>;
  event_id: string;
  user_id: string | null;
  role: string | null;
  organisation_id: string | null;
}

export interface FactorVersionTable {
  code: string;
  version: number;
  kind: string;
  label: string;
  definition: string;
  evidence: string;
  cin_factors: string[];
  vocabulary_version: string;
  effective_from: ColumnType<Date, Date | string, never>;
  changed_by_user_id: string | null;
  change_reason: string;
  created_at: CreatedAt;
}

export interface AssessmentTable {
  id: Generated<string>;
  person_id: string;
  organisation_id: string;
  assessor_user_id: string;
  based_on_assessment_id: string | null;
  previous_level: string | null;
  status: Generated<string>;
  return_note: string | null;
  created_at: CreatedAt;
  submitted_at: Date | null;
  signed_off_at: Date | null;
  signed_off_by_user_id: string | null;
}

export interface AssessmentVersionTable {
  assessment_id: string;
  version: number;
  saved_by_user_id: string;
  saved_at: CreatedAt;
  risk_home: string | null;
  risk_peers: string | null;
  risk_school: string | null;
  risk_community: string | null;
  risk_online: string | null;
  risk_to_others: string | null;
  strengths: string | null;
  child_views: string | null;
  family_views: string | null;
  analysis: string | null;
  level: string | null;
  level_rationale: string | null;
  previous_level: string | null;
  lowering_reason: string | null;
  review_on: DateText | null;
}

export interface PanelReferralDueTable {
  id: Generated<string>;
  person_id: string;
  assessment_id: string;
  level: string;
  previous_level: string | null;
  recorded_at: CreatedAt;
}

/** A kind of panel a partnership runs, its cadence, and how long before a meeting invitees may read the agenda's records. */
export interface PanelTypeTable {
  id: Generated<string>;
  partnership_id: string;
  kind: 'mace' | 'operational_high_risk' | 'strategy_meeting' | 'initial_cp_conference' | 'review_cp_conference' | 'transfer_in_cp_conference' | 'complex_case';
  name: string;
  cadence_days: number;
  access_days_before: Generated<number>;
  created_at: CreatedAt;
}

/** A panel's standing member: an agency (and the person, when known) and their role. */
export interface PanelMemberTable {
  id: Generated<string>;
  panel_type_id: string;
  organisation_id: string;
  user_id: string | null;
  role: string;
}

/** One sitting of a panel; invitees may read the agenda's children from access_from until access_until. */
export interface PanelMeetingTable {
  id: Generated<string>;
  panel_type_id: string;
  held_at: Date;
  access_from: Date;
  access_until: Date;
  status: Generated<'scheduled' | 'held' | 'cancelled'>;
  created_by_user_id: string;
  created_at: CreatedAt;
  invitations_sent_at: Date | null;
  recorded_at: Date | null;
  recorded_by_user_id: string | null;
}

/** How a child reaches an agenda. */
export interface PanelReferralTable {
  id: Generated<string>;
  person_id: string;
  partnership_id: string;
  source: 'practitioner' | 'assessment' | 'consideration' | 'critical_moment' | 'review_due';
  reason: string;
  referred_by_user_id: string | null;
  organisation_id: string | null;
  assessment_id: string | null;
  consideration_id: string | null;
  meeting_id: string | null;
  created_at: CreatedAt;
}

/** A child on a meeting's agenda, with the panel's decision and next review date. */
export interface PanelAgendaItemTable {
  id: Generated<string>;
  meeting_id: string;
  person_id: string;
  section: 'review' | 'new_referral';
  referral_id: string | null;
  decision: string | null;
  next_review_on: DateText | null;
}

/** An agency invited to a meeting, why, whether it was left out (with the reason), and its attendance. */
export interface PanelInvitationTable {
  id: Generated<string>;
  meeting_id: string;
  organisation_id: string;
  basis: 'statutory' | 'school' | 'housing' | 'involved' | 'standing' | 'added';
  excluded_reason: string | null;
  excluded_by_user_id: string | null;
  sent_at: Date | null;
  attendance: 'attended' | 'apologies' | 'absent' | null;
  attendee_name: string | null;
  attendee_role: string | null;
}

/** A person an invitation reached (in the app and by email); holds time-limited access to the agenda's children. */
export interface PanelInviteeTable {
  invitation_id: string;
  user_id: string;
  created_at: CreatedAt;
  emailed_at: Date | null;
  read_at: Date | null;
}

/** An agency's update about a child for a meeting. */
export interface PanelUpdateTable {
  id: Generated<string>;
  meeting_id: string;
  person_id: string;
  organisation_id: string;
  author_user_id: string;
  facts: string;
  opinion: string | null;
  not_shared: string | null;
  not_shared_reason: string | null;
  no_significant_incident: boolean;
  submitted_at: CreatedAt;
}

/** A significant entry an agency update acknowledged. */
export interface PanelUpdateAcknowledgementTable {
  update_id: string;
  event_id: string;
}

export interface RuleTable {
  id: Generated<string>;
  code: string;
  active: Generated<boolean>;
  created_at: CreatedAt;
  /** The partnership whose rule this is; null: the default set new partnerships copy (never run). */
  partnership_id: string | null;
}

export interface RuleVersionTable {
  id: Generated<string>;
  rule_id: string;
  version: number;
  name: string;
  rationale: string;
  definition: ColumnType<unknown, string, never>;
  change_reason: string;
  created_by_user_id: string | null;
  created_at: CreatedAt;
}

/** A safeguarding partnership: owns its configuration (rules, front door, baseline, retention, significant events). */
export interface PartnershipTable {
  id: Generated<string>;
  code: string;
  name: string;
  alert_escalation_minutes: Generated<number>;
  created_at: CreatedAt;
  /** Days the sending borough's workers watch a child after a transfer is accepted. */
  transfer_watch_days: Generated<number>;
  /** Working days a transfer may wait at the receiving front door before it escalates (a child on a plan: the next column). */
  transfer_escalation_working_days: Generated<number>;
  transfer_escalation_working_days_on_plan: Generated<number>;
}

/** A relocation for safety: its risk assessment, a senior manager's sign-off, the move and its review. */
export interface RelocationTable {
  id: Generated<string>;
  person_id: string;
  organisation_id: string;
  created_by_user_id: string;
  to_borough: string;
  status: Generated<'assessing' | 'planned' | 'moved' | 'reviewed' | 'withdrawn'>;
  risks_new_area: string;
  ties_old_area: string;
  network_lost: string;
  family_position: string;
  views: string;
  signed_off_at: Date | null;
  signed_off_by_user_id: string | null;
  planned_move_on: DateText | null;
  moved_on: DateText | null;
  review_due_on: DateText | null;
  review_risk_fell: boolean | null;
  review_ties_continued: boolean | null;
  review_notes: string | null;
  reviewed_at: Date | null;
  reviewed_by_user_id: string | null;
  created_at: CreatedAt;
}

/** A child's case moving between partnerships, waiting at the receiving front door until accepted or declined. */
export interface TransferTable {
  id: Generated<string>;
  person_id: string;
  from_partnership_id: string;
  to_partnership_id: string;
  address_id: string | null;
  relocation_id: string | null;
  status: 'pre_move' | 'waiting' | 'accepted' | 'declined';
  on_plan: Generated<boolean>;
  /** When the transfer began to wait (a pre-move transfer: when the move happened). */
  opened_at: ColumnType<Date, Date | string | undefined, Date>;
  escalate_at: Date | null;
  escalated_at: Date | null;
  decided_at: Date | null;
  decided_by_user_id: string | null;
  decline_reason: string | null;
  involvement_id: string | null;
}

/** What a transfer tells someone who must act on it: escalation, a decline, a planned move. */
export interface TransferNoticeTable {
  id: Generated<string>;
  transfer_id: string;
  recipient_user_id: string;
  kind: 'opened' | 'moved_away' | 'escalation' | 'declined' | 'pre_move';
  created_at: CreatedAt;
  acknowledged_at: Date | null;
  /** When the notice's email (no personal data) was handed to the SMTP server. */
  emailed_at: Date | null;
}

/** An England and Wales bank holiday: not a working day, nor a school day. */
export interface BankHolidayTable {
  date: string;
  name: string;
}

/** Who changed which partnership setting, from what to what (append-only). */
export interface PartnershipChangeTable {
  id: Generated<string>;
  partnership_id: string;
  setting: 'created' | 'area' | 'membership' | 'front_door' | 'significant_events' | 'alert_escalation'
    | 'transfer_escalation_on_plan' | 'transfer_escalation' | 'transfer_watch';
  before: unknown;
  after: unknown;
  changed_by_user_id: string | null;
  changed_by_operator: Generated<boolean>;
  changed_at: CreatedAt;
}

/** The boroughs a partnership covers. */
export interface PartnershipAreaTable {
  borough: string;
  partnership_id: string;
}

export interface OrganisationPartnershipTable {
  organisation_id: string;
  partnership_id: string;
}

/** Event types whose recording alerts everyone working with the child, per partnership. */
export interface SignificantEventTypeTable {
  partnership_id: string;
  event_type_code: string;
}

/** Where considerations go when a child has no lead professional, per partnership. */
export interface PartnershipFrontDoorTable {
  partnership_id: string;
  organisation_id: string;
  team_id: string | null;
  updated_by_user_id: string | null;
  updated_at: Generated<Date>;
}

/** View: the partnership of each person record's current address. */
export interface PersonPartnershipView {
  person_id: string;
  partnership_id: string;
  borough: string;
}

/** A person or team following a child without an involvement. */
export interface WatcherTable {
  id: Generated<string>;
  person_id: string;
  user_id: string | null;
  team_id: string | null;
  reason: string;
  started_at: CreatedAt;
  ends_at: Date | null;
  created_by_user_id: string | null;
}

/** An alert to one person about one entry. */
export interface AlertTable {
  id: Generated<string>;
  recipient_user_id: string;
  person_id: string;
  event_id: string | null;
  plan_action_id: string | null;
  offer_id: string | null;
  partnership_id: string | null;
  kind: 'significant_entry' | 'escalation' | 'encompass' | 'action_due' | 'action_overdue' | 'offer_outcome' | 'welfare_check';
  welfare_check_id: string | null;
  reasons: string[];
  escalated_from: string | null;
  created_at: CreatedAt;
  respond_by: Date | null;
  acknowledged_at: Date | null;
  emailed_at: Date | null;
}

export interface ConsiderationTable {
  id: Generated<string>;
  person_id: string;
  rule_version_id: string;
  evidence_key: string;
  matched_event_ids: string[];
  explanation: string;
  recipient_kind: string;
  recipient_user_id: string | null;
  recipient_team_id: string | null;
  recipient_organisation_id: string | null;
  created_via: string;
  created_at: CreatedAt;
}

export interface ConsiderationDecisionTable {
  consideration_id: string;
  decision: string;
  service: string | null;
  reason: string | null;
  decided_by_user_id: string;
  organisation_id: string;
  decided_at: CreatedAt;
}

export interface PopulationBaselineTable {
  partnership_id: string;
  dimension: string;
  category: string;
  children: number;
  source: string;
  updated_by_user_id: string | null;
  updated_at: CreatedAt;
}

/** One import of agency files (intake). */
export interface IntakeBatchTable {
  id: Generated<string>;
  organisation_id: string;
  format: string;
  file_names: string[];
  via: string;
  user_id: string | null;
  api_key_id: string | null;
  /** receiving (an upload whose files are still being stored: never imported, shown to no one), running, completed, failed or interrupted. */
  status: Generated<string>;
  bytes_total: number | null;
  bytes_read: Generated<number>;
  records_read: Generated<number>;
  started_at: CreatedAt;
  finished_at: Date | null;
  report: unknown;
  /** The server process running the batch (null: started before owners were recorded). */
  owner: string | null;
  /** When the running process last reported the batch alive or committed a chunk. */
  heartbeat_at: Generated<Date>;
}

/** One record received in an intake batch and what became of it (append-only). */
export interface IntakeRowTable {
  batch_id: string;
  seq: number;
  file_name: string;
  table_name: string;
  row_number: number;
  ref: string | null;
  source_record_id: string | null;
  outcome: string;
  person_outcome: string | null;
  person_id: string | null;
  event_id: string | null;
  review_item_id: string | null;
  errors: unknown;
  warnings: unknown;
}

/** A version of an agency record as received (append-only; the latest is current). */
export interface IntakeRecordTable {
  id: Generated<number>;
  organisation_id: string;
  source_system: string;
  source_record_id: string;
  content_hash: string;
  person_id: string;
  event_id: string | null;
  batch_id: string;
  received_at: CreatedAt;
}

/** An organisation's own event code mapped to the vocabulary. */
export interface AgencyCodeMappingTable {
  organisation_id: string;
  agency_code: string;
  event_type_code: string;
  factor_codes: string[];
  description: string | null;
  updated_by_user_id: string | null;
  updated_at: Generated<Date>;
}

/** Intelligence grading of a chronology entry (append-only). */
export interface EventGradingTable {
  event_id: string;
  grading_system: string;
  source_evaluation: string;
  intelligence_evaluation: string;
  handling_code: string;
  handling_conditions: string | null;
}

/** Work to do after a committed change, dispatched at least once by the outbox worker. */
export interface OutboxTable {
  id: Generated<number>;
  kind: string;
  payload: ColumnType<unknown, string, string>;
  dedupe_key: string | null;
  status: Generated<'pending' | 'done' | 'dead'>;
  attempts: Generated<number>;
  max_attempts: Generated<number>;
  created_at: CreatedAt;
  available_at: ColumnType<Date, Date | string | undefined, Date | string>;
  locked_until: Date | null;
  locked_by: string | null;
  last_error: string | null;
  done_at: Date | null;
}

/** An uploaded file held until its import has read it. */
export interface IntakeUploadFileTable {
  batch_id: string;
  seq: number;
  purpose: 'data' | 'mapping';
  file_name: string;
  /** A file stored whole (before files were stored in parts); null: its bytes are in intake_upload_part. */
  content: Uint8Array | null;
  /** The size of a file stored in parts (null: stored whole, in content). */
  size: number | null;
}

/** One part of an uploaded file, stored in a transaction of its own (the parts in order are the file). */
export interface IntakeUploadPartTable {
  batch_id: string;
  seq: number;
  part: number;
  content: Uint8Array;
}

/** A change of who works with a child: allocated, lead named, replaced or ended, with its handover note. */
export interface InvolvementChangeTable {
  id: Generated<string>;
  person_id: string;
  involvement_id: string;
  kind: 'allocated' | 'ended' | 'lead_named' | 'replaced';
  related_involvement_id: string | null;
  organisation_id: string;
  by_user_id: string | null;
  api_key_id: string | null;
  note: string | null;
  at: CreatedAt;
}

/** A trusted adult a child names who is not a worker. */
export interface TrustedAdultTable {
  id: Generated<string>;
  person_id: string;
  name: string;
  relationship: string;
  started_on: DateText;
  ended_on: DateText | null;
  organisation_id: string;
  recorded_by_user_id: string;
  recorded_at: CreatedAt;
}

/** A missing episode: a structured record beside its chronology entry. */
export interface MissingEpisodeTable {
  id: Generated<string>;
  person_id: string;
  event_id: string;
  organisation_id: string;
  source: 'form' | 'import';
  reported_missing_at: Date;
  returned_at: Date | null;
  returned_precision: 'time' | 'date' | null;
  where_found: string | null;
  who_with: string | null;
  police_reference: string | null;
  risk_grading: 'no_apparent_risk' | 'low' | 'medium' | 'high' | null;
  recorded_by_user_id: string | null;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_by_user_id: string | null;
}

/** A return home interview after a missing episode, due 72 hours after the return. */
export interface ReturnInterviewTable {
  id: Generated<string>;
  episode_id: string;
  person_id: string;
  due_at: Date;
  offered_at: Date | null;
  offered_by: string | null;
  outcome: 'accepted' | 'declined' | null;
  /** When the child gave the current answer. */
  outcome_at: Date | null;
  declined_reason: string | null;
  completed_at: Date | null;
  completed_by_kind: 'allocated_worker' | 'independent' | null;
  completed_by_name: string | null;
  where_child_was: string | null;
  who_with: string | null;
  push_factors: Generated<string[]>;
  pull_factors: Generated<string[]>;
  findings: string | null;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_by_user_id: string | null;
}

/** An answer a return home interview had (accepted, declined, or withdrawn: null), when given and recorded; never changed. */
export interface ReturnInterviewOutcomeTable {
  id: Generated<string>;
  interview_id: string;
  person_id: string;
  outcome: 'accepted' | 'declined' | null;
  outcome_at: Date;
  recorded_at: CreatedAt;
  recorded_by_user_id: string | null;
}

/** A further entry about an episode (a police found report), linked to the episode it completed. */
export interface MissingEpisodeReportTable {
  event_id: string;
  episode_id: string;
  person_id: string;
  created_at: CreatedAt;
}

/** A child's description for the missing profile. */
export interface MissingDescriptionTable {
  person_id: string;
  height: string | null;
  build: string | null;
  distinguishing_features: string | null;
  phones: string | null;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_by_user_id: string;
}

/** Every table, by its SQL name. */
/** A place as a record: a school, youth centre, estate, park, transport hub, shop, address or online space. */
export interface PlaceTable {
  id: Generated<string>;
  kind: 'school' | 'youth_centre' | 'estate' | 'park' | 'transport_hub' | 'shop' | 'address' | 'online' | 'other';
  name: string;
  postcode: string | null;
  ward: string | null;
  borough: string | null;
  platform: string | null;
  handle: string | null;
  /** How an imported place is found again within its partnership (kind, name and postcode; or platform and handle). */
  match_key: string | null;
  recorded_by_organisation_id: string | null;
  /** The partnership the place belongs to (filled from its borough, else the recording organisation, when not given). */
  partnership_id: Generated<string | null>;
  created_at: CreatedAt;
}

export interface EventPlaceTable {
  event_id: string;
  place_id: string;
}

/** A person's link to a place over time. */
export interface PersonPlaceTable {
  id: Generated<string>;
  person_id: string;
  place_id: string;
  kind: 'enrolled' | 'attends' | 'frequents' | 'lives' | 'member';
  source_event_id: string | null;
  recorded_by_user_id: string | null;
  recorded_by_organisation_id: string | null;
  grading: string | null;
  sensitivity: Generated<'standard' | 'restricted'>;
  valid_from: DateText | null;
  valid_to: DateText | null;
  recorded_at: CreatedAt;
}

export interface PeerGroupTable {
  id: Generated<string>;
  name: string;
  borough: string | null;
  description: string | null;
  recorded_by_organisation_id: string | null;
  /** The partnership the group belongs to (filled from its borough, else the recording organisation, when not given). */
  partnership_id: Generated<string | null>;
  created_at: CreatedAt;
}

export interface PeerGroupMemberTable {
  id: Generated<string>;
  group_id: string;
  person_id: string;
  source_event_id: string | null;
  recorded_by_organisation_id: string | null;
  grading: string | null;
  sensitivity: Generated<'standard' | 'restricted'>;
  valid_from: DateText | null;
  valid_to: DateText | null;
  recorded_by_user_id: Generated<string | null>;
  recorded_at: CreatedAt;
}

/** A context case: a case opened on a place or a peer group (exactly one). */
export interface ContextCaseTable {
  id: Generated<string>;
  partnership_id: string;
  place_id: string | null;
  group_id: string | null;
  status: Generated<'open' | 'closed'>;
  opened_by_user_id: string;
  opened_at: CreatedAt;
  lead_user_id: string;
  organisation_id: string;
  closed_at: Date | null;
  closed_by_user_id: string | null;
  closing_note: string | null;
}

/** One version of a context case's assessment. */
export interface ContextCaseAssessmentTable {
  id: Generated<string>;
  case_id: string;
  version: number;
  happening: string;
  strengths: string | null;
  harms: string | null;
  recorded_by_user_id: string;
  recorded_at: CreatedAt;
}

/** An action of a context case's plan. */
export interface ContextCaseActionTable {
  id: Generated<string>;
  case_id: string;
  kind: 'detached_youth_work' | 'school_safety_plan' | 'lighting_cctv' | 'licensing' | 'police_patrols' | 'other';
  description: string;
  owner_organisation_id: string;
  due_on: DateText;
  status: Generated<'open' | 'done'>;
  done_at: Date | null;
  done_by_user_id: string | null;
  done_note: string | null;
  created_by_user_id: string;
  created_at: CreatedAt;
}

/** A child a context case affects, with the reason. */
export interface ContextCaseChildTable {
  id: Generated<string>;
  case_id: string;
  person_id: string;
  reason: string;
  linked_by_user_id: string;
  linked_by_organisation_id: string;
  linked_at: CreatedAt;
}

/** One happening, recorded by one or more agencies. */
export interface IncidentTable {
  id: Generated<string>;
  kind: 'homicide' | 'death' | 'stabbing' | 'shooting' | 'serious_assault' | 'school_violence' | 'other';
  serious: boolean;
  occurred_at: Date;
  created_at: CreatedAt;
}

export interface IncidentEntryTable {
  incident_id: string;
  event_id: string;
  linked_by: 'automatic' | 'manual';
  linked_by_user_id: string | null;
  linked_at: CreatedAt;
}

/** A welfare check for one child of a critical-moment cohort. */
export interface WelfareCheckTable {
  id: Generated<string>;
  incident_id: string;
  person_id: string;
  assignee_user_id: string | null;
  front_door_organisation_id: string | null;
  status: Generated<'open' | 'done'>;
  created_at: CreatedAt;
  completed_at: Date | null;
  completed_by_user_id: string | null;
  outcome: string | null;
}

export interface Database {
  missing_episode: MissingEpisodeTable;
  return_interview: ReturnInterviewTable;
  missing_description: MissingDescriptionTable;
  return_interview_outcome: ReturnInterviewOutcomeTable;
  missing_episode_report: MissingEpisodeReportTable;
  involvement_change: InvolvementChangeTable;
  trusted_adult: TrustedAdultTable;
  factor_version: FactorVersionTable;
  assessment: AssessmentTable;
  assessment_version: AssessmentVersionTable;
  panel_referral_due: PanelReferralDueTable;
  panel_type: PanelTypeTable;
  panel_member: PanelMemberTable;
  panel_meeting: PanelMeetingTable;
  panel_referral: PanelReferralTable;
  panel_agenda_item: PanelAgendaItemTable;
  panel_invitation: PanelInvitationTable;
  panel_invitee: PanelInviteeTable;
  panel_update: PanelUpdateTable;
  panel_update_acknowledgement: PanelUpdateAcknowledgementTable;
  rule: RuleTable;
  rule_version: RuleVersionTable;
  partnership: PartnershipTable;
  partnership_area: PartnershipAreaTable;
  organisation_partnership: OrganisationPartnershipTable;
  significant_event_type: SignificantEventTypeTable;
  partnership_front_door: PartnershipFrontDoorTable;
  person_partnership: PersonPartnershipView;
  partnership_change: PartnershipChangeTable;
  watcher: WatcherTable;
  alert: AlertTable;
  place: PlaceTable;
  event_place: EventPlaceTable;
  person_place: PersonPlaceTable;
  peer_group: PeerGroupTable;
  peer_group_member: PeerGroupMemberTable;
  context_case: ContextCaseTable;
  context_case_assessment: ContextCaseAssessmentTable;
  context_case_action: ContextCaseActionTable;
  context_case_child: ContextCaseChildTable;
  incident: IncidentTable;
  incident_entry: IncidentEntryTable;
  welfare_check: WelfareCheckTable;
  consideration: ConsiderationTable;
  consideration_decision: ConsiderationDecisionTable;
  population_baseline: PopulationBaselineTable;
  sharing_agreement: SharingAgreementTable;
  retention_rule: RetentionRuleTable;
  retention_decision: RetentionDecisionTable;
  deletion_tombstone: DeletionTombstoneTable;
  retention_deletion_request: RetentionDeletionRequestTable;
  break_glass: BreakGlassTable;
  break_glass_review: BreakGlassReviewTable;
  relationship_confirmation: RelationshipConfirmationTable;
  user_invitation: UserInvitationTable;
  event_restriction: EventRestrictionTable;
  event_restriction_grant: EventRestrictionGrantTable;
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
  user_totp: UserTotpTable;
  sign_in_failure: SignInFailureTable;
  unauthenticated_refusal: UnauthenticatedRefusalTable;
  oidc_provider: OidcProviderTable;
  oidc_sign_in: OidcSignInTable;
  identity_model: IdentityModelTable;
  source_record: SourceRecordTable;
  source_record_version: SourceRecordVersionTable;
  person_detail_history: PersonDetailHistoryTable;
  person_match_key: PersonMatchKeyTable;
  person_match_profile: PersonMatchProfileTable;
  person_merge: PersonMergeTable;
  person_unmerge: PersonUnmergeTable;
  identity_review_item: IdentityReviewItemTable;
  identity_decision: IdentityDecisionTable;
  person_non_match: PersonNonMatchTable;
  intake_batch: IntakeBatchTable;
  intake_row: IntakeRowTable;
  intake_record: IntakeRecordTable;
  agency_code_mapping: AgencyCodeMappingTable;
  event_grading: EventGradingTable;
  outbox: OutboxTable;
  intake_upload_file: IntakeUploadFileTable;
  intake_upload_part: IntakeUploadPartTable;
  relocation: RelocationTable;
  transfer: TransferTable;
  transfer_notice: TransferNoticeTable;
  bank_holiday: BankHolidayTable;
  service: ServiceTable;
  postcode_district: PostcodeDistrictTable;
  risk_plan: RiskPlanTable;
  risk_plan_review: RiskPlanReviewTable;
  plan_action: PlanActionTable;
  plan_action_status_change: PlanActionStatusChangeTable;
  offer_of_help: OfferOfHelpTable;
  case_audit: CaseAuditTable;
  case_audit_case: CaseAuditCaseTable;
  case_audit_grade: CaseAuditGradeTable;
  case_audit_action: CaseAuditActionTable;
  learning_review: LearningReviewTable;
  review_recommendation: ReviewRecommendationTable;
}

export type AppUserRow = Selectable<AppUserTable>;
export type EventRow = Selectable<EventTable>;
export type NewEvent = Insertable<EventTable>;
export type PersonRow = Selectable<PersonTable>;

/** A service in a partnership's early help directory (Open Referral UK / HSDS shaped). */
export interface ServiceTable {
  id: Generated<string>;
  partnership_id: string;
  external_id: string;
  name: string;
  description: string | null;
  provider_name: string;
  organisation_id: string | null;
  min_age: number | null;
  max_age: number | null;
  needs: ColumnType<string[], string[] | undefined, string[]>;
  areas: ColumnType<string[], string[] | undefined, string[]>;
  referral_route: string | null;
  contact_email: string | null;
  contact_phone: string | null;
  url: string | null;
  waiting_weeks: number | null;
  status: Generated<'active' | 'inactive' | 'defunct' | 'temporarily closed'>;
  created_at: CreatedAt;
  updated_at: Generated<Date>;
}

/** A postcode district (outward code) and the borough it lies in. */
export interface PostcodeDistrictTable {
  district: string;
  borough: string;
}

/** The status of a plan action. */
export type PlanActionStatus = 'not_started' | 'in_progress' | 'done' | 'not_possible' | 'not_done';

/** A child's multi-agency risk management plan. */
export interface RiskPlanTable {
  id: Generated<string>;
  person_id: string;
  organisation_id: string;
  created_by_user_id: string;
  worries: string;
  goals: string;
  review_every_weeks: number;
  next_review_on: string;
  status: Generated<'active' | 'closed'>;
  created_at: CreatedAt;
  updated_at: Generated<Date>;
  closed_at: Date | null;
}

/** A review of a plan. */
export interface RiskPlanReviewTable {
  id: Generated<string>;
  plan_id: string;
  reviewed_by_user_id: string;
  reviewed_at: Generated<Date>;
  notes: string;
  next_review_on: string;
}

/** An action on a plan, with its owner, due date and current status. */
export interface PlanActionTable {
  id: Generated<string>;
  plan_id: string;
  kind: 'supportive' | 'disruptive';
  description: string;
  owner_user_id: string;
  owner_organisation_id: string;
  due_on: string;
  status: Generated<PlanActionStatus>;
  status_reason: string | null;
  created_by_user_id: string;
  created_at: CreatedAt;
  updated_at: Generated<Date>;
  completed_at: Date | null;
  reminded_at: Date | null;
  escalated_at: Date | null;
}

/** One change of a plan action's status. */
export interface PlanActionStatusChangeTable {
  id: Generated<string>;
  action_id: string;
  status: PlanActionStatus;
  reason: string | null;
  changed_by_user_id: string;
  changed_at: Generated<Date>;
  event_id: string | null;
}

/** An offer of help, its response and barrier. */
export interface OfferOfHelpTable {
  id: Generated<string>;
  person_id: string;
  service_id: string | null;
  service_name: string;
  organisation_id: string;
  offered_by_user_id: string | null;
  referred_by_user_id: string | null;
  consideration_id: string | null;
  offered_on: string | null;
  mode: 'face_to_face' | 'phone' | 'letter' | 'digital' | null;
  moment: string | null;
  response: 'accepted' | 'declined' | 'not_taken_up' | null;
  barrier: 'awareness' | 'accessibility' | 'acceptability' | null;
  own_words: string | null;
  responded_at: Date | null;
  responded_by_user_id: string | null;
  created_by_user_id: string;
  created_at: CreatedAt;
}

/** A multi-agency case audit of a cohort chosen from live data. */
export interface CaseAuditTable {
  id: Generated<string>;
  partnership_id: string;
  title: string;
  theme: string;
  questions: string[];
  selection: 'random' | 'measure';
  measure: string | null;
  created_by_user_id: string;
  created_at: CreatedAt;
}

/** A child in an audit's cohort, named by its reference (A1, A2, ...). */
export interface CaseAuditCaseTable {
  id: Generated<string>;
  audit_id: string;
  person_id: string;
  reference: string;
}

/** An audit grade: one agency, one case, one question, its own or the multi-agency practice. */
export interface CaseAuditGradeTable {
  id: Generated<string>;
  case_id: string;
  organisation_id: string;
  question: number;
  practice: 'own' | 'multi_agency';
  grade: 'outstanding' | 'good' | 'requires_improvement' | 'inadequate';
  finding: string | null;
  graded_by_user_id: string;
  graded_at: CreatedAt;
}

/** An action made from an audit's finding. */
export interface CaseAuditActionTable {
  id: Generated<string>;
  audit_id: string;
  grade_id: string | null;
  description: string;
  owner_organisation_id: string;
  due_on: string;
  status: Generated<'open' | 'done'>;
  done_at: Date | null;
  created_by_user_id: string;
  created_at: CreatedAt;
}

/** A learning review: rapid review, local child safeguarding practice review or thematic audit. */
export interface LearningReviewTable {
  id: Generated<string>;
  partnership_id: string;
  kind: 'rapid_review' | 'lcspr' | 'thematic_audit';
  title: string;
  published_on: string;
  findings: string;
  created_by_user_id: string;
  created_at: CreatedAt;
}

/** A review's recommendation, tracked to done with its evidence. */
export interface ReviewRecommendationTable {
  id: Generated<string>;
  review_id: string;
  text: string;
  theme: string;
  owner_user_id: string;
  agencies: Generated<string[]>;
  due_on: string;
  status: Generated<'open' | 'in_progress' | 'done' | 'not_accepted'>;
  evidence_kind: 'dashboard' | 'audit' | null;
  evidence_ref: string | null;
  evidence_note: string | null;
  done_at: Date | null;
  created_at: CreatedAt;
}
