// The start-up sweep of the blob store. Every kind of record that keeps bytes there (group shared
// files, message attachments with their thumbnails and part uploads) is an owner: a blob none of
// them holds, and that is older than the cut-off, was left by a crash between writing the bytes
// and writing the row, and is removed. Recent ones may belong to another process's upload in
// progress. One sweep asks every owner, so that no kind removes another kind's bytes.
import type { BlobStore } from '../blobs/index.js';

export interface BlobOwner {
  /** Which of `keys` this owner still has a row for. */
  existing(keys: string[]): Promise<Set<string>>;
}

/** Keys asked of the owners at a time. */
const BATCH = 500;

/** Removes partial writes and blobs older than `before` (ms) that no owner holds; answers how many blobs went. */
export async function removeOrphanBlobs(blobs: BlobStore, owners: BlobOwner[], before: number): Promise<number> {
  await blobs.removeStaleTemporaries(before);
  let removed = 0;
  let batch: string[] = [];
  const flush = async () => {
    const held = await Promise.all(owners.map((o) => o.existing(batch)));
    const orphans = batch.filter((k) => !held.some((keys) => keys.has(k)));
    await blobs.delete(orphans);
    removed += orphans.length;
    batch = [];
  };
  for await (const key of blobs.keysOlderThan(before)) {
    batch.push(key);
    if (batch.length >= BATCH) await flush();
  }
  if (batch.length > 0) await flush();
  return removed;
}

/** What start-up and the periodic sweep run. */
export class BlobSweep {
  constructor(
    private readonly blobs: BlobStore,
    private readonly owners: BlobOwner[],
    /** Removals of records past their lifetime (expired attachments, abandoned part uploads, stale scratch copies). */
    private readonly expirers: (() => Promise<unknown>)[],
  ) {}

  /** At start: blobs no owner holds, older than `before` (ms). */
  removeOrphans(before: number): Promise<number> {
    return removeOrphanBlobs(this.blobs, this.owners, before);
  }

  /** At start and every hour: what has outlived its lifetime, bytes included. */
  async removeExpired(): Promise<void> {
    for (const expire of this.expirers) await expire();
  }
}
