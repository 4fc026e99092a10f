import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { formatBytes, TEXT_ENCODINGS, type TextEncodingName } from '../../../intake/decode.js';
import { detectFormat } from '../../../intake/read.js';
import { INTAKE_FORMATS, type IntakeFormat } from '../../../intake/types.js';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { AppError } from '../../errors.js';
import { actorOf, routeOf, userOf } from '../../request.js';
import { interruptOrphanedBatches, interruptSilentBatches } from './commands/interrupt-batches.js';
import { readableBatch } from './intake.api.js';
import { intakeMaxBytes } from './intake.config.js';
import { queueUpload } from './intake.processor.js';
import { acceptedRows, batchRows, listBatches, RECORDS_PER_PAGE, visibleAmong } from './intake.queries.js';
import { INTAKE_ROLES } from './intake.policy.js';
import { mappingRoutes } from './mappings.routes.js';
import { boundaryOf, parseMultipart, type UploadedFile } from './multipart.js';

const FILES = Symbol('files');
type UploadBody = Record<string, string> & { [FILES]?: Record<string, UploadedFile[]> };

async function renderUpload(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, values: Record<string, string>, errors: { href: string; text: string; field: string }[], status = 200) {
  const actor = actorOf(request);
  await interruptSilentBatches(ctx.db, { organisationId: actor.organisationId }, request.log);
  const batches = await listBatches(ctx.db, actor.organisationId);
  reply.status(status);
  return reply.view('intake/views/upload.njk', {
    user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'intake', values, errors,
    fieldErrors: Object.fromEntries(errors.map((e) => [e.field, { text: e.text }])), batches,
    maxSize: formatBytes(intakeMaxBytes(ctx.config)), encodings: TEXT_ENCODINGS,
  });
}

const csvCell = (v: unknown) => {
  let s = v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`; // a spreadsheet must not run a cell as a formula
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** The upload page, batch reports (with progress) and their download, and the code table. */
export async function intakePageRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  await app.register(async (sub) => {
    // No multipart package is installed: the upload form's body is read here, within the size limit.
    sub.addContentTypeParser('multipart/form-data', async (request: FastifyRequest, payload: NodeJS.ReadableStream) => {
      const limit = intakeMaxBytes(ctx.config) + 64 * 1024;
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of payload as Readable) {
        size += (chunk as Buffer).length;
        if (size > limit) throw new AppError(413, 'file_too_large', `The file is larger than the limit of ${formatBytes(intakeMaxBytes(ctx.config))}: split it into smaller files`);
        chunks.push(chunk as Buffer);
      }
      const boundary = boundaryOf(request.headers['content-type']);
      if (!boundary) throw new AppError(400, 'invalid_upload', 'The upload could not be read: the form data has no boundary');
      let parsed;
      try {
        parsed = parseMultipart(Buffer.concat(chunks), boundary);
      } catch (err) {
        throw new AppError(400, 'invalid_upload', `The upload could not be read: ${(err as Error).message}`);
      }
      const body: UploadBody = { ...parsed.fields };
      body[FILES] = parsed.files;
      return body;
    });
    // Batches an earlier server process left running will never finish: say so at start-up.
    sub.addHook('onReady', async () => {
      const interrupted = await interruptOrphanedBatches(ctx.db, ctx.engine, app.log);
      if (interrupted.length) app.log.warn({ batchIds: interrupted }, 'imports left running by an earlier server process were marked interrupted');
    });
    const r = sub.withTypeProvider<ZodTypeProvider>();

    r.get('/intake', {
      config: { access: { kind: 'roles', roles: INTAKE_ROLES, action: 'intake.report.read' }, nav: { text: 'Import records', key: 'intake', order: 120, group: 'Partnership administration', hint: 'Upload an agency\'s records and read the batch reports' } },
    }, async (request, reply) => {
      return renderUpload(ctx, request, reply, { format: 'auto', encoding: 'utf-8' }, []);
    });

    r.post('/intake/uploads', { config: { access: { kind: 'roles', roles: INTAKE_ROLES, action: 'intake.import' } } }, async (request, reply) => {
      const actor = userOf(request);
      const body = (request.body ?? {}) as UploadBody;
      const values = { format: body.format ?? 'auto', encoding: body.encoding ?? 'utf-8', sourceSystem: (body.sourceSystem ?? '').trim() };
      const files = body[FILES]?.file ?? [];
      const mapping = body[FILES]?.mapping?.[0];
      const errors: { href: string; text: string; field: string }[] = [];
      if (!files.length) errors.push({ field: 'file', href: '#file', text: 'Choose a file to import' });
      if (!['auto', ...INTAKE_FORMATS].includes(values.format)) errors.push({ field: 'format', href: '#format', text: 'Choose the file\'s format' });
      if (!TEXT_ENCODINGS.includes(values.encoding as TextEncodingName)) errors.push({ field: 'encoding', href: '#encoding', text: 'Choose the file\'s encoding' });
      if (values.sourceSystem.length > 100) errors.push({ field: 'sourceSystem', href: '#sourceSystem', text: 'Source system must be 100 characters or fewer' });
      let format = values.format as IntakeFormat | 'auto';
      if (!errors.length && format === 'auto') {
        const guessed = detectFormat(files[0]!.fileName, files[0]!.data.subarray(0, 2048).toString('utf8'), Boolean(mapping));
        if (guessed) format = guessed;
        else errors.push({ field: 'format', href: '#format', text: 'Jigsaw cannot tell this file\'s format: choose it' });
      }
      if (!errors.length && format === 'csv' && !mapping) errors.push({ field: 'mapping', href: '#mapping', text: 'A CSV file needs its column-mapping file' });
      if (errors.length) return renderUpload(ctx, request, reply, values, errors, 400);
      // The files are stored a part at a time (each part its own transaction), then the batch and its
      // queued import commit together; the outbox worker runs the import.
      const batchId = await queueUpload(ctx.db, {
        request: {
          organisationId: actor.organisationId, format: format as IntakeFormat, via: 'upload', actor, route: routeOf(request), requestId: request.id,
          encoding: values.encoding as TextEncodingName, sourceSystem: values.sourceSystem || undefined,
          maxBytes: intakeMaxBytes(ctx.config), bytesTotal: files.reduce((n, f) => n + f.data.length, 0),
        },
        files: files.map((f) => ({ name: f.fileName || 'upload', data: f.data })),
        mapping: mapping ? { name: mapping.fileName || 'mapping', data: mapping.data } : undefined,
      });
      return reply.redirect(`/intake/batches/${batchId}`, 303);
    });

    r.get('/intake/batches/:batchId', {
      schema: { params: z.object({ batchId: z.string().max(64) }), querystring: z.object({ page: z.coerce.number().int().min(1).max(1_000_000).default(1) }) },
      config: { access: { kind: 'record', roles: INTAKE_ROLES, action: 'intake.report.read' } },
    }, async (request, reply) => {
      const actor = actorOf(request);
      let accepted: { rows: Awaited<ReturnType<typeof acceptedRows>>['rows']; total: number } = { rows: [], total: 0 };
      let visible = new Set<string>();
      // The accepted records are listed with a way to confirm a relationship; a child's reference
      // is shown only to a reader who can already see the child (and the read goes on their log).
      const batch = await readableBatch(ctx, request, request.params.batchId, async (b) => {
        if (b.status === 'running') return [];
        accepted = await acceptedRows(ctx.db, b.id, request.query.page);
        visible = await visibleAmong(ctx.db, actor, accepted.rows.map((x) => x.person_id));
        return [...visible];
      });
      const percent = batch.bytesTotal ? Math.min(100, Math.round((batch.bytesRead / batch.bytesTotal) * 100)) : null;
      const page = request.query.page;
      const records = accepted.rows.map((x) => ({
        seq: x.seq, file: x.file_name, table: x.table_name, line: x.row_number, ref: x.ref, recordId: x.source_record_id, outcome: x.outcome,
        personId: x.person_id && visible.has(x.person_id) ? x.person_id : null,
        notes: ((typeof x.warnings === 'string' ? JSON.parse(x.warnings) : x.warnings) as { field: string; reason: string }[] | null) ?? [],
      }));
      return reply.view('intake/views/batch.njk', {
        user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'intake',
        batch, report: batch.report, percent, bytesRead: formatBytes(batch.bytesRead), bytesTotal: batch.bytesTotal ? formatBytes(batch.bytesTotal) : null,
        records, recordsTotal: accepted.total, page, firstShown: (page - 1) * RECORDS_PER_PAGE + 1,
        previousPage: page > 1 ? page - 1 : null, nextPage: page * RECORDS_PER_PAGE < accepted.total ? page + 1 : null,
      });
    });

    r.get('/intake/batches/:batchId/report.csv', {
      schema: { params: z.object({ batchId: z.string().max(64) }) },
      config: { access: { kind: 'record', roles: INTAKE_ROLES, action: 'intake.report.read' } },
    }, async (request, reply) => {
      const batch = await readableBatch(ctx, request, request.params.batchId);
      const rows = await batchRows(ctx.db, batch.id);
      // A person's reference is in the download only when the reader can already see them: a record
      // linked to a child they cannot see, a new person and one sent to identity review look the same.
      const visible = await visibleAmong(ctx.db, actorOf(request), rows.map((x) => x.person_id));
      // The download names people: it goes on each one's "who has seen this record" (detail.personIds).
      const personIds = [...visible];
      await recordAccess(ctx.db, {
        actor: actorOf(request), action: 'intake.report.read', route: routeOf(request), outcome: 'allowed', requestId: request.id,
        detail: { batchId: batch.id, download: 'report.csv', personIds },
      });
      const header = ['seq', 'file', 'table', 'line', 'position', 'record_id', 'outcome', 'person_id', 'event_id', 'errors', 'warnings'];
      const lines = rows.map((x) => [x.seq, x.file_name, x.table_name, x.row_number, x.ref, x.source_record_id, x.outcome, x.person_id && visible.has(x.person_id) ? x.person_id : null, x.event_id,
        x.errors ? (x.errors as { field: string; reason: string }[]).map((e) => `${e.field}: ${e.reason}`).join('; ') : '',
        x.warnings ? (x.warnings as { field: string; reason: string }[]).map((e) => `${e.field}: ${e.reason}`).join('; ') : ''].map(csvCell).join(','));
      reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="intake-report-${batch.id}.csv"`);
      return [header.join(','), ...lines].join('\r\n') + '\r\n';
    });

    await mappingRoutes(sub, ctx);
  });
}
