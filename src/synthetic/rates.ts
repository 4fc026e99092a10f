/**
 * The rates that shape a synthetic borough, in one place so docs/synthetic-data.md
 * and the tests refer to the same numbers. Where a rate comes from a finding in the
 * source reviews (BRIEF.md, /work/shared/seeds) the comment says which; the rest are
 * illustrative assumptions chosen to give a believable, demonstrable borough, not
 * statistics about any real place.
 */
import type { CommonExperience, Tier } from './types.js';

/** The generated world's "today": every event happens before it, whatever the clock says. */
export const REFERENCE_DATE = '2026-11-01';

/** The one password every synthetic user shares (hashed once by the inserter). */
export const DEMO_PASSWORD = 'jigsaw-demo-2026';

/** Relative weight of each age 0..17 on the reference date: the cohort is adolescent-heavy (60% aged 10-17). */
export const AGE_WEIGHTS: readonly number[] = [
  ...Array.from({ length: 10 }, () => 4),
  ...Array.from({ length: 8 }, () => 7.5),
];

/** Children per family (1..5): assumption. */
export const FAMILY_SIZE_WEIGHTS: readonly (readonly [number, number])[] = [[1, 40], [2, 35], [3, 17], [4, 6], [5, 2]];

/** Who the children live with: assumption; Hillingdon notes "a theme of parents as sole carers". */
export const HOUSEHOLD_WEIGHTS = [['two_parents', 45], ['mother', 43], ['father', 5], ['kinship_carer', 7]] as const;

/** How adverse a family's circumstances are (assumption: most families need nothing from services). */
export const FAMILY_TIER_WEIGHTS: readonly (readonly [Tier, number])[] = [
  ['none', 65], ['emerging', 22], ['complex', 6], ['escalating', 7],
];

/** A younger sibling takes the family's tier this often, otherwise one step lower (the eldest always carries it). */
export const SIBLING_SAME_TIER = 0.7;

/** Girls drawn into the escalating tier are moved to complex this often: the reviewed cohorts were mostly boys (assumption on the size). */
export const GIRL_ESCALATION_DAMPING = 0.45;

/** Children in the 'none' tier who still have one ordinary entry (a missed appointment, a club). */
export const NONE_TIER_SINGLE_EVENT = 0.25;

/**
 * Probability of each common experience by tier. The escalating column follows the reviews:
 * domestic abuse affected 9 of 11 children in Hillingdon's cohort (0.8); low attendance,
 * exclusion and alternative provision, domestic abuse, moves, ADHD or speech and language need
 * and not being brought to appointments were common to all six children in Bromley's audit;
 * Hillingdon found "several" with a relative involved in crime and families affected by poverty
 * and insecure housing. The other columns are assumptions that keep the same ordering.
 */
export const EXPERIENCE_RATES: Readonly<Record<Tier, Readonly<Record<CommonExperience, number>>>> = {
  none: {
    domestic_abuse: 0, send_need: 0, not_brought: 0, exclusion: 0, poor_attendance: 0, frequent_moves: 0,
    poverty_housing: 0, relative_in_crime: 0, bereavement_violence: 0, going_missing: 0, parental_mental_health: 0,
  },
  emerging: {
    domestic_abuse: 0.3, send_need: 0.3, not_brought: 0.25, exclusion: 0.1, poor_attendance: 0.3, frequent_moves: 0.15,
    poverty_housing: 0.35, relative_in_crime: 0.08, bereavement_violence: 0.01, going_missing: 0.03, parental_mental_health: 0.15,
  },
  complex: {
    domestic_abuse: 0.6, send_need: 0.5, not_brought: 0.45, exclusion: 0.35, poor_attendance: 0.55, frequent_moves: 0.35,
    poverty_housing: 0.5, relative_in_crime: 0.25, bereavement_violence: 0.04, going_missing: 0.2, parental_mental_health: 0.3,
  },
  escalating: {
    domestic_abuse: 0.8, send_need: 0.7, not_brought: 0.6, exclusion: 0.8, poor_attendance: 0.85, frequent_moves: 0.55,
    poverty_housing: 0.6, relative_in_crime: 0.45, bereavement_violence: 0.12, going_missing: 0.85, parental_mental_health: 0.3,
  },
};

/** Fewest common experiences a child of each tier has ("a minority accumulate several"). */
export const MIN_EXPERIENCES: Readonly<Record<Tier, number>> = { none: 0, emerging: 1, complex: 3, escalating: 4 };

/** Chance that a family moves between boroughs during its history, by family tier: about 8% of children overall (assumption; Child K's family moved for safety). */
export const CROSS_BOROUGH_MOVE: Readonly<Record<Tier, number>> = { none: 0.06, emerging: 0.1, complex: 0.14, escalating: 0.2 };

/** What happens after a child enters the escalating tier (assumptions shaped by the cases in the reviews). */
export const ESCALATION = {
  missingEpisodes: [2, 8] as const,
  returnInterviewWithin72h: 0.6,
  returnInterviewLate: 0.2,
  peersOfConcern: 0.85,
  placeOfConcern: 0.5,
  stopAndSearch: 0.55,
  suspect: 0.5,
  weaponIncident: 0.35,
  aeInjury: 0.3,
  aeStabWound: 0.1,
  victimOfSeriousViolence: 0.2,
  witnessToSeriousViolence: 0.2,
  criminalExploitation: 0.6,
  countyLines: 0.25,
  sexualExploitationGirls: 0.45,
  sexualExploitationBoys: 0.05,
  groupViolence: 0.3,
  nrmReferralGivenExploitation: 0.35,
  nrmDecisionGivenReferral: 0.6,
  onlineThreats: 0.3,
  outOfCourtDisposal: 0.3,
  charged: 0.2,
  orderGivenCharge: 0.6,
  custodyGivenOrder: 0.08,
  substanceMisuse: 0.2,
  trustedAdult: 0.4,
  mentoring: 0.3,
  relocationForSafety: 0.05,
  joinExistingPeerGroup: 0.65,
  peerGroupIncident: 0.15,
} as const;

/**
 * Disproportionality the dashboards must be able to find (BRIEF.md: Black and dual heritage
 * children are over-represented in exclusions, stop and search and among victims). The sizes are
 * illustrative assumptions; they apply to agencies' responses and to victimisation, never to the
 * underlying adversity a child experiences.
 */
export const DISPROPORTIONALITY = {
  codes: ['BCRB', 'BOTH', 'MWBC', 'BAFR', 'MWBA'] as readonly string[],
  exclusion: 1.6,
  stopAndSearch: 1.8,
  victimOfViolence: 1.4,
};

/** London-like ethnicity mix of the child population (illustrative, DfE codes; not a census extract). */
export const ETHNICITY_WEIGHTS: readonly (readonly [string, number])[] = [
  ['WBRI', 23], ['WIRI', 1], ['WIRT', 0.3], ['WOTH', 13], ['WROM', 0.7],
  ['MWBC', 3], ['MWBA', 2], ['MWAS', 2.5], ['MOTH', 4.5],
  ['AIND', 7], ['APKN', 4], ['ABAN', 5], ['AOTH', 5],
  ['BCRB', 4], ['BAFR', 11], ['BOTH', 2], ['CHNE', 1.2], ['OOTH', 6], ['REFU', 1.3], ['NOBT', 2.5],
];

/** Record-keeping rates (assumptions unless stated). */
export const RECORDS = {
  /** NHS number held for a child. */
  nhsNumber: 0.92,
  /** NHS number held for a parent or carer. */
  adultNhsNumber: 0.6,
  /** UPN held for a child who has reached school age. */
  upn: 0.9,
  /** Of UPNs, a temporary one (the school is still waiting for the permanent number). */
  temporaryUpn: 0.03,
  /** Police identifier held for a child known to police. */
  policeId: 0.95,
  /** A child exists twice: another agency made a second record with a misspelt name and few identifiers. */
  duplicate: 0.03,
  /** Each further agency that holds a child spells the name its own way this often. */
  agencySpelling: 0.12,
  /** Adolescents (12+) in complex or escalating tiers with a street nickname / online handle. */
  nickname: 0.3,
  onlineHandle: 0.35,
  /** The same for other adolescents. */
  nicknameOther: 0.03,
  onlineHandleOther: 0.08,
  /** Dates of birth known only to the month, or estimated. */
  dobMonth: 0.02,
  dobEstimated: 0.01,
  /** A child whose family name changed (a previous name is kept). */
  previousName: 0.02,
  /** Police intelligence-type entries restricted to the recording agency. */
  restrictedIntelligence: 0.02,
  /** Entries later corrected by the same agency (a superseding entry). */
  correction: 0.01,
  /** Entries with a longer narrative. */
  narrative: 0.3,
  /** Events with no source record id (paper or free-text notes). */
  missingSourceRecordId: 0.04,
} as const;

/** Cases per worker before the team recruits another (the brief asks for about 10-25). */
export const CASELOAD: Readonly<Record<string, readonly [number, number]>> = {
  social_work: [12, 22],
  early_help: [12, 20],
  youth_justice: [8, 15],
  youth_work: [10, 18],
  police_exploitation: [20, 35],
};
