// Chooses the blob store from the configuration: the local directory unless QUNLIAO_BLOBS names
// an s3:// bucket.
import path from 'node:path';
import type { Config } from '../config.js';
import type { BlobStore } from './index.js';
import { LocalBlobStore } from './local.js';
import { S3BlobStore } from './s3.js';

export function openBlobStore(config: Pick<Config, 'blobs' | 'dataDir'>): BlobStore {
  if (config.blobs.kind === 's3') return new S3BlobStore(config.blobs, path.join(config.dataDir, 's3-parts'));
  return new LocalBlobStore(config.dataDir);
}
