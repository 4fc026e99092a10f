import type { Migration } from 'kysely';
import * as createCore from './20261123100000_create_core.js';
import * as loadVocabularyV1 from './20261123100100_load_vocabulary_v1.js';

/** Every migration in order; listed explicitly so bundlers and tsx find them alike. */
export const migrations: Record<string, Migration> = {
  '20261123100000_create_core': createCore,
  '20261123100100_load_vocabulary_v1': loadVocabularyV1,
};
