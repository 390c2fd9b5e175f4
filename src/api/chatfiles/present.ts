// Wire shapes of /chatfiles answers (docs/rest message_upload_file.md; what the SDKs read:
// client-protocol REST.md "Attachments / upload", the Java SDK's UploadFileResponse).
import type { FastifyRequest } from 'fastify';
import type { Chatfile } from '../../services/chatfiles.js';
import type { PartUploadStart } from '../../services/chatfile-parts.js';

/** `entities[0]` of an upload: the web SDK reads `uuid`, `share-secret` and the optional `file-metadata`. */
export function chatfileEntity(file: Chatfile): Record<string, unknown> {
  return {
    uuid: file.uuid,
    type: 'chatfile',
    'share-secret': file.shareSecret,
    'file-metadata': { 'content-type': file.contentType, 'content-length': file.size },
  };
}

/**
 * The `uri` of an upload answer: the Java SDK makes the file's URL as `uri + "/" + uuid`, so it is
 * the /chatfiles URL whichever upload path answered (a completed part upload too).
 */
export function chatfilesUri(req: FastifyRequest): string {
  return `${req.protocol}://${req.host}/${req.chatApp.org_name}/${req.chatApp.app_name}/chatfiles`;
}

/** `entities[0]` of POST /sdk/chatfiles/part-upload, as the web SDK reads it. */
export function partUploadEntity(start: PartUploadStart): Record<string, unknown> {
  return { uuid: start.uuid, file_upper_limit: start.fileUpperLimit, part_lower_limit: start.partLowerLimit };
}

export function partEntity(part: { partNumber: number; size: number }): Record<string, unknown> {
  return { part_number: part.partNumber, part_size: part.size };
}
