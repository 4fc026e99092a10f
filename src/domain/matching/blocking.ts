import type { PreparedRecord } from './prepare.js';

/**
 * Blocking rules: only records sharing at least one key are compared, so the number of pairs grows
 * with the data rather than with its square. Each rule tolerates errors the others do not:
 *  - date of birth with the first letter of the forename, or of the surname (catches misspelt names);
 *  - both names' phonetic keys (in either order) with the birth year, or with the day and month
 *    (catches a wrong date of birth, and swapped forename and surname);
 *  - postcode with the first letter of the forename, or with the surname's phonetic key (catches a
 *    wrong date of birth and a misspelt name);
 *  - any identifier value (catches everything else when an identifier is shared).
 */
export function blockingKeys(r: PreparedRecord): string[] {
  const keys = new Set<string>();
  for (const n of r.names) {
    const g0 = n.given?.[0];
    const f0 = n.family?.[0];
    if (r.dob) {
      if (g0) keys.add(`dg:${r.dob.text}:${g0}`);
      if (f0) keys.add(`df:${r.dob.text}:${f0}`);
    }
    if (n.givenKey && n.familyKey) {
      const pair = [n.givenKey, n.familyKey].sort().join('|');
      if (r.dob) {
        keys.add(`ny:${pair}:${r.dob.y}`);
        keys.add(`nm:${pair}:${r.dob.m}${r.dob.d}`);
      } else {
        keys.add(`n:${pair}`);
      }
    }
    if (r.postcode) {
      if (g0) keys.add(`pg:${r.postcode}:${g0}`);
      if (n.familyKey) keys.add(`pf:${r.postcode}:${n.familyKey}`);
    }
  }
  for (const [scheme, values] of r.identifiers) for (const value of values) keys.add(`i:${scheme}:${value}`);
  return [...keys];
}

/**
 * Pairs of records (i < j) sharing at least one key, each pair once. Keys shared by more than maxBlock
 * records are skipped: they carry little evidence and would make the pairs intractable.
 */
export function pairsSharingKey(records: PreparedRecord[], keysOf: (r: PreparedRecord) => string[], maxBlock: number): [number, number][] {
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
  for (const members of byKey.values()) {
    if (members.length < 2 || members.length > maxBlock) continue;
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

/** Candidate pairs (i < j) among records, by shared blocking key. */
export function blockedPairs(records: PreparedRecord[], maxBlock = 400): [number, number][] {
  return pairsSharingKey(records, blockingKeys, maxBlock);
}
