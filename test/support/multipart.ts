// A multipart/form-data body with one file part `file`, built by hand so that the bytes on the wire
// are exactly known.
import { randomBytes } from 'node:crypto';

export function filePart(filename: string, content: Buffer | string, type = 'application/octet-stream'): { payload: Buffer; contentType: string } {
  const boundary = `----qunliaoTest${randomBytes(8).toString('hex')}`;
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: ${type}\r\n\r\n`;
  const payload = Buffer.concat([Buffer.from(head), typeof content === 'string' ? Buffer.from(content) : content, Buffer.from(`\r\n--${boundary}--\r\n`)]);
  return { payload, contentType: `multipart/form-data; boundary=${boundary}` };
}

export interface FormPart {
  /** Form field name. */
  field: string;
  /** The filename of the part's content-disposition; none for a plain field. */
  filename?: string;
  type?: string;
  content: Buffer | string;
}

/** A multipart/form-data body of several parts (files and plain fields), in the order given. */
export function multipartBody(parts: FormPart[]): { payload: Buffer; contentType: string } {
  const boundary = `----qunliaoTest${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${p.field}"`;
    if (p.filename !== undefined) head += `; filename="${p.filename}"`;
    head += '\r\n';
    if (p.type) head += `Content-Type: ${p.type}\r\n`;
    chunks.push(Buffer.from(`${head}\r\n`), typeof p.content === 'string' ? Buffer.from(p.content) : p.content, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}
