import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseApps } from '../../src/config.js';

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({}, []);
    expect(c).toMatchObject({ port: 5280, host: '127.0.0.1', dataDir: './data', rateLimit: 'easemob', apps: [] });
    expect(c.db).toEqual({ kind: 'sqlite', file: 'data/qunliao.sqlite' });
  });

  it('reads the environment, and flags win over it', () => {
    const c = loadConfig(
      { QUNLIAO_PORT: '6000', QUNLIAO_HOST: '0.0.0.0', QUNLIAO_DATA_DIR: '/tmp/q', QUNLIAO_RATE_LIMIT: 'off', QUNLIAO_DB: 'postgres://u@h:5432/db' },
      ['--port', '7000'],
    );
    expect(c).toMatchObject({ port: 7000, host: '0.0.0.0', dataDir: '/tmp/q', rateLimit: 'off' });
    expect(c.db).toEqual({ kind: 'postgres', url: 'postgres://u@h:5432/db' });
    expect(loadConfig({ QUNLIAO_DATA_DIR: '/srv/q' }, []).db).toEqual({ kind: 'sqlite', file: '/srv/q/qunliao.sqlite' });
    expect(loadConfig({ QUNLIAO_REDIS: 'redis://127.0.0.1:6379/2' }, []).redis).toBe('redis://127.0.0.1:6379/2');
    expect(loadConfig({}, []).redis).toBeUndefined();
  });

  it('reads the CORS origins: any by default, none, or a list', () => {
    expect(loadConfig({}, []).cors).toBe('*');
    expect(loadConfig({ QUNLIAO_CORS_ORIGINS: 'off' }, []).cors).toBe('off');
    expect(loadConfig({}, ['--cors-origins', 'https://a.example.com, http://localhost:3000']).cors).toEqual(['https://a.example.com', 'http://localhost:3000']);
    for (const bad of ['a.example.com', 'https://a.example.com/path', 'ftp://x.example']) {
      expect(() => loadConfig({ QUNLIAO_CORS_ORIGINS: bad }, []), bad).toThrow(/QUNLIAO_CORS_ORIGINS/);
    }
  });

  it.each([
    [{ QUNLIAO_PORT: 'eighty' }, 'QUNLIAO_PORT'],
    [{ QUNLIAO_PORT: '70000' }, 'QUNLIAO_PORT'],
    [{ QUNLIAO_RATE_LIMIT: 'sometimes' }, 'QUNLIAO_RATE_LIMIT'],
    [{ QUNLIAO_DB: 'mysql://x' }, 'QUNLIAO_DB'],
    [{ QUNLIAO_APPS: 'org-app:id:secret' }, 'QUNLIAO_APPS'],
    [{ QUNLIAO_SCRYPT_COST: '3000' }, 'QUNLIAO_SCRYPT_COST'],
    [{ QUNLIAO_LOG_LEVEL: 'loud' }, 'QUNLIAO_LOG_LEVEL'],
    [{ QUNLIAO_REDIS: 'localhost:6379' }, 'QUNLIAO_REDIS'],
  ])('refuses %j naming %s', (env, key) => {
    expect(() => loadConfig(env, [])).toThrow(ConfigError);
    expect(() => loadConfig(env, [])).toThrow(key);
  });

  it('reads the recall window: 120 s by default, 1 s to 7 days', () => {
    expect(loadConfig({}, []).recallSeconds).toBe(120);
    expect(loadConfig({ QUNLIAO_RECALL_SECONDS: '604800' }, []).recallSeconds).toBe(604800);
    expect(loadConfig({ QUNLIAO_RECALL_SECONDS: '60' }, ['--recall-seconds', '30']).recallSeconds).toBe(30);
    for (const bad of ['0', '604801', 'two', '1.5']) {
      expect(() => loadConfig({ QUNLIAO_RECALL_SECONDS: bad }, []), bad).toThrow(/QUNLIAO_RECALL_SECONDS/);
    }
  });

  it('names the flag when a flag is wrong', () => {
    expect(() => loadConfig({}, ['--port', 'x'])).toThrow('--port');
    expect(() => loadConfig({}, ['--bogus'])).toThrow(ConfigError);
  });

  it('syncs SQLite commits fully unless QUNLIAO_SQLITE_SYNC / --sqlite-sync says normal, and locks the file only per statement unless QUNLIAO_SQLITE_LOCKING says exclusive, and keeps read answers unless QUNLIAO_SQLITE_READ_CACHE says off', () => {
    expect(loadConfig({}, []).sqliteSync).toBe('full');
    expect(loadConfig({ QUNLIAO_SQLITE_SYNC: 'normal' }, []).sqliteSync).toBe('normal');
    expect(loadConfig({ QUNLIAO_SQLITE_SYNC: 'full' }, []).sqliteSync).toBe('full');
    expect(loadConfig({ QUNLIAO_SQLITE_SYNC: 'normal' }, ['--sqlite-sync', 'full']).sqliteSync).toBe('full');
    expect(loadConfig({}, ['--sqlite-sync', 'normal']).sqliteSync).toBe('normal');
    expect(loadConfig({}, []).sqliteLocking).toBe('shared');
    expect(loadConfig({ QUNLIAO_SQLITE_LOCKING: 'exclusive' }, []).sqliteLocking).toBe('exclusive');
    expect(loadConfig({ QUNLIAO_SQLITE_LOCKING: 'exclusive' }, ['--sqlite-locking', 'shared']).sqliteLocking).toBe('shared');
    expect(() => loadConfig({ QUNLIAO_SQLITE_LOCKING: 'none' }, [])).toThrow(/QUNLIAO_SQLITE_LOCKING/);
    expect(loadConfig({}, []).sqliteReadCache).toBe('on');
    expect(loadConfig({ QUNLIAO_SQLITE_READ_CACHE: 'off' }, []).sqliteReadCache).toBe('off');
    expect(loadConfig({ QUNLIAO_SQLITE_READ_CACHE: 'off' }, ['--sqlite-read-cache', 'on']).sqliteReadCache).toBe('on');
    expect(() => loadConfig({ QUNLIAO_SQLITE_READ_CACHE: 'yes' }, [])).toThrow(/QUNLIAO_SQLITE_READ_CACHE/);
    expect(() => loadConfig({ QUNLIAO_SQLITE_SYNC: 'off' }, [])).toThrow(ConfigError);
    expect(() => loadConfig({ QUNLIAO_SQLITE_SYNC: 'FULL' }, [])).toThrow('QUNLIAO_SQLITE_SYNC');
    expect(() => loadConfig({}, ['--sqlite-sync', 'extra'])).toThrow('--sqlite-sync');
  });
});

describe('blob store settings', () => {
  it('keeps bytes in the local directory unless QUNLIAO_BLOBS names a bucket', () => {
    expect(loadConfig({}, []).blobs).toEqual({ kind: 'local' });
    expect(loadConfig({ QUNLIAO_BLOBS: '' }, []).blobs).toEqual({ kind: 'local' });
    expect(loadConfig({ QUNLIAO_BLOBS: 'local' }, []).blobs).toEqual({ kind: 'local' });
  });

  it('reads s3://bucket[/prefix] with the defaults: region us-east-1, virtual-hosted style, the SDK credential chain', () => {
    expect(loadConfig({ QUNLIAO_BLOBS: 's3://my-bucket' }, []).blobs).toEqual({ kind: 's3', bucket: 'my-bucket', prefix: '', region: 'us-east-1', forcePathStyle: false });
    expect(loadConfig({ QUNLIAO_BLOBS: 's3://my-bucket/' }, []).blobs).toMatchObject({ prefix: '' });
    expect(loadConfig({ QUNLIAO_BLOBS: 's3://my.bucket-1/qunliao/prod/' }, []).blobs).toMatchObject({ bucket: 'my.bucket-1', prefix: 'qunliao/prod/' });
    expect(loadConfig({ QUNLIAO_BLOBS: 's3://b12/files' }, []).blobs).toMatchObject({ bucket: 'b12', prefix: 'files/' });
  });

  it('reads every S3 setting from the environment, and flags win', () => {
    const env = {
      QUNLIAO_BLOBS: 's3://env-bucket/env',
      QUNLIAO_S3_ENDPOINT: 'http://127.0.0.1:9000',
      QUNLIAO_S3_REGION: 'eu-west-3',
      QUNLIAO_S3_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      QUNLIAO_S3_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
      QUNLIAO_S3_FORCE_PATH_STYLE: 'true',
    };
    expect(loadConfig(env, []).blobs).toEqual({
      kind: 's3',
      bucket: 'env-bucket',
      prefix: 'env/',
      endpoint: 'http://127.0.0.1:9000',
      region: 'eu-west-3',
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
    });
    const flags = [
      '--blobs', 's3://flag-bucket/p',
      '--s3-endpoint', 'https://account.r2.cloudflarestorage.com',
      '--s3-region', 'auto',
      '--s3-access-key-id', 'id2',
      '--s3-secret-access-key', 'secret2',
      '--s3-force-path-style', '0',
    ];
    expect(loadConfig(env, flags).blobs).toEqual({
      kind: 's3',
      bucket: 'flag-bucket',
      prefix: 'p/',
      endpoint: 'https://account.r2.cloudflarestorage.com',
      region: 'auto',
      forcePathStyle: false,
      credentials: { accessKeyId: 'id2', secretAccessKey: 'secret2' },
    });
    expect(loadConfig({ QUNLIAO_BLOBS: 's3://b12', QUNLIAO_S3_FORCE_PATH_STYLE: '1' }, []).blobs).toMatchObject({ forcePathStyle: true });
    expect(loadConfig({ QUNLIAO_BLOBS: 's3://b12', QUNLIAO_S3_FORCE_PATH_STYLE: 'FALSE' }, []).blobs).toMatchObject({ forcePathStyle: false });
  });

  it.each([
    [{ QUNLIAO_BLOBS: 'minio://bucket' }, 'QUNLIAO_BLOBS'],
    [{ QUNLIAO_BLOBS: '/srv/blobs' }, 'QUNLIAO_BLOBS'],
    [{ QUNLIAO_BLOBS: 's3://' }, 'QUNLIAO_BLOBS'],
    [{ QUNLIAO_BLOBS: 's3://ab' }, 'QUNLIAO_BLOBS'],
    [{ QUNLIAO_BLOBS: 's3://My_Bucket' }, 'QUNLIAO_BLOBS'],
    [{ QUNLIAO_BLOBS: 's3://bucket-' }, 'QUNLIAO_BLOBS'],
    [{ QUNLIAO_BLOBS: 's3://a..b' }, 'QUNLIAO_BLOBS'],
    [{ QUNLIAO_BLOBS: 's3://bucket//x' }, 'QUNLIAO_BLOBS'],
    [{ QUNLIAO_BLOBS: 's3://bucket/a/../b' }, 'QUNLIAO_BLOBS'],
    [{ QUNLIAO_BLOBS: 's3://bucket/with space' }, 'QUNLIAO_BLOBS'],
    [{ QUNLIAO_BLOBS: 's3://bucket/x?y' }, 'QUNLIAO_BLOBS'],
    [{ QUNLIAO_BLOBS: 's3://bucket', QUNLIAO_S3_ENDPOINT: 'not a url' }, 'QUNLIAO_S3_ENDPOINT'],
    [{ QUNLIAO_BLOBS: 's3://bucket', QUNLIAO_S3_ENDPOINT: 'ftp://files.example.com' }, 'QUNLIAO_S3_ENDPOINT'],
    [{ QUNLIAO_BLOBS: 's3://bucket', QUNLIAO_S3_ENDPOINT: 'http://key:secret@minio:9000' }, 'QUNLIAO_S3_ENDPOINT'],
    [{ QUNLIAO_BLOBS: 's3://bucket', QUNLIAO_S3_REGION: 'eu west' }, 'QUNLIAO_S3_REGION'],
    [{ QUNLIAO_BLOBS: 's3://bucket', QUNLIAO_S3_FORCE_PATH_STYLE: 'yes please' }, 'QUNLIAO_S3_FORCE_PATH_STYLE'],
    [{ QUNLIAO_BLOBS: 's3://bucket', QUNLIAO_S3_ACCESS_KEY_ID: 'id' }, 'QUNLIAO_S3_SECRET_ACCESS_KEY'],
    [{ QUNLIAO_BLOBS: 's3://bucket', QUNLIAO_S3_SECRET_ACCESS_KEY: 'secret' }, 'QUNLIAO_S3_ACCESS_KEY_ID'],
    [{ QUNLIAO_BLOBS: 's3://bucket', QUNLIAO_S3_ACCESS_KEY_ID: 'an id', QUNLIAO_S3_SECRET_ACCESS_KEY: 'secret' }, 'QUNLIAO_S3_ACCESS_KEY_ID'],
    // An S3 setting without an s3:// store would silently keep the bytes on local disk.
    [{ QUNLIAO_S3_ENDPOINT: 'http://127.0.0.1:9000' }, 'QUNLIAO_S3_ENDPOINT'],
    [{ QUNLIAO_BLOBS: 'local', QUNLIAO_S3_ACCESS_KEY_ID: 'id' }, 'QUNLIAO_S3_ACCESS_KEY_ID'],
  ])('refuses %j naming %s', (env, key) => {
    expect(() => loadConfig(env, [])).toThrow(ConfigError);
    expect(() => loadConfig(env, [])).toThrow(key);
  });

  it('names the flag when an S3 flag is wrong, and never prints a secret', () => {
    expect(() => loadConfig({}, ['--blobs', 's3://x'])).toThrow('--blobs');
    expect(() => loadConfig({ QUNLIAO_BLOBS: 's3://bucket' }, ['--s3-force-path-style', 'maybe'])).toThrow('--s3-force-path-style');
    expect(() => loadConfig({ QUNLIAO_BLOBS: 's3://bucket' }, ['--s3-secret-access-key', 'top secret'])).toThrow(/--s3-secret-access-key/);
    expect(() => loadConfig({ QUNLIAO_BLOBS: 's3://bucket' }, ['--s3-secret-access-key', 'top secret'])).not.toThrow(/top secret/);
  });
});

describe('parseApps', () => {
  it('parses several apps', () => {
    expect(parseApps('acme#chat:id1:secret1, acme#other:id2:secret2')).toEqual([
      { org: 'acme', app: 'chat', clientId: 'id1', clientSecret: 'secret1' },
      { org: 'acme', app: 'other', clientId: 'id2', clientSecret: 'secret2' },
    ]);
  });

  it.each(['acme#chat:id', 'acme:id:secret', 'a#b#c:id:secret', 'ac me#chat:id:secret', 'acme#chat:id:secret,acme#chat:id2:s2'])('refuses %s', (v) => {
    expect(() => parseApps(v)).toThrow(ConfigError);
  });

  const AGORA_ID = '970CA35de60c44645bbae8a215061b33';
  const AGORA_CERT = '5CFd2fd1755d40ecb72977518be15d3b';

  it('takes an optional Agora App ID and App Certificate per app', () => {
    expect(parseApps(`acme#chat:id1:secret1:${AGORA_ID}:${AGORA_CERT},acme#other:id2:secret2`)).toEqual([
      { org: 'acme', app: 'chat', clientId: 'id1', clientSecret: 'secret1', agora: { appId: AGORA_ID, appCertificate: AGORA_CERT } },
      { org: 'acme', app: 'other', clientId: 'id2', clientSecret: 'secret2' },
    ]);
  });

  it.each([
    [`acme#chat:id:secret:${AGORA_ID}`, 'is not org#app:client_id:client_secret[:agora_app_id:agora_app_certificate]'],
    [`acme#chat:id:secret:${AGORA_ID}:${AGORA_CERT}:x`, 'is not org#app'],
    [`acme#chat:id:secret:${AGORA_ID.slice(1)}:${AGORA_CERT}`, '32 hex characters each in the entry of acme#chat'],
    [`acme#chat:id:secret:${AGORA_ID}:${AGORA_CERT.slice(0, 31)}g`, '32 hex characters each in the entry of acme#chat'],
    [`acme#chat:id:secret::${AGORA_CERT}`, '32 hex characters each in the entry of acme#chat'],
    [`acme#chat:id:secret:${AGORA_ID}:${AGORA_CERT},acme#other:id2:s2:${AGORA_ID.toLowerCase()}:${AGORA_CERT}`, 'is given to both acme#chat and acme#other'],
  ])('refuses %s, naming the entry', (v, message) => {
    expect(() => parseApps(v)).toThrow(message);
    expect(() => parseApps(v)).toThrow('invalid configuration QUNLIAO_APPS');
  });

  it('reports the bad Agora entry at start through loadConfig', () => {
    expect(() => loadConfig({ QUNLIAO_APPS: 'acme#chat:id:secret:nothex:nothex' }, [])).toThrow(/QUNLIAO_APPS: .*acme#chat/);
  });
});
