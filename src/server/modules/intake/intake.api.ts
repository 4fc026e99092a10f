import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { formatBytes } from '../../../intake/decode.js';
import type { IntakeFormat } from '../../../intake/types.js';
import { refuseRecord } from '../../access.js';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { AppError, ValidationError } from '../../errors.js';
import { actorOf, isUuid, routeOf } from '../../request.js';
import { errorSchema } from '../api/api.schemas.js';
import { interruptSilentBatches } from './commands/interrupt-batches.js';
import { intakeMaxBytes } from './intake.config.js';
import { canReadBatch } from './intake.policy.js';
import { queueUpload } from './intake.processor.js';
import { getBatch, isQueued, type BatchView } from './intake.queries.js';
import { batchAcceptedSchema, batchReportSchema, batchStatusSchema, intakeQuerySchema, jsonBatchSchema } from './intake.schemas.js';

const security = [{ apiKey: [] }];
const STREAMED = ['application/x-ndjson', 'application/jsonl', 'text/csv', 'application/xml', 'text/xml'];

function formatFor(contentType: string, asked: IntakeFormat | undefined): IntakeFormat {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  const implied: IntakeFormat | null = type === 'application/json' || type === 'application/x-ndjson' || type === 'application/jsonl' ? 'jsonl'
    : type.endsWith('/xml') ? 'cin-xml' : type === 'text/csv' ? 'ssda903' : null;
  const format = asked ?? implied;
  if (!format) throw new AppError(415, 'unsupported_media_type', 'Send application/json, application/x-ndjson, application/xml or text/csv');
  if (format === 'csv') throw new ValidationError([{ field: 'querystring.format', message: 'CSV with a column mapping is imported through the upload page or the command line; systems send JSON Lines' }]);
  if ((format === 'jsonl') !== (implied === 'jsonl')) {
    throw new ValidationError([{ field: 'querystring.format', message: `does not match the content type ${type}` }]);
  }
  return format;
}

/**
 * Reads a streamed body into memory, refusing it (413) as soon as it passes the limit: the import
 * runs later, from the stored body, so the request never waits for it.
 */
async function readWithin(body: Readable, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const piece = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += piece.length;
    if (size > maxBytes) {
      body.destroy();
      throw new AppError(413, 'file_too_large', `The upload is larger than the limit of ${formatBytes(maxBytes)}: send it in smaller batches`);
    }
    chunks.push(piece);
  }
  return Buffer.concat(chunks);
}

/** POST /api/v1/intake for agency systems (JSON batches or streamed NDJSON, and the DfE returns), a batch's status, and its report. */
export async function intakeApiRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  await app.register(async (sub) => {
    // Streamed bodies reach the handler unread: it stores them within the size limit, for the outbox worker to import.
    sub.addContentTypeParser(STREAMED, (_request, payload, done) => done(null, payload));
    const r = sub.withTypeProvider<ZodTypeProvider>();

    r.post('/intake', {
      bodyLimit: intakeMaxBytes(ctx.config),
      schema: {
        tags: ['intake'], security, querystring: intakeQuerySchema,
        summary: 'Send agency records: a JSON batch ({"records": [...]}) or a stream of JSON Lines (application/x-ndjson), or a CIN census (application/xml) or SSDA903 table (text/csv)',
        description: 'Answers 202 at once with the batch\'s address (Location, and statusUrl in the body); the import runs after the answer, as outbox work. Poll GET /api/v1/intake/batches/{batchId} until its status is completed, failed or interrupted.',
        response: { 202: batchAcceptedSchema, 400: errorSchema, 401: errorSchema, 404: errorSchema, 409: errorSchema, 413: errorSchema, 415: errorSchema },
      },
      config: { access: { kind: 'api_org', action: 'intake.import' } },
    }, async (request, reply) => {
      const actor = actorOf(request);
      const maxBytes = intakeMaxBytes(ctx.config);
      const declared = Number(request.headers['content-length'] ?? NaN);
      if (declared > maxBytes) throw new AppError(413, 'file_too_large', `The upload is larger than the limit of ${formatBytes(maxBytes)}: send it in smaller batches`);
      const contentType = request.headers['content-type'] ?? '';
      const format = formatFor(contentType, request.query.format);
      let data: Buffer;
      if (/^application\/json\s*(;|$)/i.test(contentType)) {
        const parsed = jsonBatchSchema.safeParse(request.body);
        if (!parsed.success) throw new ValidationError(parsed.error.issues.map((i) => ({ field: i.path.join('.') || 'body', message: i.message })));
        // Each record becomes one line, so rejections name the record's position as its line.
        data = Buffer.from(parsed.data.records.map((x) => JSON.stringify(x)).join('\n'), 'utf8');
      } else {
        data = await readWithin(request.body as Readable, maxBytes);
      }
      // The body is stored a part at a time (each part its own transaction, so other requests are not held
      // up), then the batch and its queued import commit together; the outbox worker imports it
      // (intake.processor.ts), so the sender is answered at once and no request waits on an import.
      const batchId = await queueUpload(ctx.db, {
        request: {
          organisationId: actor.organisationId, format, via: 'api', actor, route: routeOf(request), requestId: request.id,
          encoding: request.query.encoding, sourceSystem: request.query.sourceSystem, maxBytes, bytesTotal: data.length,
        },
        files: [{ name: request.query.fileName ?? `api-${format}`, data }],
      });
      const statusUrl = `/api/v1/intake/batches/${batchId}`;
      reply.status(202).header('location', statusUrl);
      return { batchId, status: 'queued' as const, statusUrl, reportUrl: `/api/v1/intake/${batchId}` };
    });

    r.get('/intake/batches/:batchId', {
      schema: {
        tags: ['intake'], security,
        summary: 'Get a batch\'s status (the batches this key sent only): queued, running (with records and bytes read), or finished with its report (completed, failed, or interrupted if its server process stopped)',
        params: z.object({ batchId: z.string().max(64) }),
        response: { 200: batchStatusSchema, 401: errorSchema, 404: errorSchema },
      },
      config: { access: { kind: 'record', api: true, action: 'intake.report.read' } },
    }, async (request) => {
      const b = await readableBatch(ctx, request, request.params.batchId);
      const queued = b.status === 'running' && b.recordsRead === 0 && await isQueued(ctx.db, b.id);
      return {
        batchId: b.id, status: queued ? 'queued' as const : b.status, format: b.format, files: b.files,
        recordsRead: b.recordsRead, bytesRead: b.bytesRead, bytesTotal: b.bytesTotal,
        startedAt: new Date(b.startedAt).toISOString(), finishedAt: b.finishedAt ? new Date(b.finishedAt).toISOString() : null,
        reportUrl: `/api/v1/intake/${b.id}`, report: b.status === 'running' ? null : b.report,
      };
    });

    r.get('/intake/:batchId', {
      schema: {
        tags: ['intake'], summary: 'Get a batch report (the batches this key sent only); 409 while it is queued or running. A batch whose server process stopped is reported as interrupted, with what it stored',
        security,
        params: z.object({ batchId: z.string().max(64) }),
        response: { 200: batchReportSchema, 401: errorSchema, 404: errorSchema, 409: errorSchema },
      },
      config: { access: { kind: 'record', api: true, action: 'intake.report.read' } },
    }, async (request) => readableBatch(ctx, request, request.params.batchId).then((b) => {
      if (!b.report) throw new AppError(409, 'batch_running', 'The batch is still running');
      return b.report;
    }));
  });
}

/**
 * Loads a batch the actor may read, logging the read (or the refusal, answered as 404). A running
 * batch whose process has gone silent is marked interrupted first, so no one is shown progress for ever.
 * `shown` gives the people the page will name (those the reader can already see), for the read's row.
 */
export async function readableBatch(ctx: AppContext, request: FastifyRequest, batchId: string, shown?: (batch: BatchView) => Promise<string[]>) {
  const actor = actorOf(request);
  let batch = await getBatch(ctx.db, batchId);
  const detail = { batchId: isUuid(batchId) ? batchId : null };
  if (!batch || !canReadBatch(actor, { organisation_id: batch.organisationId, api_key_id: batch.apiKeyId })) return refuseRecord(ctx, request, { action: 'intake.report.read', detail });
  if (batch.status === 'running' && (await interruptSilentBatches(ctx.db, { batchId: batch.id }, request.log)).length) {
    batch = (await getBatch(ctx.db, batch.id))!;
  }
  const personIds = shown ? await shown(batch) : [];
  await recordAccess(ctx.db, {
    actor, action: 'intake.report.read', route: routeOf(request), outcome: 'allowed', requestId: request.id,
    detail: personIds.length ? { ...detail, personIds } : detail,
  });
  return batch;
}
