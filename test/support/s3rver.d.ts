// The part of s3rver's (untyped) API that test/support/s3rver-server.ts uses.
declare module 's3rver' {
  import type { AddressInfo } from 'node:net';
  export default class S3rver {
    constructor(options: { address: string; port: number; silent: boolean; directory: string; configureBuckets: { name: string }[] });
    /** Koa's middleware list, composed when the server starts listening. */
    middleware: unknown[];
    run(): Promise<AddressInfo>;
  }
}
