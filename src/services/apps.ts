// Apps (org#app): resolving them for requests, and creating the configured ones at start.
import { randomBytes, randomUUID } from 'node:crypto';
import type { AppSeed } from '../config.js';
import type { AppRow, AppsRepository } from '../store/apps.js';
import { randomSecret, type SecretHasher } from './secrets.js';

export type App = AppRow;

/**
 * How long a process trusts the app rows it read. Apps never change identity or signing key, but
 * another process's start may change their credentials (client secret, Agora App ID and
 * certificate, from its QUNLIAO_APPS): every process sees such a change within this time.
 */
export const APP_CACHE_MS = 10_000;

export class AppsService {
  private readonly cache = new Map<string, { app: App; until: number }>();

  constructor(
    private readonly repo: AppsRepository,
    private readonly hasher: SecretHasher,
    private readonly now: () => number = Date.now,
  ) {}

  /** The app if this process read it less than APP_CACHE_MS ago (no database round trip). */
  cached(org: string, app: string): App | undefined {
    const entry = this.cache.get(`${org}#${app}`);
    return entry && entry.until > this.now() ? entry.app : undefined;
  }

  async find(org: string, app: string): Promise<App | undefined> {
    const key = `${org}#${app}`;
    const cached = this.cache.get(key);
    if (cached && cached.until > this.now()) return cached.app;
    const row = await this.repo.findByName(org, app);
    if (row) this.cache.set(key, { app: row, until: this.now() + APP_CACHE_MS });
    else this.cache.delete(key);
    return row;
  }

  /** Reads the app fresh from the store (credentials may have been changed by another process's start). */
  findFresh(org: string, app: string): Promise<App | undefined> {
    return this.repo.findByName(org, app);
  }

  verifyClientSecret(app: App, secret: string): Promise<boolean> {
    return this.hasher.verify(secret, app.client_secret_hash);
  }

  /**
   * Makes each configured app exist with exactly its credentials (client id and secret, and the Agora
   * App ID and App Certificate or none). When none is configured and the store has none, creates one
   * with random credentials and returns it so that it can be printed.
   */
  async ensure(seeds: AppSeed[]): Promise<AppSeed | undefined> {
    for (const seed of seeds) {
      this.cache.delete(`${seed.org}#${seed.app}`);
      const existing = await this.repo.findByName(seed.org, seed.app);
      const secretHash = existing && existing.client_id === seed.clientId && (await this.hasher.verify(seed.clientSecret, existing.client_secret_hash))
        ? undefined
        : await this.hasher.hash(seed.clientSecret);
      if (!existing) {
        await this.create(seed, secretHash!);
        continue;
      }
      if (secretHash) await this.repo.updateCredentials(existing.uuid, seed.clientId, secretHash);
      const agoraId = seed.agora?.appId ?? null;
      const agoraCertificate = seed.agora?.appCertificate ?? null;
      if (existing.agora_app_id !== agoraId || existing.agora_app_certificate !== agoraCertificate) {
        await this.repo.updateAgora(existing.uuid, agoraId, agoraCertificate);
      }
    }
    if (seeds.length > 0 || (await this.repo.count()) > 0) return undefined;
    const generated: AppSeed = { org: 'qunliao', app: 'default', clientId: `YXA6${randomSecret(16)}`, clientSecret: `YXA6${randomSecret(24)}` };
    await this.create(generated, await this.hasher.hash(generated.clientSecret));
    return generated;
  }

  private async create(seed: AppSeed, secretHash: string): Promise<void> {
    await this.repo.insert({
      uuid: randomUUID(),
      org_name: seed.org,
      app_name: seed.app,
      client_id: seed.clientId,
      client_secret_hash: secretHash,
      token_key: randomBytes(32).toString('base64'),
      created: Date.now(),
      agora_app_id: seed.agora?.appId ?? null,
      agora_app_certificate: seed.agora?.appCertificate ?? null,
    });
  }
}
