import type { Kysely } from 'kysely';
import type { Database } from '../../../../db/database.js';
import type { Actor } from '../../../actor.js';
import type { LatestVersion } from './write-record.js';
import type { ModelParameters } from '../../../../domain/matching/model.js';
import { activeModel } from '../../identity/identity.model-store.js';

/** What a batch knows while it runs: who sends, the vocabulary and code table, and what it has stored so far. */
export interface BatchContext {
  batchId: string;
  organisationId: string;
  organisationName: string;
  actor: Actor | null;
  route: string;
  requestId: string | null;
  eventTypes: Map<string, string>;
  factors: Set<string>;
  mappings: Map<string, { eventTypeCode: string; factorCodes: string[] }>;
  latest: Map<string, LatestVersion>;
  seen: Map<string, { hash: string; row: number }>;
  knownSources: Set<string>;
  /**
   * The identity model the batch's records are decided by: the one in use when the batch started, read
   * once (a model trained meanwhile applies from the next batch), not once a chunk.
   */
  model: ModelParameters;
}

/** Loads the vocabulary and the organisation's code table once per batch. */
export async function loadBatchContext(
  db: Kysely<Database>,
  base: { batchId: string; organisationId: string; organisationName: string; actor: Actor | null; route: string; requestId: string | null },
): Promise<BatchContext> {
  const model = await activeModel(db);
  const [types, factors, mappings] = await Promise.all([
    db.selectFrom('event_type').select(['code', 'vocabulary_version']).execute(),
    db.selectFrom('factor').select('code').execute(),
    db.selectFrom('agency_code_mapping').select(['agency_code', 'event_type_code', 'factor_codes']).where('organisation_id', '=', base.organisationId).execute(),
  ]);
  return {
    ...base,
    model,
    eventTypes: new Map(types.map((t) => [t.code, t.vocabulary_version])),
    factors: new Set(factors.map((f) => f.code)),
    mappings: new Map(mappings.map((m) => [m.agency_code, { eventTypeCode: m.event_type_code, factorCodes: m.factor_codes }])),
    latest: new Map(),
    seen: new Map(),
    knownSources: new Set(),
  };
}
