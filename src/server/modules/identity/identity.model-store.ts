import type { Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import { defaultModel, type ModelParameters } from '../../../domain/matching/model.js';

/** The model in use: the newest stored version; the built-in starting model is stored on first use. */
export async function activeModel(db: Kysely<Database>): Promise<ModelParameters> {
  const row = await db.selectFrom('identity_model').select(['parameters']).orderBy('created_at', 'desc').orderBy('version', 'desc').limit(1).executeTakeFirst();
  if (row) return row.parameters as ModelParameters;
  const model = defaultModel();
  await saveModel(db, model, 'Built-in starting model: m and u judged, before training on local data.');
  return model;
}

/** Stores a model version with its parameters and thresholds (versions are never changed once stored). */
export async function saveModel(db: Kysely<Database>, model: ModelParameters, description: string): Promise<void> {
  await db
    .insertInto('identity_model')
    .values({
      version: model.version, parameters: JSON.stringify(model), link_threshold: model.linkThreshold,
      review_threshold: model.reviewThreshold, description,
    })
    .onConflict((oc) => oc.column('version').doNothing())
    .execute();
}
