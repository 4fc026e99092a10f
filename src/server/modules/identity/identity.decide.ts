import { compareRecords } from '../../../domain/matching/comparisons.js';
import { nameWeightsOf, scoreVector, type ModelParameters } from '../../../domain/matching/model.js';
import { prepareRecord } from '../../../domain/matching/prepare.js';
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
 * mean the person record may itself be duplicated, which a person should look at.
 */
export function decide(model: ModelParameters, record: MatchRecord, candidates: Candidate[]): Choice {
  const scored = scoreCandidates(model, record, candidates);
  const best = scored[0];
  if (!best) return { band: 'new', best: null };
  let band = best.explanation.band;
  const second = scored[1];
  if (band === 'link' && second && second.explanation.band === 'link' && best.explanation.total - second.explanation.total < 1) band = 'review';
  return { band, best };
}
