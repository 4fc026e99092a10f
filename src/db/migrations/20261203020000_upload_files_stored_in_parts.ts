import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one instead.

/**
 * An uploaded file is stored in parts, each written by a statement (and a transaction) of its own, so
 * storing a large upload never holds PGlite's one connection for long. Its batch is created first,
 * `receiving`, and becomes `running` (its import queued) only once every part is stored; a batch left
 * receiving (its process stopped) is removed by outbox work. A file stored whole before this (`content`)
 * is still read as it was; a file stored in parts has no `content` and records its `size`.
 */
const UP = `
ALTER TABLE intake_batch DROP CONSTRAINT intake_batch_status_check;
ALTER TABLE intake_batch ADD CONSTRAINT intake_batch_status_check CHECK (status IN ('receiving', 'running', 'completed', 'failed', 'interrupted'));
COMMENT ON COLUMN intake_batch.status IS 'receiving (an upload still being stored: never imported, shown to no one), running, completed, failed or interrupted';

ALTER TABLE intake_upload_file ALTER COLUMN content DROP NOT NULL;
ALTER TABLE intake_upload_file ADD COLUMN size bigint CHECK (size >= 0);
ALTER TABLE intake_upload_file ADD CONSTRAINT intake_upload_file_whole_or_in_parts CHECK ((content IS NULL) = (size IS NOT NULL));
COMMENT ON COLUMN intake_upload_file.content IS 'A file stored whole (before files were stored in parts); NULL: in intake_upload_part';
COMMENT ON COLUMN intake_upload_file.size IS 'The size in bytes of a file stored in parts (their total once every part is stored)';

CREATE TABLE intake_upload_part (
  batch_id uuid NOT NULL,
  seq integer NOT NULL,
  part integer NOT NULL CHECK (part >= 0),
  content bytea NOT NULL,
  PRIMARY KEY (batch_id, seq, part),
  FOREIGN KEY (batch_id, seq) REFERENCES intake_upload_file (batch_id, seq) ON DELETE CASCADE
);
-- Out of line but uncompressed, as the whole files were (20261203000000): a slice reads only its own chunks.
ALTER TABLE intake_upload_part ALTER COLUMN content SET STORAGE EXTERNAL;
COMMENT ON TABLE intake_upload_part IS 'The parts of an uploaded file, in order, each stored in a transaction of its own; removed with the file';
`;

export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(UP).execute(db);
}

/** Joins the parts of files stored in parts back into their files; uploads still being received are dropped. */
const DOWN = `
DELETE FROM outbox WHERE kind = 'intake.upload_abandoned' AND status = 'pending';
DELETE FROM intake_batch WHERE status = 'receiving';
ALTER TABLE intake_upload_file DROP CONSTRAINT intake_upload_file_whole_or_in_parts;
UPDATE intake_upload_file f SET content = coalesce(
  (SELECT string_agg(p.content, ''::bytea ORDER BY p.part) FROM intake_upload_part p WHERE p.batch_id = f.batch_id AND p.seq = f.seq), ''::bytea)
WHERE f.content IS NULL;
DROP TABLE intake_upload_part;
ALTER TABLE intake_upload_file DROP COLUMN size;
ALTER TABLE intake_upload_file ALTER COLUMN content SET NOT NULL;
COMMENT ON COLUMN intake_upload_file.content IS NULL;
COMMENT ON COLUMN intake_batch.status IS NULL;
ALTER TABLE intake_batch DROP CONSTRAINT intake_batch_status_check;
ALTER TABLE intake_batch ADD CONSTRAINT intake_batch_status_check CHECK (status IN ('running', 'completed', 'failed', 'interrupted'));
`;

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(DOWN).execute(db);
}
