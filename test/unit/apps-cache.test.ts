// The app cache (src/services/apps.ts): a credentials change made by another process's start is
// seen within APP_CACHE_MS.
import { describe, expect, it } from 'vitest';
import { APP_CACHE_MS, AppsService } from '../../src/services/apps.js';
import { SecretHasher } from '../../src/services/secrets.js';
import type { AppRow, AppsRepository } from '../../src/store/apps.js';

describe('the app cache', () => {
  it('answers from memory, and reads the row again once it is older than APP_CACHE_MS', async () => {
    const row: AppRow = { uuid: 'u', org_name: 'acme', app_name: 'chat', client_id: 'id', client_secret_hash: 'h', token_key: 'k', created: 0, agora_app_id: null, agora_app_certificate: null };
    let reads = 0;
    let current = row;
    const repo = { findByName: async () => (reads++, current) } as unknown as AppsRepository;
    const clock = { t: 1000 };
    const apps = new AppsService(repo, new SecretHasher(1024), () => clock.t);
    expect(await apps.find('acme', 'chat')).toBe(row);
    current = { ...row, agora_app_id: 'a'.repeat(32) };
    clock.t += APP_CACHE_MS - 1;
    expect((await apps.find('acme', 'chat'))!.agora_app_id).toBeNull();
    expect(reads).toBe(1);
    clock.t += 1;
    expect((await apps.find('acme', 'chat'))!.agora_app_id).toBe('a'.repeat(32));
    expect(reads).toBe(2);
  });

  it('does not remember apps that do not exist', async () => {
    let reads = 0;
    const repo = { findByName: async () => (reads++, undefined) } as unknown as AppsRepository;
    const apps = new AppsService(repo, new SecretHasher(1024), () => 0);
    await apps.find('a', 'b');
    await apps.find('a', 'b');
    expect(reads).toBe(2);
  });
});
