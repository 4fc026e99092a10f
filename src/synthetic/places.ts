/**
 * Invented geography: the neighbouring boroughs that families move between,
 * postcode-shaped (but invented) postcodes, and the places where harm concentrates.
 * Nothing here names a real London borough, street or venue.
 */
import { hashParts, type Rng } from './random.js';

/** The default borough the demo is set in. */
export const DEFAULT_BOROUGH = 'Northbridge';

/** Invented boroughs that families move to and from; a borough never neighbours itself. */
const ALL_NEIGHBOURS = ['Eastmere', 'Ravensmoor', 'Kestrel Vale', 'Northbridge'] as const;

// Two-letter areas that are not real UK postcode areas, so a synthetic address never resembles a real one.
const KNOWN_AREAS: Readonly<Record<string, string>> = { Northbridge: 'NB', Eastmere: 'EM', Ravensmoor: 'RV', 'Kestrel Vale': 'KV' };

/** The three neighbouring boroughs of a borough. */
export function neighboursOf(borough: string): string[] {
  return ALL_NEIGHBOURS.filter((b) => b !== borough).slice(0, 3);
}

/** Most boroughs one world can hold: the first and its three invented neighbours. */
export const MAX_BOROUGHS = 4;

/** The boroughs of a world of `count` neighbouring boroughs: the first, then its neighbours in order. */
export function boroughsOf(first: string, count: number): string[] {
  if (!Number.isInteger(count) || count < 1 || count > MAX_BOROUGHS) throw new Error(`boroughs must be an integer from 1 to ${MAX_BOROUGHS}`);
  return [first, ...neighboursOf(first)].slice(0, count);
}

/** Lower-case letters and digits only: used in email domains. */
export function boroughSlug(borough: string): string {
  const slug = asciiFold(borough).toLowerCase().replace(/[^a-z0-9]/g, '');
  if (!slug) throw new Error(`Borough name "${borough}" has no letters or digits`);
  return slug;
}

/** Replaces accented and special Latin letters with plain ones (as many agency systems do). */
export function asciiFold(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[łŁ]/g, (c) => (c === 'ł' ? 'l' : 'L'))
    .replace(/[ıİ]/g, (c) => (c === 'ı' ? 'i' : 'I'))
    .replace(/ß/g, 'ss')
    .replace(/[øØ]/g, (c) => (c === 'ø' ? 'o' : 'O'));
}

/** The postcode area letters for a borough. */
export function postcodeArea(borough: string): string {
  const known = KNOWN_AREAS[borough];
  if (known) return known;
  const letters = boroughSlug(borough).replace(/[^a-z]/g, '').toUpperCase();
  return (letters + 'ZZ').slice(0, 2);
}

/** A three-digit local authority number for UPNs, in a range no English authority uses. */
export function laCodeFor(borough: string): string {
  return String(950 + (hashParts('la', borough)[0] % 40));
}

const INWARD_LETTERS = 'ABDEFGHJLNPQRSTUWXYZ';

/** An invented postcode in a borough's area, e.g. "NB4 7QD". */
export function makePostcode(rng: Rng, area: string): string {
  return `${area}${rng.int(1, 9)} ${rng.int(0, 9)}${rng.pick([...INWARD_LETTERS])}${rng.pick([...INWARD_LETTERS])}`;
}

const PLACE_WORDS = ['Ashgrove', 'Millers', 'Canal', 'Eastfield', 'Kingsway', 'Riverside', 'Larkhill', 'Station', 'Foundry', 'Marsh Lane', 'Hollow', 'Orchard'];

/** A borough's places of concern, most concentrated first (for seen-in-place entries and incident locations). */
export function placesOfConcern(borough: string, rng: Rng): string[] {
  const words = rng.shuffle(PLACE_WORDS);
  return [
    `${words[0]} estate`,
    `${borough} bus station`,
    `${borough} High Street`,
    `Canal towpath by ${words[1]} Wharf`,
    `${words[2]} Park`,
    `Chicken shop on ${words[3]} Road`,
    `Underpass at ${words[4]} roundabout`,
    `${borough} shopping centre`,
    `${words[5]} recreation ground`,
    `Car park behind ${words[6]} Parade`,
    `Stairwell, ${words[7]} House`,
    `${words[8]} Road playground`,
  ];
}

/** Zipf-like weights, so harm concentrates in a few places as the analysts' maps should show. */
export function placeWeights(count: number): number[] {
  return Array.from({ length: count }, (_, i) => 1 / (i + 1));
}
