// A multipart/form-data body with one file part `file`, built by hand so that the bytes on the wire
// are exactly known.
import { randomBytes } from 'node:crypto';

export function filePart(filename: string, content: Buffer | string, type = 'application/octet-stream'): { payload: Buffer; contentType: string } {
  const boundary = `----qunliaoTest${randomBytes(8).toString('hex')}`;
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: ${type}\r\n\r\n`;
  const payload = Buffer.concat([Buffer.from(head), typeof content === 'string' ? Buffer.from(content) : content, Buffer.from(`\r\n--${boundary}--\r\n`)]);
  return { payload, contentType: `multipart/form-data; boundary=${boundary}` };
}
