import { readFileSync } from 'node:fs';
import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one instead. The factors come
// from this folder's own copy of vocabulary version 1 (vocabulary/vocabulary.v1.json), not the application's.

const UP = `
CREATE TABLE factor_version (
  code text NOT NULL REFERENCES factor(code),
  version integer NOT NULL CHECK (version >= 1),
  kind text NOT NULL CHECK (kind IN ('vulnerability', 'risk', 'protective')),
  label text NOT NULL CHECK (length(trim(label)) > 0),
  definition text NOT NULL CHECK (length(trim(definition)) > 0),
  evidence text NOT NULL CHECK (length(trim(evidence)) > 0),
  cin_factors text[] NOT NULL DEFAULT '{}',
  vocabulary_version text NOT NULL REFERENCES vocabulary_version(version),
  effective_from timestamptz NOT NULL,
  changed_by_user_id uuid REFERENCES app_user(id),
  change_reason text NOT NULL CHECK (length(trim(change_reason)) > 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (code, version)
);
CREATE INDEX factor_version_effective_idx ON factor_version (code, effective_from);

-- A factor's meaning at a time is kept for ever: revisions add a version, never rewrite one.
CREATE TRIGGER factor_version_append_only BEFORE UPDATE OR DELETE ON factor_version
  FOR EACH ROW EXECUTE FUNCTION reject_append_only_change();
CREATE TRIGGER factor_version_truncate_refused BEFORE TRUNCATE ON factor_version
  FOR EACH STATEMENT EXECUTE FUNCTION reject_append_only_change();
`;

/** Versioned, audited factor definitions; version 1 of each factor comes from vocabulary v1 as published. */
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(UP).execute(db);
  const vocabulary = JSON.parse(readFileSync(new URL('./vocabulary/vocabulary.v1.json', import.meta.url), 'utf8')) as {
    factors: { code: string; kind: string; label: string; definition: string; evidence: string; cinFactors: string[] }[];
  };
  await db
    .insertInto('factor_version')
    .values(
      vocabulary.factors.map((f) => ({
        code: f.code,
        version: 1,
        kind: f.kind,
        label: f.label,
        definition: f.definition,
        evidence: f.evidence,
        cin_factors: [...f.cinFactors],
        vocabulary_version: '1',
        // Version 1 is the meaning of every entry recorded before any revision.
        effective_from: '1970-01-01T00:00:00Z',
        changed_by_user_id: null,
        change_reason: 'Published in vocabulary version 1',
      })),
    )
    .execute();
}

/** Removes factor versions. */
export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw('DROP TABLE IF EXISTS factor_version').execute(db);
}
