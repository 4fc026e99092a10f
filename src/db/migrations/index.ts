import type { Migration } from 'kysely';
import * as createCore from './20261123100000_create_core.js';
import * as loadVocabularyV1 from './20261123100100_load_vocabulary_v1.js';
import * as createIdentity from './20261123110000_create_identity.js';
import * as chainAccessLog from './20261123140000_chain_access_log.js';

/** Every migration in order; listed explicitly so bundlers and tsx find them alike. */
export const migrations: Record<string, Migration> = {
  '20261123100000_create_core': createCore,
  '20261123100100_load_vocabulary_v1': loadVocabularyV1,
  '20261123110000_create_identity': createIdentity,
  '20261123140000_chain_access_log': chainAccessLog,
};
