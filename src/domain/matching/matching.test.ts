import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blockingKeys } from './blocking.js';
import { compareRecords, COMPARISONS, LEVELS } from './comparisons.js';
import { deduplicate, trainModel } from './dedupe.js';
import { seededRandom } from './estimate.js';
import { defaultModel, nameWeightsOf, scoreVector } from './model.js';
import { areNicknames } from './nicknames.js';
import { prepareRecord } from './prepare.js';
import { editDistance, isOneEdit, jaroWinkler, metaphone, normaliseText } from './strings.js';
import type { MatchRecord } from './types.js';

const name = fc.stringMatching(/^[a-z]{0,10}$/);
const record = fc.record({
  givenNames: fc.option(fc.constantFrom('ashton', 'ashtun', 'william', 'bill', 'kemi', 'mohammed', 'muhammad', 'zara'), { nil: null }),
  familyName: fc.option(fc.constantFrom('okafor', 'okafur', 'smith', 'smyth', 'khan', 'kahn', 'ashton'), { nil: null }),
  otherNames: fc.array(fc.record({ givenNames: fc.option(fc.constantFrom('ash', 'billy'), { nil: null }), familyName: fc.option(fc.constantFrom('okafor', 'jones'), { nil: null }) }), { maxLength: 2 }),
  dateOfBirth: fc.option(fc.constantFrom('2010-03-14', '2010-03-15', '2010-14-03', '2011-03-14', '2010-04-13', '2009-12-01'), { nil: null }),
  sex: fc.constantFrom('female', 'male', 'not_known') as fc.Arbitrary<MatchRecord['sex']>,
  postcode: fc.option(fc.constantFrom('SE15 4AB', 'SE15 4AD', 'SE1 2XX', 'N1 9GU'), { nil: null }),
  addressLine: fc.option(fc.constantFrom('12 Example Road', '12 Example Rd', '3 Other Street'), { nil: null }),
  identifiers: fc.array(fc.record({ scheme: fc.constantFrom('nhs_number', 'upn', 'local_id') as fc.Arbitrary<'nhs_number'>, value: fc.constantFrom('9434765919', '9434765918', 'A123') }), { maxLength: 2 }),
});

describe('string comparators', () => {
  it('Jaro–Winkler is symmetric, in [0, 1], and 1 for identical strings', () => {
    fc.assert(fc.property(name, name, (a, b) => {
      const x = jaroWinkler(a, b);
      expect(x).toBeCloseTo(jaroWinkler(b, a), 12);
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(1 + 1e-12);
      expect(jaroWinkler(a, a)).toBe(a.length ? 1 : 1);
    }));
  });

  it('normalises plain text by the fast path exactly as by the full one', () => {
    const full = (v: string) => { const o = v.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9 ]+/g, ' ').replace(/\s+/g, ' ').trim(); return o.length ? o : null; };
    fc.assert(fc.property(fc.stringMatching(/^[A-Za-z0-9 ]{0,12}$/), (v) => { expect(normaliseText(v)).toBe(full(v)); }), { numRuns: 2000 });
    expect(normaliseText('  Zoë  O\'Neil ')).toBe('zoe o neil');
    expect(normaliseText('   ')).toBeNull();
  });

  it('isOneEdit agrees with the edit distance being exactly one', () => {
    const short = fc.stringMatching(/^[abc]{0,6}$/);
    fc.assert(fc.property(short, short, (a, b) => {
      expect(isOneEdit(a, b)).toBe(editDistance(a, b) === 1);
    }), { numRuns: 3000 });
    expect(isOneEdit('9434765919', '9434765991')).toBe(true);
    expect(isOneEdit('SE154AB', 'SE154BA')).toBe(true);
    expect(isOneEdit('SE154AB', 'SE15AB')).toBe(true);
    expect(isOneEdit('SE154AB', 'SE154AB')).toBe(false);
    expect(isOneEdit('20100314', '20100143')).toBe(false);
  });

  it('gives the textbook values', () => {
    expect(jaroWinkler('martha', 'marhta')).toBeCloseTo(0.961, 3);
    expect(jaroWinkler('dwayne', 'duane')).toBeCloseTo(0.84, 2);
    expect(editDistance('20100314', '20100341')).toBe(1);
  });

  it('gives names that sound alike the same phonetic key', () => {
    expect(metaphone('Smith')).toBe(metaphone('Smyth'));
    expect(metaphone('Catherine')).toBe(metaphone('Kathryn'));
    expect(metaphone('Mohammed')).toBe(metaphone('Muhamad'));
    expect(metaphone('Okafor')).not.toBe(metaphone('Khan'));
  });

  it('knows nicknames in either order, from the data table', () => {
    expect(areNicknames('Bill', 'William')).toBe(true);
    expect(areNicknames('william', 'BILL')).toBe(true);
    expect(areNicknames('Bill', 'Thomas')).toBe(false);
  });
});

describe('comparisons and weights', () => {
  it('are symmetric: comparing a with b reaches the same levels and weight as b with a', () => {
    fc.assert(fc.property(record, record, (a, b) => {
      const ab = compareRecords(prepareRecord(a), prepareRecord(b));
      const ba = compareRecords(prepareRecord(b), prepareRecord(a));
      expect(ab.levels).toEqual(ba.levels);
      expect(scoreVector(defaultModel(), ab).total).toBeCloseTo(scoreVector(defaultModel(), ba).total, 6);
    }), { numRuns: 1000 });
  });

  it('compare every date of birth and address a person is held with: symmetric, and never weaker than the shown values alone', () => {
    const held = fc.record({
      otherDatesOfBirth: fc.array(fc.constantFrom('2010-03-14', '2010-03-15', '2011-03-14', '2009-12-01').map((date) => ({ date })), { maxLength: 2 }),
      otherAddresses: fc.array(fc.record({ postcode: fc.option(fc.constantFrom('SE15 4AB', 'SE1 2XX', 'N1 9GU'), { nil: null }), addressLine: fc.option(fc.constantFrom('12 Example Road', '3 Other Street'), { nil: null }) }), { maxLength: 2 }),
    });
    const model = defaultModel();
    fc.assert(fc.property(record, held, record, held, (a, ha, b, hb) => {
      const [x, y] = [{ ...a, ...ha }, { ...b, ...hb }];
      const ab = compareRecords(prepareRecord(x), prepareRecord(y));
      const ba = compareRecords(prepareRecord(y), prepareRecord(x));
      expect(ab.levels).toEqual(ba.levels);
      // The held values compared (date of birth, postcode, address) are the same pair either way round.
      for (const i of [2, 4, 5]) expect([ab.values[i]!.right, ab.values[i]!.left]).toEqual([ba.values[i]!.left, ba.values[i]!.right]);
      // Each of date of birth, postcode and address agrees at least as strongly as the shown values alone
      // (when both are recorded: a person's shown value is missing only when no record holds one).
      const shownOnly = compareRecords(prepareRecord(a), prepareRecord(b));
      for (const i of [2, 4, 5].filter((k) => shownOnly.levels[k]! >= 0)) {
        const w = (v: typeof ab, k: number) => scoreVector(model, { ...v, levels: v.levels.map((l, j) => (j === k ? l : -1)) }).total;
        expect(w(ab, i)).toBeGreaterThanOrEqual(w(shownOnly, i) - 1e-9);
      }
    }), { numRuns: 1000 });
  });

  it('say which held value agreed when it was not the shown one', () => {
    const person: MatchRecord = {
      givenNames: 'Kemi', familyName: 'Okafor', otherNames: [], dateOfBirth: '2010-04-13', sex: 'female', postcode: 'N1 9GU', addressLine: '3 Other Street',
      identifiers: [], otherDatesOfBirth: [{ date: '2010-03-14' }], otherAddresses: [{ postcode: 'SE15 4AB', addressLine: '12 Example Road' }],
    };
    const record: MatchRecord = { ...person, dateOfBirth: '2010-03-14', postcode: 'SE15 4AB', addressLine: '12 Example Road', otherDatesOfBirth: undefined, otherAddresses: undefined };
    const v = compareRecords(prepareRecord(record), prepareRecord(person));
    expect(v.levels.slice(2, 6)).toEqual([0, 0, 0, 0]);
    expect(v.values[2]).toEqual({ left: '2010-03-14', right: '2010-03-14' });
    const e = scoreVector(defaultModel(), v);
    expect(e.fields.find((f) => f.field === 'date_of_birth')!.label).toMatch(/another date of birth held/);
    expect(e.fields.find((f) => f.field === 'postcode')!.label).toMatch(/another postcode held/);
    expect(e.fields.find((f) => f.field === 'sex')!.label).toBe('Sex is the same');
  });

  it('are monotone in agreement: making a field agree never lowers the match weight', () => {
    const model = defaultModel();
    const agreeOn: Exclude<keyof MatchRecord, 'dateOfBirthPrecision' | 'otherDatesOfBirth' | 'otherAddresses'>[] = ['dateOfBirth', 'postcode', 'addressLine', 'sex', 'identifiers', 'givenNames', 'familyName'];
    fc.assert(fc.property(record, record, fc.constantFrom(...agreeOn), (a, b, field) => {
      // Agreement means taking the other record's value; copying a missing value is not agreement.
      const value = a[field];
      fc.pre(value !== null && value !== 'not_known' && !(Array.isArray(value) && value.length === 0));
      // With aliases the best-agreeing pair of names is used, so changing a primary name can lose an
      // alias match; monotonicity is a property of the fields of one name pair.
      fc.pre(a.otherNames.length === 0 && b.otherNames.length === 0);
      // As in production, the model's own name weights choose which names to compare.
      const names = nameWeightsOf(model);
      const before = scoreVector(model, compareRecords(prepareRecord(a), prepareRecord(b), names)).total;
      const after = scoreVector(model, compareRecords(prepareRecord(a), prepareRecord({ ...b, [field]: a[field] }), names)).total;
      expect(after).toBeGreaterThanOrEqual(before - 1e-9);
    }), { numRuns: 2000 });
  });

  it('orders the evidence: exact agreement is the strongest level and outright difference the weakest', () => {
    const model = defaultModel();
    for (const c of COMPARISONS) {
      const weights = model.comparisons[c].map((l) => Math.log2(l.m / l.u));
      if (c !== 'identifier') {
        expect(weights[0]).toBe(Math.max(...weights));
        expect(weights.at(-1)).toBe(Math.min(...weights));
      }
    }
    const id = model.comparisons.identifier.map((l) => Math.log2(l.m / l.u));
    expect(Math.min(id[0]!, id[1]!)).toBeGreaterThan(10);
    expect(id[3]!).toBeLessThan(-6);
  });

  it('explains every field, and the total is the prior plus the sum of the weights', () => {
    fc.assert(fc.property(record, record, (a, b) => {
      const e = scoreVector(defaultModel(), compareRecords(prepareRecord(a), prepareRecord(b)));
      expect(e.fields.map((f) => f.field)).toEqual([...COMPARISONS]);
      expect(e.total).toBeCloseTo(e.priorWeight + e.fields.reduce((s, f) => s + f.weight, 0), 2);
      for (const f of e.fields) if (f.level !== 'null') expect(LEVELS[f.field as keyof typeof LEVELS].map((l) => l.level)).toContain(f.level);
    }));
  });

  it('reaches the documented levels for typical agency errors', () => {
    const base: MatchRecord = { givenNames: 'William', familyName: 'Okafor', otherNames: [], dateOfBirth: '2010-03-14', sex: 'male', postcode: 'SE15 4AB', addressLine: '12 Example Road', identifiers: [{ scheme: 'nhs_number', value: '9434765919' }] };
    const level = (over: Partial<MatchRecord>, field: string) => scoreVector(defaultModel(), compareRecords(prepareRecord(base), prepareRecord({ ...base, ...over }))).fields.find((f) => f.field === field)!.level;
    expect(level({ givenNames: 'Bill' }, 'forename')).toBe('nickname');
    expect(level({ givenNames: 'Okafor', familyName: 'William' }, 'forename')).toBe('swapped');
    expect(level({ dateOfBirth: '2010-14-03'.replace('14-03', '03-14') }, 'date_of_birth')).toBe('exact');
    expect(level({ dateOfBirth: '2010-03-41' }, 'date_of_birth')).toBe('one_digit');
    expect(level({ dateOfBirth: '2011-03-14' }, 'date_of_birth')).toBe('one_digit');
    expect(level({ dateOfBirth: '2010-14-03' }, 'date_of_birth')).toBe('day_month_swapped');
    expect(level({ dateOfBirth: '2008-03-14' }, 'date_of_birth')).toBe('year_differs');
    expect(level({ identifiers: [{ scheme: 'nhs_number', value: '9999999998' }] }, 'identifier')).toBe('national_disagrees');
    expect(level({ postcode: 'se154ab' }, 'postcode')).toBe('exact');
    expect(level({ postcode: 'SE15 9ZZ' }, 'postcode')).toBe('same_district');
    expect(level({ otherNames: [], givenNames: 'Ash', familyName: 'Jones' }, 'forename')).toBe('different');
    const viaAlias = scoreVector(defaultModel(), compareRecords(prepareRecord(base), prepareRecord({ ...base, givenNames: 'Zed', familyName: 'Jones', otherNames: [{ givenNames: 'William', familyName: 'Okafor' }] })));
    expect(viaAlias.fields[0]).toMatchObject({ level: 'exact' });
    expect(viaAlias.fields[0]!.label).toContain('alias');
  });

  it('adjusts an exact match on a common name down, and on a rare one up', () => {
    const model = { ...defaultModel(), termFrequencies: { surname: { smith: 0.05, okafor: 0.0001 } } };
    const r = (familyName: string): MatchRecord => ({ givenNames: 'Kemi', familyName, otherNames: [], dateOfBirth: null, sex: 'not_known', postcode: null, addressLine: null, identifiers: [] });
    const w = (n: string) => scoreVector(model, compareRecords(prepareRecord(r(n)), prepareRecord(r(n)))).fields[1]!;
    expect(w('Smith').tfAdjustment).toBeLessThan(0);
    expect(w('Okafor').tfAdjustment).toBeGreaterThan(0);
    expect(w('Smith').weight).toBeLessThan(w('Okafor').weight);
  });

  it('blocks records with a shared key, including swapped names and a wrong date of birth', () => {
    const a = prepareRecord({ givenNames: 'Kemi', familyName: 'Okafor', otherNames: [], dateOfBirth: '2010-03-14', sex: 'female', postcode: 'SE15 4AB', addressLine: null, identifiers: [] });
    const swapped = prepareRecord({ givenNames: 'Okafor', familyName: 'Kemi', otherNames: [], dateOfBirth: '2010-03-14', sex: 'female', postcode: null, addressLine: null, identifiers: [] });
    const wrongDob = prepareRecord({ givenNames: 'Kemi', familyName: 'Okafur', otherNames: [], dateOfBirth: '2010-03-15', sex: 'female', postcode: 'SE15 4AB', addressLine: null, identifiers: [] });
    const shares = (x: typeof a, y: typeof a) => blockingKeys(x).some((k) => blockingKeys(y).includes(k));
    expect(shares(a, swapped)).toBe(true);
    expect(shares(a, wrongDob)).toBe(true);
  });
});

describe('deduplication without labels', () => {
  it('finds the duplicates in a small synthetic set and trains m by EM and u by sampling', () => {
    const people: MatchRecord[] = [];
    const given = ['Kemi', 'Ashton', 'Zara', 'Tobias', 'Maryam', 'Oliver', 'Hodan', 'Rayyan', 'Lily', 'Kai'];
    const family = ['Okafor', 'Begum', 'Nowak', 'Hassan', 'Chen', 'Ashdown', 'Farah', 'Popescu', 'Mensah', 'Patel'];
    for (let i = 0; i < 200; i += 1) {
      people.push({ givenNames: given[i % 10]!, familyName: `${family[Math.floor(i / 10) % 10]!}${i % 7 === 0 ? '' : String.fromCharCode(97 + (i % 20))}`, otherNames: [], dateOfBirth: `20${String(5 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`, sex: i % 2 ? 'male' : 'female', postcode: `SE${1 + (i % 28)} ${i % 9}AB`, addressLine: `${i} Example Road`, identifiers: [] });
    }
    const dups = people.slice(0, 40).map((p) => ({ ...p, givenNames: `${p.givenNames!.slice(0, -1)}e`, postcode: null }));
    const result = deduplicate([...people, ...dups], { seed: 3 });
    const sameCluster = dups.filter((_, i) => result.clusterOf[200 + i] === result.clusterOf[i]).length;
    expect(sameCluster).toBeGreaterThanOrEqual(36);
    const clusters = new Set(result.clusterOf.slice(0, 200));
    expect(clusters.size).toBeGreaterThanOrEqual(195);
    expect(result.model.comparisons.date_of_birth[0]!.m).toBeGreaterThan(0.5);
  });

  it('trains in sessions: pairs chosen on a shared date of birth do not all look like matches', () => {
    // 4,000 people and 1,000 second records of some of them, 10% with a wrong date of birth; many
    // different people share a date of birth, so the date-of-birth session is mostly non-matches.
    const random = seededRandom(11);
    const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
    const given = ['Kemi', 'Ashton', 'Zara', 'Tobias', 'Maryam', 'Oliver', 'Hodan', 'Rayyan', 'Lily', 'Kai', 'Amara', 'Theo', 'Nia', 'Idris', 'Mila'];
    const family = ['Okafor', 'Begum', 'Nowak', 'Hassan', 'Chen', 'Ashdown', 'Farah', 'Popescu', 'Mensah', 'Patel', 'Osei', 'Kowalski', 'Reid', 'Adeyemi', 'Lind', 'Murray', 'Quinn', 'Sato', 'Varga', 'Wood'];
    const dob = () => `2010-${String(1 + Math.floor(random() * 12)).padStart(2, '0')}-${String(1 + Math.floor(random() * 28)).padStart(2, '0')}`;
    const people: MatchRecord[] = Array.from({ length: 4000 }, (_, i) => ({
      givenNames: pick(given), familyName: pick(family), otherNames: [], dateOfBirth: dob(), sex: random() < 0.5 ? 'female' : 'male',
      postcode: `SE${1 + Math.floor(random() * 28)} ${Math.floor(random() * 9)}AB`, addressLine: `${i} Example Road`, identifiers: [{ scheme: 'local_id', value: `L${i}` }],
    }));
    const wrongDob = 0.1;
    const copies = people.slice(0, 1000).map((p) => ({ ...p, dateOfBirth: random() < wrongDob ? dob() : p.dateOfBirth, postcode: null, identifiers: random() < 0.5 ? p.identifiers : [] }));
    const model = trainModel([...people, ...copies].map(prepareRecord), { version: 'sessions', seed: 5 });
    // The date of birth's m is learnt from the identifier session: about 90% agree exactly.
    expect(model.comparisons.date_of_birth[0]!.m).toBeGreaterThan(0.8);
    expect(model.comparisons.date_of_birth[0]!.m).toBeLessThan(0.97);
    // Forenames are drawn from 15 names, so a shared forename among different people is common (u ≈ 1/15)
    // and m (copies keep their forename) is near 1: EM must not mistake shared-dob pairs for matches.
    expect(model.comparisons.forename[0]!.m).toBeGreaterThan(0.9);
    // lambda: 1,000 true pairs among 5,000 × 4,999 / 2 pairs, within a factor of two.
    const truth = 1000 / ((5000 * 4999) / 2);
    expect(model.lambda).toBeGreaterThan(truth / 2);
    expect(model.lambda).toBeLessThan(truth * 2);
  });
});
