// The one place that reads process.env and the command line. Everything else receives a Config.
import { parseArgs } from 'node:util';
import path from 'node:path';

export interface AppSeed {
  org: string;
  app: string;
  clientId: string;
  clientSecret: string;
  /** The Agora project's App ID and App Certificate: Agora Chat tokens (AccessToken2) built with them are accepted. */
  agora?: AgoraCredentials;
}

export interface AgoraCredentials {
  /** 32 hex characters. */
  appId: string;
  /** 32 hex characters; the HMAC key material of AccessToken2. */
  appCertificate: string;
}

/** SQLite's `synchronous` in WAL mode: `full` syncs every commit, `normal` only at checkpoints. */
export type SqliteSync = 'full' | 'normal';

/**
 * SQLite's file locking: `shared` (other processes may open the database while qunliao runs: the
 * token command, the sqlite3 shell, a backup), or `exclusive` (qunliao keeps the file locked from
 * its first write to its exit: no file locks per statement, faster reads; docs/bench.md).
 */
export type SqliteLocking = 'shared' | 'exclusive';

/** Keep the answers of SQLite reads until a write could change them (src/store/read-cache.ts). */
export type SqliteReadCache = 'on' | 'off';

export type DatabaseConfig =
  | { kind: 'sqlite'; file: string; synchronous?: SqliteSync; locking?: SqliteLocking; readCache?: SqliteReadCache }
  | { kind: 'postgres'; url: string; schema?: string };

/** Where shared-file and attachment bytes live. */
export type BlobsConfig =
  /** Files under <data dir>/blobs (the default). */
  | { kind: 'local' }
  | {
      kind: 's3';
      bucket: string;
      /** Key prefix, empty or ending in "/". */
      prefix: string;
      region: string;
      /** An S3-compatible server (MinIO, Ceph, R2…); unset → AWS S3 of `region`. */
      endpoint?: string;
      /** Bucket in the path (http://host/bucket/key) instead of the host name (http://bucket.host/key). */
      forcePathStyle: boolean;
      /** Unset → the AWS SDK's default credential chain (environment, shared files, instance roles). */
      credentials?: { accessKeyId: string; secretAccessKey: string };
    };

export interface GroupLimits {
  /** Groups one user may belong to (REFERENCE §2h: 600 on the Pro plan). */
  groupsPerUser: number;
  /** Groups per app; 0 = unlimited. */
  groupsPerApp: number;
  /** Highest `maxusers` a group may have. */
  groupMaxUsers: number;
  /** Admins per group (99: owner + admins ≤ 100). */
  groupAdmins: number;
  /** Users per batch member operation (60). */
  memberBatch: number;
  /** Ids per group-details request (100). */
  groupDetailsIds: number;
  /** Members shown per group in details (10,000). */
  detailsMembers: number;
}

export interface ThreadLimits {
  /** Threads per app (100,000). */
  threadsPerApp: number;
  /** Threads one user may join (100,000). */
  threadsPerUser: number;
}

export interface ModerationLimits {
  /** Users per mute / allowlist / blocklist request (60). */
  moderationBatch: number;
}

export interface ChatroomLimits {
  /** Chatrooms one user may be in. */
  chatroomsPerUser: number;
  /** Chatrooms per app; 0 = unlimited. */
  chatroomsPerApp: number;
  /** Highest `maxusers` of a chatroom (10,000). */
  chatroomMaxUsers: number;
}

export interface Limits extends GroupLimits, ThreadLimits, ModerationLimits, ChatroomLimits {
  /** Bytes per group shared file (10 MB). */
  shareFileBytes: number;
  /** Shared files per group (10,000). */
  shareFilesPerGroup: number;
  /** Bytes per message attachment (/chatfiles; REFERENCE §2h: 10 MB). */
  attachmentBytes: number;
  /** Users per batch registration (REFERENCE §2b: 60). */
  registerBatch: number;
}

export const defaultLimits: Limits = {
  registerBatch: 60,
  groupsPerUser: 600,
  groupsPerApp: 0,
  groupMaxUsers: 10_000,
  groupAdmins: 99,
  memberBatch: 60,
  groupDetailsIds: 100,
  detailsMembers: 10_000,
  shareFileBytes: 10 * 1024 * 1024,
  shareFilesPerGroup: 10_000,
  attachmentBytes: 10 * 1024 * 1024,
  threadsPerApp: 100_000,
  threadsPerUser: 100_000,
  moderationBatch: 60,
  chatroomsPerUser: 10_000,
  chatroomsPerApp: 0,
  chatroomMaxUsers: 10_000,
};

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  db: DatabaseConfig;
  apps: AppSeed[];
  rateLimit: 'easemob' | 'off';
  /**
   * Origins whose browser pages may call the API (CORS): '*' any origin, 'off' none (no CORS
   * headers), or a list of origins. Unset → '*', the local stand-in's default.
   */
  cors?: '*' | 'off' | string[];
  /**
   * Redis URL: what several processes behind one load balancer share — rate-limit counters, live
   * delivery to connected devices, presence and kicks (docs/deploy.md). Unset → all in-process.
   */
  redis?: string;
  blobs: BlobsConfig;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /**
   * `full` (default): an acknowledged write survives a power loss or an OS crash. `normal`: it
   * survives a crash of the process, but the last writes may be lost with the machine; faster writes.
   */
  sqliteSync: SqliteSync;
  /** `shared` (default) or `exclusive` (SqliteLocking). */
  sqliteLocking: SqliteLocking;
  /** `on` (default) or `off` (SqliteReadCache). */
  sqliteReadCache: SqliteReadCache;
  /** scrypt cost parameter N for passwords and client secrets (a power of two). */
  scryptCost: number;
  /** Token lifetime in seconds when a token request carries no `ttl` (60 days, as the hosted default for user tokens). */
  defaultTokenTtl: number;
  /**
   * Seconds a message attachment stays downloadable (the hosted default is 7 days); unset → kept
   * until deleted. Later downloads answer 404 file_expired, and the bytes are removed.
   */
  attachmentTtl?: number;
  /**
   * How long after sending a message may be recalled, in seconds (message_recall.md: 2 minutes by
   * default, at most 7 days).
   */
  recallSeconds: number;
  limits: Limits;
}

export class ConfigError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`invalid configuration ${key}: ${message}`);
  }
}

/** Each setting: its environment variable and its command-line flag. */
const settings = {
  port: { env: 'QUNLIAO_PORT', flag: 'port' },
  host: { env: 'QUNLIAO_HOST', flag: 'host' },
  dataDir: { env: 'QUNLIAO_DATA_DIR', flag: 'data-dir' },
  db: { env: 'QUNLIAO_DB', flag: 'db' },
  apps: { env: 'QUNLIAO_APPS', flag: 'apps' },
  rateLimit: { env: 'QUNLIAO_RATE_LIMIT', flag: 'rate-limit' },
  redis: { env: 'QUNLIAO_REDIS', flag: 'redis' },
  cors: { env: 'QUNLIAO_CORS_ORIGINS', flag: 'cors-origins' },
  blobs: { env: 'QUNLIAO_BLOBS', flag: 'blobs' },
  s3Endpoint: { env: 'QUNLIAO_S3_ENDPOINT', flag: 's3-endpoint' },
  s3Region: { env: 'QUNLIAO_S3_REGION', flag: 's3-region' },
  s3AccessKeyId: { env: 'QUNLIAO_S3_ACCESS_KEY_ID', flag: 's3-access-key-id' },
  s3SecretAccessKey: { env: 'QUNLIAO_S3_SECRET_ACCESS_KEY', flag: 's3-secret-access-key' },
  s3ForcePathStyle: { env: 'QUNLIAO_S3_FORCE_PATH_STYLE', flag: 's3-force-path-style' },
  logLevel: { env: 'QUNLIAO_LOG_LEVEL', flag: 'log-level' },
  sqliteSync: { env: 'QUNLIAO_SQLITE_SYNC', flag: 'sqlite-sync' },
  sqliteLocking: { env: 'QUNLIAO_SQLITE_LOCKING', flag: 'sqlite-locking' },
  sqliteReadCache: { env: 'QUNLIAO_SQLITE_READ_CACHE', flag: 'sqlite-read-cache' },
  scryptCost: { env: 'QUNLIAO_SCRYPT_COST', flag: 'scrypt-cost' },
  defaultTokenTtl: { env: 'QUNLIAO_TOKEN_TTL', flag: 'token-ttl' },
  groupsPerUser: { env: 'QUNLIAO_GROUPS_PER_USER', flag: 'groups-per-user' },
  groupsPerApp: { env: 'QUNLIAO_GROUPS_PER_APP', flag: 'groups-per-app' },
  groupMaxUsers: { env: 'QUNLIAO_GROUP_MAX_USERS', flag: 'group-max-users' },
  shareFileBytes: { env: 'QUNLIAO_SHARE_FILE_BYTES', flag: 'share-file-bytes' },
  shareFilesPerGroup: { env: 'QUNLIAO_SHARE_FILES_PER_GROUP', flag: 'share-files-per-group' },
  attachmentBytes: { env: 'QUNLIAO_ATTACHMENT_BYTES', flag: 'attachment-bytes' },
  attachmentTtl: { env: 'QUNLIAO_ATTACHMENT_TTL', flag: 'attachment-ttl' },
  recallSeconds: { env: 'QUNLIAO_RECALL_SECONDS', flag: 'recall-seconds' },
  threadsPerApp: { env: 'QUNLIAO_THREADS_PER_APP', flag: 'threads-per-app' },
  threadsPerUser: { env: 'QUNLIAO_THREADS_PER_USER', flag: 'threads-per-user' },
  chatroomsPerUser: { env: 'QUNLIAO_CHATROOMS_PER_USER', flag: 'chatrooms-per-user' },
  chatroomsPerApp: { env: 'QUNLIAO_CHATROOMS_PER_APP', flag: 'chatrooms-per-app' },
  chatroomMaxUsers: { env: 'QUNLIAO_CHATROOM_MAX_USERS', flag: 'chatroom-max-users' },
} as const;

export type SettingName = keyof typeof settings;

export const defaults = {
  port: 5280,
  host: '127.0.0.1',
  dataDir: './data',
  rateLimit: 'easemob',
  logLevel: 'info',
  sqliteSync: 'full',
  sqliteLocking: 'shared',
  sqliteReadCache: 'on',
  scryptCost: 16384,
  defaultTokenTtl: 60 * 24 * 3600,
  recallSeconds: 120,
  s3Region: 'us-east-1',
} as const;

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const CREDENTIAL = /^[^\s:,]{1,128}$/;

const AGORA_HEX = /^[0-9A-Fa-f]{32}$/;

/** Parses `org#app:client_id:client_secret[:agora_app_id:agora_app_certificate][,…]`. */
export function parseApps(value: string, key: string = settings.apps.env): AppSeed[] {
  const seen = new Set<string>();
  const agoraIds = new Map<string, string>();
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((entry) => {
      const parts = entry.split(':');
      const [appKey, clientId, clientSecret, agoraAppId, agoraCertificate] = parts;
      const [org, app, ...rest] = (appKey ?? '').split('#');
      if ((parts.length !== 3 && parts.length !== 5) || rest.length > 0 || !org || !app || !clientId || !clientSecret) {
        throw new ConfigError(key, `"${entry}" is not org#app:client_id:client_secret[:agora_app_id:agora_app_certificate]`);
      }
      if (!NAME.test(org) || !NAME.test(app)) {
        throw new ConfigError(key, `org and app names are 1..64 of [A-Za-z0-9_.-] in "${entry}"`);
      }
      if (!CREDENTIAL.test(clientId) || !CREDENTIAL.test(clientSecret)) {
        throw new ConfigError(key, `client_id and client_secret are 1..128 characters without spaces, ":" or "," in "${entry}"`);
      }
      if (seen.has(`${org}#${app}`)) throw new ConfigError(key, `app ${org}#${app} is listed twice`);
      seen.add(`${org}#${app}`);
      if (parts.length === 3) return { org, app, clientId, clientSecret };

      if (!AGORA_HEX.test(agoraAppId ?? '') || !AGORA_HEX.test(agoraCertificate ?? '')) {
        throw new ConfigError(key, `the Agora App ID and App Certificate are 32 hex characters each in the entry of ${org}#${app}`);
      }
      // One App ID is one Agora project, whose tokens must name one app.
      const other = agoraIds.get(agoraAppId!.toLowerCase());
      if (other) throw new ConfigError(key, `Agora App ID ${agoraAppId} is given to both ${other} and ${org}#${app}`);
      agoraIds.set(agoraAppId!.toLowerCase(), `${org}#${app}`);
      return { org, app, clientId, clientSecret, agora: { appId: agoraAppId!, appCertificate: agoraCertificate! } };
    });
}

/** `*`, `off`, or origins separated by commas (`https://app.example.com,http://localhost:3000`). */
export function parseCorsOrigins(raw: string, key: string): '*' | 'off' | string[] {
  const value = raw.trim();
  if (value === '*' || value === 'off') return value;
  return value.split(',').map((origin) => {
    const o = origin.trim();
    let url: URL;
    try {
      url = new URL(o);
    } catch {
      throw new ConfigError(key, `"${o}" is not an origin (scheme://host[:port]), "*" or "off"`);
    }
    if (url.origin !== o || !/^https?:$/.test(url.protocol)) throw new ConfigError(key, `"${o}" is not an origin (scheme://host[:port]), "*" or "off"`);
    return o;
  });
}

function integer(key: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw)) throw new ConfigError(key, `"${raw}" is not an integer`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(key, `${n} is outside ${min}..${max}`);
  return n;
}

function oneOf<T extends string>(key: string, raw: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(key, `"${raw}" is not one of ${allowed.join(', ')}`);
  }
  return raw as T;
}

export function databaseFrom(raw: string | undefined, dataDir: string, key: string = settings.db.env): DatabaseConfig {
  if (raw === undefined || raw === '') return { kind: 'sqlite', file: path.join(dataDir, 'qunliao.sqlite') };
  if (/^postgres(ql)?:\/\//.test(raw)) {
    try {
      new URL(raw);
    } catch {
      throw new ConfigError(key, 'is not a valid postgres:// URL');
    }
    return { kind: 'postgres', url: raw };
  }
  if (raw.startsWith('sqlite:')) return { kind: 'sqlite', file: raw.slice('sqlite:'.length) };
  throw new ConfigError(key, `"${raw}" is neither unset (SQLite), sqlite:<file>, nor postgres://…`);
}

// Bucket names as S3 allows them for general-purpose buckets: 3..63 of lowercase letters, digits,
// dots and hyphens, starting and ending with a letter or digit.
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
// Prefix segments of S3's "safe" key characters; no empty, "." or ".." segments.
const PREFIX_SEGMENT = /^[A-Za-z0-9!_.*'()-]+$/;
const S3_TOKEN = /^[^\s]{1,256}$/;

/** Parses `s3://bucket[/prefix]` into the bucket and a key prefix that is empty or ends in "/". */
export function parseS3Url(raw: string, key: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]*)(?:\/(.*))?$/.exec(raw);
  if (!match) throw new ConfigError(key, `"${raw}" is neither unset (the local directory), local, nor s3://bucket[/prefix]`);
  const bucket = match[1]!;
  if (!BUCKET.test(bucket) || bucket.includes('..')) {
    throw new ConfigError(key, `"${bucket}" is not a bucket name (3..63 of a-z, 0-9, "." and "-", starting and ending with a letter or digit)`);
  }
  const keyPath = (match[2] ?? '').replace(/\/+$/, '');
  if (keyPath === '') return { bucket, prefix: '' };
  const segments = keyPath.split('/');
  if (keyPath.length > 512 || segments.some((s) => !PREFIX_SEGMENT.test(s) || s === '.' || s === '..')) {
    throw new ConfigError(key, `"${keyPath}" is not a key prefix (segments of A-Z, a-z, 0-9 and !_.*'()- separated by "/", at most 512 characters)`);
  }
  return { bucket, prefix: `${keyPath}/` };
}

function booleanValue(key: string, raw: string): boolean {
  const v = raw.trim().toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new ConfigError(key, `"${raw}" is not true, false, 1 or 0`);
}

/** Reads the configuration from the environment and command-line flags (flags win). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, argv: string[] = process.argv.slice(2)): Config {
  const options = Object.fromEntries(
    Object.values(settings).map((s) => [s.flag, { type: 'string' as const }]),
  );
  let flags: Record<string, string | undefined>;
  try {
    flags = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as Record<string, string | undefined>;
  } catch (err) {
    throw new ConfigError('command line', (err as Error).message);
  }
  const read = (name: SettingName): { key: string; value: string | undefined } => {
    const s = settings[name];
    if (flags[s.flag] !== undefined) return { key: `--${s.flag}`, value: flags[s.flag] };
    return { key: s.env, value: env[s.env] };
  };
  const value = <T>(name: SettingName, fallback: T, parse: (key: string, raw: string) => T): T => {
    const { key, value: raw } = read(name);
    return raw === undefined || raw === '' ? fallback : parse(key, raw);
  };

  const dataDir = value('dataDir', defaults.dataDir, (_k, raw) => raw);
  const db = read('db');
  const blobs = blobsFrom(read, value);
  const scryptCost = value('scryptCost', defaults.scryptCost, (k, raw) => {
    const n = integer(k, raw, 1024, 1 << 20);
    if ((n & (n - 1)) !== 0) throw new ConfigError(k, `${n} is not a power of two`);
    return n;
  });
  return {
    port: value('port', defaults.port, (k, raw) => integer(k, raw, 0, 65535)),
    host: value('host', defaults.host, (_k, raw) => raw),
    dataDir,
    db: databaseFrom(db.value, dataDir, db.key),
    apps: value('apps', [] as AppSeed[], (k, raw) => parseApps(raw, k)),
    redis: value('redis', undefined as string | undefined, (k, raw) => {
      if (!/^rediss?:\/\/[^\s]+$/.test(raw)) throw new ConfigError(k, `"${raw}" is not a redis:// or rediss:// URL`);
      return raw;
    }),
    cors: value('cors', '*' as Config['cors'], (k, raw) => parseCorsOrigins(raw, k)),
    blobs,
    rateLimit: value('rateLimit', defaults.rateLimit as Config['rateLimit'], (k, raw) => oneOf(k, raw, ['easemob', 'off'] as const)),
    logLevel: value('logLevel', defaults.logLevel as Config['logLevel'], (k, raw) =>
      oneOf(k, raw, ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
    ),
    sqliteSync: value('sqliteSync', defaults.sqliteSync as SqliteSync, (k, raw) => oneOf(k, raw, ['full', 'normal'] as const)),
    sqliteLocking: value('sqliteLocking', defaults.sqliteLocking as SqliteLocking, (k, raw) => oneOf(k, raw, ['shared', 'exclusive'] as const)),
    sqliteReadCache: value('sqliteReadCache', defaults.sqliteReadCache as SqliteReadCache, (k, raw) => oneOf(k, raw, ['on', 'off'] as const)),
    scryptCost,
    defaultTokenTtl: value('defaultTokenTtl', defaults.defaultTokenTtl as number, (k, raw) => integer(k, raw, 1, 100 * 365 * 24 * 3600)),
    recallSeconds: value('recallSeconds', defaults.recallSeconds as number, (k, raw) => integer(k, raw, 1, 7 * 24 * 3600)),
    ...value('attachmentTtl', {} as { attachmentTtl?: number }, (k, raw) => ({ attachmentTtl: integer(k, raw, 1, 100 * 365 * 24 * 3600) })),
    limits: {
      ...defaultLimits,
      groupsPerUser: value('groupsPerUser', defaultLimits.groupsPerUser, (k, raw) => integer(k, raw, 1, 10_000_000)),
      groupsPerApp: value('groupsPerApp', defaultLimits.groupsPerApp, (k, raw) => integer(k, raw, 0, Number.MAX_SAFE_INTEGER)),
      groupMaxUsers: value('groupMaxUsers', defaultLimits.groupMaxUsers, (k, raw) => integer(k, raw, 1, 1_000_000)),
      shareFileBytes: value('shareFileBytes', defaultLimits.shareFileBytes, (k, raw) => integer(k, raw, 1, 1024 * 1024 * 1024)),
      shareFilesPerGroup: value('shareFilesPerGroup', defaultLimits.shareFilesPerGroup, (k, raw) => integer(k, raw, 1, 10_000_000)),
      attachmentBytes: value('attachmentBytes', defaultLimits.attachmentBytes, (k, raw) => integer(k, raw, 1, 1024 * 1024 * 1024)),
      threadsPerApp: value('threadsPerApp', defaultLimits.threadsPerApp, (k, raw) => integer(k, raw, 1, Number.MAX_SAFE_INTEGER)),
      threadsPerUser: value('threadsPerUser', defaultLimits.threadsPerUser, (k, raw) => integer(k, raw, 1, Number.MAX_SAFE_INTEGER)),
      chatroomsPerUser: value('chatroomsPerUser', defaultLimits.chatroomsPerUser, (k, raw) => integer(k, raw, 1, 10_000_000)),
      chatroomsPerApp: value('chatroomsPerApp', defaultLimits.chatroomsPerApp, (k, raw) => integer(k, raw, 0, Number.MAX_SAFE_INTEGER)),
      chatroomMaxUsers: value('chatroomMaxUsers', defaultLimits.chatroomMaxUsers, (k, raw) => integer(k, raw, 1, 1_000_000)),
    },
  };
}

type Reader = (name: SettingName) => { key: string; value: string | undefined };
type ValueReader = <T>(name: SettingName, fallback: T, parse: (key: string, raw: string) => T) => T;

/** QUNLIAO_BLOBS and the QUNLIAO_S3_* settings that only mean something with an s3:// store. */
function blobsFrom(read: Reader, value: ValueReader): BlobsConfig {
  const store = read('blobs');
  const s3Names = ['s3Endpoint', 's3Region', 's3AccessKeyId', 's3SecretAccessKey', 's3ForcePathStyle'] as const;
  if (store.value === undefined || store.value === '' || store.value === 'local') {
    // An S3 setting without an s3:// store is a mistake that would silently keep files on local disk.
    for (const name of s3Names) {
      const s = read(name);
      if (s.value !== undefined && s.value !== '') throw new ConfigError(s.key, `is set but ${store.key} is not an s3:// URL`);
    }
    return { kind: 'local' };
  }
  const { bucket, prefix } = parseS3Url(store.value, store.key);
  const endpoint = value('s3Endpoint', undefined as string | undefined, (k, raw) => {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new ConfigError(k, `"${raw}" is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(k, `"${raw}" is not an http:// or https:// URL`);
    if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
      throw new ConfigError(k, `"${raw}" has a query, a fragment or credentials (set QUNLIAO_S3_ACCESS_KEY_ID and QUNLIAO_S3_SECRET_ACCESS_KEY instead)`);
    }
    return raw;
  });
  const region = value('s3Region', defaults.s3Region as string, (k, raw) => {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(raw)) throw new ConfigError(k, `"${raw}" is not a region name (1..64 of A-Z, a-z, 0-9, "_", "." and "-")`);
    return raw;
  });
  const forcePathStyle = value('s3ForcePathStyle', false, booleanValue);
  const token = (k: string, raw: string) => {
    if (!S3_TOKEN.test(raw)) throw new ConfigError(k, 'is not 1..256 characters without spaces');
    return raw;
  };
  const accessKeyId = value('s3AccessKeyId', undefined as string | undefined, token);
  const secretAccessKey = value('s3SecretAccessKey', undefined as string | undefined, token);
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    const missing = read(accessKeyId === undefined ? 's3AccessKeyId' : 's3SecretAccessKey');
    const given = read(accessKeyId === undefined ? 's3SecretAccessKey' : 's3AccessKeyId');
    throw new ConfigError(missing.key, `is not set but ${given.key} is: give both, or neither for the AWS SDK's default credentials`);
  }
  return {
    kind: 's3',
    bucket,
    prefix,
    region,
    forcePathStyle,
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(accessKeyId === undefined || secretAccessKey === undefined ? {} : { credentials: { accessKeyId, secretAccessKey } }),
  };
}
