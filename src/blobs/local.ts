// Blobs as files under <data dir>/blobs. Bytes are written to a temporary file and renamed into
// place only when complete, so a reader never sees half a file and a crash leaves at most a
// temporary file (removed at the next start).
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { byteLimit, type BlobStore } from './index.js';

const KEY = /^[A-Za-z0-9-]{1,64}$/;

export class LocalBlobStore implements BlobStore {
  private readonly blobDir: string;
  private readonly tmpDir: string;

  constructor(root: string) {
    this.blobDir = path.join(root, 'blobs');
    this.tmpDir = path.join(root, 'blobs-tmp');
    fs.mkdirSync(this.blobDir, { recursive: true });
    fs.mkdirSync(this.tmpDir, { recursive: true });
  }

  /**
   * Removes temporary files older than `before` (ms): they were being written when a process
   * stopped. Newer ones may be another process's upload in progress.
   */
  async removeStaleTemporaries(before: number): Promise<void> {
    for (const name of await fsp.readdir(this.tmpDir)) {
      const file = path.join(this.tmpDir, name);
      const stat = await fsp.stat(file).catch(() => undefined);
      if (stat && stat.mtimeMs < before) await fsp.rm(file, { force: true });
    }
  }

  private file(key: string): string {
    if (!KEY.test(key)) throw new Error(`invalid blob key ${key}`);
    return path.join(this.blobDir, key);
  }

  async put(key: string, source: Readable, maxBytes: number): Promise<number> {
    const target = this.file(key);
    const tmp = path.join(this.tmpDir, `${key}.${randomUUID()}`);
    const { counter, size } = byteLimit(maxBytes);
    // pipeline() never settles for a source destroyed after its last push but before its 'end'
    // (a multipart part cut short by the end of the body): refuse such a source outright.
    if (source.destroyed) throw new Error('the blob source was closed before it was read');
    const out = fs.createWriteStream(tmp, { flags: 'wx' });
    try {
      await pipeline(source, counter, out);
      const handle = await fsp.open(tmp, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fsp.rename(tmp, target);
      return size();
    } catch (err) {
      // The file may still be opening when an early error destroys the stream: wait for it to
      // close, or the removal could run before the file exists.
      if (!out.closed) await new Promise<void>((resolve) => out.once('close', () => resolve()));
      await fsp.rm(tmp, { force: true });
      throw err;
    }
  }

  async get(key: string): Promise<Readable | undefined> {
    const file = this.file(key);
    try {
      const handle = await fsp.open(file, 'r');
      return handle.createReadStream();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async delete(keys: string[]): Promise<void> {
    await Promise.all(keys.map((key) => fsp.rm(this.file(key), { force: true })));
  }

  async *keysOlderThan(before: number): AsyncIterable<string> {
    const dir = await fsp.opendir(this.blobDir);
    for await (const entry of dir) {
      if (!entry.isFile() || !KEY.test(entry.name)) continue;
      const stat = await fsp.stat(path.join(this.blobDir, entry.name)).catch(() => undefined);
      if (stat && stat.mtimeMs < before) yield entry.name;
    }
  }
}
