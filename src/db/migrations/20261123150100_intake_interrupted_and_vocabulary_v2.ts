import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one instead. The vocabulary it
// loads is its own copy (vocabulary/vocabulary.v2.json, byte for byte the published version 2).

const VERSION = '2';

/** The parts of a published vocabulary file this migration loads. */
interface VocabularyFile {
  publishedOn: string;
  factors: { code: string }[];
  eventTypes: {
    code: string; category: string; label: string; definition: string;
    agencyKinds: string[]; impliesFactors: string[]; significant: boolean;
  }[];
}

const UP = `
-- Which server process runs a batch, and when it was last heard from, so a batch whose process
-- died is shown as interrupted rather than running for ever.
ALTER TABLE intake_batch ADD COLUMN owner text;
ALTER TABLE intake_batch ADD COLUMN heartbeat_at timestamptz;
UPDATE intake_batch SET heartbeat_at = coalesce(finished_at, started_at);
ALTER TABLE intake_batch ALTER COLUMN heartbeat_at SET DEFAULT now();
ALTER TABLE intake_batch ALTER COLUMN heartbeat_at SET NOT NULL;
COMMENT ON COLUMN intake_batch.owner IS 'The server process running the batch (NULL: started before owners were recorded)';
COMMENT ON COLUMN intake_batch.heartbeat_at IS 'When the running process last reported the batch alive or committed a chunk';
ALTER TABLE intake_batch DROP CONSTRAINT intake_batch_status_check;
ALTER TABLE intake_batch ADD CONSTRAINT intake_batch_status_check CHECK (status IN ('running', 'completed', 'failed', 'interrupted'));
CREATE INDEX intake_batch_running_idx ON intake_batch (heartbeat_at) WHERE status = 'running';
`;

const DOWN = `
DROP INDEX IF EXISTS intake_batch_running_idx;
UPDATE intake_batch SET status = 'failed' WHERE status = 'interrupted';
ALTER TABLE intake_batch DROP CONSTRAINT intake_batch_status_check;
ALTER TABLE intake_batch ADD CONSTRAINT intake_batch_status_check CHECK (status IN ('running', 'completed', 'failed'));
ALTER TABLE intake_batch DROP COLUMN heartbeat_at;
ALTER TABLE intake_batch DROP COLUMN owner;
`;

/**
 * Intake batches record their owning process and a heartbeat (status 'interrupted' for a batch whose
 * process stopped); and version 2 of the common vocabulary is loaded: the event types it adds to
 * version 1 (looked_after_review). Entries already loaded keep the version that introduced them.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(UP).execute(db);
  const bytes = readFileSync(new URL(`./vocabulary/vocabulary.v${VERSION}.json`, import.meta.url));
  const vocabulary = JSON.parse(bytes.toString('utf8')) as VocabularyFile;
  const checksum = createHash('sha256').update(bytes).digest('hex');
  await db.insertInto('vocabulary_version').values({ version: VERSION, published_on: vocabulary.publishedOn, checksum }).execute();
  // Version 2 adds event types only; its factors are version 1's (a new factor would also need its factor_version row).
  const knownFactors = new Set((await db.selectFrom('factor').select('code').execute()).map((r: { code: string }) => r.code));
  const newFactors = vocabulary.factors.filter((f) => !knownFactors.has(f.code)).map((f) => f.code);
  if (newFactors.length) throw new Error(`Vocabulary version ${VERSION} adds factors this migration does not load: ${newFactors.join(', ')}`);
  const knownTypes = new Set((await db.selectFrom('event_type').select('code').execute()).map((r: { code: string }) => r.code));
  const newTypes = vocabulary.eventTypes.filter((t) => !knownTypes.has(t.code));
  if (newTypes.length) {
    await db.insertInto('event_type').values(newTypes.map((t) => ({
      code: t.code, vocabulary_version: VERSION, category: t.category, label: t.label, definition: t.definition,
      agency_kinds: t.agencyKinds, implies_factors: t.impliesFactors, significant: t.significant,
    }))).execute();
  }
}

/** Removes what version 2 of the vocabulary added, and the batch owner and heartbeat (interrupted batches become failed). */
export async function down(db: Kysely<any>): Promise<void> {
  await db.deleteFrom('event_type').where('vocabulary_version', '=', VERSION).execute();
  await db.deleteFrom('vocabulary_version').where('version', '=', VERSION).execute();
  await sql.raw(DOWN).execute(db);
}
