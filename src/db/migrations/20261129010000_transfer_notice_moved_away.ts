import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one instead.

// The sending side learns of a move another agency recorded: when a transfer opens, the workers holding
// the case in the sending partnership and their managers get a notice (kind moved_away).
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    ALTER TABLE transfer_notice DROP CONSTRAINT transfer_notice_kind_check;
    ALTER TABLE transfer_notice ADD CONSTRAINT transfer_notice_kind_check CHECK (kind IN ('opened', 'moved_away', 'escalation', 'declined', 'pre_move'));
  `).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    DELETE FROM transfer_notice WHERE kind = 'moved_away';
    ALTER TABLE transfer_notice DROP CONSTRAINT transfer_notice_kind_check;
    ALTER TABLE transfer_notice ADD CONSTRAINT transfer_notice_kind_check CHECK (kind IN ('opened', 'escalation', 'declined', 'pre_move'));
  `).execute(db);
}
