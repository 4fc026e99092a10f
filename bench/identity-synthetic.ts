// Synthetic people for the linkage benchmark, and agencies' records of them with the errors real
// records carry. Deterministic (seeded); ground truth comes from the generator. Never real people.
import { Faker, en, en_GB, en_IN, en_NG } from '@faker-js/faker';
import { makeNhsNumber } from '../src/domain/identifiers.js';
import { seededRandom, type Random } from '../src/domain/matching/estimate.js';
import type { MatchRecord } from '../src/domain/matching/types.js';

/** A synthetic person as held, with the id the benchmark gives them. */
export interface SyntheticPerson extends MatchRecord {
  id: string;
}

/** Name pools; draws from them are skewed, so some names are common, as in life. */
export function namePools(seed: number): { female: string[]; male: string[]; family: string[] } {
  const faker = new Faker({ locale: [en_GB, en_NG, en_IN, en], seed });
  const uniq = (f: () => string, n: number) => { const s = new Set<string>(); for (let i = 0; i < n * 4 && s.size < n; i += 1) s.add(f()); return [...s]; };
  return {
    female: uniq(() => faker.person.firstName('female'), 600),
    male: uniq(() => faker.person.firstName('male'), 600),
    family: uniq(() => faker.person.lastName(), 1500),
  };
}

// Skewed towards the first names in a pool: the commonest name is held by about 2% of people, as in London.
const zipf = (random: Random, n: number) => Math.min(n - 1, Math.floor(n * random() ** 1.6));
const pick = <T>(random: Random, list: T[]) => list[zipf(random, list.length)]!;
const letters = 'ABCDEFGHJKLMNPRSTUWY';
const int = (random: Random, n: number) => Math.floor(random() * n);

function postcode(random: Random): string {
  const area = ['SE', 'SW', 'E', 'N', 'NW', 'W', 'CR', 'BR', 'HA', 'UB', 'EN', 'IG', 'RM', 'DA', 'TW', 'KT', 'SM'][int(random, 17)]!;
  return `${area}${1 + int(random, 28)} ${int(random, 10)}${letters[int(random, 20)]}${letters[int(random, 20)]}`;
}

/** Makes count people with uuids from the given maker. */
export function makePeople(count: number, seed: number, uuid: () => string): SyntheticPerson[] {
  const random = seededRandom(seed);
  const pools = namePools(seed);
  const nextInt = (n: number) => int(random, n);
  const out: SyntheticPerson[] = [];
  const start = Date.UTC(2004, 0, 1);
  for (let i = 0; i < count; i += 1) {
    const sex = random() < 0.5 ? 'female' : 'male';
    const dob = new Date(start + int(random, 18 * 365) * 86_400_000).toISOString().slice(0, 10);
    out.push({
      id: uuid(), givenNames: pick(random, pools[sex]), familyName: pick(random, pools.family), otherNames: [], dateOfBirth: dob, sex,
      postcode: postcode(random), addressLine: `${1 + int(random, 200)} ${pick(random, pools.family)} ${['Road', 'Street', 'Close', 'Way', 'Gardens'][int(random, 5)]}`,
      identifiers: random() < 0.85 ? [{ scheme: 'nhs_number', value: makeNhsNumber(nextInt) }] : [],
    });
  }
  return out;
}

const NICK: Record<string, string> = { William: 'Bill', Thomas: 'Tom', Elizabeth: 'Liz', Daniel: 'Danny', James: 'Jim', Alexander: 'Alex', Samuel: 'Sam', Oliver: 'Ollie', Charlotte: 'Lottie', Joseph: 'Joe', Benjamin: 'Ben', Matthew: 'Matt', Michael: 'Mike', Rebecca: 'Becky', Jessica: 'Jess' };

function typo(random: Random, s: string): string {
  if (s.length < 3) return s;
  const i = 1 + int(random, s.length - 2);
  const kind = int(random, 3);
  if (kind === 0) return s.slice(0, i) + s.slice(i + 1); // dropped letter
  if (kind === 1) return s.slice(0, i) + s[i + 1] + s[i] + s.slice(i + 2); // transposed
  return s.slice(0, i) + 'aeiou'[int(random, 5)] + s.slice(i + 1); // wrong letter
}

/** An agency's record of a held person, with the errors agencies make (each with a realistic rate). */
export function corrupt(p: SyntheticPerson, random: Random, pools: { family: string[] }): MatchRecord {
  let given = p.givenNames;
  let family = p.familyName;
  if (random() < 0.12 && given) given = typo(random, given);
  if (random() < 0.08 && family) family = typo(random, family);
  if (random() < 0.05 && given && NICK[given]) given = NICK[given]!;
  if (random() < 0.02) [given, family] = [family, given];
  if (random() < 0.02) family = pick(random, pools.family); // a changed surname
  let dob = p.dateOfBirth;
  const r = random();
  if (dob && r < 0.04) { const d = dob.split('-'); dob = `${d[0]}-${d[1]}-${d[2]![1]}${d[2]![0]}`; if (Number.isNaN(Date.parse(`${dob}T00:00:00Z`)) || new Date(`${dob}T00:00:00Z`).toISOString().slice(0, 10) !== dob) dob = p.dateOfBirth; }
  else if (dob && r < 0.07) { const d = dob.split('-'); if (Number(d[2]) <= 12) dob = `${d[0]}-${d[2]}-${d[1]}`; }
  else if (dob && r < 0.09) dob = `${Number(dob.slice(0, 4)) + (random() < 0.5 ? 1 : -1)}${dob.slice(4)}`;
  else if (r < 0.11) dob = null;
  const moved = random() < 0.25;
  return {
    givenNames: given, familyName: family, otherNames: [], dateOfBirth: dob, sex: random() < 0.03 ? 'not_known' : p.sex,
    postcode: moved ? postcode(random) : random() < 0.1 ? null : p.postcode,
    addressLine: moved ? null : p.addressLine,
    identifiers: random() < 0.55 ? p.identifiers.map((i) => (random() < 0.02 ? { ...i, value: typo(random, i.value) } : i)) : [],
  };
}
