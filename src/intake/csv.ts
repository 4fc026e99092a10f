/**
 * A streaming CSV reader (RFC 4180: quoted fields may hold commas, quotes and line breaks).
 * Each record carries the line it starts on, so errors point at the row a person can find.
 */

/** One CSV record: its fields, the line it starts on, and whether the file ended inside it. */
export interface CsvRecord {
  line: number;
  fields: string[];
  /** True when the file ended inside a quoted field: the record was cut off. */
  unterminatedQuote: boolean;
}

/** Reads CSV records from streamed text. Blank lines are skipped. */
export async function* readCsv(text: AsyncIterable<string>, delimiter = ','): AsyncGenerator<CsvRecord> {
  let fields: string[] = [];
  let field = '';
  let inQuotes = false;
  let quoteJustClosed = false;
  let line = 1;
  let recordLine = 1;
  let recordHasContent = false;
  let pendingCr = false;

  const endRecord = (): CsvRecord | null => {
    fields.push(field);
    const out = recordHasContent || fields.length > 1 || field !== '' ? { line: recordLine, fields, unterminatedQuote: false } : null;
    fields = [];
    field = '';
    recordHasContent = false;
    quoteJustClosed = false;
    return out;
  };

  for await (const chunk of text) {
    for (let i = 0; i < chunk.length; i++) {
      const ch = chunk[i]!;
      if (pendingCr) {
        pendingCr = false;
        if (ch === '\n') continue;
      }
      if (inQuotes) {
        if (ch === '"') {
          inQuotes = false;
          quoteJustClosed = true;
        } else {
          if (ch === '\n') line++;
          field += ch;
        }
        continue;
      }
      if (ch === '"') {
        // A doubled quote inside a quoted field is a literal quote; a quote opening a field starts quoting.
        if (quoteJustClosed) {
          field += '"';
          inQuotes = true;
        } else if (field === '') {
          inQuotes = true;
          recordHasContent = true;
        } else {
          field += ch;
        }
        quoteJustClosed = false;
        continue;
      }
      quoteJustClosed = false;
      if (ch === delimiter) {
        fields.push(field);
        field = '';
        recordHasContent = true;
      } else if (ch === '\n' || ch === '\r') {
        if (ch === '\r') pendingCr = true;
        const rec = endRecord();
        if (rec) yield rec;
        line++;
        recordLine = line;
      } else {
        field += ch;
        recordHasContent = true;
      }
    }
  }
  if (inQuotes) {
    fields.push(field);
    yield { line: recordLine, fields, unterminatedQuote: true };
    return;
  }
  const rec = endRecord();
  if (rec) yield rec;
}
