import { areNicknames } from './nicknames.js';
import type { PreparedAddress, PreparedDob, PreparedName, PreparedRecord } from './prepare.js';
import { isOneEdit, jaroWinkler } from './strings.js';

/** One comparison level: its code and a plain description. Levels are listed strongest agreement first. */
export interface LevelDefinition {
  level: string;
  label: string;
}

/** The names of the comparisons, in the order a comparison vector holds them. */
export const COMPARISONS = ['forename', 'surname', 'date_of_birth', 'sex', 'postcode', 'address', 'identifier'] as const;
export type ComparisonName = (typeof COMPARISONS)[number];

/** Every comparison's levels (excluding "null": a missing value on either side, which carries no evidence). */
export const LEVELS: Record<ComparisonName, LevelDefinition[]> = {
  forename: [
    { level: 'exact', label: 'Forenames are the same' },
    { level: 'nickname', label: 'Forenames are known forms of one another' },
    { level: 'jaro_winkler_0.92', label: 'Forenames are spelt very similarly (Jaro–Winkler ≥ 0.92)' },
    { level: 'phonetic', label: 'Forenames sound alike (same Metaphone key)' },
    { level: 'jaro_winkler_0.80', label: 'Forenames are spelt somewhat similarly (Jaro–Winkler ≥ 0.80)' },
    { level: 'swapped', label: 'Forename matches the other record’s surname (names swapped, perhaps with a typing error)' },
    { level: 'different', label: 'Forenames differ' },
  ],
  surname: [
    { level: 'exact', label: 'Surnames are the same' },
    { level: 'jaro_winkler_0.92', label: 'Surnames are spelt very similarly, or one contains the other' },
    { level: 'phonetic', label: 'Surnames sound alike (same Metaphone key)' },
    { level: 'jaro_winkler_0.80', label: 'Surnames are spelt somewhat similarly (Jaro–Winkler ≥ 0.80)' },
    { level: 'swapped', label: 'Surname matches the other record’s forename (names swapped, perhaps with a typing error)' },
    { level: 'different', label: 'Surnames differ' },
  ],
  date_of_birth: [
    { level: 'exact', label: 'Dates of birth are the same' },
    { level: 'one_digit', label: 'Dates of birth differ by one digit, or two adjacent digits transposed' },
    { level: 'day_month_swapped', label: 'Day and month are swapped' },
    { level: 'year_differs', label: 'Same day and month, different year' },
    { level: 'different', label: 'Dates of birth differ' },
  ],
  sex: [
    { level: 'exact', label: 'Sex is the same' },
    { level: 'different', label: 'Sex differs' },
  ],
  postcode: [
    { level: 'exact', label: 'Postcodes are the same' },
    { level: 'one_character', label: 'Postcodes differ by one character' },
    { level: 'same_district', label: 'Same postcode district' },
    { level: 'different', label: 'Postcodes differ' },
  ],
  address: [
    { level: 'exact', label: 'Addresses are the same' },
    { level: 'jaro_winkler_0.92', label: 'Addresses are spelt very similarly (Jaro–Winkler ≥ 0.92), or name the same house and street' },
    { level: 'half_the_words', label: 'At least half the words of the addresses are shared' },
    { level: 'different', label: 'Addresses differ' },
  ],
  identifier: [
    { level: 'national_agrees', label: 'A shared identifier (NHS number, UPN, ULN, PNC id or local authority child id) is the same' },
    { level: 'other_agrees', label: 'A police or local identifier is the same' },
    { level: 'one_character', label: 'An identifier differs by one character (a likely typing error)' },
    { level: 'national_disagrees', label: 'A shared identifier (NHS number, UPN, ULN, PNC id or local authority child id) differs' },
    { level: 'other_disagrees', label: 'Police or local identifiers differ' },
  ],
};

/** The result of comparing two records: a level index per comparison (-1 for null), and what was compared. */
export interface ComparisonVector {
  levels: number[];
  /** The values compared, for explanations and term-frequency look-ups. */
  values: { left: string | null; right: string | null }[];
  /** Whether the names compared were an alias or other name rather than the primary name. */
  viaOtherName: boolean;
  /**
   * The comparisons (date of birth, postcode, address) whose strongest agreement came from another value
   * a record is held with rather than its shown one (absent when none did).
   */
  viaOtherValue?: ComparisonName[];
}

const L = (c: ComparisonName, code: string) => LEVELS[c].findIndex((l) => l.level === code);

// The forms of a record's forename compared: the first given name, and every given name run together.
const givenForms = (n: PreparedName): [string, string | null][] => {
  const forms: [string, string | null][] = [];
  if (n.given) forms.push([n.given, n.givenKey]);
  if (n.givenJoined) forms.push([n.givenJoined, n.givenJoinedKey]);
  return forms;
};

// How closely a record's forename (either form) agrees with a name: 2 for Jaro–Winkler 0.92 or more, 1 for
// one typing error (an edit, or two adjacent letters swapped), 0 otherwise.
const givenAgreement = (n: PreparedName, other: string) => Math.max(...givenForms(n).map(([g]) => (jaroWinkler(g, other) >= 0.92 ? 2 : isOneEdit(g, other) ? 1 : 0)));

/**
 * Forename and surname swapped: each record's forename is the other's surname (symmetric by
 * construction), allowing a typing error in one of them: one pair agrees closely (Jaro–Winkler at
 * least 0.92) and the other at least as a typing error (one edit apart). Names only partly alike (two
 * double-barrelled names sharing one part) are not a swap.
 */
export function isSwapped(a: PreparedName, b: PreparedName): boolean {
  if (!a.given || !a.family || !b.given || !b.family) return false;
  const x = givenAgreement(a, b.family);
  const y = givenAgreement(b, a.family);
  return Math.min(x, y) >= 1 && Math.max(x, y) === 2;
}

// Two forms of forename compared: exact; nickname; Jaro–Winkler 0.92; same phonetic key; Jaro–Winkler 0.80; or different (-1).
function forenameFormLevel(x: string, xKey: string | null, y: string, yKey: string | null): number {
  if (x === y) return 0;
  if (areNicknames(x, y)) return 1;
  const jw = jaroWinkler(x, y);
  if (jw >= 0.92) return 2;
  if (xKey && xKey === yKey) return 3;
  if (jw >= 0.8) return 4;
  return -1;
}

function forenameLevel(a: PreparedName, b: PreparedName): number {
  if (!a.given || !b.given) return -1;
  // The first given names, or the given names run together (a space typed inside a name), whichever agree best.
  let best = -1;
  for (const [x, xKey] of givenForms(a)) {
    for (const [y, yKey] of givenForms(b)) {
      const level = forenameFormLevel(x, xKey, y, yKey);
      if (level >= 0 && (best < 0 || level < best)) best = level;
    }
  }
  if (best >= 0) return best;
  if (isSwapped(a, b)) return 5;
  return 6;
}

function surnameLevel(a: PreparedName, b: PreparedName): number {
  if (!a.family || !b.family) return -1;
  if (a.family === b.family) return 0;
  const jw = jaroWinkler(a.family, b.family);
  const contains = (a.family.length >= 3 && b.family.includes(a.family)) || (b.family.length >= 3 && a.family.includes(b.family));
  if (jw >= 0.92 || contains) return 1;
  if (a.familyKey && a.familyKey === b.familyKey) return 2;
  if (jw >= 0.8) return 3;
  if (isSwapped(a, b)) return 4;
  return 5;
}

/**
 * The weight of each level, used to choose which of two records' names to compare, and which of the
 * dates of birth and addresses each is held with.
 */
export interface NameWeights {
  forename: number[];
  surname: number[];
  date_of_birth?: number[];
  postcode?: number[];
  address?: number[];
}

// Close to the starting model's weights; a trained model passes its own (see nameWeightsOf).
const DEFAULT_NAME_WEIGHTS: NameWeights = {
  forename: [6.4, 4.3, 3.6, 2.0, 0.4, 4.3, -5.6],
  surname: [7.4, 4.6, 2.9, 0, 4.3, -4.6],
  date_of_birth: [8.8, 2.3, 5.6, 1.0, -5.0],
  postcode: [8.6, 4.1, 1.0, -3.2],
  address: [8.2, 4.9, 2.3, -2.7],
};

const DOB_ONE_DIGIT = L('date_of_birth', 'one_digit');
const DOB_SWAPPED = L('date_of_birth', 'day_month_swapped');
const DOB_YEAR = L('date_of_birth', 'year_differs');
const DOB_DIFFERENT = L('date_of_birth', 'different');

/**
 * Dates of birth compared at the precision both are known to: when one is known only to its month or
 * year, a different year (or month, both known) is a disagreement, and the same year (and month) is no
 * evidence either way, since many children share it.
 */
function partialDobLevel(a: PreparedDob, b: PreparedDob): number {
  const x = a.dobPartial ?? (a.dob ? { y: a.dob.y, m: a.dob.m } : null);
  const y = b.dobPartial ?? (b.dob ? { y: b.dob.y, m: b.dob.m } : null);
  if (!x || !y) return -1;
  if (x.y !== y.y) return DOB_DIFFERENT;
  if (x.m !== null && y.m !== null && x.m !== y.m) return DOB_DIFFERENT;
  return -1;
}

function dobLevel(a: PreparedDob, b: PreparedDob): number {
  if (a.dobPartial || b.dobPartial) return partialDobLevel(a, b);
  if (!a.dob || !b.dob) return -1;
  if (a.dob.text === b.dob.text) return 0;
  if (isOneEdit(a.dob.text, b.dob.text)) return DOB_ONE_DIGIT;
  if (a.dob.y === b.dob.y && a.dob.m === b.dob.d && a.dob.d === b.dob.m) return DOB_SWAPPED;
  if (a.dob.m === b.dob.m && a.dob.d === b.dob.d) return DOB_YEAR;
  return DOB_DIFFERENT;
}

function postcodeLevel(x: PreparedAddress, y: PreparedAddress): number {
  const a = x.postcode;
  const b = y.postcode;
  if (!a || !b) return -1;
  if (a === b) return 0;
  if (isOneEdit(a, b)) return 1;
  if (x.postcodeDistrict === y.postcodeDistrict) return 2;
  return 3;
}

function addressLevel(x: PreparedAddress, y: PreparedAddress): number {
  const a = x.address;
  const b = y.address;
  if (!a || !b) return -1;
  if (a === b) return 0;
  if ((x.house !== null && x.house === y.house) || jaroWinkler(a, b) >= 0.92) return 1;
  const ta = x.addressWords ?? new Set<string>();
  const tb = y.addressWords ?? new Set<string>();
  let shared = 0;
  for (const t of ta) if (tb.has(t)) shared += 1;
  if (shared * 2 >= Math.min(ta.size, tb.size) && shared > 0) return 2;
  return 3;
}

/**
 * Identifiers one issuer gives a child for life and shares with partners: NHS number, UPN, Unique
 * Learner Number, Police National Computer id and a local authority's child id. They weigh alike: the
 * same value is strong evidence for, a different value (from the same issuer) strong evidence against.
 */
const NATIONAL = ['nhs_number', 'upn', 'uln', 'pnc_id', 'la_child_id'] as const;
const OTHER = ['police_id', 'local_id'] as const;
/** Schemes numbered one after another with no check character: a near neighbour is another child, not a typing error. */
const SEQUENTIAL_SCHEMES = new Set<string>([...OTHER, 'la_child_id']);
/**
 * A local authority child id is held as the authority's three-digit code and the id (normalised
 * "201CHILD1234"): ids from two authorities are not comparable, so neither agree nor disagree.
 */
const comparable = (scheme: string, x: string, y: string) => scheme !== 'la_child_id' || x.slice(0, 3) === y.slice(0, 3);

// Values alike but for their last number, which is close: e.g. LOC-10234 and LOC-10235.
const NUMBERED = /^(.*?)(\d+)(\D*)$/;

/**
 * Whether two local or police ids look like neighbours in one numbering (cases opened one after the
 * other, siblings registered together) rather than one id mistyped: the same apart from their last
 * number, and that number less than 100 apart. A one-character difference there is not a typing error.
 */
export function areSequentialIds(x: string, y: string): boolean {
  const a = NUMBERED.exec(x);
  const b = NUMBERED.exec(y);
  if (!a || !b || a[1] !== b[1] || a[3] !== b[3]) return false;
  // Two adjacent digits swapped (1234 and 1243) is a typing error, not a neighbour.
  if (a[2]!.length === b[2]!.length && [...a[2]!].sort().join('') === [...b[2]!].sort().join('')) return false;
  const d = Math.abs(Number(a[2]) - Number(b[2]));
  return d > 0 && d < 100;
}

function identifierLevel(a: PreparedRecord, b: PreparedRecord): number {
  // Per scheme shared by both records: agree when any value is shared, a typing error when two values
  // differ by one character (for local and police ids, unless they look sequential), disagree otherwise.
  // NHS numbers, UPNs, ULNs and PNC ids carry a check character, so a neighbour in their numbering is
  // not a valid id; local authority child ids do not, so their neighbours are other children.
  const state = (schemes: readonly string[]) => {
    let seen = false; let agree = false; let typo = false;
    for (const s of schemes) {
      const xs = a.identifiers.get(s as never);
      const ys = b.identifiers.get(s as never);
      if (!xs || !ys) continue;
      for (const x of xs) for (const y of ys) {
        if (!comparable(s, x, y)) continue;
        seen = true;
        if (x === y) agree = true;
        else if (isOneEdit(x, y) && !(SEQUENTIAL_SCHEMES.has(s) && areSequentialIds(x, y))) typo = true;
      }
    }
    return { seen, agree, typo };
  };
  const national = state(NATIONAL);
  const other = state(OTHER);
  if (!national.seen && !other.seen) return -1;
  if (national.agree) return 0;
  if (national.typo) return 2;
  if (national.seen) return 3;
  if (other.agree) return 1;
  if (other.typo) return 2;
  return 4;
}

/** How strongly a level agrees (lower is stronger): minus its weight, a missing value weighing nothing. */
function agreementRank(level: number, weights: number[] | undefined, levels: number): number {
  if (level < 0) return weights ? 0 : levels - 1.5;
  return weights ? -(weights[level] ?? 0) : level;
}

// Whether one tie-break key comes before another, element by element.
function before(x: (number | string)[], y: (number | string)[]): boolean {
  for (let i = 0; i < x.length; i += 1) if (x[i] !== y[i]) return x[i]! < y[i]!;
  return false;
}

/**
 * The strongest agreement (the level of most weight) between any value one record is held with and any
 * value the other is held with (the shown value first, then the others): the level, the two values compared, and whether either
 * was not the shown one. Ties prefer the shown values, then fewer steps from them, then the values
 * themselves, so the choice does not depend on which record is on the left.
 */
function bestOver<T>(
  xs: T[], ys: T[], levelOf: (x: T, y: T) => number, weights: number[] | undefined, levels: number, display: (x: T) => string | null,
): { level: number; left: string | null; right: string | null; other: boolean } {
  let best = { level: -1, left: display(xs[0]!), right: display(ys[0]!), other: false };
  let bestKey: (number | string)[] | null = null;
  for (let i = 0; i < xs.length; i += 1) {
    for (let j = 0; j < ys.length; j += 1) {
      const level = levelOf(xs[i]!, ys[j]!);
      if (level < 0 && (i > 0 || j > 0)) continue;
      const left = display(xs[i]!);
      const right = display(ys[j]!);
      const key = [agreementRank(level, weights, levels), i === 0 && j === 0 ? 0 : 1, Math.min(i, j), Math.max(i, j), [left ?? '', right ?? ''].sort().join('\u0000')];
      if (!bestKey || before(key, bestKey)) {
        bestKey = key;
        best = { level, left, right, other: i > 0 || j > 0 };
      }
    }
  }
  return best;
}

/** Compares two prepared records field by field. Symmetric: compare(a, b) and compare(b, a) reach the same levels. */
export function compareRecords(a: PreparedRecord, b: PreparedRecord, nameWeights: NameWeights = DEFAULT_NAME_WEIGHTS): ComparisonVector {
  // Choose the pair of names (primary or other names) that agree best; aliases and nicknames are
  // how agencies record the same child differently.
  let best: [PreparedName | null, PreparedName | null, number, number] = [a.names[0] ?? null, b.names[0] ?? null, -1, -1];
  let bestRank = Infinity;
  for (const x of a.names) {
    for (const y of b.names) {
      const fl = forenameLevel(x, y);
      const sl = surnameLevel(x, y);
      // The pair giving the most evidence wins; ties prefer primary names, then break on the levels,
      // so the choice does not depend on which record is on the left.
      const w = (fl < 0 ? 0 : nameWeights.forename[fl]!) + (sl < 0 ? 0 : nameWeights.surname[sl]!);
      const r = -w * 1000 + (x.primary && y.primary ? 0 : 100) + (fl < 0 ? 9 : fl) * 10 + (sl < 0 ? 9 : sl);
      if (r < bestRank) { bestRank = r; best = [x, y, fl, sl]; }
    }
  }
  const [na, nb, fl, sl] = best;
  // Dates of birth and addresses: every value each record is held with (another agency's record of the
  // person may give another), the strongest agreement counting, as for names.
  const plain = a.otherDobs.length === 0 && b.otherDobs.length === 0 && a.otherAddresses.length === 0 && b.otherAddresses.length === 0;
  const dob = plain ? { level: dobLevel(a, b), left: a.dobDisplay, right: b.dobDisplay, other: false }
    : bestOver<PreparedDob>([a, ...a.otherDobs], [b, ...b.otherDobs], dobLevel, nameWeights.date_of_birth, LEVELS.date_of_birth.length, (d) => d.dobDisplay);
  const addressesA: PreparedAddress[] = [a, ...a.otherAddresses];
  const addressesB: PreparedAddress[] = [b, ...b.otherAddresses];
  const postcode = plain ? { level: postcodeLevel(a, b), left: a.postcode, right: b.postcode, other: false }
    : bestOver(addressesA, addressesB, postcodeLevel, nameWeights.postcode, LEVELS.postcode.length, (x) => x.postcode);
  const address = plain ? { level: addressLevel(a, b), left: a.address, right: b.address, other: false }
    : bestOver(addressesA, addressesB, addressLevel, nameWeights.address, LEVELS.address.length, (x) => x.address);
  const sex = a.sex && b.sex ? (a.sex === b.sex ? 0 : 1) : -1;
  const viaOtherValue = ([['date_of_birth', dob], ['postcode', postcode], ['address', address]] as const).filter(([, x]) => x.other).map(([c]) => c);
  return {
    levels: [fl, sl, dob.level, sex, postcode.level, address.level, identifierLevel(a, b)],
    values: [
      { left: na?.given ?? null, right: nb?.given ?? null },
      { left: na?.family ?? null, right: nb?.family ?? null },
      { left: dob.left, right: dob.right },
      { left: a.sex, right: b.sex },
      { left: postcode.left, right: postcode.right },
      { left: address.left, right: address.right },
      { left: a.identifiersDisplay, right: b.identifiersDisplay },
    ],
    viaOtherName: Boolean(na && nb && (!na.primary || !nb.primary)),
    ...(viaOtherValue.length ? { viaOtherValue } : {}),
  };
}
