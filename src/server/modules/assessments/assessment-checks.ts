import { isLowering, loweringMessage, type RiskLevel } from '../../../domain/factors/risk-levels.js';
import type { AssessmentContent } from './assessments.queries.js';

/** A problem with an assessment's content: which field and why. */
export interface ContentProblem {
  field: keyof AssessmentContent;
  message: string;
}

const LIMIT = 20_000;

/**
 * Checks content before it is saved (`complete: false`) or submitted for sign-off (`complete: true`).
 * A lowered level without a reason is refused either way, so it is caught as soon as it is written.
 */
export function checkContent(c: AssessmentContent, previousLevel: RiskLevel | null, opts: { complete: boolean; today: string }): ContentProblem[] {
  const problems: ContentProblem[] = [];
  for (const [field, value] of Object.entries(c) as [keyof AssessmentContent, string | null][]) {
    if (typeof value === 'string' && value.length > LIMIT) problems.push({ field, message: `must be ${LIMIT.toLocaleString('en-GB')} characters or fewer` });
  }
  if (isLowering(c.level, previousLevel) && !c.loweringReason?.trim()) {
    problems.push({ field: 'loweringReason', message: loweringMessage(c.level!, previousLevel!) });
  }
  if (c.reviewOn && c.reviewOn < opts.today && opts.complete) problems.push({ field: 'reviewOn', message: 'The review date must be today or in the future' });
  if (opts.complete) {
    if (!c.level) problems.push({ field: 'level', message: 'Select the level of risk' });
    if (!c.levelRationale?.trim()) problems.push({ field: 'levelRationale', message: 'Explain why this level was chosen' });
    if (!c.analysis?.trim()) problems.push({ field: 'analysis', message: 'Enter the professional analysis' });
    if (!c.reviewOn) problems.push({ field: 'reviewOn', message: 'Enter the date the assessment will be reviewed' });
  }
  return problems;
}
