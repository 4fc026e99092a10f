import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one instead. The vocabulary it
// loads is its own copy (vocabulary/vocabulary.v1.json, byte for byte the published version 1), so it
// loads the same rows for ever, whatever later happens to the application's vocabulary files.

const VERSION = '1';

/** The parts of a published vocabulary file this migration loads. */
interface VocabularyFile {
  publishedOn: string;
  factors: { code: string; kind: string; label: string; definition: string }[];
  eventTypes: {
    code: string; category: string; label: string; definition: string;
    agencyKinds: string[]; impliesFactors: string[]; significant: boolean;
  }[];
}

/** Loads version 1 of the common vocabulary (event types and factors) from its data file. */
export async function up(db: Kysely<any>): Promise<void> {
  const bytes = readFileSync(new URL(`./vocabulary/vocabulary.v${VERSION}.json`, import.meta.url));
  const vocabulary = JSON.parse(bytes.toString('utf8')) as VocabularyFile;
  const checksum = createHash('sha256').update(bytes).digest('hex');
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
export async function down(db: Kysely<any>): Promise<void> {
  await db.deleteFrom('event_type').where('vocabulary_version', '=', VERSION).execute();
  await db.deleteFrom('factor').where('vocabulary_version', '=', VERSION).execute();
  await db.deleteFrom('vocabulary_version').where('version', '=', VERSION).execute();
}
