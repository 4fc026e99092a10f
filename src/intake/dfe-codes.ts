/** Labels for the DfE codes that appear in the CIN census and SSDA903 returns, kept in narratives. */

/** CIN census referral sources. */
export const REFERRAL_SOURCES: Record<string, string> = {
  '1A': 'family member, relative or carer', '1B': 'acquaintance', '1C': 'self', '1D': 'other individual',
  '2A': 'school', '2B': 'education services', '3A': 'GP', '3B': 'health visitor', '3C': 'school nurse',
  '3D': 'other primary health services', '3E': 'A&E', '3F': 'other health services', '4': 'housing',
  '5A': 'LA social care', '5B': 'other LA service', '5C': 'another local authority', '6': 'police',
  '7': 'other legal agency', '8': 'other (including voluntary organisations)', '9': 'anonymous', '10': 'unknown',
};

/** CIN census primary need codes. */
export const PRIMARY_NEEDS: Record<string, string> = {
  N1: 'abuse or neglect', N2: "child's disability", N3: 'parental disability or illness', N4: 'family in acute stress',
  N5: 'family dysfunction', N6: 'socially unacceptable behaviour', N7: 'low income', N8: 'absent parenting',
  N9: 'cases other than children in need', N0: 'not stated',
};

/** CIN census reasons for closure. */
export const CLOSURE_REASONS: Record<string, string> = {
  RC1: 'adopted', RC2: 'died', RC3: 'child arrangements order', RC4: 'special guardianship order',
  RC5: 'transferred to another local authority', RC6: 'transferred to adult social care',
  RC7: 'services ceased for any other reason, including child no longer in need', RC8: 'case closed after assessment, no further action',
  RC9: 'case closed after assessment, referred to early help',
};

/** Child protection plan categories of abuse. */
export const ABUSE_CATEGORIES: Record<string, string> = {
  NEG: 'neglect', PHY: 'physical abuse', SAB: 'sexual abuse', EMO: 'emotional abuse', MUL: 'multiple categories',
};

/** SSDA903 reasons a new episode started. */
export const EPISODE_REASONS: Record<string, string> = {
  S: 'started to be looked after', L: 'change of legal status only', P: 'change of placement only',
  T: 'change of legal status and placement', B: 'change of legal status and placement (same carer)', U: 'change of legal status and placement (same carer, new placement type)',
};

/** SSDA903 missing codes. */
export const MISSING_KINDS: Record<string, string> = { M: 'missing', A: 'away from placement without authorisation' };

/** Maps a CIN or SSDA903 sex code to the person model. */
export function dfeSex(code: string | null): 'female' | 'male' | 'not_known' {
  if (code === '1' || code === 'M' || code === 'm') return 'male';
  if (code === '2' || code === 'F' || code === 'f') return 'female';
  return 'not_known';
}

/** "code (label)", or the bare code when the label is not known. */
export function labelled(code: string | null, labels: Record<string, string>): string | null {
  if (!code) return null;
  return labels[code] ? `${code} (${labels[code]})` : code;
}
