/**
 * A small streaming XML reader: enough of XML 1.0 for the DfE returns (elements, attributes,
 * text, CDATA, comments, processing instructions, the predefined and numeric entities). It checks
 * well-formedness as it goes and reports the line of any problem, so a truncated or hand-edited
 * file fails with a message a person can act on. A DOCTYPE (or any other markup declaration) is
 * refused, naming it: the DfE returns have none, and without one no entity can be declared, so
 * nothing is ever fetched or expanded (no XXE, no entity expansion).
 */

/** What the reader reports, in document order. */
export type XmlToken =
  | { kind: 'open'; name: string; attributes: Record<string, string>; line: number; selfClosing: boolean }
  | { kind: 'close'; name: string; line: number }
  | { kind: 'text'; text: string; line: number };

/** The XML is not well formed (or ends early); `line` says where. */
export class XmlSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
    readonly truncated = false,
    /** A stable code for problems other than malformed or truncated XML ('doctype_not_accepted'). */
    readonly code: string | null = null,
  ) {
    super(message);
    this.name = 'XmlSyntaxError';
  }
}

const NAME = /^[A-Za-z_:][\w.:-]*$/;
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(text: string, line: number): string {
  if (!text.includes('&')) return text;
  return text.replace(/&([^;\s&]*);?/g, (whole, name: string) => {
    if (!whole.endsWith(';')) throw new XmlSyntaxError(line, `An "&" is not followed by an entity name and ";" at line ${line} (write &amp; for an ampersand)`);
    if (name in ENTITIES) return ENTITIES[name]!;
    const m = /^#(x[0-9a-fA-F]+|\d+)$/.exec(name);
    if (m?.[1]) {
      const code = m[1].startsWith('x') ? parseInt(m[1].slice(1), 16) : parseInt(m[1], 10);
      // A NUL (&#0;) is decoded so that the record holding it is refused on its own, naming the element.
      if (code >= 0 && code <= 0x10ffff) return String.fromCodePoint(code);
    }
    throw new XmlSyntaxError(line, `Unknown entity "&${name};" at line ${line}`);
  });
}

function parseTag(body: string, line: number): { name: string; attributes: Record<string, string>; selfClosing: boolean } {
  const selfClosing = body.endsWith('/');
  const inner = selfClosing ? body.slice(0, -1) : body;
  const nameMatch = /^([^\s/>]+)/.exec(inner);
  const name = nameMatch?.[1] ?? '';
  if (!NAME.test(name)) throw new XmlSyntaxError(line, `A tag at line ${line} has no valid element name`);
  const attributes: Record<string, string> = {};
  const rest = inner.slice(name.length);
  const attr = /\s+([A-Za-z_:][\w.:-]*)\s*=\s*("([^"]*)"|'([^']*)')/gy;
  let pos = 0;
  for (;;) {
    attr.lastIndex = pos;
    const m = attr.exec(rest);
    if (!m) break;
    attributes[m[1]!] = decodeEntities(m[3] ?? m[4] ?? '', line);
    pos = attr.lastIndex;
  }
  if (rest.slice(pos).trim() !== '') throw new XmlSyntaxError(line, `The <${name}> tag at line ${line} has a malformed attribute`);
  return { name, attributes, selfClosing };
}

function declarationError(rest: string, line: number): XmlSyntaxError {
  if (/^<!DOCTYPE/i.test(rest)) {
    return new XmlSyntaxError(line, `The file has a DOCTYPE declaration at line ${line}: DOCTYPE declarations (and the entities they can declare) are not accepted. Remove the <!DOCTYPE ...> line (a DfE return has none) and send the file again`, false, 'doctype_not_accepted');
  }
  const name = /^<!([A-Za-z]*)/.exec(rest)?.[1] ?? '';
  return new XmlSyntaxError(line, `The file has a markup declaration (<!${name}) at line ${line}: declarations are not accepted, only elements, text, comments and CDATA`, false, 'declaration_not_accepted');
}

/** Reads streamed text into XML tokens, checking that every element is closed in order. */
export async function* readXml(text: AsyncIterable<string>): AsyncGenerator<XmlToken> {
  let buffer = '';
  let line = 1;
  const stack: { name: string; line: number }[] = [];
  let sawRoot = false;

  const advance = (consumed: string) => {
    for (let i = 0; i < consumed.length; i++) if (consumed.charCodeAt(i) === 10) line++;
  };

  function* drain(final: boolean): Generator<XmlToken> {
    let pos = 0;
    for (;;) {
      const lt = buffer.indexOf('<', pos);
      const textEnd = lt < 0 ? (final ? buffer.length : -1) : lt;
      if (textEnd < 0) break; // keep the text until we know where it ends
      if (textEnd > pos) {
        const raw = buffer.slice(pos, textEnd);
        const startLine = line;
        advance(raw);
        if (stack.length > 0) yield { kind: 'text', text: decodeEntities(raw, startLine), line: startLine };
        else if (raw.trim() !== '') throw new XmlSyntaxError(startLine, `Text outside the root element at line ${startLine}`);
        pos = textEnd;
      }
      if (lt < 0) break;
      const rest = buffer.slice(lt, lt + 9);
      if (rest.startsWith('<!') && !rest.startsWith('<!--') && !rest.startsWith('<![CDATA[')) {
        // Wait for enough of the markup to tell a comment or CDATA from a declaration, and to name it.
        if (!final && rest.length < 9) break;
        // At the very end, an unfinished comment or CDATA is left to the truncation check below.
        const unfinished = rest.length < 9 && ['<!--', '<![CDATA['].some((p) => rest.length < p.length && p.startsWith(rest));
        if (!unfinished) throw declarationError(buffer.slice(lt, lt + 40), line);
      }
      let end: number;
      let skipLen: number;
      if (rest.startsWith('<!--')) {
        end = buffer.indexOf('-->', lt + 4);
        skipLen = 3;
      } else if (rest.startsWith('<![CDATA[')) {
        end = buffer.indexOf(']]>', lt + 9);
        skipLen = 3;
      } else if (rest.startsWith('<?')) {
        end = buffer.indexOf('?>', lt + 2);
        skipLen = 2;
      } else {
        end = buffer.indexOf('>', lt + 1);
        skipLen = 1;
      }
      if (end < 0) {
        if (final) throw new XmlSyntaxError(line, `The file ends in the middle of a tag at line ${line}: it may have been cut off`, true);
        break;
      }
      const markup = buffer.slice(lt, end + skipLen);
      const startLine = line;
      advance(markup);
      pos = end + skipLen;
      if (markup.startsWith('<!--') || markup.startsWith('<?')) continue;
      if (markup.startsWith('<![CDATA[')) {
        if (stack.length === 0) throw new XmlSyntaxError(startLine, `CDATA outside the root element at line ${startLine}`);
        yield { kind: 'text', text: markup.slice(9, -3), line: startLine };
        continue;
      }
      if (markup.startsWith('</')) {
        const name = markup.slice(2, -1).trim();
        const open = stack.pop();
        if (!open) throw new XmlSyntaxError(startLine, `</${name}> at line ${startLine} closes an element that was never opened`);
        if (open.name !== name) throw new XmlSyntaxError(startLine, `</${name}> at line ${startLine} does not match <${open.name}> opened at line ${open.line}`);
        yield { kind: 'close', name, line: startLine };
        continue;
      }
      const tag = parseTag(markup.slice(1, -1).replace(/\s+$/, ''), startLine);
      if (stack.length === 0 && sawRoot) throw new XmlSyntaxError(startLine, `A second root element <${tag.name}> at line ${startLine}`);
      sawRoot = true;
      yield { kind: 'open', name: tag.name, attributes: tag.attributes, line: startLine, selfClosing: tag.selfClosing };
      if (tag.selfClosing) yield { kind: 'close', name: tag.name, line: startLine };
      else stack.push({ name: tag.name, line: startLine });
    }
    buffer = buffer.slice(pos);
  }

  for await (const chunk of text) {
    buffer += chunk;
    yield* drain(false);
  }
  yield* drain(true);
  const open = stack[stack.length - 1];
  if (open) throw new XmlSyntaxError(line, `The file ends inside <${open.name}> (opened at line ${open.line}): it may have been cut off`, true);
  if (!sawRoot) throw new XmlSyntaxError(line, 'The file has no XML elements');
}

/** A small element tree, built for one record at a time (a CIN <Child>). */
export interface XmlElement {
  name: string;
  line: number;
  text: string;
  children: XmlElement[];
}

/** The first child element with a name, if any. */
export function child(el: XmlElement | undefined, name: string): XmlElement | undefined {
  return el?.children.find((c) => c.name === name);
}

/** Every child element with a name. */
export function children(el: XmlElement | undefined, name: string): XmlElement[] {
  return el ? el.children.filter((c) => c.name === name) : [];
}

/** The trimmed text of a child element, or null when it is absent or empty. */
export function textOf(el: XmlElement | undefined, name: string): string | null {
  const c = child(el, name);
  const t = c?.text.trim();
  return t ? t : null;
}
