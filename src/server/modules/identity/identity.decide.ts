import { compareRecords } from '../../../domain/matching/comparisons.js';
import { bandOf, nameWeightsOf, scoreTotal, scoreVector, type ModelParameters } from '../../../domain/matching/model.js';
import { prepareRecord, type PreparedRecord } from '../../../domain/matching/prepare.js';
import type { MatchBand, MatchExplanation, MatchRecord } from '../../../domain/matching/types.js';
import type { Candidate } from './identity.candidates.js';

/** The best-scoring candidate and the band its weight falls in. */
export interface Choice {
  band: MatchBand;
  best: { personId: string; explanation: MatchExplanation } | null;
}

/** Scores every candidate against the record (pure; no database). Highest weight first. */
export function scoreCandidates(model: ModelParameters, record: MatchRecord, candidates: Candidate[]): { personId: string; explanation: MatchExplanation }[] {
  const incoming = prepareRecord(record);
  const names = nameWeightsOf(model);
  return candidates
    .map((c) => ({ personId: c.personId, explanation: scoreVector(model, compareRecords(incoming, c.prepared ?? prepareRecord(c.record), names)) }))
    .sort((a, b) => b.explanation.total - a.explanation.total || a.personId.localeCompare(b.personId));
}

/**
 * Chooses link, review or new for an agency's record. A record that links automatically must be
 * clearly better than the runner-up when the two are separate people: two near-equal strong candidates
 * mean the person record may itself be duplicated, which a person should look at. Candidates are ranked
 * on their match weight alone; only the best is explained. `prepared`, when given, is the record as
 * prepareRecord prepares it (a caller that already holds it saves preparing it again).
 */
export function decide(model: ModelParameters, record: MatchRecord, candidates: Candidate[], prepared?: PreparedRecord): Choice {
  if (!candidates.length) return { band: 'new', best: null };
  const incoming = prepared ?? prepareRecord(record);
  const names = nameWeightsOf(model);
  let best: { personId: string; total: number; vector: ReturnType<typeof compareRecords> } | null = null;
  let second: number | null = null;
  for (const c of candidates) {
    const vector = compareRecords(incoming, c.prepared ?? prepareRecord(c.record), names);
    const total = scoreTotal(model, vector);
    // Highest weight first; equal weights in person id order (as scoreCandidates sorts).
    if (!best || total > best.total || (total === best.total && c.personId.localeCompare(best.personId) < 0)) {
      if (best) second = second === null ? best.total : Math.max(second, best.total);
      best = { personId: c.personId, total, vector };
    } else {
      second = second === null ? total : Math.max(second, total);
    }
  }
  const explanation = scoreVector(model, best!.vector);
  let band = explanation.band;
  if (band === 'link' && second !== null && bandOf(model, second) === 'link' && explanation.total - second < 1) {
    band = 'review';
    explanation.heldForReview = 'Another person held scores almost as high, so the people held may themselves be one child recorded twice.';
  } else if (band === 'link' && forenamesDifferWithoutIdentifier(explanation)) {
    band = 'review';
    explanation.heldForReview = 'The forenames differ while the surname and date of birth agree, and no shared identifier agrees: this is how twins look, so a person decides.';
  } else if (band === 'link' && generationApartWithoutIdentifier(explanation)) {
    band = 'review';
    explanation.heldForReview = `The dates of birth are ${GENERATION_YEARS} or more years apart and no shared identifier agrees: this is how a parent and child of the same name at one address look, so a person decides.`;
  }
  return { band, best: { personId: best!.personId, explanation } };
}

/**
 * What twins look like: the same date of birth and surname, forenames that differ outright (not a known
 * form, a typing error, a sound-alike or a swap), and no shared identifier agreeing, however much else
 * (the address) agrees. Never linked automatically: merging two children's records would show each the
 * other's history.
 */
export function forenamesDifferWithoutIdentifier(e: MatchExplanation): boolean {
  const level = (field: string) => e.fields.find((f) => f.field === field)?.level;
  const identifier = level('identifier');
  return level('forename') === 'different' && level('date_of_birth') === 'exact'
    && ['exact', 'jaro_winkler_0.92', 'phonetic'].includes(level('surname') ?? '')
    && identifier !== 'national_agrees' && identifier !== 'other_agrees';
}

/** Years between two dates of birth that make two records a generation apart. */
export const GENERATION_YEARS = 12;

/** The date-of-birth levels at which two records may be a generation apart (not the same date, nor day and month swapped). */
const GENERATION_LEVELS = new Set(['different', 'year_differs', 'one_digit']);

/**
 * What a parent and child of the same name at one address look like: dates of birth that differ
 * outright, in the year alone (a parent who shares the child's birthday), or by one typing error in the
 * year (a parent born 2002 and a child born 2022 on the same day, or 2002 and 2020: one digit changed or
 * two swapped), and lie a generation apart (at least GENERATION_YEARS between their years), with no
 * shared identifier agreeing, however much the names and address agree. Never linked automatically:
 * merging them would put a parent's history in a child's chronology. A typing error that moves the year a
 * few years (2012 for 2013) is not a generation, and still links.
 */
export function generationApartWithoutIdentifier(e: MatchExplanation): boolean {
  const dob = e.fields.find((f) => f.field === 'date_of_birth');
  const identifier = e.fields.find((f) => f.field === 'identifier')?.level;
  if (!dob || !GENERATION_LEVELS.has(dob.level) || identifier === 'national_agrees' || identifier === 'other_agrees') return false;
  const year = (d: string | null) => (d && /^\d{4}/.test(d) ? Number(d.slice(0, 4)) : null);
  const [a, b] = [year(dob.left), year(dob.right)];
  return a !== null && b !== null && Math.abs(a - b) >= GENERATION_YEARS;
}
