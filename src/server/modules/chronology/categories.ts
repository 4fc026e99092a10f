import { loadVocabulary } from '../../../domain/vocabulary.js';

/** Category code to label, from the current vocabulary. */
export const CATEGORY_LABELS: Record<string, string> = Object.fromEntries(
  loadVocabulary().categories.map((c) => [c.code, c.label]),
);
