/**
 * What an agency record says about a missing episode beyond its event (when and where the child
 * was found, who with, the police reference and risk grading). An import carries these as plain
 * lines of the entry's narrative, which people read in the chronology and the missing episodes
 * processor reads back (src/server/modules/missing/): "Found: 2026-03-14 09:30 UTC",
 * "Where found: ...", "Who with: ...", "Police reference: ...", "Police risk grading: Medium".
 * SSDA903's "Returned: 14/03/2026" is read the same way. No I/O.
 */

/** Police risk gradings of a missing episode, and how they are written. */
export const MISSING_RISK_GRADINGS = { no_apparent_risk: 'No apparent risk', low: 'Low', medium: 'Medium', high: 'High' } as const;
export type MissingRiskGrading = keyof typeof MISSING_RISK_GRADINGS;

/** The details of a missing episode a record gives; each null when not given. */
export interface MissingDetails {
  /** When the child was found or came back, and whether the time or only the day is known. */
  found: { at: Date; precision: 'date' | 'time' } | null;
  whereFound: string | null;
  whoWith: string | null;
  policeReference: string | null;
  riskGrading: MissingRiskGrading | null;
}

/** The narrative lines for a record's missing details (found given as an ISO instant and its precision). */
export function missingDetailLines(d: { foundAt?: string | null; foundPrecision?: 'date' | 'time'; whereFound?: string | null; whoWith?: string | null; policeReference?: string | null; riskGrading?: MissingRiskGrading | null }): string[] {
  const lines: string[] = [];
  if (d.policeReference) lines.push(`Police reference: ${d.policeReference}`);
  if (d.riskGrading) lines.push(`Police risk grading: ${MISSING_RISK_GRADINGS[d.riskGrading]}`);
  if (d.foundAt) lines.push(`Found: ${d.foundPrecision === 'date' ? d.foundAt.slice(0, 10) : `${d.foundAt.slice(0, 10)} ${d.foundAt.slice(11, 16)} UTC`}`);
  if (d.whereFound) lines.push(`Where found: ${d.whereFound}`);
  if (d.whoWith) lines.push(`Who with: ${d.whoWith}`);
  return lines;
}

const line = (narrative: string, label: string): string | null => {
  const m = new RegExp(`^${label}: *(.+?) *$`, 'm').exec(narrative);
  return m ? m[1]! : null;
};

/** When the child was found or returned, from a "Found:" or "Returned:" line (ISO, or SSDA903's DD/MM/YYYY); null otherwise. */
function foundFrom(narrative: string): MissingDetails['found'] {
  const v = line(narrative, '(?:Found|Returned)');
  if (!v) return null;
  const uk = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(v);
  const iso = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2}))?/.exec(v);
  const [day, time] = uk ? [`${uk[3]}-${uk[2]}-${uk[1]}`, null] : iso ? [iso[1]!, iso[2] ? `${iso[2]}:${iso[3]}` : null] : [null, null];
  if (!day) return null;
  const at = new Date(`${day}T${time ?? '00:00'}:00.000Z`);
  return Number.isNaN(at.getTime()) ? null : { at, precision: time ? 'time' : 'date' };
}

/** The missing details a narrative carries (an import's, or a hand-recorded episode's). */
export function missingDetailsFromNarrative(narrative: string | null): MissingDetails {
  if (!narrative) return { found: null, whereFound: null, whoWith: null, policeReference: null, riskGrading: null };
  const grading = line(narrative, 'Police risk grading')?.toLowerCase();
  const riskGrading = (Object.entries(MISSING_RISK_GRADINGS).find(([, label]) => label.toLowerCase() === grading)?.[0] ?? null) as MissingRiskGrading | null;
  return {
    found: foundFrom(narrative),
    whereFound: line(narrative, 'Where found')?.slice(0, 300) ?? null,
    whoWith: line(narrative, 'Who with')?.slice(0, 300) ?? null,
    policeReference: line(narrative, 'Police reference')?.slice(0, 60) ?? null,
    riskGrading,
  };
}
