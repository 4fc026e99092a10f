import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import { loadVocabulary } from '../../domain/vocabulary.js';

const VERSION = '1';

/** Loads version 1 of the common vocabulary (event types and factors) from its data file. */
export async function up(raw: Kysely<unknown>): Promise<void> {
  const db = raw as Kysely<Database>;
  const vocabulary = loadVocabulary(VERSION);
  const file = new URL(`../../domain/vocabulary/vocabulary.v${VERSION}.json`, import.meta.url);
  const checksum = createHash('sha256').update(readFileSync(file)).digest('hex');
  await db
    .insertInto('vocabulary_version')
    .values({ version: VERSION, published_on: vocabulary.publishedOn, checksum })
    .execute();
  await db
    .insertInto('factor')
    .values(
      vocabulary.factors.map((f) => ({
        code: f.code,
        vocabulary_version: VERSION,
        kind: f.kind,
        label: f.label,
        definition: f.definition,
      })),
    )
    .execute();
  await db
    .insertInto('event_type')
    .values(
      vocabulary.eventTypes.map((t) => ({
        code: t.code,
        vocabulary_version: VERSION,
        category: t.category,
        label: t.label,
        definition: t.definition,
        agency_kinds: t.agencyKinds,
        implies_factors: t.impliesFactors,
        significant: t.significant,
      })),
    )
    .execute();
}

/** Removes version 1 of the vocabulary. */
export async function down(raw: Kysely<unknown>): Promise<void> {
  const db = raw as Kysely<Database>;
  await db.deleteFrom('event_type').where('vocabulary_version', '=', VERSION).execute();
  await db.deleteFrom('factor').where('vocabulary_version', '=', VERSION).execute();
  await db.deleteFrom('vocabulary_version').where('version', '=', VERSION).execute();
}
