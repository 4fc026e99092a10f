import type { PreparedRecord } from './prepare.js';

/** Keys shared by more records than this carry little evidence and are skipped. */
export const MAX_BLOCK = 400;

/**
 * Keys made of names alone (no date of birth, postcode or identifier) are skipped sooner: a common
 * forename with a common surname's first letters is shared by many strangers in a large population,
 * while a rare pair is strong evidence worth comparing.
 */
export const NAME_ONLY_MAX_BLOCK = 10;

/** The most records a key may be shared by and still be used (by its rule, named in its prefix). */
export function maxBlockOf(key: string): number {
  return key.startsWith('nx:') ? NAME_ONLY_MAX_BLOCK : MAX_BLOCK;
}

// Characters in order, so a transposition (4231 and 4213) gives the same key.
const sortedChars = (s: string) => [...s].sort().join('');

/**
 * Blocking rules: only records sharing at least one key are compared, so the number of pairs grows
 * with the data rather than with its square. Each rule tolerates errors the others do not:
 *  - date of birth with the first letter of either name (`di`): misspelt names, and forename and
 *    surname swapped even with a typing error in one of them;
 *  - both names' phonetic keys (in either order) with the birth year (`ny`), or with the day and month
 *    (`nm`), or alone when no full date of birth is held (`n`; with the year when only the month or
 *    year is known): a wrong date of birth, swapped names;
 *  - postcode with the first letter of either name (`pi`), or with the surname's phonetic key (`pf`):
 *    a wrong date of birth and a misspelt or swapped name;
 *  - date of birth with the postcode district (`dd`), or with the postcode's characters in order
 *    (`dz`, a transposed postcode): both names different (a changed name, a nickname, a typing error in each);
 *  - the house (its number and the first four letters of its street) with the first letter of either
 *    name (`ha`): a wrong date of birth and postcode, and one name different or misspelt;
 *  - the street (the first four letters of its name) with the surname's phonetic key (`sn`): a wrong
 *    date of birth and postcode and another house number (a typing error in it, or a move along the street);
 *  - one name exactly with the first two letters of the other, in either order (`nx`, small blocks
 *    only): a wrong date of birth and a wrong or moved postcode, when the names are nearly right;
 *  - any identifier value (`i`): everything else when an identifier is shared.
 */
export function blockingKeys(r: PreparedRecord): string[] {
  const keys = new Set<string>();
  for (const n of r.names) {
    const initials = [n.given?.[0], n.family?.[0]].filter((x): x is string => Boolean(x));
    if (r.dob) for (const i of initials) keys.add(`di:${r.dob.text}:${i}`);
    if (n.givenKey && n.familyKey) {
      const pair = [n.givenKey, n.familyKey].sort().join('|');
      if (r.dob) {
        keys.add(`ny:${pair}:${r.dob.y}`);
        keys.add(`nm:${pair}:${r.dob.m}${r.dob.d}`);
      } else {
        keys.add(`n:${pair}`);
        // Only the month or year of birth known: the year still narrows the names' block.
        if (r.dobPartial) keys.add(`ny:${pair}:${r.dobPartial.y}`);
      }
    }
    if (r.postcode) {
      for (const i of initials) keys.add(`pi:${r.postcode}:${i}`);
      if (n.familyKey) keys.add(`pf:${r.postcode}:${n.familyKey}`);
    }
    // The house (its number and street) in its postcode area (not the district, so a mistyped or transposed
    // postcode still finds it) with either initial: siblings and parents share it too, but only those
    // sharing an initial, and a household is small.
    if (r.house && r.postcodeArea) for (const i of initials) keys.add(`ha:${r.postcodeArea}:${r.house}:${i}`);
    // The street in its postcode district with the surname's phonetic key: a family on one street, with
    // another house number, a mistyped postcode and another date of birth. (A street's name alone is
    // shared across a city: "High Street", "Church Road".)
    if (r.street && r.postcodeDistrict && n.familyKey) keys.add(`sn:${r.postcodeDistrict}:${r.street}:${n.familyKey}`);
    if (n.given && n.family) {
      keys.add(`nx:${n.given}|${n.family.slice(0, 2)}`);
      keys.add(`nx:${n.family}|${n.given.slice(0, 2)}`);
    }
  }
  if (r.dob && r.postcode) {
    keys.add(`dd:${r.dob.text}:${r.postcodeDistrict}`);
    keys.add(`dz:${r.dob.text}:${sortedChars(r.postcode)}`);
  }
  for (const [scheme, values] of r.identifiers) for (const value of values) keys.add(`i:${scheme}:${value}`);
  return [...keys];
}

/** The most people one record is compared with: those its blocking keys say most about (see bestCandidates). */
export const MAX_CANDIDATES = 12;

/** Whether a key held by this many people still finds them: a key over its limit finds no one. */
export function keyWithinLimit(key: string, holders: number): boolean {
  return holders <= maxBlockOf(key);
}

// The rule a key was made by (its prefix: `di`, `ny`, `pi`, ...), as one bit of a mask.
const ruleBits = new Map<string, number>();
function ruleBit(key: string): number {
  const rule = key.slice(0, key.indexOf(':'));
  let bit = ruleBits.get(rule);
  if (bit === undefined) {
    bit = 2 ** Math.min(ruleBits.size, 30);
    ruleBits.set(rule, bit);
  }
  return bit;
}
const bitCount = (mask: number) => { let n = 0; for (let m = mask; m; m &= m - 1) n += 1; return n; };

/**
 * The people a record is compared with, from the holders of its keys (each key's holders as read, up
 * to one past its limit: a key over its limit finds no one). A record found by many keys is compared
 * with at most `max` people: those sharing keys made by the most rules (each rule is agreement on other
 * fields, so two rules agreeing is more than one), then those whose shared keys are rarest (a key held
 * by few people says more than one held by hundreds: each counts 1 / log2(1 + its holders)), then by
 * id, so the choice is the same however the holders were read. In a borough a common name with a birth
 * year, or a date of birth with an initial, is shared by dozens of strangers, and comparing each of them
 * costs more than everything else in linking; the true partner agrees on more. Pure: findCandidates and
 * the batched resolver both call it.
 */
export function bestCandidates(keys: string[], holdersOf: (key: string) => readonly string[] | undefined, max = MAX_CANDIDATES): string[] {
  const found = new Map<string, { rules: number; rarity: number }>();
  for (const key of new Set(keys)) {
    const holders = holdersOf(key);
    if (!holders || holders.length === 0 || !keyWithinLimit(key, holders.length)) continue;
    const rule = ruleBit(key);
    const rarity = 1 / Math.log2(1 + holders.length);
    for (const id of holders) {
      const f = found.get(id);
      if (f) { f.rules |= rule; f.rarity += rarity; } else found.set(id, { rules: rule, rarity });
    }
  }
  if (found.size <= max) return [...found.keys()].sort();
  // Rarity is compared rounded, so the order does not depend on the order the keys were added in.
  const ranked = [...found].map(([id, f]) => ({ id, rules: bitCount(f.rules), rarity: Math.round(f.rarity * 1e9) }));
  ranked.sort((a, b) => b.rules - a.rules || b.rarity - a.rarity || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return ranked.slice(0, max).map((r) => r.id);
}

/**
 * Pairs of records (i < j) sharing at least one key, each pair once. Keys shared by more than their
 * limit (`limitOf`, at most maxBlock) are skipped: they carry little evidence and would make the pairs
 * intractable.
 */
export function pairsSharingKey(
  records: PreparedRecord[], keysOf: (r: PreparedRecord) => string[], maxBlock: number, limitOf: (key: string) => number = () => maxBlock,
): [number, number][] {
  const byKey = new Map<string, number[]>();
  records.forEach((r, i) => {
    for (const k of new Set(keysOf(r))) {
      const list = byKey.get(k);
      if (list) list.push(i);
      else byKey.set(k, [i]);
    }
  });
  const seen = new Set<number>();
  const out: [number, number][] = [];
  const n = records.length;
  for (const [key, members] of byKey) {
    if (members.length < 2 || members.length > Math.min(maxBlock, limitOf(key))) continue;
    // Members are in record order, so i < j.
    for (let x = 0; x < members.length; x += 1) {
      for (let y = x + 1; y < members.length; y += 1) {
        const i = members[x]!;
        const j = members[y]!;
        const id = i * n + j;
        if (seen.has(id)) continue;
        seen.add(id);
        out.push([i, j]);
      }
    }
  }
  return out;
}

/** Candidate pairs (i < j) among records, by shared blocking key, each key within its limit. */
export function blockedPairs(records: PreparedRecord[], maxBlock = MAX_BLOCK): [number, number][] {
  return pairsSharingKey(records, blockingKeys, maxBlock, maxBlockOf);
}
