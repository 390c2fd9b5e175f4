// What services take from an upload (a multipart file part), and the checks every upload shares:
// the client's file name (keep its base name), its Content-Type, and no NUL byte in either.
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fail } from './errors.js';
import { charLength } from './fields.js';

const FILE_NAME_MAX = 255;
const CONTENT_TYPE_MAX = 255;

export interface UploadedPart {
  /** Absent for a part that is a file only by its Content-Type (application/octet-stream). */
  filename: string | undefined;
  mimetype: string;
  stream: Readable;
  /**
   * Settles once the rest of the request body has been read: rejects (with a DomainError) when the
   * body turns out malformed or cut short, so that nothing it carried is kept.
   */
  complete: Promise<void>;
}

/** Keeps only the base name of a client path ("/home/alice/docs/a.txt", "C:\\docs\\a.txt" → "a.txt"). */
export function baseName(filename: string): string {
  return path.posix.basename(filename.replace(/\\/g, '/')).trim();
}

/** The part's name and type as stored, or the documented 400 for what cannot be stored. */
export function checkPart(part: UploadedPart): { fileName: string; contentType: string } {
  const fileName = baseName(part.filename ?? '');
  if (fileName === '' || fileName === '.' || fileName === '..') fail('fileNameRequired');
  if (charLength(fileName) > FILE_NAME_MAX) fail('fileNameTooLong', { max: FILE_NAME_MAX });
  if (part.mimetype.length > CONTENT_TYPE_MAX) fail('fileContentTypeTooLong', { max: CONTENT_TYPE_MAX });
  // A NUL byte cannot be stored as text (PostgreSQL refuses it) and names no real file.
  if (fileName.includes('\u0000')) fail('shareFileNulByte', { field: 'file name' });
  if (part.mimetype.includes('\u0000')) fail('shareFileNulByte', { field: "the file part's Content-Type" });
  return { fileName, contentType: part.mimetype || 'application/octet-stream' };
}

/** `restrict-access` header: true/false/1/0; absent means not restricted. */
export function parseRestrictAccess(header: string | string[] | undefined): boolean {
  if (header === undefined) return false;
  const value = (Array.isArray(header) ? header[0] : header)?.trim().toLowerCase();
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0' || value === '') return false;
  return fail('restrictAccessInvalid');
}
