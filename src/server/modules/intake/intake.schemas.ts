import { z } from 'zod';
import { TEXT_ENCODINGS } from '../../../intake/decode.js';
import { INTAKE_FORMATS } from '../../../intake/types.js';
import { BATCH_STATUSES } from './intake.report.js';

const problem = z.object({ field: z.string(), reason: z.string() });

/** A batch report as the API returns it. */
export const batchReportSchema = z.object({
  batchId: z.string().uuid(),
  organisationId: z.string().uuid(),
  format: z.string(),
  files: z.array(z.string()),
  status: z.enum(BATCH_STATUSES),
  received: z.number().int(),
  accepted: z.number().int(),
  rejected: z.number().int(),
  outcomes: z.object({ new: z.number().int(), updated: z.number().int(), unchanged: z.number().int() }),
  tables: z.array(z.object({ table: z.string(), received: z.number().int(), accepted: z.number().int(), rejected: z.number().int() })),
  reconciled: z.boolean(),
  warnings: z.number().int(),
  fileErrors: z.array(z.object({ code: z.string(), message: z.string() })),
  notes: z.array(z.string()),
  rejections: z.array(z.object({ file: z.string(), table: z.string(), row: z.number().int(), ref: z.string().nullable(), recordId: z.string().nullable(), errors: z.array(problem) })),
});

/** A batch's status as the API shows it: `queued` while its import waits for the outbox worker. */
export const API_BATCH_STATUSES = ['queued', ...BATCH_STATUSES] as const;

/** The answer to POST /api/v1/intake: the batch's address, before anything is imported. */
export const batchAcceptedSchema = z.object({
  batchId: z.string().uuid(),
  status: z.literal('queued'),
  statusUrl: z.string(),
  reportUrl: z.string(),
});

/** GET /api/v1/intake/batches/{batchId}: progress while it runs, and the report once it has finished. */
export const batchStatusSchema = z.object({
  batchId: z.string().uuid(),
  status: z.enum(API_BATCH_STATUSES),
  format: z.string(),
  files: z.array(z.string()),
  recordsRead: z.number().int(),
  bytesRead: z.number().int(),
  bytesTotal: z.number().int().nullable(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  reportUrl: z.string(),
  report: batchReportSchema.nullable(),
});

/** Query parameters of POST /api/v1/intake. */
export const intakeQuerySchema = z.strictObject({
  format: z.enum(INTAKE_FORMATS).optional(),
  encoding: z.enum(TEXT_ENCODINGS).optional(),
  sourceSystem: z.string().trim().min(1).max(100).optional(),
  fileName: z.string().trim().min(1).max(200).optional(),
});

/** A JSON batch: interchange v1 records in an array. */
export const jsonBatchSchema = z.strictObject({ records: z.array(z.unknown()).min(1).max(100_000) });
