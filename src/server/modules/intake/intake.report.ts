/**
 * The batch report: what was received, accepted and rejected (with reasons), per table. It is stored
 * with the batch, so it can be read and downloaded later; the full row-by-row detail is in intake_row.
 * It says nothing about what became of the people in the records (linked to someone already known,
 * new, or sent to identity review): that would tell the sender whether a child it cannot see exists.
 */
import type { FieldProblem, IntakeItem } from '../../../intake/types.js';
import type { RowResult } from './commands/write-record.js';

/** How many rejections the stored summary lists (the download has every row). */
export const REPORT_REJECTION_LIMIT = 200;

/**
 * A batch's status: running; completed; failed (a problem with a file stopped it); or interrupted (its
 * process stopped before it finished: what it stored is kept, and the same files can be sent again).
 */
export const BATCH_STATUSES = ['running', 'completed', 'failed', 'interrupted'] as const;
/** One of the batch statuses. */
export type BatchStatus = (typeof BATCH_STATUSES)[number];

/**
 * The status of a batch whose upload is still being stored (intake.processor.ts): not one of the batch
 * statuses, because it is not a batch to anyone yet. No page, list or API shows it (as missing), and
 * nothing imports it; it becomes running when its last part is stored, or is removed if it never is.
 */
export const RECEIVING = 'receiving';

/** Counts for one table of a batch. */
export interface TableCounts {
  table: string;
  received: number;
  accepted: number;
  rejected: number;
}

/** A rejected record, as the report lists it. */
export interface Rejection {
  file: string;
  table: string;
  row: number;
  ref: string | null;
  recordId: string | null;
  errors: FieldProblem[];
}

/** A stored batch report. */
export interface BatchReport {
  batchId: string;
  organisationId: string;
  format: string;
  files: string[];
  status: BatchStatus;
  received: number;
  accepted: number;
  rejected: number;
  outcomes: { new: number; updated: number; unchanged: number };
  tables: TableCounts[];
  reconciled: boolean;
  warnings: number;
  fileErrors: { code: string; message: string }[];
  notes: string[];
  rejections: Rejection[];
}

/** Accumulates a batch's counts as chunks commit. */
export class ReportTally {
  private readonly tables = new Map<string, TableCounts>();
  private readonly outcomes = { new: 0, updated: 0, unchanged: 0 };
  private readonly rejections: Rejection[] = [];
  private warnings = 0;
  readonly notes: string[] = [];
  readonly fileErrors: { code: string; message: string }[] = [];

  /** Adds one record's result. */
  add(item: IntakeItem & { file: string }, result: RowResult): void {
    const t = this.tables.get(item.table) ?? { table: item.table, received: 0, accepted: 0, rejected: 0 };
    this.tables.set(item.table, t);
    t.received++;
    this.warnings += item.warnings.length;
    if (result.outcome === 'rejected') {
      t.rejected++;
      if (this.rejections.length < REPORT_REJECTION_LIMIT) {
        this.rejections.push({ file: item.file, table: item.table, row: item.row, ref: item.ref ?? null, recordId: item.recordId, errors: result.errors });
      }
      return;
    }
    t.accepted++;
    this.outcomes[result.outcome]++;
    this.warnings += result.notes.length;
  }

  /** Records read so far. */
  get received(): number {
    let n = 0;
    for (const t of this.tables.values()) n += t.received;
    return n;
  }

  /** The report as stored. */
  build(base: { batchId: string; organisationId: string; format: string; files: string[]; status: BatchReport['status'] }): BatchReport {
    const tables = [...this.tables.values()];
    const sum = (k: 'received' | 'accepted' | 'rejected') => tables.reduce((n, t) => n + t[k], 0);
    return {
      ...base,
      received: sum('received'), accepted: sum('accepted'), rejected: sum('rejected'),
      outcomes: { ...this.outcomes },
      tables,
      reconciled: tables.every((t) => t.received === t.accepted + t.rejected),
      warnings: this.warnings,
      fileErrors: [...this.fileErrors],
      notes: [...this.notes],
      rejections: [...this.rejections],
    };
  }
}
