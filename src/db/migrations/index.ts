import type { Migration } from 'kysely';
import * as createCore from './20261123100000_create_core.js';
import * as loadVocabularyV1 from './20261123100100_load_vocabulary_v1.js';
import * as createIdentity from './20261123110000_create_identity.js';
import * as createIntake from './20261123115000_create_intake.js';
import * as createFactorVersions from './20261123120000_create_factor_versions.js';
import * as createAssessmentsAndRules from './20261123120100_create_assessments_and_rules.js';
import * as createAuthSecurity from './20261123130000_create_auth_security.js';
import * as chainAccessLog from './20261123140000_chain_access_log.js';
import * as accessModel from './20261123140100_access_model.js';
import * as retention from './20261123140200_retention.js';
import * as sharingAgreements from './20261123140300_sharing_agreements.js';
import * as intakeInterruptedAndVocabularyV2 from './20261123150100_intake_interrupted_and_vocabulary_v2.js';
import * as personMatchProfile from './20261123150200_person_match_profile.js';
import * as createOutbox from './20261126100000_create_outbox.js';
import * as sealedSecretsAndRefusalCounts from './20261126200000_sealed_secrets_and_refusal_counts.js';
import * as retentionDeletionRequests from './20261126210000_retention_deletion_requests.js';
import * as invitationsAndRoleSeparation from './20261126230000_invitations_and_role_separation.js';
import * as relationshipConfirmation from './20261127010000_relationship_confirmation.js';
import * as partnershipsAndAlerts from './20261128000000_partnerships_and_alerts.js';
import * as partnershipConfiguration from './20261128010000_partnership_configuration.js';
import * as allocation from './20261128020000_allocation.js';
import * as missingEpisodes from './20261128030000_missing_episodes.js';
import * as transfers from './20261128040000_transfers.js';
import * as transferSettingsAndBankHolidays from './20261129000000_transfer_settings_and_bank_holidays.js';
import * as transferNoticeMovedAway from './20261129010000_transfer_notice_moved_away.js';
import * as panels from './20261129300000_panels.js';
import * as panelReferralFromConsideration from './20261129310000_panel_referral_from_consideration.js';
import * as missingAsOfAndFoundReports from './20261129100000_missing_as_of_and_found_reports.js';
import * as plansOffersServices from './20261129400000_plans_offers_services.js';
import * as plansOffersErasure from './20261129410000_plans_offers_erasure.js';
import * as oversightRolesAndDashboards from './20261130300000_oversight_roles_and_dashboards.js';
import * as auditsAndReviews from './20261130310000_audits_and_reviews.js';
import * as networks from './20261130000000_networks.js';
import * as organisationCodes from './20261130500000_organisation_codes.js';
import * as identifierSchemes from './20261130510000_identifier_schemes.js';
import * as reindexForBlockingRules from './20261130100000_reindex_for_blocking_rules.js';
import * as personDetailHistory from './20261201400000_person_detail_history.js';
import * as profilesHoldEveryValue from './20261201500000_profiles_hold_every_value.js';
import * as refreshPlannerStatistics from './20261203010000_refresh_planner_statistics.js';
import * as uploadFilesStoredUncompressed from './20261203000000_upload_files_stored_uncompressed.js';
import * as uploadFilesStoredInParts from './20261203020000_upload_files_stored_in_parts.js';
import * as matchKeysCheckedThroughProfile from './20261204000000_match_keys_checked_through_profile.js';
import * as transferTriggerReadsNewAddressesOnce from './20261205000000_transfer_trigger_reads_new_addresses_once.js';
import * as reindexForHouseAndStreet from './20261202010000_reindex_for_house_and_street.js';
import * as exposureToViolenceRule from './20261201200000_exposure_to_violence_rule.js';
import * as contextCases from './20261201000000_context_cases.js';
import * as interchangePlaces from './20261201300000_interchange_places.js';

/** Every migration in order; listed explicitly so bundlers and tsx find them alike. */
export const migrations: Record<string, Migration> = {
  '20261123100000_create_core': createCore,
  '20261123100100_load_vocabulary_v1': loadVocabularyV1,
  '20261123110000_create_identity': createIdentity,
  '20261123115000_create_intake': createIntake,
  '20261123120000_create_factor_versions': createFactorVersions,
  '20261123120100_create_assessments_and_rules': createAssessmentsAndRules,
  '20261123130000_create_auth_security': createAuthSecurity,
  '20261123140000_chain_access_log': chainAccessLog,
  '20261123140100_access_model': accessModel,
  '20261123140200_retention': retention,
  '20261123140300_sharing_agreements': sharingAgreements,
  '20261123150100_intake_interrupted_and_vocabulary_v2': intakeInterruptedAndVocabularyV2,
  '20261123150200_person_match_profile': personMatchProfile,
  '20261126100000_create_outbox': createOutbox,
  '20261126200000_sealed_secrets_and_refusal_counts': sealedSecretsAndRefusalCounts,
  '20261126210000_retention_deletion_requests': retentionDeletionRequests,
  '20261126230000_invitations_and_role_separation': invitationsAndRoleSeparation,
  '20261127010000_relationship_confirmation': relationshipConfirmation,
  '20261128000000_partnerships_and_alerts': partnershipsAndAlerts,
  '20261128010000_partnership_configuration': partnershipConfiguration,
  '20261128020000_allocation': allocation,
  '20261128030000_missing_episodes': missingEpisodes,
  '20261128040000_transfers': transfers,
  '20261129000000_transfer_settings_and_bank_holidays': transferSettingsAndBankHolidays,
  '20261129010000_transfer_notice_moved_away': transferNoticeMovedAway,
  '20261129100000_missing_as_of_and_found_reports': missingAsOfAndFoundReports,
  '20261129300000_panels': panels,
  '20261129310000_panel_referral_from_consideration': panelReferralFromConsideration,
  '20261129400000_plans_offers_services': plansOffersServices,
  '20261129410000_plans_offers_erasure': plansOffersErasure,
  '20261130300000_oversight_roles_and_dashboards': oversightRolesAndDashboards,
  '20261130310000_audits_and_reviews': auditsAndReviews,
  '20261130000000_networks': networks,
  '20261130500000_organisation_codes': organisationCodes,
  '20261130510000_identifier_schemes': identifierSchemes,
  '20261130100000_reindex_for_blocking_rules': reindexForBlockingRules,
  '20261201000000_context_cases': contextCases,
  '20261201200000_exposure_to_violence_rule': exposureToViolenceRule,
  '20261201300000_interchange_places': interchangePlaces,
  '20261201400000_person_detail_history': personDetailHistory,
  '20261201500000_profiles_hold_every_value': profilesHoldEveryValue,
  '20261202010000_reindex_for_house_and_street': reindexForHouseAndStreet,
  '20261203000000_upload_files_stored_uncompressed': uploadFilesStoredUncompressed,
  '20261203010000_refresh_planner_statistics': refreshPlannerStatistics,
  '20261203020000_upload_files_stored_in_parts': uploadFilesStoredInParts,
  '20261204000000_match_keys_checked_through_profile': matchKeysCheckedThroughProfile,
  '20261205000000_transfer_trigger_reads_new_addresses_once': transferTriggerReadsNewAddressesOnce,
};
