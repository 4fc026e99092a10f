/**
 * Versioned factor definitions. A factor's meaning can be revised (a clearer definition, new
 * evidence, a corrected CIN census mapping), but an entry keeps the meaning in force when it was
 * recorded: the version whose `effectiveFrom` is the latest at or before the recording time.
 */
import type { CinFactorCode, FactorKind } from '../vocabulary.js';

/** One version of a factor's definition. */
export interface FactorVersion {
  code: string;
  version: number;
  kind: FactorKind;
  label: string;
  definition: string;
  evidence: string;
  cinFactors: string[];
  effectiveFrom: Date;
  changeReason: string;
}

/** The version in force at a moment (versions of one factor, in any order), or undefined if none yet. */
export function versionAt<V extends Pick<FactorVersion, 'version' | 'effectiveFrom'>>(versions: readonly V[], at: Date): V | undefined {
  let best: V | undefined;
  for (const v of versions) {
    if (v.effectiveFrom.getTime() <= at.getTime() && (!best || v.version > best.version)) best = v;
  }
  return best;
}

/** What a revision may change. */
export interface FactorRevision {
  label: string;
  definition: string;
  evidence: string;
  cinFactors: string[];
  changeReason: string;
}

/** Checks a revision against the CIN codes; returns each problem with its field. */
export function checkRevision(current: Pick<FactorVersion, 'label' | 'definition' | 'evidence' | 'cinFactors'>, r: FactorRevision, cinCodes: readonly CinFactorCode[]): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  if (!r.label.trim()) problems.push({ field: 'label', message: 'Enter the factor name' });
  if (!r.definition.trim()) problems.push({ field: 'definition', message: 'Enter a plain definition' });
  if (!r.evidence.trim()) problems.push({ field: 'evidence', message: 'Enter a note on the evidence behind the factor' });
  if (!r.changeReason.trim()) problems.push({ field: 'changeReason', message: 'Enter why the definition is changing' });
  const known = new Set(cinCodes.map((c) => c.code));
  const unknown = r.cinFactors.filter((c) => !known.has(c));
  if (unknown.length) problems.push({ field: 'cinFactors', message: `Unknown CIN census factor codes: ${unknown.join(', ')}` });
  const same =
    r.label.trim() === current.label && r.definition.trim() === current.definition && r.evidence.trim() === current.evidence &&
    [...r.cinFactors].sort().join() === [...current.cinFactors].sort().join();
  if (!problems.length && same) problems.push({ field: 'definition', message: 'Nothing has changed: edit the factor before saving a new version' });
  return problems;
}
