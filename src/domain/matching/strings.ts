/**
 * String comparators for record linkage: normalisation, Jaro–Winkler similarity, edit distance with
 * adjacent transpositions, and a Metaphone phonetic key. Pure functions; no I/O.
 */

const PLAIN = /^[A-Za-z0-9 ]*$/;

/** Lower-cases, strips accents and anything but letters, digits and single spaces. */
export function normaliseText(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  // Most values are plain letters, digits and spaces: only case and spacing change (same result, faster).
  if (PLAIN.test(value)) {
    const plain = value.toLowerCase().replace(/ {2,}/g, ' ').trim();
    return plain.length > 0 ? plain : null;
  }
  const out = value
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9 ]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return out.length > 0 ? out : null;
}

/** A name for comparison: normalised, with hyphens and apostrophes removed rather than split ("O'Neil" → "oneil"). */
export function normaliseName(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return normaliseText(value.replace(/['’`-]/g, ''));
}

let matchedA = new Uint8Array(64);
let matchedB = new Uint8Array(64);

/** Jaro similarity in [0, 1]. */
export function jaro(a: string, b: string): number {
  if (a === b) return a.length === 0 ? 1 : 1;
  const la = a.length;
  const lb = b.length;
  if (la === 0 || lb === 0) return 0;
  const window = Math.max(0, Math.floor(Math.max(la, lb) / 2) - 1);
  // Scratch flags reused between calls (cleared for the lengths used): linkage compares millions of
  // pairs, and two new arrays a call were a large share of its garbage.
  if (matchedA.length < la) matchedA = new Uint8Array(Math.max(la, 2 * matchedA.length));
  if (matchedB.length < lb) matchedB = new Uint8Array(Math.max(lb, 2 * matchedB.length));
  const aMatched = matchedA;
  const bMatched = matchedB;
  aMatched.fill(0, 0, la);
  bMatched.fill(0, 0, lb);
  let matches = 0;
  for (let i = 0; i < la; i += 1) {
    const lo = Math.max(0, i - window);
    const hi = Math.min(lb - 1, i + window);
    for (let j = lo; j <= hi; j += 1) {
      if (bMatched[j] || a.charCodeAt(i) !== b.charCodeAt(j)) continue;
      aMatched[i] = 1;
      bMatched[j] = 1;
      matches += 1;
      break;
    }
  }
  if (matches === 0) return 0;
  let k = 0;
  let transpositions = 0;
  for (let i = 0; i < la; i += 1) {
    if (!aMatched[i]) continue;
    while (!bMatched[k]) k += 1;
    if (a.charCodeAt(i) !== b.charCodeAt(k)) transpositions += 1;
    k += 1;
  }
  const t = transpositions / 2;
  return (matches / la + matches / lb + (matches - t) / matches) / 3;
}

/** Jaro–Winkler similarity in [0, 1] (prefix scale 0.1, up to 4 characters), symmetric. */
export function jaroWinkler(a: string, b: string): number {
  const j = jaro(a, b);
  let prefix = 0;
  const max = Math.min(4, a.length, b.length);
  while (prefix < max && a.charCodeAt(prefix) === b.charCodeAt(prefix)) prefix += 1;
  return j + prefix * 0.1 * (1 - j);
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent transpositions. */
export function editDistance(a: string, b: string): number {
  const la = a.length;
  const lb = b.length;
  if (la === 0) return lb;
  if (lb === 0) return la;
  const d: number[][] = Array.from({ length: la + 1 }, (_, i) => {
    const row = new Array<number>(lb + 1).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j <= lb; j += 1) d[0]![j] = j;
  for (let i = 1; i <= la; i += 1) {
    for (let j = 1; j <= lb; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[la]![lb]!;
}

/**
 * Whether two strings are exactly one edit apart (one insertion, deletion or substitution, or two
 * adjacent characters transposed): editDistance(a, b) === 1 without building the table.
 */
export function isOneEdit(a: string, b: string): boolean {
  if (a === b) return false;
  const la = a.length;
  const lb = b.length;
  if (Math.abs(la - lb) > 1) return false;
  let i = 0;
  while (i < la && i < lb && a.charCodeAt(i) === b.charCodeAt(i)) i += 1;
  if (la === lb) {
    // One substitution: the rest agrees after position i.
    if (a.slice(i + 1) === b.slice(i + 1)) return true;
    // One transposition of positions i and i + 1.
    return i + 1 < la && a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
  }
  // One insertion or deletion at position i.
  return la > lb ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);
}

const VOWELS = new Set(['a', 'e', 'i', 'o', 'u']);

/**
 * A Metaphone phonetic key (after Lawrence Philips' original rules, simplified): names that sound
 * alike ("Mohammed"/"Muhamad", "Smith"/"Smyth", "Catherine"/"Kathryn") share a key.
 */
export function metaphone(value: string | null): string | null {
  const word = normaliseName(value)?.replace(/[^a-z]/g, '');
  if (!word) return null;
  let w = word;
  if (/^(kn|gn|pn|ae|wr)/.test(w)) w = w.slice(1);
  if (w.startsWith('x')) w = `s${w.slice(1)}`;
  if (w.startsWith('wh')) w = `w${w.slice(2)}`;
  let out = '';
  const at = (i: number) => w[i] ?? '';
  for (let i = 0; i < w.length; i += 1) {
    const c = w[i]!;
    // Doubled letters sound once, except c ("mcclure" keeps both).
    if (c === at(i - 1) && c !== 'c') continue;
    const next = at(i + 1);
    const prev = at(i - 1);
    switch (c) {
      case 'a': case 'e': case 'i': case 'o': case 'u':
        if (i === 0) out += 'A';
        break;
      case 'b':
        if (!(prev === 'm' && i === w.length - 1)) out += 'B';
        break;
      case 'c':
        if (next === 'i' && at(i + 2) === 'a') out += 'X';
        else if (next === 'h') { out += prev === 's' ? 'K' : 'X'; i += 1; }
        else if ('iey'.includes(next) && next !== '') { if (prev !== 's') out += 'S'; }
        else out += 'K';
        break;
      case 'd':
        if (next === 'g' && 'iey'.includes(at(i + 2)) && at(i + 2) !== '') { out += 'J'; i += 1; }
        else out += 'T';
        break;
      case 'g':
        if (next === 'h' && !(i + 2 < w.length && !VOWELS.has(at(i + 2)))) { out += i === 0 ? 'K' : 'F'; i += 1; }
        else if (next === 'h') { i += 1; }
        else if (next === 'n' && (i + 2 === w.length || (at(i + 2) === 'e' && at(i + 3) === 'd'))) { /* silent */ }
        else if ('iey'.includes(next) && next !== '') out += 'J';
        else out += 'K';
        break;
      case 'h':
        if (VOWELS.has(next) && !'csptg'.includes(prev)) out += 'H';
        break;
      case 'k':
        if (prev !== 'c') out += 'K';
        break;
      case 'p':
        if (next === 'h') { out += 'F'; i += 1; } else out += 'P';
        break;
      case 'q': out += 'K'; break;
      case 's':
        if (next === 'h') { out += 'X'; i += 1; }
        else if (next === 'i' && (at(i + 2) === 'o' || at(i + 2) === 'a')) out += 'X';
        else out += 'S';
        break;
      case 't':
        if (next === 'i' && (at(i + 2) === 'o' || at(i + 2) === 'a')) out += 'X';
        else if (next === 'h') { out += '0'; i += 1; }
        else if (!(next === 'c' && at(i + 2) === 'h')) out += 'T';
        break;
      case 'v': out += 'F'; break;
      case 'w': case 'y':
        if (VOWELS.has(next)) out += c.toUpperCase();
        break;
      case 'x': out += 'KS'; break;
      case 'z': out += 'S'; break;
      default: out += c.toUpperCase();
    }
  }
  return out.length > 0 ? out : null;
}
