/**
 * CSV with a column-mapping file: the mapping names, for each interchange field, the CSV column that
 * holds it (or a constant), how dates are written, and how the agency's values translate (its "M"
 * is our "male"). Each row becomes an interchange v1 object and is checked exactly like JSON Lines,
 * with errors naming the column as well as the field.
 */
import { z } from 'zod';
import { parseDateAs, partialUkDateOfBirth } from './dates.js';
import { encodingProblem, REPLACEMENT } from './decode.js';
import { readCsv } from './csv.js';
import { checkInterchangeRecord } from './interchange.js';
import { IntakeFileError, rejected, type FieldProblem, type IntakeItem } from './types.js';

/** The table name CSV records are counted under in the batch report. */
export const CSV_TABLE = 'records';

/** How a mapping says dates are written: ISO (2026-03-01), UK day first (01/03/2026) or digits only (20260301). */
export const CSV_DATE_FORMATS = ['YYYY-MM-DD', 'DD/MM/YYYY', 'YYYYMMDD'] as const;
const dateFormat = z.enum(CSV_DATE_FORMATS);

/** A column-mapping file (JSON). */
export const csvMappingSchema = z.strictObject({
  format: z.literal('jigsaw-csv-mapping/1'),
  delimiter: z.enum([',', ';', '\t', '|']).default(','),
  dateFormat: dateFormat.default('YYYY-MM-DD'),
  /** A field's own date format, where one column differs from the rest (field path → format). */
  dateFormats: z.record(z.string().max(100), dateFormat).default({}),
  /**
   * Interchange field path (person.dateOfBirth, event.code, otherPeople.0.role, person.identifiers.nhs_number) → CSV column,
   * or several columns joined (address lines): their non-empty values joined with `joinWith`.
   */
  columns: z.record(z.string().max(100), z.union([z.string().max(200), z.array(z.string().max(200)).min(1).max(10)])),
  /** What joins the values of several columns mapped to one field. */
  joinWith: z.string().max(5).default(', '),
  /** Interchange field path → a value used for every row. */
  constants: z.record(z.string().max(100), z.string().max(500)).default({}),
  /** Interchange field path → { agency value → interchange value }. */
  values: z.record(z.string().max(100), z.record(z.string().max(100), z.string().max(100))).default({}),
  /** Separator for list fields (event.factorCodes). */
  listSeparator: z.string().min(1).max(3).default(';'),
});
/** A parsed column-mapping file. */
export type CsvMapping = z.infer<typeof csvMappingSchema>;

const DATE_FIELDS = /(^|\.)dateOfBirth$|^event\.occurredAt$|^event\.missing\.foundAt$/;
const DOB_FIELD = /(^|\.)dateOfBirth$/;
const LIST_FIELDS = new Set(['event.factorCodes']);
const IDENTIFIER_SHORTHAND = /^(.*\.)?identifiers\.(nhs_number|upn|police_id|local_id|uln|pnc_id|la_child_id)$/;

/** Parses and checks a mapping file's text, explaining any problem. */
export function parseCsvMapping(text: string): CsvMapping {
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    throw new IntakeFileError('invalid_mapping', 'The column-mapping file is not valid JSON');
  }
  const parsed = csvMappingSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; ');
    throw new IntakeFileError('invalid_mapping', `The column-mapping file is not valid: ${problems}`);
  }
  return parsed.data;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node: Record<string, unknown> | unknown[] = target;
  for (let i = 0; i < parts.length - 1; i++) {
    const key = parts[i]!;
    const nextIsIndex = /^\d+$/.test(parts[i + 1]!);
    const holder = node as Record<string, unknown>;
    holder[key] ??= nextIsIndex ? [] : {};
    node = holder[key] as Record<string, unknown>;
  }
  (node as Record<string, unknown>)[parts[parts.length - 1]!] = value;
}

function assign(obj: Record<string, unknown>, path: string, value: string, mapping: CsvMapping, columnOf: string, problems: FieldProblem[], warnings: FieldProblem[]): void {
  const translated = mapping.values[path]?.[value] ?? value;
  const shorthand = IDENTIFIER_SHORTHAND.exec(path);
  if (shorthand) {
    const base = `${shorthand[1] ?? ''}identifiers`;
    const list = (base.split('.').reduce<unknown>((n, k) => (n as Record<string, unknown> | undefined)?.[k], obj) as unknown[] | undefined) ?? [];
    setPath(obj, `${base}.${list.length}`, { scheme: shorthand[2], value: translated });
    return;
  }
  const layout = mapping.dateFormats[path] ?? mapping.dateFormat;
  if (DATE_FIELDS.test(path) && layout !== 'YYYY-MM-DD' && !translated.includes('T')) {
    // A date of birth known only to its month or year ("05/2011", "2011") is kept at that precision.
    const partial = DOB_FIELD.test(path) && layout === 'DD/MM/YYYY' ? partialUkDateOfBirth(translated) : null;
    if (partial) {
      setPath(obj, path, partial);
      return;
    }
    const d = parseDateAs(translated, layout);
    if (!d.ok) {
      // A date of birth that cannot be read is left out with a warning (the record is kept); an event's date is needed.
      if (DOB_FIELD.test(path)) warnings.push({ field: `${path} (column ${columnOf})`, reason: `${d.reason}, so it was left out` });
      else problems.push({ field: `${path} (column ${columnOf})`, reason: d.reason });
      return;
    }
    setPath(obj, path, d.date);
    return;
  }
  if (LIST_FIELDS.has(path)) {
    setPath(obj, path, translated.split(mapping.listSeparator).map((s) => s.trim()).filter(Boolean));
    return;
  }
  setPath(obj, path, translated);
}

/** Reads CSV text with a mapping into interchange records; the batch's organisation fills `organisation` when the mapping does not. */
export async function* parseMappedCsv(text: AsyncIterable<string>, mapping: CsvMapping, opts: { organisationId: string; encoding?: string }): AsyncGenerator<IntakeItem> {
  let header: string[] | null = null;
  let columnIndex = new Map<string, number>();
  for await (const rec of readCsv(text, mapping.delimiter)) {
    if (!header) {
      header = rec.fields.map((f) => f.trim());
      columnIndex = new Map(header.map((h, i) => [h, i]));
      const missing = Object.values(mapping.columns).flat().filter((c) => !columnIndex.has(c));
      if (missing.length) throw new IntakeFileError('missing_columns', `The file has no column named ${missing.map((m) => `"${m}"`).join(', ')}, which the mapping uses`);
      continue;
    }
    if (rec.unterminatedQuote) {
      yield rejected(CSV_TABLE, rec.line, null, [{ field: '(row)', reason: 'is incomplete: the file ends inside a quoted value, so it may have been cut off during upload' }]);
      continue;
    }
    if (rec.fields.some((f) => f.includes(REPLACEMENT))) {
      yield rejected(CSV_TABLE, rec.line, null, [{ field: '(encoding)', reason: encodingProblem(opts.encoding ?? 'utf-8') }]);
      continue;
    }
    if (rec.fields.length !== header.length) {
      yield rejected(CSV_TABLE, rec.line, null, [{ field: '(row)', reason: `has ${rec.fields.length} values but the header has ${header.length} columns` }]);
      continue;
    }
    const obj: Record<string, unknown> = { organisation: opts.organisationId };
    const problems: FieldProblem[] = [];
    const warnings: FieldProblem[] = [];
    for (const [path, value] of Object.entries(mapping.constants)) assign(obj, path, value, mapping, '(constant)', problems, warnings);
    for (const [path, column] of Object.entries(mapping.columns)) {
      const columns = typeof column === 'string' ? [column] : column;
      const value = columns.map((c) => rec.fields[columnIndex.get(c)!]!.trim()).filter((v) => v !== '').join(mapping.joinWith);
      if (value !== '') assign(obj, path, value, mapping, columns.join(' + '), problems, warnings);
    }
    const checked = checkInterchangeRecord(obj);
    const named = (list: FieldProblem[]) => list.map((p) => {
      const column = mapping.columns[p.field];
      return column ? { field: `${p.field} (column ${typeof column === 'string' ? column : column.join(' + ')})`, reason: p.reason } : p;
    });
    // A value the mapping could not read is reported once, as read from its column, not again as missing.
    const unread = new Set(problems.map((p) => p.field.replace(/ \(column .*\)$/, '')));
    const errors = [...problems, ...named(checked.errors.filter((p) => !unread.has(p.field)))];
    yield {
      table: CSV_TABLE, row: rec.line, recordId: checked.recordId,
      record: errors.length ? null : checked.record, errors, warnings: [...warnings, ...named(checked.warnings)],
    };
  }
  if (!header) throw new IntakeFileError('empty_file', 'The CSV file has no header row');
}
