import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one instead.

/** England and Wales bank holidays, 2024 to 2028, as published (substitute days where one falls at a weekend). */
const BANK_HOLIDAYS: readonly [string, string][] = [
  ['2024-01-01', 'New Year’s Day'], ['2024-03-29', 'Good Friday'], ['2024-04-01', 'Easter Monday'], ['2024-05-06', 'Early May bank holiday'],
  ['2024-05-27', 'Spring bank holiday'], ['2024-08-26', 'Summer bank holiday'], ['2024-12-25', 'Christmas Day'], ['2024-12-26', 'Boxing Day'],
  ['2025-01-01', 'New Year’s Day'], ['2025-04-18', 'Good Friday'], ['2025-04-21', 'Easter Monday'], ['2025-05-05', 'Early May bank holiday'],
  ['2025-05-26', 'Spring bank holiday'], ['2025-08-25', 'Summer bank holiday'], ['2025-12-25', 'Christmas Day'], ['2025-12-26', 'Boxing Day'],
  ['2026-01-01', 'New Year’s Day'], ['2026-04-03', 'Good Friday'], ['2026-04-06', 'Easter Monday'], ['2026-05-04', 'Early May bank holiday'],
  ['2026-05-25', 'Spring bank holiday'], ['2026-08-31', 'Summer bank holiday'], ['2026-12-25', 'Christmas Day'], ['2026-12-28', 'Boxing Day (substitute day)'],
  ['2027-01-01', 'New Year’s Day'], ['2027-03-26', 'Good Friday'], ['2027-03-29', 'Easter Monday'], ['2027-05-03', 'Early May bank holiday'],
  ['2027-05-31', 'Spring bank holiday'], ['2027-08-30', 'Summer bank holiday'], ['2027-12-27', 'Christmas Day (substitute day)'], ['2027-12-28', 'Boxing Day (substitute day)'],
  ['2028-01-03', 'New Year’s Day (substitute day)'], ['2028-04-14', 'Good Friday'], ['2028-04-17', 'Easter Monday'], ['2028-05-01', 'Early May bank holiday'],
  ['2028-05-29', 'Spring bank holiday'], ['2028-08-28', 'Summer bank holiday'], ['2028-12-25', 'Christmas Day'], ['2028-12-26', 'Boxing Day'],
];

const UP = `
-- England and Wales bank holidays: working days (a transfer's time limit) and school days (Operation
-- Encompass) skip them. Later years are added by a later migration.
CREATE TABLE bank_holiday (
  date date PRIMARY KEY,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100)
);
INSERT INTO bank_holiday (date, name) VALUES
${BANK_HOLIDAYS.map(([d, n]) => `  ('${d}', '${n.replace(/'/g, "''")}')`).join(',\n')};

-- The partnership administrator changes the transfer settings: each change is in the settings history.
ALTER TABLE partnership_change DROP CONSTRAINT partnership_change_setting_check;
ALTER TABLE partnership_change ADD CONSTRAINT partnership_change_setting_check CHECK (setting IN (
  'created', 'area', 'membership', 'front_door', 'significant_events', 'alert_escalation',
  'transfer_escalation_on_plan', 'transfer_escalation', 'transfer_watch'));

-- A transfer's notices reach people by email too (without personal data), once: the opening of a
-- transfer is told to the receiving front door's team managers.
ALTER TABLE transfer_notice DROP CONSTRAINT transfer_notice_kind_check;
ALTER TABLE transfer_notice ADD CONSTRAINT transfer_notice_kind_check CHECK (kind IN ('opened', 'escalation', 'declined', 'pre_move'));
ALTER TABLE transfer_notice ADD COLUMN emailed_at timestamptz;
`;

export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(UP).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    ALTER TABLE transfer_notice DROP COLUMN IF EXISTS emailed_at;
    DELETE FROM transfer_notice WHERE kind = 'opened';
    ALTER TABLE transfer_notice DROP CONSTRAINT transfer_notice_kind_check;
    ALTER TABLE transfer_notice ADD CONSTRAINT transfer_notice_kind_check CHECK (kind IN ('escalation', 'declined', 'pre_move'));
    -- The history is append-only: rows of the newer settings stay, so the older check is not validated against them.
    ALTER TABLE partnership_change DROP CONSTRAINT partnership_change_setting_check;
    ALTER TABLE partnership_change ADD CONSTRAINT partnership_change_setting_check CHECK (setting IN (
      'created', 'area', 'membership', 'front_door', 'significant_events', 'alert_escalation')) NOT VALID;
    DROP TABLE IF EXISTS bank_holiday;
  `).execute(db);
}
