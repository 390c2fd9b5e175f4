// Image thumbnails for message attachments (docs/rest message_upload_file.md: the server makes one
// for every uploaded image over 10 KB, fitting thumbnail-width × thumbnail-height, 170 × 170 by
// default; message_download_thumbnail.md serves it for `thumbnail: true`). Made with sharp
// (libvips) from a copy of the image on local disk, one at a time per process, so that a thumbnail
// never holds the whole file in memory (sharp reads a stream input into one buffer).
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import sharp from 'sharp';

// libvips would otherwise keep recent images (up to 50 MB) in its operation cache.
sharp.cache(false);

/** The image formats qunliao makes thumbnails of, told by their first bytes. */
export type ImageFormat = 'jpeg' | 'png' | 'gif' | 'webp' | 'tiff';

/** Bytes of the file's start that `sniffImage` needs. */
export const SNIFF_BYTES = 12;

export function sniffImage(head: Buffer): ImageFormat | undefined {
  const at = (offset: number, text: string) => head.subarray(offset, offset + text.length).equals(Buffer.from(text, 'latin1'));
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if (at(0, '\x89PNG\r\n\x1a\n')) return 'png';
  if (at(0, 'GIF87a') || at(0, 'GIF89a')) return 'gif';
  if (at(0, 'RIFF') && at(8, 'WEBP')) return 'webp';
  if (at(0, 'II*\0') || at(0, 'MM\0*')) return 'tiff';
  return undefined;
}

export interface ThumbnailSize {
  width: number;
  height: number;
}

/** The hosted default (message_upload_file.md). */
export const DEFAULT_THUMBNAIL_SIDE = 170;
/** The largest side a client may ask for; larger or malformed sizes get the default. */
export const MAX_THUMBNAIL_SIDE = 4096;
/** Images up to this size are their own thumbnail (message_upload_file.md: "10 KB or smaller"). */
export const OWN_THUMBNAIL_BYTES = 10 * 1024;
/** Images of more pixels than this are not decoded (a small file can declare a huge canvas). */
const MAX_INPUT_PIXELS = 50_000_000;

/** A side as a client sent it (header, query or form field): a positive integer up to MAX_THUMBNAIL_SIDE, else the default. */
export function thumbnailSide(raw: string | string[] | undefined): number {
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  if (value === undefined || !/^\d{1,5}$/.test(value)) return DEFAULT_THUMBNAIL_SIDE;
  const n = Number(value);
  return n >= 1 && n <= MAX_THUMBNAIL_SIDE ? n : DEFAULT_THUMBNAIL_SIDE;
}

export interface Thumbnail {
  bytes: Buffer;
  contentType: string;
}

/** JPEG, PNG and WebP keep their format; a GIF's first frame becomes a PNG, a TIFF a JPEG. */
const OUTPUT: Record<ImageFormat, 'jpeg' | 'png' | 'webp'> = { jpeg: 'jpeg', png: 'png', webp: 'webp', gif: 'png', tiff: 'jpeg' };

export class Thumbnailer {
  private queue: Promise<unknown> = Promise.resolve();

  /** `scratchDir`: where the image is copied to while its thumbnail is made. */
  constructor(private readonly scratchDir: string) {
    fs.mkdirSync(scratchDir, { recursive: true });
  }

  /**
   * The image in `source` downscaled to fit `size` (never enlarged, turned upright from its EXIF
   * orientation), or undefined when libvips cannot read it as `format`.
   */
  make(source: Readable, format: ImageFormat, size: ThumbnailSize): Promise<Thumbnail | undefined> {
    const job = this.queue.then(() => this.run(source, format, size));
    this.queue = job.catch(() => undefined);
    return job;
  }

  /** Removes copies older than `before` (ms) left by a process that stopped while making a thumbnail. */
  async removeStaleCopies(before: number): Promise<void> {
    for (const name of await fsp.readdir(this.scratchDir)) {
      const file = path.join(this.scratchDir, name);
      const stat = await fsp.stat(file).catch(() => undefined);
      if (stat && stat.mtimeMs < before) await fsp.rm(file, { force: true });
    }
  }

  private async run(source: Readable, format: ImageFormat, size: ThumbnailSize): Promise<Thumbnail | undefined> {
    const copy = path.join(this.scratchDir, randomUUID());
    try {
      await pipeline(source, fs.createWriteStream(copy, { flags: 'wx' }));
      const output = OUTPUT[format];
      const bytes = await sharp(copy, { limitInputPixels: MAX_INPUT_PIXELS, sequentialRead: true, failOn: 'error', animated: false })
        .rotate()
        .resize({ width: size.width, height: size.height, fit: 'inside', withoutEnlargement: true })
        .toFormat(output)
        .toBuffer();
      return { bytes, contentType: `image/${output}` };
    } catch {
      // Not an image libvips reads (or truncated, or too many pixels): the file has no thumbnail.
      return undefined;
    } finally {
      source.destroy();
      await fsp.rm(copy, { force: true });
    }
  }
}
