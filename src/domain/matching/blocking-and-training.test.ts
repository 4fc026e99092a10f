import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bestCandidates, blockedPairs, blockingKeys, MAX_BLOCK, MAX_CANDIDATES, NAME_ONLY_MAX_BLOCK } from './blocking.js';
import { areSequentialIds, compareRecords, isSwapped, LEVELS } from './comparisons.js';
import { trainModel } from './dedupe.js';
import { priorProblem, seededRandom } from './estimate.js';
import { defaultModel, nameWeightsOf, scoreTotal, scoreVector } from './model.js';
import { houseOf, prepareRecord, streetOf } from './prepare.js';
import type { MatchRecord } from './types.js';

const rec = (over: Partial<MatchRecord>): MatchRecord => ({
  givenNames: 'Kemi', familyName: 'Okafor', otherNames: [], dateOfBirth: '2010-03-14', sex: 'female', postcode: 'SE15 4AB',
  addressLine: '12 Example Road', identifiers: [], ...over,
});
const shares = (a: MatchRecord, b: MatchRecord) => {
  const kb = new Set(blockingKeys(prepareRecord(b)));
  return blockingKeys(prepareRecord(a)).filter((k) => kb.has(k));
};

describe('blocking finds the true partner', () => {
  it('brings together forename and surname swapped with a typing error in one of them, with no postcode', () => {
    const swappedTypo = rec({ givenNames: 'Okafro', familyName: 'Kemi', postcode: null });
    expect(shares(rec({ postcode: null }), swappedTypo)).toEqual(expect.arrayContaining(['di:20100314:k', 'di:20100314:o']));
  });

  it('brings together records agreeing on date of birth and postcode whose names both differ', () => {
    const other = rec({ givenNames: 'Precious', familyName: 'Adeyemi' });
    expect(shares(rec({}), other)).toEqual(expect.arrayContaining(['dd:20100314:SE15', 'dz:20100314:145ABES']));
    // A transposed postcode and both names different: the postcode's characters in order still agree.
    expect(shares(rec({}), rec({ givenNames: 'Precious', familyName: 'Adeyemi', postcode: 'SE51 4AB' }))).toEqual(['dz:20100314:145ABES']);
  });

  it('brings together nearly the same names with a wrong date of birth and another postcode, in small blocks only', () => {
    const moved = rec({ givenNames: 'Kemy', dateOfBirth: '2011-07-02', postcode: 'N1 9GU', addressLine: '3 Other Street' });
    expect(shares(rec({}), moved)).toEqual(['nx:okafor|ke']);
    // The same name-only key held by more records than its limit is not used for comparing.
    const many = Array.from({ length: NAME_ONLY_MAX_BLOCK + 1 }, (_, i) => prepareRecord(rec({ dateOfBirth: `19${String(50 + (i % 40))}-01-0${1 + (i % 9)}`, postcode: `N${i} 1AA`, addressLine: null, givenNames: `Kemi${'x'.repeat(i % 3)}` })));
    expect(blockedPairs(many).length).toBeLessThan(((NAME_ONLY_MAX_BLOCK + 1) * NAME_ONLY_MAX_BLOCK) / 2);
  });
});

describe('each record is compared with the people its keys say most about', () => {
  // Holders by key: thirty strangers share the record's date of birth and initial; the partner shares that
  // key and two more rules' keys; a neighbour shares one small key.
  const strangers = Array.from({ length: 30 }, (_, i) => `s${String(i).padStart(2, '0')}`);
  const keys = ['di:20120304:a', 'ny:ANT|SM0:2012', 'pi:SE154AB:a', 'nx:ann|sm'];
  const holders: Record<string, string[]> = {
    'di:20120304:a': [...strangers, 'partner'],
    'ny:ANT|SM0:2012': ['partner', 's03'],
    'pi:SE154AB:a': ['partner', 'neighbour'],
    // Over its limit: finds no one, so it adds nothing to anyone.
    'nx:ann|sm': Array.from({ length: NAME_ONLY_MAX_BLOCK + 1 }, (_, i) => `n${i}`),
  };

  it('keeps at most MAX_CANDIDATES, those sharing keys of the most rules first, then the rarest keys', () => {
    const chosen = bestCandidates(keys, (k) => holders[k]);
    expect(chosen).toHaveLength(MAX_CANDIDATES);
    // Three rules, then two (s03: di and ny; neighbour: pi alone is rarer than di alone, but one rule).
    expect(chosen.slice(0, 2)).toEqual(['partner', 's03']);
    expect(chosen[2]).toBe('neighbour');
    expect(chosen.some((id) => id.startsWith('n') && id !== 'neighbour')).toBe(false);
    // The rest are strangers sharing one equally rare key: in id order.
    expect(chosen.slice(3)).toEqual(strangers.filter((s) => s !== 's03').slice(0, MAX_CANDIDATES - 3));
  });

  it('keeps everyone when there are few, and chooses the same whatever order the holders and keys come in', () => {
    expect(bestCandidates(['pi:SE154AB:a'], (k) => holders[k]).sort()).toEqual(['neighbour', 'partner']);
    expect(bestCandidates([], () => undefined)).toEqual([]);
    fc.assert(fc.property(fc.shuffledSubarray(keys, { minLength: keys.length, maxLength: keys.length }), fc.integer(), (order, seed) => {
      const shuffled = (list: string[]) => [...list].sort((a, b) => ((a.charCodeAt(a.length - 1) * seed) % 7) - ((b.charCodeAt(b.length - 1) * seed) % 7));
      expect(bestCandidates(order, (k) => shuffled(holders[k]!))).toEqual(bestCandidates(keys, (k) => holders[k]));
    }));
  });

  it('a key over its limit finds no one; one at its limit finds everyone', () => {
    const atLimit = Array.from({ length: MAX_BLOCK }, (_, i) => `p${i}`);
    expect(bestCandidates(['di:20120304:a'], () => atLimit, MAX_BLOCK)).toHaveLength(MAX_BLOCK);
    expect(bestCandidates(['di:20120304:a'], () => [...atLimit, 'one more'], MAX_BLOCK)).toEqual([]);
  });
});

describe('the house and the street propose candidates', () => {
  it('finds the houses and streets of address lines', () => {
    expect(houseOf('12 example road')).toBe('12 exam');
    expect(houseOf('flat 2 14 mill lane')).toBe('14 mill');
    expect(houseOf('14a millane')).toBe('14a mill');
    expect(houseOf('mill lane')).toBeNull();
    expect(streetOf('mill lane')).toBe('mill');
    expect(streetOf('12 exampleroad peckham')).toBe('exam');
    expect(streetOf(null)).toBeNull();
  });

  it('brings together a record at the same house with another date of birth, a transposed postcode and another forename', () => {
    const other = rec({ givenNames: 'Precious', dateOfBirth: '2011-07-02', postcode: 'SE51 4AB', addressLine: '12 Exampleroad Pekham' });
    expect(shares(rec({}), other)).toEqual(['ha:SE:12 exam:o']);
    // The same house number and street in another postcode area is another house.
    expect(shares(rec({}), { ...other, postcode: 'N15 4AB' })).toEqual([]);
  });

  it('brings together a family on one street with another house number, postcode and date of birth', () => {
    const moved = rec({ givenNames: 'Precious', dateOfBirth: '2011-07-02', postcode: 'SE15 6XX', addressLine: '40 Example Road' });
    expect(shares(rec({}), moved)).toEqual(['sn:SE15:exam:AKFR']);
    // The same street's name in another district is another street.
    expect(shares(rec({}), rec({ ...moved, postcode: 'N1 9GU' }))).toEqual([]);
  });

  it('does not bring together neighbours: another house on the street, other names, another date of birth', () => {
    const neighbour = rec({ givenNames: 'Tobias', familyName: 'Nowak', dateOfBirth: '2011-07-02', addressLine: '14 Example Road', postcode: 'SE15 4AD' });
    expect(shares(rec({}), neighbour)).toEqual([]);
  });

  it('proposes but does not decide: a sibling at the same house (another forename and date of birth) is not linked', () => {
    const sibling = rec({ givenNames: 'Precious', dateOfBirth: '2012-11-30', postcode: 'SE51 4AB', addressLine: '12 Exampleroad' });
    expect(shares(rec({}), sibling)).toContain('ha:SE:12 exam:o');
    const e = scoreVector(defaultModel(), compareRecords(prepareRecord(rec({})), prepareRecord(sibling)));
    expect(e.fields.find((f) => f.field === 'address')!.level).toBe('jaro_winkler_0.92');
    expect(e.band).not.toBe('link');
  });
});

describe('names swapped, run together or split', () => {
  const explain = (a: MatchRecord, b: MatchRecord) => scoreVector(defaultModel(), compareRecords(prepareRecord(a), prepareRecord(b)));
  const names = (a: MatchRecord, b: MatchRecord) => explain(a, b).fields.slice(0, 2).map((f) => f.level);

  it('takes forename and surname swapped with a typing error in one of them as swapped', () => {
    expect(names(rec({}), rec({ givenNames: 'Okafro', familyName: 'Kemi' }))).toEqual(['swapped', 'swapped']);
    expect(names(rec({}), rec({ givenNames: 'Okafor', familyName: 'Kemy' }))).toEqual(['swapped', 'swapped']);
    expect(explain(rec({}), rec({ givenNames: 'Okafro', familyName: 'Kemi', postcode: 'SE15 4AD' })).band).toBe('link');
    // A surname entered as given names, split by a space, is compared run together.
    expect(names(rec({ familyName: 'Van Groesen' }), rec({ givenNames: 'Van Groesen', familyName: 'Kemi' }))).toEqual(['swapped', 'swapped']);
  });

  it('does not take two loosely similar names as swapped, nor a shared surname as a swap', () => {
    const swapped = (a: Partial<MatchRecord>, b: Partial<MatchRecord>) => isSwapped(prepareRecord(rec(a)).names[0]!, prepareRecord(rec(b)).names[0]!);
    // Both names only somewhat alike across the records (Jaro–Winkler below 0.92 each): not a swap.
    expect(swapped({ givenNames: 'Kemal', familyName: 'Okafar' }, { givenNames: 'Okonfor', familyName: 'Kemi' })).toBe(false);
    // Two double-barrelled names sharing only their first part are different names, not a typing error.
    expect(swapped({ givenNames: 'Adeyemi-Blake', familyName: 'Kemi' }, { givenNames: 'Kemi', familyName: 'Adeyemi-Okoro' })).toBe(false);
    expect(swapped({ givenNames: 'Adeyemi-Blake', familyName: 'Kemi' }, { givenNames: 'Kemi', familyName: 'Adeyemi-Blaek' })).toBe(true);
    // Siblings: the same surname, another forename.
    expect(names(rec({}), rec({ givenNames: 'Tobias' }))).toEqual(['different', 'exact']);
    // One name moved to the other field and the other name different is not a swap.
    expect(names(rec({}), rec({ givenNames: 'Precious', familyName: 'Kemi' }))).toEqual(['different', 'different']);
  });

  it('compares given names run together when a space was typed inside one', () => {
    expect(names(rec({ givenNames: 'Hannah' }), rec({ givenNames: 'Han Nah' }))[0]).toBe('exact');
    expect(names(rec({ givenNames: 'Mary Jane' }), rec({ givenNames: 'Maryjane' }))[0]).toBe('exact');
    // Only the first given name otherwise: a middle name neither adds nor takes away.
    expect(names(rec({ givenNames: 'Kemi Ada' }), rec({ givenNames: 'Kemi' }))[0]).toBe('exact');
    expect(names(rec({ givenNames: 'Ada Kemi' }), rec({ givenNames: 'Kemi' }))[0]).toBe('different');
  });
});

describe('sequential local and police ids are not near agreement', () => {
  const identifierLevel = (a: MatchRecord, b: MatchRecord) => LEVELS.identifier[compareRecords(prepareRecord(a), prepareRecord(b)).levels[6]!]!.level;

  it('tells neighbours in a numbering from typing errors', () => {
    expect(areSequentialIds('LOC10234', 'LOC10235')).toBe(true);
    expect(areSequentialIds('01123456Z', '01123457Z')).toBe(true);
    expect(areSequentialIds('LOC10234', 'LOC10243')).toBe(false); // two digits swapped: a typing error
    expect(areSequentialIds('LOC10234', 'LOX10234')).toBe(false);
    expect(areSequentialIds('LOC10234', 'LOC90234')).toBe(false); // far apart in the numbering
  });

  it('does not link a sibling whose local case number is one more than the child’s', () => {
    const child = rec({ givenNames: 'Tobias', familyName: 'Nowak', sex: 'male', dateOfBirth: '2011-05-20', identifiers: [{ scheme: 'local_id', value: 'CS-40217' }] });
    const sibling = rec({ givenNames: 'Tomasz', familyName: 'Nowak', sex: 'male', dateOfBirth: '2012-09-02', identifiers: [{ scheme: 'local_id', value: 'CS-40218' }] });
    expect(identifierLevel(child, sibling)).toBe('other_disagrees');
    expect(scoreVector(defaultModel(), compareRecords(prepareRecord(child), prepareRecord(sibling))).band).not.toBe('link');
    // The same for police ids; a mistyped NHS number (no neighbour in its numbering) is still a typing error.
    expect(identifierLevel(rec({ identifiers: [{ scheme: 'police_id', value: '01/123456Z' }] }), rec({ identifiers: [{ scheme: 'police_id', value: '01/123457Z' }] }))).toBe('other_disagrees');
    expect(identifierLevel(rec({ identifiers: [{ scheme: 'local_id', value: 'CS-40217' }] }), rec({ identifiers: [{ scheme: 'local_id', value: 'CS-40271' }] }))).toBe('one_character');
    expect(identifierLevel(rec({ identifiers: [{ scheme: 'nhs_number', value: '9434765919' }] }), rec({ identifiers: [{ scheme: 'nhs_number', value: '9434765918' }] }))).toBe('one_character');
  });
});

describe('typed shared identifiers (ULN, PNC id, local authority child id) weigh as NHS number and UPN do', () => {
  const explain = (a: MatchRecord, b: MatchRecord) => scoreVector(defaultModel(), compareRecords(prepareRecord(a), prepareRecord(b)));
  const idField = (a: MatchRecord, b: MatchRecord) => explain(a, b).fields[6]!;
  const nhs = (v: string) => [{ scheme: 'nhs_number' as const, value: v }];

  it('agreement and disagreement on each typed scheme reach the national levels, with their weights', () => {
    const cases: [MatchRecord['identifiers'], MatchRecord['identifiers']][] = [
      [[{ scheme: 'uln', value: '1234567890' }], [{ scheme: 'uln', value: '1234567890' }]],
      [[{ scheme: 'pnc_id', value: '01/123456Z' }], [{ scheme: 'pnc_id', value: '01/123456Z' }]],
      [[{ scheme: 'la_child_id', value: '201/CHILD-77' }], [{ scheme: 'la_child_id', value: '201/CHILD-77' }]],
    ];
    const nhsAgrees = idField(rec({ identifiers: nhs('9434765919') }), rec({ identifiers: nhs('9434765919') }));
    for (const [x, y] of cases) {
      const agree = idField(rec({ identifiers: x }), rec({ identifiers: y }));
      expect(agree).toMatchObject({ level: 'national_agrees', weight: nhsAgrees.weight });
      expect(agree.weight).toBeGreaterThan(10);
    }
    const differs = idField(rec({ identifiers: [{ scheme: 'uln', value: '1234567890' }] }), rec({ identifiers: [{ scheme: 'uln', value: '5555555555' }] }));
    expect(differs.level).toBe('national_disagrees');
    expect(differs.weight).toBeLessThan(-6);
    expect(idField(rec({ identifiers: [{ scheme: 'pnc_id', value: '01/123456Z' }] }), rec({ identifiers: [{ scheme: 'pnc_id', value: '99/765432A' }] })).level).toBe('national_disagrees');
    // A shared ULN links a child whose name is spelt differently and whose address moved.
    expect(explain(rec({ identifiers: cases[0]![0] }), rec({ givenNames: 'Kemy', postcode: 'N1 9GU', addressLine: '3 Other Street', identifiers: cases[0]![1] })).band).toBe('link');
  });

  it('local authority child ids from two authorities are not compared; sequential ids of one authority are not near agreement', () => {
    const la = (v: string) => rec({ identifiers: [{ scheme: 'la_child_id', value: v }] });
    expect(idField(la('201/CHILD-77'), la('202/CHILD-91')).level).toBe('null');
    expect(idField(la('201/CHILD-40217'), la('201/CHILD-40218')).level).toBe('national_disagrees');
    expect(idField(la('201/CHILD-40217'), la('201/CHILD-40271')).level).toBe('one_character');
    // A mistyped ULN (which carries a check digit: no neighbour is valid) is a typing error.
    expect(idField(rec({ identifiers: [{ scheme: 'uln', value: '1234567890' }] }), rec({ identifiers: [{ scheme: 'uln', value: '1234567891' }] })).level).toBe('one_character');
  });
});

describe('dates of birth known to their month or year only', () => {
  const dobField = (a: MatchRecord, b: MatchRecord) => scoreVector(defaultModel(), compareRecords(prepareRecord(a), prepareRecord(b))).fields[2]!;

  it('are compared at their precision: the same year or month is no evidence, another year or month disagrees', () => {
    const month = rec({ dateOfBirth: '2010-03-01', dateOfBirthPrecision: 'month' });
    const year = rec({ dateOfBirth: '2010-01-01', dateOfBirthPrecision: 'year' });
    expect(dobField(rec({}), month)).toMatchObject({ level: 'null', weight: 0 });
    expect(dobField(rec({}), year)).toMatchObject({ level: 'null', weight: 0 });
    expect(dobField(month, year).level).toBe('null');
    expect(dobField(rec({}), rec({ dateOfBirth: '2010-04-01', dateOfBirthPrecision: 'month' })).level).toBe('different');
    expect(dobField(rec({}), rec({ dateOfBirth: '2011-01-01', dateOfBirthPrecision: 'year' })).level).toBe('different');
    // The first day standing for the month is not compared as a day: no key with it, the names' block with the year.
    expect(blockingKeys(prepareRecord(month)).some((k) => k.includes('20100301'))).toBe(false);
    expect(shares(rec({}), month)).toEqual(expect.arrayContaining([expect.stringMatching(/^ny:.*:2010$/)]));
  });
});

describe('training guardrails', () => {
  const weight = (m: { comparisons: ReturnType<typeof defaultModel>['comparisons'] }, c: 'identifier' | 'forename', i: number) => {
    const l = m.comparisons[c][i]!;
    return Math.log2(l.m / l.u);
  };

  it('keeps the previous weights of a comparison the training records do not hold', () => {
    const random = seededRandom(3);
    const given = ['Kemi', 'Ashton', 'Zara', 'Tobias', 'Maryam', 'Oliver', 'Hodan', 'Rayyan', 'Lily', 'Kai'];
    const family = ['Okafor', 'Begum', 'Nowak', 'Hassan', 'Chen', 'Ashdown', 'Farah', 'Popescu', 'Mensah', 'Patel', 'Osei', 'Reid'];
    const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
    const people: MatchRecord[] = Array.from({ length: 1500 }, () => rec({
      givenNames: pick(given), familyName: pick(family), dateOfBirth: `2010-${String(1 + Math.floor(random() * 12)).padStart(2, '0')}-${String(1 + Math.floor(random() * 28)).padStart(2, '0')}`,
      postcode: `SE${1 + Math.floor(random() * 28)} ${Math.floor(random() * 9)}AB`,
    }));
    const base = defaultModel();
    const model = trainModel([...people, ...people.slice(0, 300).map((p) => ({ ...p, postcode: null }))].map(prepareRecord), { version: 't', seed: 2, base });
    // No record holds an identifier: an agreeing NHS number keeps its +16.1 bits instead of falling to about +1.8.
    expect(weight(model, 'identifier', 0)).toBeCloseTo(weight(base, 'identifier', 0), 6);
    expect(weight(base, 'identifier', 0)).toBeGreaterThan(16);
    // Comparisons the records do hold are learnt.
    expect(weight(model, 'forename', 0)).not.toBeCloseTo(weight(base, 'forename', 0), 1);
  });

  it('calls a prior implausible when it implies almost no match, or many, per record', () => {
    expect(priorProblem(1e-12, 5_000)).toMatch(/implausible|plausible prior gives between 0.001 and 10/);
    expect(priorProblem(0.5, 5_000)).not.toBeNull();
    expect(priorProblem(1e-4, 5_000)).toBeNull();
    expect(priorProblem(7e-7, 1_000_000)).toBeNull();
  });
});

describe('scoring many candidates', () => {
  it('gives the same match weight without building the explanation', () => {
    const model = { ...defaultModel(), termFrequencies: { surname: { okafor: 0.01, nowak: 0.0002 }, forename: { kemi: 0.03 } } };
    const arb = fc.record({
      givenNames: fc.option(fc.constantFrom('Kemi', 'Kemy', 'Tobias', 'Okafor'), { nil: null }),
      familyName: fc.option(fc.constantFrom('Okafor', 'Okafur', 'Nowak', 'Kemi'), { nil: null }),
      dateOfBirth: fc.option(fc.constantFrom('2010-03-14', '2010-03-15', '2010-14-03', '2011-03-14'), { nil: null }),
      postcode: fc.option(fc.constantFrom('SE15 4AB', 'SE15 4AD', 'N1 9GU'), { nil: null }),
      identifiers: fc.array(fc.record({ scheme: fc.constantFrom('nhs_number', 'local_id') as fc.Arbitrary<'nhs_number'>, value: fc.constantFrom('9434765919', '9434765918', 'CS-1', 'CS-2') }), { maxLength: 2 }),
    });
    fc.assert(fc.property(arb, arb, (a, b) => {
      const v = compareRecords(prepareRecord(rec(a)), prepareRecord(rec(b)), nameWeightsOf(model));
      expect(scoreTotal(model, v)).toBe(scoreVector(model, v).total);
    }), { numRuns: 500 });
  });
});
