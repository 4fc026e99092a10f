/**
 * Turns the bytes of an uploaded file into text. Agencies' systems export in whatever encoding
 * they were built with: UTF-8 with or without a byte-order mark, UTF-16 from Windows tools,
 * Latin-1 or Windows-1252 from older systems. Byte-order marks are honoured and UTF-16 without
 * one is recognised by its zero bytes; otherwise text is read as UTF-8 (or the encoding the
 * sender names) and any record holding bytes that are not valid in it is refused on its own,
 * so one mis-encoded name does not lose the rest of the file.
 */
import { IntakeFileError } from './types.js';

/** Encodings an operator can name when a file is not UTF-8. */
export const TEXT_ENCODINGS = ['utf-8', 'utf-16le', 'utf-16be', 'latin1', 'windows-1252'] as const;
/** An encoding an operator can name. */
export type TextEncodingName = (typeof TEXT_ENCODINGS)[number];

/** The character a decoder puts in place of bytes that are not valid in the encoding. */
export const REPLACEMENT = '\uFFFD';

/** What was decided about a file's encoding, for the batch report. */
export interface DecodedText {
  encoding: string;
  notes: string[];
  text: AsyncIterable<string>;
}

/** The reason given for a record that holds bytes not valid in the file's encoding. */
export function encodingProblem(encoding: string): string {
  return encoding === 'utf-8'
    ? 'contains bytes that are not valid UTF-8 (the file may be Latin-1 or Windows-1252): save it as UTF-8, or import it naming its encoding'
    : `contains bytes that are not valid ${encoding}`;
}

function sniffBinary(head: Uint8Array): string | null {
  const starts = (...bytes: number[]) => bytes.every((b, i) => head[i] === b);
  if (starts(0x50, 0x4b, 0x03, 0x04)) return 'This is a ZIP archive (an Excel workbook is one): save the sheet as CSV (UTF-8) and import that';
  if (starts(0xd0, 0xcf, 0x11, 0xe0)) return 'This is an old Excel or Word file: save the sheet as CSV (UTF-8) and import that';
  if (starts(0x25, 0x50, 0x44, 0x46)) return 'This is a PDF: Jigsaw imports JSON Lines, CSV and the DfE XML and CSV returns';
  if (starts(0x1f, 0x8b)) return 'This is a compressed (gzip) file: decompress it first';
  return null;
}

function utf16WithoutBom(head: Uint8Array): 'utf-16le' | 'utf-16be' | null {
  // Text in UTF-16 has a zero byte beside almost every ASCII character; UTF-8 text never has zero bytes.
  const n = Math.min(head.length - (head.length % 2), 512);
  if (n < 4) return null;
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < n; i += 2) {
    if (head[i] === 0) evenZeros++;
    if (head[i + 1] === 0) oddZeros++;
  }
  const pairs = n / 2;
  if (oddZeros > pairs * 0.4 && evenZeros < pairs * 0.1) return 'utf-16le';
  if (evenZeros > pairs * 0.4 && oddZeros < pairs * 0.1) return 'utf-16be';
  return null;
}

function declaredXmlEncoding(head: Uint8Array): string | null {
  const text = Buffer.from(head.subarray(0, 200)).toString('latin1');
  const m = /^<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(text);
  if (!m?.[1]) return null;
  const name = m[1].toLowerCase();
  if (['iso-8859-1', 'latin1', 'latin-1', 'iso8859-1'].includes(name)) return 'latin1';
  if (['windows-1252', 'cp1252'].includes(name)) return 'windows-1252';
  return null;
}

/**
 * Decodes a byte stream into text chunks: byte-order marks first, then the encoding named by the
 * caller, then (for XML) the one the file declares, then UTF-16 recognised by its zero bytes, else UTF-8.
 * Refuses binary files (spreadsheets, PDFs, archives) with a message saying what to send instead.
 */
export async function decodeText(bytes: AsyncIterable<Uint8Array>, opts: { encoding?: TextEncodingName | undefined } = {}): Promise<DecodedText> {
  const iterator = bytes[Symbol.asyncIterator]();
  const headParts: Uint8Array[] = [];
  let headLength = 0;
  let done = false;
  while (headLength < 512) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    headParts.push(next.value);
    headLength += next.value.length;
  }
  const head = Buffer.concat(headParts);
  if (head.length === 0) throw new IntakeFileError('empty_file', 'The file is empty');
  const binary = sniffBinary(head);
  if (binary) throw new IntakeFileError('not_a_text_file', binary);

  const notes: string[] = [];
  // UTF-8 is the default, so naming it still lets byte-order marks and declarations speak.
  const asked = opts.encoding && opts.encoding !== 'utf-8' ? opts.encoding : undefined;
  let encoding: string = asked ?? 'utf-8';
  let skip = 0;
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) {
    encoding = 'utf-8';
    skip = 3;
    notes.push('The file starts with a UTF-8 byte-order mark; it was read as UTF-8.');
  } else if (head[0] === 0xff && head[1] === 0xfe) {
    encoding = 'utf-16le';
    skip = 2;
    notes.push('The file is UTF-16 (little-endian, with a byte-order mark); it was read as such.');
  } else if (head[0] === 0xfe && head[1] === 0xff) {
    encoding = 'utf-16be';
    skip = 2;
    notes.push('The file is UTF-16 (big-endian, with a byte-order mark); it was read as such.');
  } else if (!asked) {
    const utf16 = utf16WithoutBom(head);
    const declared = declaredXmlEncoding(head);
    if (utf16) {
      encoding = utf16;
      notes.push(`The file is ${utf16 === 'utf-16le' ? 'UTF-16 little-endian' : 'UTF-16 big-endian'} without a byte-order mark; it was read as such.`);
    } else if (declared) {
      encoding = declared;
      notes.push(`The file declares the ${declared} encoding; it was read as such.`);
    }
  } else {
    notes.push(`The file was read as ${asked}, as asked.`);
  }
  if (head.includes(0) && !encoding.startsWith('utf-16')) {
    throw new IntakeFileError('not_a_text_file', 'The file contains zero bytes, so it is not text: it may be a binary export or UTF-32');
  }

  const decoder = new TextDecoder(encoding === 'latin1' ? 'latin1' : encoding, { fatal: false, ignoreBOM: true });
  async function* text(): AsyncGenerator<string> {
    const first = decoder.decode(head.subarray(skip), { stream: true });
    if (first) yield first;
    if (!done) {
      for (;;) {
        const next = await iterator.next();
        if (next.done) break;
        const chunk = decoder.decode(next.value, { stream: true });
        if (chunk) yield chunk;
      }
    }
    const last = decoder.decode();
    if (last) yield last;
  }
  return { encoding, notes, text: text() };
}

/** A byte count for people: "12.5 MB". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}
