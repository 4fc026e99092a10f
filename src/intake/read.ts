/**
 * One entry point for every format: decode each file's bytes, pick the parser, and stream items.
 * A problem with a whole file (binary, too large, malformed XML, a bad mapping) is thrown as an
 * IntakeFileError after every item read before it, so nothing valid before the problem is lost.
 */
import { parseCinXml } from './cin.js';
import { parseCsvMapping, parseMappedCsv } from './csv-mapping.js';
import { decodeText, formatBytes, type TextEncodingName } from './decode.js';
import { parseJsonl } from './jsonl.js';
import { newSsda903Context, parseSsda903Table, ssda903TableOf } from './ssda903.js';
import { storableProblems, withoutNul } from './storable.js';
import { IntakeFileError, type FieldProblem, type IntakeFormat, type IntakeItem } from './types.js';

/** A file to read: its name and a way to stream its bytes. */
export interface IntakeSource {
  name: string;
  bytes: AsyncIterable<Uint8Array>;
}

/** How to read a batch. */
export interface ReadOptions {
  format: IntakeFormat;
  organisationId: string;
  /** The column-mapping file's text (CSV only). */
  mappingText?: string | undefined;
  encoding?: TextEncodingName | undefined;
  sourceSystem?: string | undefined;
  maxBytes: number;
  /** Called as bytes are read (for progress bars). */
  onBytes?: (total: number) => void;
  /** Receives what was decided about encodings, for the batch report. */
  notes?: string[];
}

/** Guesses the format from a file name and its first bytes; null when it cannot tell. */
export function detectFormat(name: string, head: string, hasMapping: boolean): IntakeFormat | null {
  const lower = name.toLowerCase();
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  if (lower.endsWith('.xml')) return 'cin-xml';
  const trimmed = head.replace(/^\uFEFF/, '').trimStart();
  if (trimmed.startsWith('<')) return 'cin-xml';
  if (trimmed.startsWith('{')) return 'jsonl';
  if (hasMapping) return 'csv';
  const firstLine = trimmed.split(/\r?\n/, 1)[0] ?? '';
  if (ssda903TableOf(firstLine.split(','))) return 'ssda903';
  return null;
}

/** SSDA903 tables are read header first, so other rows can carry the child's details. */
export function orderSsda903Sources<T extends { name: string }>(sources: T[]): T[] {
  return [...sources].sort((a, b) => Number(!/header/i.test(a.name)) - Number(!/header/i.test(b.name)));
}

/** Streams the items of every file in a batch, enforcing the batch's byte limit across all of them. */
export async function* readIntake(sources: IntakeSource[], opts: ReadOptions): AsyncGenerator<IntakeItem & { file: string }> {
  let total = 0;
  const counted = async function* (bytes: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    const source = bytes[Symbol.asyncIterator]();
    for (;;) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await source.next();
      } catch {
        // The sender went away part-way (a dropped connection, an aborted upload).
        throw new IntakeFileError('upload_interrupted', 'The upload stopped before the end of the file: send the file again (records already imported will not be imported twice)');
      }
      if (next.done) return;
      const chunk = next.value;
      total += chunk.length;
      if (total > opts.maxBytes) {
        throw new IntakeFileError('file_too_large', `The upload is larger than the limit of ${formatBytes(opts.maxBytes)}: split it into smaller files (every record read before the limit was kept)`);
      }
      opts.onBytes?.(total);
      yield chunk;
    }
  };
  const mapping = opts.format === 'csv' ? opts.mappingText : undefined;
  if (opts.format === 'csv' && !mapping) throw new IntakeFileError('mapping_required', 'A CSV file needs a column-mapping file that says which column holds which field');
  const parsedMapping = mapping ? parseCsvMapping(mapping) : null;
  const ssda = newSsda903Context(opts.sourceSystem ?? 'SSDA903');
  const ordered = opts.format === 'ssda903' ? orderSsda903Sources(sources) : sources;
  for (const source of ordered) {
    const decoded = await decodeText(counted(source.bytes), { encoding: opts.encoding });
    for (const note of decoded.notes) opts.notes?.push(ordered.length > 1 ? `${source.name}: ${note}` : note);
    let items: AsyncIterable<IntakeItem>;
    switch (opts.format) {
      case 'jsonl':
        items = parseJsonl(decoded.text, decoded.encoding);
        break;
      case 'csv':
        items = parseMappedCsv(decoded.text, parsedMapping!, { organisationId: opts.organisationId, encoding: decoded.encoding });
        break;
      case 'cin-xml':
        items = parseCinXml(decoded.text, { sourceSystem: opts.sourceSystem });
        break;
      case 'ssda903':
        items = parseSsda903Table(decoded.text, ssda, decoded.encoding);
        break;
    }
    for await (const item of items) yield { ...storable(item), file: source.name };
  }
}

const cleanProblems = (list: FieldProblem[]) => list.map((p) => ({ field: withoutNul(p.field), reason: withoutNul(p.reason) }));

/**
 * The last check before the database: a record holding a value it would refuse (a NUL character, a
 * value over a column's limit) that its parser let through is refused here, naming the field; and
 * what the report keeps of any item (its record id, position and reasons) is made storable too.
 */
export function storable(item: IntakeItem): IntakeItem {
  const problems = item.record ? storableProblems(item.record) : [];
  const errors = problems.length ? [...item.errors, ...problems] : item.errors;
  return {
    ...item,
    record: problems.length ? null : item.record,
    recordId: item.recordId === null ? null : withoutNul(item.recordId),
    ...(item.ref === undefined ? {} : { ref: withoutNul(item.ref) }),
    errors: cleanProblems(errors),
    warnings: cleanProblems(item.warnings),
  };
}
