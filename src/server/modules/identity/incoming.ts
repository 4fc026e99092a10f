import { createHash } from 'node:crypto';
import type { MatchRecord } from '../../../domain/matching/types.js';
import type { IncomingPerson } from './resolve-person.js';

/** The matcher's view of an agency's record. */
export function recordFromIncoming(incoming: IncomingPerson): MatchRecord {
  return {
    givenNames: incoming.givenNames,
    familyName: incoming.familyName,
    otherNames: (incoming.otherNames ?? []).map((n) => ({ givenNames: n.givenNames, familyName: n.familyName })),
    dateOfBirth: incoming.dateOfBirth,
    sex: incoming.sex,
    postcode: incoming.postcode,
    addressLine: incoming.addressLine,
    identifiers: incoming.identifiers,
  };
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
  }
  return value === undefined ? null : value;
}

/** A hash of the record's content (key order does not matter), to tell a changed record from a repeat. */
export function contentHash(incoming: IncomingPerson): string {
  return createHash('sha256').update(JSON.stringify(canonical(incoming))).digest('hex');
}
