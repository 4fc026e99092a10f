/**
 * Risk levels in a risk and vulnerability assessment, and the two rules that follow from their
 * order: a lower level than the last signed-off one needs a stated reason (risk must not drop
 * silently, as it did after Child K moved borough), and reaching high or very high means the
 * child should be referred to the high-risk panel.
 */

/** The levels, lowest first. */
export const RISK_LEVELS = ['low', 'medium', 'high', 'very_high'] as const;
/** A risk level. */
export type RiskLevel = (typeof RISK_LEVELS)[number];

/** Labels for pages. */
export const RISK_LEVEL_LABELS: Readonly<Record<RiskLevel, string>> = { low: 'Low', medium: 'Medium', high: 'High', very_high: 'Very high' };

/** True when the value is a risk level. */
export function isRiskLevel(value: unknown): value is RiskLevel {
  return typeof value === 'string' && (RISK_LEVELS as readonly string[]).includes(value);
}

/** Position of a level, 0 for low. */
export function levelRank(level: RiskLevel): number {
  return RISK_LEVELS.indexOf(level);
}

/** Whether moving from `previous` to `level` lowers the risk. */
export function isLowering(level: RiskLevel | null, previous: RiskLevel | null): boolean {
  return level !== null && previous !== null && levelRank(level) < levelRank(previous);
}

/** Whether a newly signed-off level means a panel referral is due: high or above, and higher than before. */
export function panelReferralDue(level: RiskLevel, previous: RiskLevel | null): boolean {
  return levelRank(level) >= levelRank('high') && (previous === null || levelRank(level) > levelRank(previous));
}

/** The message shown when a lowered level has no reason. */
export function loweringMessage(level: RiskLevel, previous: RiskLevel): string {
  return `The level is lower than the last signed-off assessment (${RISK_LEVEL_LABELS[previous]} to ${RISK_LEVEL_LABELS[level]}): give the reason for lowering it`;
}
