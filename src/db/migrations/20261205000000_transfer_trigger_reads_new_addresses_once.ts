import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one instead.

/**
 * The trigger that opens a transfer when an address moves a record into another partnership's area
 * (20261128040000_transfers) asks, for each person given an address, whether their current address is
 * one of the statement's new rows. Written as a condition of the outer WHERE, PostgreSQL 15 turned it
 * into a join inside the loop over the people, so the new rows were hashed again for every person: an
 * import chunk of 430 addresses took 34–42 ms in the trigger. Asked in the current address's own row,
 * the new rows are hashed once for the statement (8–12 ms). What the trigger writes is unchanged.
 *
 * The function is restated whole, as 20261128040000 wrote it but for that one condition: CREATE OR
 * REPLACE takes the whole body, that migration is frozen (its text cannot be exported for this one to
 * import), and patching the body the database holds would make this migration's result depend on it.
 * up() and down() come from the one template below, so only the condition differs between them.
 */
const body = (inserted: 'column' | 'condition') => `
CREATE OR REPLACE FUNCTION person_address_partnership_moved() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO outbox (kind, payload, dedupe_key)
  SELECT 'transfer.address_changed',
         jsonb_build_object('personId', cur.person_id, 'addressId', cur.address_id, 'fromPartnershipId', prev.partnership_id, 'toPartnershipId', cur.partnership_id),
         cur.address_id::text
  FROM (SELECT DISTINCT person_id FROM new_addresses) p
  CROSS JOIN LATERAL (
    SELECT a.id AS address_id, a.person_id, a.valid_from, pa.partnership_id${inserted === 'column' ? ', a.id IN (SELECT id FROM new_addresses) AS inserted' : ''}
    FROM person_address a JOIN partnership_area pa ON pa.borough = a.borough
    WHERE a.person_id = p.person_id
      AND (a.valid_from IS NULL OR a.valid_from <= current_date) AND (a.valid_to IS NULL OR a.valid_to >= current_date)
    ORDER BY a.valid_from DESC NULLS LAST, a.id LIMIT 1
  ) cur
  CROSS JOIN LATERAL (
    SELECT pa.partnership_id
    FROM person_address a JOIN partnership_area pa ON pa.borough = a.borough
    WHERE a.person_id = p.person_id AND a.id NOT IN (SELECT id FROM new_addresses)
    ORDER BY (a.valid_to IS NULL OR a.valid_to >= current_date) DESC, a.valid_from DESC NULLS LAST, a.id LIMIT 1
  ) prev
  WHERE ${inserted === 'column' ? 'cur.inserted' : 'cur.address_id IN (SELECT id FROM new_addresses)'}
    AND prev.partnership_id <> cur.partnership_id
    AND (cur.valid_from IS NULL OR cur.valid_from >= current_date - 180)
  ON CONFLICT DO NOTHING;
  IF FOUND THEN PERFORM pg_notify('jigsaw_outbox', ''); END IF;
  RETURN NULL;
END
$fn$;
`;

export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(body('column')).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(body('condition')).execute(db);
}
