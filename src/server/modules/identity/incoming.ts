import { createHash } from 'node:crypto';
import { canonicalJson } from '../../../domain/canonical-json.js';
import type { MatchRecord } from '../../../domain/matching/types.js';
import type { IncomingPerson } from './resolve-person.js';

/**
 * The matcher's view of an agency's record. A date of birth known only to its month or year keeps its
 * precision: its day (and month) are placeholders, which must neither agree nor disagree with anyone's.
 */
export function recordFromIncoming(incoming: IncomingPerson): MatchRecord {
  const precision = incoming.dateOfBirth ? incoming.dateOfBirthPrecision : undefined;
  return {
    givenNames: incoming.givenNames,
    familyName: incoming.familyName,
    otherNames: (incoming.otherNames ?? []).map((n) => ({ givenNames: n.givenNames, familyName: n.familyName })),
    dateOfBirth: incoming.dateOfBirth,
    ...(precision === 'month' || precision === 'year' ? { dateOfBirthPrecision: precision } : {}),
    sex: incoming.sex,
    postcode: incoming.postcode,
    addressLine: incoming.addressLine,
    identifiers: incoming.identifiers,
  };
}

/** A hash of the record's content (key order does not matter), to tell a changed record from a repeat. */
export function contentHash(incoming: IncomingPerson): string {
  return createHash('sha256').update(canonicalJson(incoming, { undefinedAsNull: true })).digest('hex');
}
