import { describe, expect, it } from 'vitest';
import { findEventType, loadVocabulary } from '../vocabulary.js';

// A published version is never changed: a new entry is a new version that keeps every earlier one.
describe('vocabulary versions', () => {
  const v1 = loadVocabulary('1');
  const v2 = loadVocabulary('2');

  it('publishes version 2 with the 93 event types of version 1, unchanged, and one more', () => {
    expect(v1.eventTypes).toHaveLength(93);
    expect(v2.version).toBe('2');
    expect(v2.eventTypes).toHaveLength(94);
    for (const e of v1.eventTypes) expect(findEventType(v2, e.code), e.code).toEqual(e);
    expect(v2.eventTypes.filter((e) => !findEventType(v1, e.code)).map((e) => e.code)).toEqual(['looked_after_review']);
  });

  it('keeps the categories, factors and CIN factor codes of version 1', () => {
    expect(v2.categories).toEqual(v1.categories);
    expect(v2.factors).toEqual(v1.factors);
    expect(v2.cinFactorCodes).toEqual(v1.cinFactorCodes);
  });

  it('adds the looked-after child review to social care, for children\'s social care to record', () => {
    expect(findEventType(v1, 'looked_after_review')).toBeUndefined();
    expect(findEventType(v2, 'looked_after_review')).toEqual({
      code: 'looked_after_review',
      category: 'social_care',
      label: 'Looked-after child review',
      definition: "A statutory review of the looked-after child's care plan was held, chaired by the independent reviewing officer, with how the child took part in it.",
      agencyKinds: ['childrens_social_care'],
      impliesFactors: [],
      significant: false,
    });
  });
});
