/** Line splitting over streamed text, keeping line numbers and whether the last line was finished. */

/** One line of a text file. */
export interface Line {
  number: number;
  text: string;
  /** False only for a last line with no line break after it (possibly cut off). */
  terminated: boolean;
}

/** Splits streamed text into lines (LF or CRLF), numbered from 1. */
export async function* readLines(text: AsyncIterable<string>): AsyncGenerator<Line> {
  let buffer = '';
  let number = 0;
  for await (const chunk of text) {
    buffer += chunk;
    let start = 0;
    for (;;) {
      const nl = buffer.indexOf('\n', start);
      if (nl < 0) break;
      const end = nl > start && buffer.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      yield { number: ++number, text: buffer.slice(start, end), terminated: true };
      start = nl + 1;
    }
    buffer = buffer.slice(start);
  }
  if (buffer.length > 0) yield { number: ++number, text: buffer.endsWith('\r') ? buffer.slice(0, -1) : buffer, terminated: false };
}
