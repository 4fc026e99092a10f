/**
 * Seeded randomness and day arithmetic for the synthetic borough. Everything the
 * generator makes comes from these streams, never from Math.random or the clock, so
 * the same seed gives byte-identical data (including record ids) on every machine.
 */

const DAY_MS = 86_400_000;

/** Hashes any parts into four 32-bit words (cyrb128), used to seed an independent stream. */
export function hashParts(...parts: (string | number)[]): [number, number, number, number] {
  const text = parts.map(String).join('\u241f');
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i += 1) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * A small, fast seeded generator (sfc32). Streams are derived from named parts
 * (seed, borough, family number) rather than drawn in one long sequence, so a
 * family's data does not depend on how the families before it were chunked.
 */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(...parts: (string | number)[]) {
    [this.#a, this.#b, this.#c, this.#d] = hashParts(...parts);
    // Discard the first outputs: sfc32 needs a few rounds to mix a fresh state.
    for (let i = 0; i < 12; i += 1) this.uint32();
  }

  /** The next unsigned 32-bit integer. */
  uint32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + this.below(max - min + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element, uniformly. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.below(items.length)]!;
  }

  /** One value, with probability proportional to its weight. */
  weighted<T>(entries: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, w] of entries) total += w;
    let x = this.next() * total;
    for (const [value, w] of entries) {
      x -= w;
      if (x < 0) return value;
    }
    return entries[entries.length - 1]![0];
  }

  /** A shuffled copy (Fisher-Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i -= 1) {
      const j = this.below(i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  /** A string of n decimal digits. */
  digits(n: number): string {
    let s = '';
    for (let i = 0; i < n; i += 1) s += String(this.below(10));
    return s;
  }

  /** A version 4 UUID drawn from this stream, so record ids are as reproducible as the data. */
  uuid(): string {
    const b: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      const w = this.uint32();
      b.push(w >>> 24, (w >>> 16) & 255, (w >>> 8) & 255, w & 255);
    }
    b[6] = (b[6]! & 0x0f) | 0x40;
    b[8] = (b[8]! & 0x3f) | 0x80;
    const h = b.map((x) => HEX[x]!);
    return `${h.slice(0, 4).join('')}-${h.slice(4, 6).join('')}-${h.slice(6, 8).join('')}-${h.slice(8, 10).join('')}-${h.slice(10).join('')}`;
  }

  /** A day number in [from, to], both inclusive (days since 1970-01-01). */
  dayBetween(from: number, to: number): number {
    return to <= from ? from : this.int(from, to);
  }

  /** A Date in [from, to), to the millisecond. */
  dateBetween(from: Date, to: Date): Date {
    return new Date(from.getTime() + Math.floor(this.next() * Math.max(0, to.getTime() - from.getTime())));
  }

  /** An integer source for the identifier generators in domain/identifiers.ts. */
  get nextInt(): (maxExclusive: number) => number {
    return (n) => this.below(n);
  }
}

/** Day number (days since 1970-01-01, UTC) of a 'YYYY-MM-DD' date. */
export function dayOf(isoDate: string): number {
  return Math.floor(Date.parse(`${isoDate}T00:00:00Z`) / DAY_MS);
}

/** 'YYYY-MM-DD' for a day number. */
export function isoDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** An ISO timestamp for a day number plus minutes after midnight (UTC). */
export function isoTime(day: number, minutes = 0): string {
  return new Date(day * DAY_MS + minutes * 60_000).toISOString();
}

/** The day a person born on `dob` reaches `years` (fractional years allowed; 365.25-day years). */
export function dayAtAge(dob: number, years: number): number {
  return dob + Math.floor(years * 365.25);
}

/** Whole years of age on `day` for a person born on `dob`. */
export function ageOn(dob: number, day: number): number {
  const a = new Date(dob * DAY_MS);
  const b = new Date(day * DAY_MS);
  let age = b.getUTCFullYear() - a.getUTCFullYear();
  if (b.getUTCMonth() < a.getUTCMonth() || (b.getUTCMonth() === a.getUTCMonth() && b.getUTCDate() < a.getUTCDate())) age -= 1;
  return age;
}

/** The calendar year of a day number. */
export function yearOf(day: number): number {
  return new Date(day * DAY_MS).getUTCFullYear();
}

/** The first day of the month containing a day number. */
export function monthStart(day: number): number {
  const d = new Date(day * DAY_MS);
  return Math.floor(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) / DAY_MS);
}
