import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one instead.

const UP = `
-- A consideration may be decided as a referral to the partnership's panels: the decision, and the
-- referral it made (one per consideration).
ALTER TABLE consideration_decision DROP CONSTRAINT consideration_decision_decision_check;
ALTER TABLE consideration_decision ADD CONSTRAINT consideration_decision_decision_check
  CHECK (decision IN ('offer_of_help', 'already_in_hand', 'no_action', 'refer_to_panel'));
ALTER TABLE panel_referral ADD COLUMN consideration_id uuid UNIQUE REFERENCES consideration(id) ON DELETE CASCADE;
`;

export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(UP).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    ALTER TABLE panel_referral DROP COLUMN IF EXISTS consideration_id;
    ALTER TABLE consideration_decision DROP CONSTRAINT IF EXISTS consideration_decision_decision_check;
    ALTER TABLE consideration_decision ADD CONSTRAINT consideration_decision_decision_check
      CHECK (decision IN ('offer_of_help', 'already_in_hand', 'no_action'));
  `).execute(db);
}
