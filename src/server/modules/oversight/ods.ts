import { strToU8, zipSync } from 'fflate';

/**
 * An OpenDocument spreadsheet (.ods) of one table, for the dashboards' tables beside their CSV: the same
 * rows and the same shown text (a withheld count stays "[c]"). A figure as shown ("1,234", "12.5") is a
 * number cell carrying its value and its shown text; anything else is a text cell, which a spreadsheet
 * never runs as a formula. The zip holds `mimetype` first and stored, then the manifest and the content.
 */

export const ODS_MIME = 'application/vnd.oasis.opendocument.spreadsheet';

const FIGURE = /^-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$/;

/** XML-escapes text for element content and attribute values; drops characters XML 1.0 cannot carry. */
export function xmlEscape(raw: string): string {
  return raw
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function cell(raw: string): string {
  const text = xmlEscape(raw);
  if (raw === '') return '<table:table-cell/>';
  if (FIGURE.test(raw)) return `<table:table-cell office:value-type="float" office:value="${raw.replace(/,/g, '')}"><text:p>${text}</text:p></table:table-cell>`;
  return `<table:table-cell office:value-type="string"><text:p>${text}</text:p></table:table-cell>`;
}

/** content.xml: one sheet named `sheet`, one table row per row. */
export function odsContent(sheet: string, rows: readonly (readonly string[])[]): string {
  const body = rows.map((r) => `<table:table-row>${r.map(cell).join('')}</table:table-row>`).join('');
  return '<?xml version="1.0" encoding="UTF-8"?>'
    + '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
    + ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
    + `<office:body><office:spreadsheet><table:table table:name="${xmlEscape(sheet)}">${body}</table:table></office:spreadsheet></office:body></office:document-content>`;
}

const MANIFEST = '<?xml version="1.0" encoding="UTF-8"?>'
  + '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
  + `<manifest:file-entry manifest:full-path="/" manifest:version="1.2" manifest:media-type="${ODS_MIME}"/>`
  + '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
  + '</manifest:manifest>';

/** The .ods file of one table. A sheet name may not hold []*?:/\ and is at most 31 characters. */
export function toOds(sheet: string, rows: readonly (readonly string[])[]): Buffer {
  const name = sheet.replace(/[[\]*?:/\\']/g, ' ').trim().slice(0, 31) || 'Table';
  const zip = zipSync({
    mimetype: [strToU8(ODS_MIME), { level: 0 }],
    'META-INF/manifest.xml': strToU8(MANIFEST),
    'content.xml': strToU8(odsContent(name, rows)),
  });
  return Buffer.from(zip);
}
