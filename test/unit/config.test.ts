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

  it('names the flag when a flag is wrong', () => {
    expect(() => loadConfig({}, ['--port', 'x'])).toThrow('--port');
    expect(() => loadConfig({}, ['--bogus'])).toThrow(ConfigError);
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
