/**
 * Synthetic names and the ways agencies get them wrong. Faker (en_GB first, with a
 * few other locales so a London borough's names are as varied as its children) is
 * reseeded per family, so a family's names depend only on the seed and its number.
 */
import { Faker, base, en, en_GB, en_GH, en_IN, en_NG, pl, ro } from '@faker-js/faker';
import { asciiFold } from './places.js';
import type { Rng } from './random.js';

/** The sexes the person table records. */
export type Sex = 'female' | 'male';

type FakerSource = 'gb' | 'ng' | 'gh' | 'in' | 'pl' | 'ro';
type Source = FakerSource | 'pk' | 'bd' | 'so' | 'cn' | 'ar';

// Locales faker lacks in Latin script: short lists of common names, none of them a real person.
const LISTS: Record<'pk' | 'bd' | 'so' | 'cn' | 'ar', { female: string[]; male: string[]; family: string[] }> = {
  pk: {
    female: ['Aisha', 'Maryam', 'Fatima', 'Zara', 'Hafsa', 'Amina', 'Inaya', 'Sana', 'Noor', 'Iqra', 'Mehwish', 'Alina'],
    male: ['Mohammed', 'Muhammad', 'Ibrahim', 'Yusuf', 'Zain', 'Hamza', 'Rayyan', 'Imran', 'Bilal', 'Usman', 'Ayaan', 'Haris'],
    family: ['Khan', 'Hussain', 'Ahmed', 'Ali', 'Iqbal', 'Shah', 'Butt', 'Malik', 'Raja', 'Qureshi', 'Mahmood', 'Akhtar'],
  },
  bd: {
    female: ['Sumaiya', 'Tasnim', 'Nusrat', 'Raisa', 'Sadia', 'Farzana', 'Ruqayyah', 'Mahira', 'Jannat', 'Afia', 'Tahmina', 'Rumana'],
    male: ['Abdul', 'Rahim', 'Tanvir', 'Sabbir', 'Arif', 'Mahir', 'Shahid', 'Rayhan', 'Nabil', 'Imtiaz', 'Tahmid', 'Sakib'],
    family: ['Begum', 'Rahman', 'Miah', 'Uddin', 'Islam', 'Hossain', 'Chowdhury', 'Khatun', 'Ahmed', 'Ali', 'Hoque', 'Kabir'],
  },
  so: {
    female: ['Hodan', 'Ayan', 'Sagal', 'Hibo', 'Fadumo', 'Nasra', 'Ikran', 'Ubah', 'Hamdi', 'Sahra', 'Idil', 'Ladan'],
    male: ['Abdi', 'Abdullahi', 'Mohamed', 'Hassan', 'Yasin', 'Liban', 'Mahad', 'Guled', 'Bashir', 'Abdirahman', 'Hamza', 'Khalid'],
    family: ['Mohamed', 'Hassan', 'Farah', 'Warsame', 'Osman', 'Abdi', 'Ali', 'Jama', 'Nur', 'Hussein', 'Egal', 'Yusuf'],
  },
  cn: {
    female: ['Mei', 'Xin', 'Jia', 'Lily', 'Grace', 'Emily', 'Hui', 'Ling', 'Amy', 'Ying', 'Chloe', 'Yan'],
    male: ['Wei', 'Jun', 'Hao', 'Jason', 'Kevin', 'Ming', 'Tao', 'Daniel', 'Kai', 'Yi', 'Leo', 'Bo'],
    family: ['Chen', 'Wang', 'Li', 'Zhang', 'Liu', 'Lin', 'Wong', 'Cheung', 'Ng', 'Lam', 'Huang', 'Zhou'],
  },
  ar: {
    female: ['Layla', 'Yasmin', 'Huda', 'Rania', 'Salma', 'Dina', 'Nadia', 'Leen', 'Mariam', 'Hana', 'Rima', 'Sara'],
    male: ['Omar', 'Ahmed', 'Karim', 'Yousef', 'Ali', 'Hassan', 'Tariq', 'Adam', 'Samir', 'Khalil', 'Ziad', 'Mustafa'],
    family: ['Hassan', 'Ibrahim', 'Mahmoud', 'Saleh', 'Haddad', 'Nasser', 'Aziz', 'Khalil', 'Mansour', 'Rashid', 'Darwish', 'Saeed'],
  },
};

// Common British names across the generations of parents and children; faker's own en lists
// lean American, so the en_GB source draws from these most of the time.
const BRITISH = {
  female: ['Olivia', 'Amelia', 'Isla', 'Ava', 'Mia', 'Ivy', 'Lily', 'Grace', 'Freya', 'Florence', 'Evie', 'Poppy', 'Ella', 'Emily',
    'Ruby', 'Chloe', 'Jessica', 'Sophie', 'Lucy', 'Daisy', 'Millie', 'Holly', 'Megan', 'Charlotte', 'Phoebe', 'Maisie', 'Rosie',
    'Scarlett', 'Layla', 'Jasmine', 'Leah', 'Amber', 'Tia', 'Kayla', 'Precious', 'Sarah', 'Emma', 'Claire', 'Lisa', 'Michelle',
    'Kelly', 'Nicola', 'Rachel', 'Gemma', 'Laura', 'Danielle', 'Stacey', 'Natalie', 'Hayley', 'Kerry'],
  male: ['Oliver', 'George', 'Harry', 'Noah', 'Jack', 'Leo', 'Arthur', 'Oscar', 'Charlie', 'Jacob', 'Thomas', 'Henry', 'William',
    'Alfie', 'Joshua', 'Freddie', 'Archie', 'Theo', 'Isaac', 'James', 'Ethan', 'Samuel', 'Daniel', 'Joseph', 'Max', 'Logan',
    'Lucas', 'Mason', 'Riley', 'Dylan', 'Jayden', 'Tyler', 'Kai', 'Reggie', 'Elijah', 'Harrison', 'Ronnie', 'Kyle', 'Paul',
    'Mark', 'David', 'Andrew', 'Lee', 'Darren', 'Craig', 'Wayne', 'Jason', 'Dean', 'Carl', 'Ryan'],
  family: ['Smith', 'Jones', 'Williams', 'Taylor', 'Brown', 'Davies', 'Evans', 'Wilson', 'Thomas', 'Johnson', 'Roberts',
    'Robinson', 'Thompson', 'Wright', 'Walker', 'White', 'Edwards', 'Hughes', 'Green', 'Hall', 'Lewis', 'Harris', 'Clarke',
    'Jackson', 'Wood', 'Turner', 'Martin', 'Cooper', 'Hill', 'Ward', 'Morris', 'Moore', 'Clark', 'King', 'Baker', 'Harrison',
    'Morgan', 'Allen', 'James', 'Scott', 'Phillips', 'Watson', 'Parker', 'Price', 'Bennett', 'Young', 'Griffiths', 'Mitchell',
    'Kelly', 'Cook', 'Carter', 'Richardson', 'Bailey', 'Collins', 'Bell', 'Shaw', 'Murphy', 'Miller', 'Cox', 'Richards',
    'Marshall', 'Anderson', 'Simpson', 'Ellis', 'Adams', 'Campbell', 'Francis', 'Henry', 'Grant', 'Reid', 'Gordon', 'Stewart'],
};

// Where each DfE ethnicity code's given and family names come from (illustrative, London-like).
const SOURCES: Record<string, { given: readonly (readonly [Source, number])[]; family: readonly (readonly [Source, number])[] }> = {
  WOTH: { given: [['gb', 3], ['pl', 3.5], ['ro', 3.5]], family: [['gb', 3], ['pl', 3.5], ['ro', 3.5]] },
  WROM: { given: [['ro', 1]], family: [['ro', 1]] },
  BAFR: { given: [['ng', 4.5], ['gh', 2.5], ['so', 3]], family: [['ng', 4.5], ['gh', 2.5], ['so', 3]] },
  BOTH: { given: [['gb', 1], ['ng', 1]], family: [['gb', 1], ['ng', 1]] },
  MWBA: { given: [['gb', 1]], family: [['gb', 1], ['ng', 1]] },
  MWAS: { given: [['gb', 1]], family: [['gb', 1], ['in', 1]] },
  AIND: { given: [['in', 1]], family: [['in', 1]] },
  APKN: { given: [['pk', 1]], family: [['pk', 1]] },
  ABAN: { given: [['bd', 1]], family: [['bd', 1]] },
  AOTH: { given: [['in', 2], ['pk', 1], ['gb', 1]], family: [['in', 2], ['pk', 1], ['gb', 1]] },
  CHNE: { given: [['cn', 1]], family: [['cn', 1]] },
  OOTH: { given: [['ar', 2], ['so', 1], ['gb', 1]], family: [['ar', 2], ['so', 1], ['gb', 1]] },
};
const DEFAULT_SOURCE = { given: [['gb', 1]] as const, family: [['gb', 1]] as const };

/** Makes names, street names and handles from faker, reseeded per family. */
export class NameMaker {
  readonly #fakers: Record<FakerSource, Faker>;
  readonly #seeded = new Set<Faker>();
  #seed = 0;
  #rng: Rng | undefined;

  constructor() {
    this.#fakers = {
      gb: new Faker({ locale: [en_GB, en, base] }),
      ng: new Faker({ locale: [en_NG, en, base] }),
      gh: new Faker({ locale: [en_GH, en, base] }),
      in: new Faker({ locale: [en_IN, en, base] }),
      pl: new Faker({ locale: [pl, en, base] }),
      ro: new Faker({ locale: [ro, en, base] }),
    };
  }

  /** Reseeds the fakers and the list picker for one family (or one batch of staff). */
  reseed(seed: number, rng: Rng): void {
    // Seeding is the costly part, so each faker is seeded on first use in the family.
    this.#seed = seed;
    this.#seeded.clear();
    this.#rng = rng;
  }

  #faker(source: FakerSource): Faker {
    const f = this.#fakers[source];
    if (!this.#seeded.has(f)) {
      f.seed(this.#seed);
      this.#seeded.add(f);
    }
    return f;
  }

  #picker(): Rng {
    if (!this.#rng) throw new Error('NameMaker used before reseed');
    return this.#rng;
  }

  /** A given name for a person of this sex and DfE ethnicity code. */
  given(sex: Sex, ethnicity: string | null): string {
    const source = this.#picker().weighted((SOURCES[ethnicity ?? ''] ?? DEFAULT_SOURCE).given);
    return this.#name(source, sex);
  }

  /** A family name for a person of this DfE ethnicity code. */
  family(ethnicity: string | null): string {
    const source = this.#picker().weighted((SOURCES[ethnicity ?? ''] ?? DEFAULT_SOURCE).family);
    return this.#name(source, 'family');
  }

  #name(source: Source, which: Sex | 'family'): string {
    if (source === 'pk' || source === 'bd' || source === 'so' || source === 'cn' || source === 'ar') {
      return this.#picker().pick(LISTS[source][which]);
    }
    const faker = this.#faker(source);
    if (source === 'gb' && faker.datatype.boolean(0.75)) return faker.helpers.arrayElement(BRITISH[which]);
    // lastName can return a hyphenated double-barrelled name in en_GB; that is kept as real mess.
    return which === 'family' ? faker.person.lastName() : faker.person.firstName(which);
  }

  /** A street name (no number) from the en_GB locale. */
  street(): string {
    return this.#faker('gb').location.street();
  }
}

// Spellings that agencies use interchangeably for the same name.
const VARIANT_GROUPS: readonly (readonly string[])[] = [
  ['Mohammed', 'Muhammad', 'Mohamed', 'Mohammad', 'Muhammed'],
  ['Aaliyah', 'Aliyah', 'Aleah'], ['Jayden', 'Jaden', 'Jaiden'], ['Stephen', 'Steven'], ['Sean', 'Shaun', 'Shawn'],
  ['Hussain', 'Hussein', 'Husain'], ['Chowdhury', 'Choudhury', 'Chaudhry'], ['Isaac', 'Isaak'], ['Zara', 'Zarah'],
  ['Abdullahi', 'Abdulahi', 'Abdillahi'], ['Mariam', 'Maryam', 'Miriam'], ['Yusuf', 'Yousef', 'Yusef'],
  ['Rahman', 'Rehman'], ['Hossain', 'Hosain', 'Hussain'], ['Leah', 'Lea', 'Leigh'], ['Kayden', 'Caden', 'Kaiden'],
];
const VARIANTS = new Map<string, readonly string[]>();
for (const group of VARIANT_GROUPS) for (const name of group) VARIANTS.set(name, group);

const VOWEL_SWAPS: Readonly<Record<string, string>> = { a: 'e', e: 'a', i: 'y', y: 'i', o: 'ou', u: 'o' };

/** A plausible mis-recording of a name (a variant spelling, a dropped accent, a typo); never returns the name unchanged. */
export function misspell(name: string, rng: Rng): string {
  const group = VARIANTS.get(name);
  if (group && rng.chance(0.7)) return rng.pick(group.filter((n) => n !== name));
  const folded = asciiFold(name);
  if (folded !== name && rng.chance(0.7)) return folded;
  if (name.includes('-') && rng.chance(0.6)) return name.split('-')[0]!;
  for (let attempt = 0; attempt < 8; attempt += 1) {
    const out = typo(name, rng);
    if (out !== name && out.length > 0) return out;
  }
  return `${name}e`;
}

function typo(name: string, rng: Rng): string {
  if (name.length < 3) return name + name.at(-1);
  const i = rng.int(1, name.length - 2);
  const c = name[i]!;
  switch (rng.below(4)) {
    case 0: // swapped letters
      return name.slice(0, i) + name[i + 1] + c + name.slice(i + 2);
    case 1: // doubled or undoubled letter
      return name[i - 1] === c ? name.slice(0, i) + name.slice(i + 1) : name.slice(0, i) + c + name.slice(i);
    case 2: { // a vowel heard differently
      const swap = VOWEL_SWAPS[c.toLowerCase()];
      return swap ? name.slice(0, i) + swap + name.slice(i + 1) : name.slice(0, i) + name.slice(i + 1);
    }
    default: // a dropped letter
      return name.slice(0, i) + name.slice(i + 1);
  }
}

const SHORT_FORMS: Readonly<Record<string, string>> = {
  Alexander: 'Alex', Mohammed: 'Mo', Muhammad: 'Mo', Mohamed: 'Mo', Christopher: 'Chris', Jonathan: 'Jon',
  Nathaniel: 'Nate', Benjamin: 'Ben', Joshua: 'Josh', Samuel: 'Sam', Daniel: 'Dan', Gabriel: 'Gabe', Jessica: 'Jess',
  Rebecca: 'Becky', Victoria: 'Tori', Abdullahi: 'Abdi', Katarzyna: 'Kasia', Aleksandra: 'Ola', Oluwaseun: 'Seun',
  Olusegun: 'Segun', Anthony: 'Tony', Michael: 'Mike', Nicholas: 'Nick', Elizabeth: 'Lizzie', Abdirahman: 'Abdi',
  Ibrahim: 'Ibby', Matthew: 'Matt', Thomas: 'Tom', William: 'Will', Frederick: 'Freddie', Zachary: 'Zac',
};

/** The everyday short form of a given name, when there is a common one. */
export function shortForm(given: string): string | undefined {
  return SHORT_FORMS[given];
}

const NICKNAMES = ['Shorty', 'Tiny', 'Bigs', 'Ghost', 'Smiley', 'Rocket', 'Flash', 'Lil Man', 'Sparks', 'Blaze', 'Dots', 'Kidd'];
const HANDLE_WORDS = ['silent', 'north', 'zone', 'drip', 'nova', 'shadow', 'wave', 'ghost', 'lynx', 'storm', 'cloud', 'vibe', 'flex', 'static'];

/** A street nickname for an adolescent: a stock one or a play on the given name. */
export function makeNickname(given: string, rng: Rng): string {
  const initial = asciiFold(given)[0]?.toUpperCase() ?? 'J';
  return rng.chance(0.4) ? `Lil ${initial}` : rng.pick(NICKNAMES);
}

/** An online handle such as "nova.lynx07". */
export function makeHandle(given: string, rng: Rng): string {
  const stem = rng.chance(0.5) ? asciiFold(given).toLowerCase().replace(/[^a-z]/g, '').slice(0, 5) : rng.pick(HANDLE_WORDS);
  return `${stem}${rng.pick(['.', '_', ''])}${rng.pick(HANDLE_WORDS)}${rng.digits(2)}`;
}

/** An email-safe local part from a person's name. */
export function emailLocalPart(given: string, family: string): string {
  const clean = (s: string) => asciiFold(s).toLowerCase().replace(/[^a-z]/g, '');
  return `${clean(given) || 'staff'}.${clean(family) || 'member'}`;
}
