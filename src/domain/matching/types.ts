/**
 * Shapes shared by the record-linkage model: the record as the matcher sees it, and the
 * explanation every match decision carries (each field's comparison level and weight, and the total).
 */

/** A name a person is known by (legal, alias, nickname, online handle, previous). */
export interface MatchName {
  givenNames: string | null;
  familyName: string | null;
}

/** One identifier as recorded (scheme and value, already normalised by the caller or by normaliseRecord). */
export interface MatchIdentifier {
  scheme: 'nhs_number' | 'upn' | 'police_id' | 'local_id' | 'uln' | 'pnc_id' | 'la_child_id';
  value: string;
}

/** A person record as the matcher compares it: pure data, no ids from the database needed. */
export interface MatchRecord {
  givenNames: string | null;
  familyName: string | null;
  otherNames: MatchName[];
  /** YYYY-MM-DD, or null when not known. */
  dateOfBirth: string | null;
  /** Present when only the month or year of birth is known (the date is then the first of the month or year). */
  dateOfBirthPrecision?: 'month' | 'year';
  sex: 'female' | 'male' | 'not_known';
  postcode: string | null;
  addressLine: string | null;
  identifiers: MatchIdentifier[];
  /**
   * Other dates of birth the person is held with (another agency's record of them gives a different
   * one), compared as well as the shown one: present only when there are some.
   */
  otherDatesOfBirth?: MatchDateOfBirth[];
  /** Other addresses the person is held with (another agency's record of them), compared as well: present only when there are some. */
  otherAddresses?: MatchAddress[];
}

/** A date of birth held besides the shown one: YYYY-MM-DD, at the precision it is known to. */
export interface MatchDateOfBirth {
  date: string;
  precision?: 'month' | 'year';
}

/** An address held besides the shown one. */
export interface MatchAddress {
  postcode: string | null;
  addressLine: string | null;
}

/** The comparison level one field reached, and the evidence it gave. */
export interface FieldExplanation {
  /** The comparison, e.g. 'given_name', 'date_of_birth'. */
  field: string;
  /** The level reached, e.g. 'exact', 'jaro_winkler_0.92', 'nickname', 'null'. */
  level: string;
  /** A plain description of the level for people reading the explanation. */
  label: string;
  /** log2(m/u) for this level, after any term-frequency adjustment (0 for a missing value). */
  weight: number;
  /** P(level | same person) and P(level | different people), as estimated. */
  m: number;
  u: number;
  /** The term-frequency adjustment included in the weight (for exact matches on common values). */
  tfAdjustment: number;
  /** The two values compared, as the matcher saw them (shown only to those allowed to review). */
  left: string | null;
  right: string | null;
}

/** Where the total weight falls. */
export type MatchBand = 'link' | 'review' | 'new';

/** Why two records were, or were not, judged the same person. */
export interface MatchExplanation {
  modelVersion: string;
  /** log2 of the prior odds that two records blocked together are the same person. */
  priorWeight: number;
  fields: FieldExplanation[];
  /** Match weight: the prior plus the sum of the fields' log2 Bayes factors. */
  total: number;
  /** The posterior probability that the two records are the same person. */
  probability: number;
  band: MatchBand;
  linkThreshold: number;
  reviewThreshold: number;
  /** Why a weight above the link threshold was sent to a person instead (decide's guards), when it was. */
  heldForReview?: string;
}
