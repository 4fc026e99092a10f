import { describe, expect, it } from 'vitest';
import { loadVocabulary } from '../vocabulary.js';
import { checkRevision, versionAt } from './factor-versions.js';
import { isLowering, panelReferralDue } from './risk-levels.js';

describe('factor versions', () => {
  const v1 = { version: 1, effectiveFrom: new Date('1970-01-01T00:00:00Z') };
  const v2 = { version: 2, effectiveFrom: new Date('2026-06-01T00:00:00Z') };
  it('gives an entry the meaning in force when it was recorded', () => {
    expect(versionAt([v2, v1], new Date('2026-05-31T23:59:59Z'))?.version).toBe(1);
    expect(versionAt([v2, v1], new Date('2026-06-01T00:00:00Z'))?.version).toBe(2);
  });
  it('checks a revision field by field', () => {
    const cin = loadVocabulary('1').cinFactorCodes;
    const current = { label: 'A', definition: 'B', evidence: 'C', cinFactors: ['3A'] };
    expect(checkRevision(current, { label: '', definition: 'B', evidence: 'C', cinFactors: ['99Z'], changeReason: '' }, cin).map((p) => p.field))
      .toEqual(['label', 'changeReason', 'cinFactors']);
    expect(checkRevision(current, { label: 'A', definition: 'B', evidence: 'C', cinFactors: ['3A'], changeReason: 'why' }, cin)[0]?.message).toMatch(/Nothing has changed/);
    expect(checkRevision(current, { label: 'A', definition: 'B2', evidence: 'C', cinFactors: ['3A', '3B'], changeReason: 'why' }, cin)).toEqual([]);
  });
});

describe('risk levels', () => {
  it('knows lowering and when a panel referral is due', () => {
    expect(isLowering('medium', 'high')).toBe(true);
    expect(isLowering('high', 'high')).toBe(false);
    expect(isLowering('low', null)).toBe(false);
    expect(panelReferralDue('high', 'medium')).toBe(true);
    expect(panelReferralDue('very_high', 'high')).toBe(true);
    expect(panelReferralDue('high', 'high')).toBe(false);
    expect(panelReferralDue('medium', null)).toBe(false);
    expect(panelReferralDue('high', null)).toBe(true);
  });
});
