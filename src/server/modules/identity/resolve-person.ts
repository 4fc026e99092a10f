import type { Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import type { MatchExplanation } from '../../../domain/matching/types.js';
import { PersonResolver } from './person-resolver.js';

export type { MatchExplanation } from '../../../domain/matching/types.js';

/** The person as one agency knows them, from one of its systems. */
export interface IncomingPerson {
  organisationId: string;
  sourceSystem: string;
  sourceRecordId: string;
  givenNames: string | null;
  familyName: string | null;
  otherNames?: { kind: 'alias' | 'nickname' | 'known_as' | 'online_handle' | 'previous'; givenNames: string | null; familyName: string | null }[];
  /** YYYY-MM-DD, or null. */
  dateOfBirth: string | null;
  /** Present (and only then) when only the month or year of birth is known: dateOfBirth is its first day. */
  dateOfBirthPrecision?: 'month' | 'year';
  sex: 'female' | 'male' | 'not_known';
  /** A DfE/ONS four-letter ethnicity code, or null. */
  ethnicity: string | null;
  identifiers: { scheme: 'nhs_number' | 'upn' | 'police_id' | 'local_id' | 'uln' | 'pnc_id' | 'la_child_id'; value: string }[];
  postcode: string | null;
  addressLine: string | null;
  borough: string | null;
}

/** What became of an agency's record. */
export interface Resolution {
  personId: string;
  /**
   * linked: joined to an existing person automatically; new: a new person; review: stored as a new
   * provisional person and queued for a human to compare with a likely match; existing_source_record:
   * this agency's record was seen before and keeps its person (a changed content is stored as a new version).
   */
  outcome: 'linked' | 'new' | 'review' | 'existing_source_record';
  matchWeight: number | null;
  reviewItemId: string | null;
  explanation: MatchExplanation | null;
}

/** How a caller narrows automatic linking. */
export interface ResolveOptions {
  /**
   * Asked before a record is linked automatically to an existing person: when it answers false, the
   * record is kept apart as a new provisional person and the pair goes to identity review instead
   * (outcome `review`), as for a weaker match.
   */
  mayLink?: (personId: string) => Promise<boolean>;
}

/**
 * Finds or creates the person for an agency's record, inside the caller's transaction. Many records
 * at once (an import chunk) go through a PersonResolver, which decides each the same way.
 */
export async function resolvePerson(trx: Kysely<Database>, incoming: IncomingPerson, opts: ResolveOptions = {}): Promise<Resolution> {
  const resolver = await PersonResolver.open(trx, [incoming]);
  const resolution = await resolver.resolve(incoming, opts);
  await resolver.flush();
  return resolution;
}
