import type { PlaceKind } from '../domain/networks/kinds.js';

/**
 * The shapes every format parser produces. A parser turns a file into a stream of items: one per
 * record received, each either a normalised record ready to store or the reasons it was refused.
 * Parsers do no I/O beyond reading the text they are given, so they are tested without a database.
 */

/** The formats the intake pipeline reads. */
export const INTAKE_FORMATS = ['jsonl', 'csv', 'cin-xml', 'ssda903'] as const;
/** One of the formats the intake pipeline reads. */
export type IntakeFormat = (typeof INTAKE_FORMATS)[number];

/** Roles a person can have in an event (the chronology's own list). */
export const PERSON_ROLES = ['subject', 'victim', 'suspect', 'witness', 'associate', 'parent'] as const;
/** A person's role in an event. */
export type PersonRole = (typeof PERSON_ROLES)[number];

/**
 * Identifier schemes the person model holds, each named for who issues it: NHS number, Unique Pupil
 * Number, a force's own police id, an agency's local id, Unique Learner Number, Police National
 * Computer id, and a local authority's child id shared with partners (held as the authority's
 * three-digit code, a slash, and the id).
 */
export const IDENTIFIER_SCHEMES = ['nhs_number', 'upn', 'police_id', 'local_id', 'uln', 'pnc_id', 'la_child_id'] as const;
/** One identifier scheme. */
export type IdentifierScheme = (typeof IDENTIFIER_SCHEMES)[number];
/** Kinds of other name a person can be known by. */
export const OTHER_NAME_KINDS = ['alias', 'nickname', 'known_as', 'online_handle', 'previous'] as const;

/** What is wrong with one field of one record (no personal values are quoted). */
export interface FieldProblem {
  field: string;
  reason: string;
}

/** A person as the sending agency knows them. */
export interface IncomingPersonData {
  /** The agency's own id for the person (case number, pupil id, nominal id). */
  recordId: string;
  givenNames: string | null;
  familyName: string | null;
  otherNames: { kind: (typeof OTHER_NAME_KINDS)[number]; givenNames: string | null; familyName: string | null }[];
  /** YYYY-MM-DD: the date of birth, or the first day of its month or year when only that is known. */
  dateOfBirth: string | null;
  /** Present (and only then) when only the month or year of birth is known. */
  dateOfBirthPrecision?: 'month' | 'year';
  sex: 'female' | 'male' | 'not_known';
  ethnicity: string | null;
  identifiers: { scheme: (typeof IDENTIFIER_SCHEMES)[number]; value: string }[];
  postcode: string | null;
  addressLine: string | null;
  borough: string | null;
  /** Online handles the person uses (present only when some were sent). */
  onlineHandles?: OnlineHandle[];
}

/** An online handle: the platform and the account name on it. */
export interface OnlineHandle {
  platform: string;
  handle: string;
}

/** Where an entry happened, as a place record (an online space by its platform and handle). */
export interface IncomingPlace {
  kind: PlaceKind;
  name: string;
  postcode: string | null;
  ward: string | null;
  borough: string | null;
  platform: string | null;
  handle: string | null;
}

/** A relationship between two people of a record, by their record ids. */
export interface IncomingRelationship {
  from: string;
  to: string;
  kind: string;
  grading: string | null;
  validFrom: string | null;
  validTo: string | null;
  sensitivity: 'standard' | 'restricted';
}

/** Intelligence grading: the current 3x5x2 model, or the older 5x5x5 one still found in legacy systems. */
export interface Grading {
  system: '3x5x2' | '5x5x5';
  sourceEvaluation: string;
  intelligenceEvaluation: string;
  handlingCode: string;
  handlingConditions: string | null;
}

/** The event a record reports. Either a vocabulary code, or the agency's own code to map. */
export interface IncomingEvent {
  code: string | null;
  agencyCode: string | null;
  occurredAt: string;
  precision: 'time' | 'date' | 'month' | 'approximate';
  summary: string;
  narrative: string | null;
  place: string | null;
  factorCodes: string[];
  sensitivity: 'standard' | 'restricted';
  reliability: 'confirmed' | 'reported' | 'unverified';
  grading: Grading | null;
  /**
   * Provenance an export carries (a lossless move between systems); each key is present only when
   * sent, so records without them hash as they always have. recordedAt: when the entry was first
   * recorded; correctionReason: why this version corrects the one before; restriction: whom to ask
   * about a restricted entry, and why it is restricted.
   */
  recordedAt?: string;
  correctionReason?: string;
  restriction?: { contact: string; reason: string | null };
}

/** A normalised agency record: who sent it, about whom, and what happened (or only who, for a demographics row). */
export interface IntakeRecord {
  /** The organisation the record names (checked against the batch's organisation), when it names one. */
  organisationId: string | null;
  sourceSystem: string;
  recordId: string;
  person: IncomingPersonData;
  role: PersonRole;
  event: IncomingEvent | null;
  otherPeople: { role: PersonRole; person: IncomingPersonData }[];
  /** Where the entry happened, as a place record. */
  place?: IncomingPlace;
  /** Relationships between the record's people. */
  relationships?: IncomingRelationship[];
  /** Set when the record carries too little about the person to stand alone (an SSDA903 row without its header row). */
  requiresKnownPerson?: string;
}

/** One record received: where it was in the file, and either the record or why it was refused. */
export interface IntakeItem {
  /** The table (or element kind) it came from: 'records', 'child', 'referral', 'episodes', ... */
  table: string;
  /** The line in the file where the record starts. */
  row: number;
  /** A readable position for nested formats ("Child 3, CINdetails 1, Assessment 2"). */
  ref?: string;
  recordId: string | null;
  record: IntakeRecord | null;
  errors: FieldProblem[];
  warnings: FieldProblem[];
}

/** A problem with the file as a whole (not one record): the pipeline stops reading and says why. */
export class IntakeFileError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'IntakeFileError';
  }
}

/** An empty person, for formats that fill in fields one by one. */
export function blankPerson(recordId: string): IncomingPersonData {
  return {
    recordId, givenNames: null, familyName: null, otherNames: [], dateOfBirth: null, sex: 'not_known',
    ethnicity: null, identifiers: [], postcode: null, addressLine: null, borough: null,
  };
}

/** A rejected item with one or more reasons. */
export function rejected(table: string, row: number, recordId: string | null, errors: FieldProblem[], ref?: string): IntakeItem {
  return { table, row, ...(ref ? { ref } : {}), recordId, record: null, errors, warnings: [] };
}
