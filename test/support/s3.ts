// s3rver for the S3 suites: started by the test file itself, in its own child process (so that its
// memory is not counted as qunliao's), on a free port, over a fresh temp directory; removed with
// the directory on stop. Also: a plain S3 client on it to read back what qunliao left in the
// bucket, and the on-disk view of s3rver's multipart uploads to check that aborted ones are gone.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  S3Client,
  UploadPartCommand,
  paginateListObjectsV2,
} from '@aws-sdk/client-s3';
import type { BlobsConfig } from '../../src/config.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** The only credentials s3rver accepts. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface S3rver {
  endpoint: string;
  bucket: string;
  /** s3rver's storage directory. */
  dir: string;
  client: S3Client;
  /** The blob configuration of a store under `prefix` ("" or ending in "/"), credentials included. */
  blobs(prefix: string): Extract<BlobsConfig, { kind: 's3' }>;
  /** A fresh prefix, so that suites sharing one server do not see each other's objects. */
  freshPrefix(): string;
  /** Keys of the objects under `prefix`, sorted. */
  objectKeys(prefix: string): Promise<string[]>;
  /** Multipart uploads in progress under `prefix`, as S3 lists them. */
  pendingUploads(prefix: string): Promise<{ key: string; uploadId: string }[]>;
  /** Ids of the multipart uploads under `prefix` that s3rver holds on disk: what an abort must have removed. */
  uploadsOnDisk(prefix: string): string[];
  /** Begins a multipart upload of `key` and uploads one part, then leaves it, as a stopped process would. */
  leaveMultipartUpload(key: string): Promise<string>;
  /** Sets an object's modification time (s3rver reports it as LastModified). */
  setLastModified(key: string, when: Date): void;
  /** Sets when a multipart upload began and when its parts arrived (s3rver's files' mtimes). */
  setUploadTimes(uploadId: string, when: Date): void;
  stop(): Promise<void>;
}

export async function startS3rver(bucket = 'qunliao-test'): Promise<S3rver> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qunliao-s3rver-'));
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/support/s3rver-server.ts'), dir, bucket], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`s3rver did not start:\n${output}`)), 30_000);
    child.stderr!.on('data', (d) => (output += d));
    child.stdout!.on('data', (d) => {
      output += d;
      const line = /\{"port":(\d+)\}/.exec(output);
      if (line) {
        clearTimeout(timer);
        resolve(Number(line[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`s3rver exited with ${code}:\n${output}`));
    });
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: S3RVER_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const uploadsDir = path.join(dir, bucket, '._S3rver_uploads');
  const objectFile = (key: string) => path.join(dir, bucket, `${key}._S3rver_object`);

  const server: S3rver = {
    endpoint,
    bucket,
    dir,
    client,
    blobs: (prefix) => ({ kind: 's3', bucket, prefix, region: 'us-east-1', endpoint, forcePathStyle: true, credentials: { ...S3RVER_CREDENTIALS } }),
    freshPrefix: () => `t-${randomBytes(4).toString('hex')}/`,
    async objectKeys(prefix) {
      const keys: string[] = [];
      for await (const page of paginateListObjectsV2({ client }, { Bucket: bucket, Prefix: prefix })) {
        for (const o of page.Contents ?? []) keys.push(o.Key!);
      }
      return keys.sort();
    },
    async pendingUploads(prefix) {
      const res = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
      return (res.Uploads ?? []).map((u) => ({ key: u.Key!, uploadId: u.UploadId! }));
    },
    // A directory without its `key` file is a part that arrived after its upload was aborted:
    // counted under every prefix, since it is a leftover whoever made it.
    uploadsOnDisk: (prefix) =>
      (fs.existsSync(uploadsDir) ? fs.readdirSync(uploadsDir) : [])
        .filter((id) => {
          const keyFile = path.join(uploadsDir, id, 'key');
          return !fs.existsSync(keyFile) || fs.readFileSync(keyFile, 'utf8').startsWith(prefix);
        })
        .sort(),
    async leaveMultipartUpload(key) {
      const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
      await client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, Body: randomBytes(1024) }));
      return UploadId!;
    },
    setLastModified(key, when) {
      fs.utimesSync(objectFile(key), when, when);
    },
    setUploadTimes(uploadId, when) {
      const upload = path.join(uploadsDir, uploadId);
      for (const name of fs.readdirSync(upload)) fs.utimesSync(path.join(upload, name), when, when);
    },
    async stop() {
      client.destroy();
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.stdin!.end();
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}
