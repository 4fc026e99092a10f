import type { MatchIdentifier, MatchRecord } from './types.js';
import { metaphone, normaliseName, normaliseText } from './strings.js';

/** A name ready to compare: normalised, with its phonetic key. */
export interface PreparedName {
  given: string | null;
  family: string | null;
  givenKey: string | null;
  familyKey: string | null;
  /**
   * Every given name run together ("mary jane" → "maryjane"), when there is more than one: a space typed
   * inside a name ("han nah") or a surname entered as a forename ("van groesen") is not a middle name.
   */
  givenJoined: string | null;
  givenJoinedKey: string | null;
  /** True for the record's own (primary) name, false for an alias, nickname or previous name. */
  primary: boolean;
}

/** A date of birth ready to compare. */
export interface PreparedDob {
  /** A full date of birth (null when only its month or year is known: see dobPartial). */
  dob: { text: string; y: string; m: string; d: string } | null;
  /** A date of birth known to its month or year only: compared at that precision, and no blocking key. */
  dobPartial: { y: string; m: string | null } | null;
  /** The date of birth as YYYY-MM-DD (or YYYY-MM, YYYY). */
  dobDisplay: string | null;
}

/** An address ready to compare. */
export interface PreparedAddress {
  postcode: string | null;
  address: string | null;
  postcodeDistrict: string | null;
  /** The postcode area: a UK postcode's leading letters ("SE"), otherwise its first character. */
  postcodeArea: string | null;
  addressWords: Set<string> | null;
  /** The house: its number and the first four letters of the street after it ("12 exam"), or null (see houseOf). */
  house: string | null;
  /** The street: the first four letters of the word after the house number, or of the line's first word (see streetOf). */
  street: string | null;
}

/** A record normalised once, so that comparing it with many others is cheap. */
export interface PreparedRecord extends PreparedDob, PreparedAddress {
  names: PreparedName[];
  /** A full date of birth (null when only its month or year is known: see dobPartial). */
  dob: { text: string; y: string; m: string; d: string } | null;
  /** A date of birth known to its month or year only: compared at that precision, and no blocking key. */
  dobPartial: { y: string; m: string | null } | null;
  sex: 'female' | 'male' | null;
  postcode: string | null;
  address: string | null;
  /** Values per scheme: a person may hold several (a police id from two forces, local ids from several agencies). */
  identifiers: Map<MatchIdentifier['scheme'], string[]>;
  /** Computed once per record, for comparisons and explanations: */
  /** the postcode district (outward code), */
  postcodeDistrict: string | null;
  /** the address's distinct words, */
  addressWords: Set<string> | null;
  /** the date of birth as YYYY-MM-DD, */
  dobDisplay: string | null;
  /** and the identifiers as one sorted "scheme:value" list. */
  identifiersDisplay: string | null;
  /** The other dates of birth and addresses the person is held with (compared as well as the shown ones). */
  otherDobs: PreparedDob[];
  otherAddresses: PreparedAddress[];
}

// A house number ("12", "12a") and a street word after it (letters, at least two).
const HOUSE_NUMBER = /^\d+[a-z]?$/;
const STREET_WORD = /^[a-z]{2,}/;

/**
 * The house an address line names: the number just before its first street word, with that word's first
 * four letters ("flat 2 14 mill lane" → "14 mill"; "14 millane" → "14 mill"), so a flat's number, a typing
 * error later in the street's name or words run together still give the same house. Null when the line
 * has no number followed by a word.
 */
export function houseOf(address: string | null): string | null {
  if (!address) return null;
  const words = address.split(' ');
  for (let i = 1; i < words.length; i += 1) {
    if (HOUSE_NUMBER.test(words[i - 1]!) && STREET_WORD.test(words[i]!)) return `${words[i - 1]} ${words[i]!.slice(0, 4)}`;
  }
  return null;
}

/**
 * The street an address line names, as the first four letters of its word: the word after the house
 * number (as houseOf), or the line's first word when there is no number ("mill lane" → "mill"). Null
 * when neither is a word.
 */
export function streetOf(address: string | null): string | null {
  if (!address) return null;
  const house = houseOf(address);
  if (house) return house.split(' ')[1]!;
  const first = address.split(' ')[0]!;
  return STREET_WORD.test(first) ? first.slice(0, 4) : null;
}

// The area of a UK postcode (its leading letters: "SE", "N"); otherwise the first character.
function area(p: string): string {
  return /^[A-Z]{1,2}\d/.test(p) ? /^[A-Z]+/.exec(p)![0] : p.slice(0, 1);
}

// The outward code of a UK postcode (before the three-character inward code); otherwise the first two characters.
function district(p: string): string {
  return /^[A-Z]{1,2}\d[A-Z\d]?\d[A-Z]{2}$/.test(p) ? p.slice(0, -3) : p.slice(0, 2);
}

/** Upper-case, no spaces: "se15 4ab" → "SE154AB". */
export function normalisePostcode(value: string | null): string | null {
  const p = value?.toUpperCase().replace(/[^A-Z0-9]/g, '') ?? '';
  return p.length > 0 ? p : null;
}

/** Identifier values compared without spaces or punctuation, upper-cased (UPN letters). */
export function normaliseIdentifier(value: string): string {
  return value.toUpperCase().replace(/[^A-Z0-9]/g, '');
}

function prepareName(given: string | null, family: string | null, primary: boolean): PreparedName | null {
  // Only the first given name is compared: agencies disagree most about middle names.
  const words = normaliseName(given)?.split(' ') ?? null;
  const g = words?.[0] ?? null;
  const f = normaliseName(family)?.replace(/ /g, '') ?? null;
  if (!g && !f) return null;
  const joined = words && words.length > 1 ? words.join('') : null;
  return { given: g, family: f, givenKey: metaphone(g), familyKey: metaphone(f), givenJoined: joined, givenJoinedKey: metaphone(joined), primary };
}

/** A date of birth (YYYY-MM-DD or YYYYMMDD) at its precision, ready to compare. */
export function prepareDob(date: string | null, precision: 'month' | 'year' | undefined): PreparedDob {
  const dobRead = date ? /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(date.trim()) : null;
  const partial = dobRead && precision ? { y: dobRead[1]!, m: precision === 'month' ? dobRead[2]! : null } : null;
  const dobMatch = partial ? null : dobRead;
  return {
    dob: dobMatch ? { text: `${dobMatch[1]}${dobMatch[2]}${dobMatch[3]}`, y: dobMatch[1]!, m: dobMatch[2]!, d: dobMatch[3]! } : null,
    dobPartial: partial,
    dobDisplay: dobMatch ? `${dobMatch[1]}-${dobMatch[2]}-${dobMatch[3]}` : partial ? (partial.m ? `${partial.y}-${partial.m}` : partial.y) : null,
  };
}

/** An address ready to compare. */
export function prepareAddress(postcodeValue: string | null, line: string | null): PreparedAddress {
  const postcode = normalisePostcode(postcodeValue);
  const address = normaliseText(line);
  return {
    postcode, address, postcodeDistrict: postcode ? district(postcode) : null, postcodeArea: postcode ? area(postcode) : null, addressWords: address ? new Set(address.split(' ')) : null, house: houseOf(address), street: streetOf(address),
  };
}

/** Normalises a record for comparison. */
export function prepareRecord(r: MatchRecord): PreparedRecord {
  const names: PreparedName[] = [];
  const main = prepareName(r.givenNames, r.familyName, true);
  if (main) names.push(main);
  for (const n of r.otherNames) {
    const p = prepareName(n.givenNames, n.familyName, false);
    if (p) names.push(p);
  }
  const identifiers = new Map<MatchIdentifier['scheme'], string[]>();
  for (const id of r.identifiers) {
    const v = normaliseIdentifier(id.value);
    const list = identifiers.get(id.scheme) ?? [];
    if (v && !list.includes(v)) identifiers.set(id.scheme, [...list, v].sort());
  }
  const ids = [...identifiers].flatMap(([k, vs]) => vs.map((v) => `${k}:${v}`)).sort().join(' ');
  return {
    names,
    ...prepareDob(r.dateOfBirth, r.dateOfBirthPrecision),
    sex: r.sex === 'not_known' ? null : r.sex,
    ...prepareAddress(r.postcode, r.addressLine),
    identifiers,
    identifiersDisplay: ids.length > 0 ? ids : null,
    otherDobs: (r.otherDatesOfBirth ?? []).map((d) => prepareDob(d.date, d.precision)).filter((d) => d.dob || d.dobPartial),
    otherAddresses: (r.otherAddresses ?? []).map((a) => prepareAddress(a.postcode, a.addressLine)).filter((a) => a.postcode || a.address),
  };
}
