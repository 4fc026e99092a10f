/**
 * A minimal multipart/form-data reader for the upload form (no multipart package is installed).
 * It reads a body already held in memory within the intake size limit: text fields become strings,
 * file fields keep their bytes and file name.
 */

/** One uploaded file. */
export interface UploadedFile {
  fileName: string;
  data: Buffer;
}

/** The fields of a multipart body. */
export interface MultipartBody {
  fields: Record<string, string>;
  files: Record<string, UploadedFile[]>;
}

/** The boundary named by a multipart content type, or null. */
export function boundaryOf(contentType: string | undefined): string | null {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? '');
  return m ? (m[1] ?? m[2] ?? null) : null;
}

/** Splits a multipart body into fields and files; throws when it is not well formed. */
export function parseMultipart(body: Buffer, boundary: string): MultipartBody {
  const delimiter = Buffer.from(`--${boundary}`);
  const out: MultipartBody = { fields: {}, files: {} };
  let pos = body.indexOf(delimiter);
  if (pos < 0) throw new Error('The form data has no parts');
  for (;;) {
    pos += delimiter.length;
    if (body.subarray(pos, pos + 2).toString() === '--') return out;
    if (body.subarray(pos, pos + 2).toString() === '\r\n') pos += 2;
    const headerEnd = body.indexOf('\r\n\r\n', pos);
    if (headerEnd < 0) throw new Error('The form data ends inside a part header: the upload may have been cut off');
    const headers = body.subarray(pos, headerEnd).toString('utf8');
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd + 4);
    if (next < 0) throw new Error('The form data ends inside a part: the upload may have been cut off');
    const data = body.subarray(headerEnd + 4, next);
    const disposition = /content-disposition:\s*form-data;([^\r\n]*)/i.exec(headers)?.[1] ?? '';
    const name = /\bname="([^"]*)"/i.exec(disposition)?.[1];
    const fileName = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
    if (name !== undefined) {
      if (fileName !== undefined) {
        // An empty file input still sends a part, with no name and no bytes.
        if (fileName !== '' || data.length > 0) (out.files[name] ??= []).push({ fileName: fileName.replace(/^.*[\\/]/, ''), data: Buffer.from(data) });
      } else {
        out.fields[name] = data.toString('utf8');
      }
    }
    pos = next + 2;
  }
}
