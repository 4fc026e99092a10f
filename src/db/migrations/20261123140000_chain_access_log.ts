import { sql, type Kysely } from 'kysely';

// Tamper evidence for the access log: each entry's hash covers the previous entry's hash and
// its own content, computed inside the database under a lock so concurrent writers form one
// chain. The canonical content is ACCESS_LOG_CANONICAL below; verification recomputes it.

/** The canonical text of an access-log row, as SQL over a row alias (also used by verification). */
export const canonicalSql = (r: string) => `concat_ws(chr(31),
  ${r}.seq::text,
  to_char(${r}.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
  coalesce(${r}.user_id::text, ''), coalesce(${r}.api_key_id::text, ''), coalesce(${r}.organisation_id::text, ''),
  array_to_string(${r}.roles, ','), ${r}.action, coalesce(${r}.person_id::text, ''), ${r}.route, ${r}.outcome,
  coalesce(${r}.request_id, ''), coalesce(${r}.detail::text, ''))`;

const UP = `
ALTER TABLE access_log ADD COLUMN seq bigint;
ALTER TABLE access_log ADD COLUMN prev_hash text;
ALTER TABLE access_log ADD COLUMN hash text;

CREATE FUNCTION access_log_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  last_seq bigint;
  last_hash text;
BEGIN
  -- One writer at a time extends the chain; the lock is held until the transaction ends.
  PERFORM pg_advisory_xact_lock(727100001);
  SELECT seq, hash INTO last_seq, last_hash FROM access_log ORDER BY seq DESC LIMIT 1;
  NEW.seq := coalesce(last_seq, 0) + 1;
  NEW.prev_hash := coalesce(last_hash, repeat('0', 64));
  NEW.hash := encode(sha256(convert_to(NEW.prev_hash || chr(30) || ${canonicalSql('NEW')}, 'UTF8')), 'hex');
  RETURN NEW;
END;
$$;

-- Rows written before the chain existed join it in id order.
ALTER TABLE access_log DISABLE TRIGGER access_log_append_only;
DO $$
DECLARE
  r record;
  prev text := repeat('0', 64);
  n bigint := 0;
BEGIN
  FOR r IN SELECT * FROM access_log ORDER BY id LOOP
    n := n + 1;
    r.seq := n;
    UPDATE access_log SET seq = n, prev_hash = prev,
      hash = encode(sha256(convert_to(prev || chr(30) || ${canonicalSql('r')}, 'UTF8')), 'hex')
      WHERE id = r.id RETURNING hash INTO prev;
  END LOOP;
END;
$$;
ALTER TABLE access_log ENABLE TRIGGER access_log_append_only;

ALTER TABLE access_log ALTER COLUMN seq SET NOT NULL;
ALTER TABLE access_log ALTER COLUMN prev_hash SET NOT NULL;
ALTER TABLE access_log ALTER COLUMN hash SET NOT NULL;
CREATE UNIQUE INDEX access_log_seq_idx ON access_log (seq);
CREATE TRIGGER access_log_chain BEFORE INSERT ON access_log FOR EACH ROW EXECUTE FUNCTION access_log_chain();
`;

const DOWN = `
DROP TRIGGER IF EXISTS access_log_chain ON access_log;
DROP FUNCTION IF EXISTS access_log_chain();
DROP INDEX IF EXISTS access_log_seq_idx;
ALTER TABLE access_log DROP COLUMN hash;
ALTER TABLE access_log DROP COLUMN prev_hash;
ALTER TABLE access_log DROP COLUMN seq;
`;

/** Chains the access log: seq, prev_hash and hash on every entry. */
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(UP).execute(db);
}

/** Removes the chain. */
export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(DOWN).execute(db);
}
