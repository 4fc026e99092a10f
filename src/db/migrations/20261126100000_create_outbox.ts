import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one instead.

const UP = `
-- Work that must happen after a change (rules on a new entry, an uploaded import), written in the
-- same transaction as the change. A worker claims due rows (FOR UPDATE SKIP LOCKED, so several
-- processes share the queue), holds each for a lease, and marks it done; a failure moves
-- available_at forward (back-off) and, after max_attempts, leaves the row dead for an operator.
CREATE TABLE outbox (
  id bigserial PRIMARY KEY,
  kind text NOT NULL CHECK (length(kind) BETWEEN 1 AND 100),
  payload jsonb NOT NULL,
  dedupe_key text,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'dead')),
  attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  max_attempts integer NOT NULL DEFAULT 8 CHECK (max_attempts >= 1),
  created_at timestamptz NOT NULL DEFAULT now(),
  available_at timestamptz NOT NULL DEFAULT now(),
  locked_until timestamptz,
  locked_by text,
  last_error text,
  done_at timestamptz
);
-- The same piece of work (a kind and its key) is queued once.
CREATE UNIQUE INDEX outbox_dedupe_idx ON outbox (kind, dedupe_key) WHERE dedupe_key IS NOT NULL;
-- What the worker looks for: pending rows in the order they fall due.
CREATE INDEX outbox_due_idx ON outbox (available_at, id) WHERE status = 'pending';
CREATE INDEX outbox_dead_idx ON outbox (id) WHERE status = 'dead';
COMMENT ON TABLE outbox IS 'Side effects of committed changes, dispatched at least once by the outbox worker (src/server/outbox/)';

-- The files of an upload, held until its import (outbox work) has read them.
CREATE TABLE intake_upload_file (
  batch_id uuid NOT NULL REFERENCES intake_batch(id) ON DELETE CASCADE,
  seq integer NOT NULL,
  purpose text NOT NULL CHECK (purpose IN ('data', 'mapping')),
  file_name text NOT NULL,
  content bytea NOT NULL,
  PRIMARY KEY (batch_id, seq)
);
COMMENT ON TABLE intake_upload_file IS 'Uploaded files waiting to be imported; removed when the import finishes';
`;

export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(UP).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw('DROP TABLE IF EXISTS intake_upload_file; DROP TABLE IF EXISTS outbox;').execute(db);
}
