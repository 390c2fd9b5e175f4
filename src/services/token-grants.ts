// POST /{org}/{app}/token — the grants of REFERENCE §2a (easemob_app_token.md,
// easemob_user_token.md): client_credentials, password, inherit; and Agora Chat's `agora`, which
// exchanges an Agora app token for an app token (Agora generate_app_tokens.md).
import type { App, AppsService } from './apps.js';
import { fail } from './errors.js';
import { parseTtl, type TokensService } from './tokens.js';
import { userRecord, type UserRecord, type UsersService } from './users.js';
import { newUsername } from './usernames.js';
import type { UserRow } from '../store/users.js';

/** An Agora Chat app token is valid for at most 24 hours (generate_app_tokens.md). */
export const AGORA_EXCHANGE_MAX_MS = 24 * 3600 * 1000;

/**
 * A granted token (src/api/token/present.ts shows it): an app token, an app token exchanged for an
 * Agora one (with its absolute expiry), or a user token with its user.
 */
export type Grant = { accessToken: string; expiresIn: number; expiresAt?: number; user?: UserRecord };

export class TokenGrantService {
  constructor(
    private readonly apps: AppsService,
    private readonly users: UsersService,
    private readonly tokens: TokensService,
    private readonly defaultTtl: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** `bearer` is the Authorization token, if any; `inherit` needs an app token, `agora` an Agora app token. */
  async grant(app: App, body: unknown, bearer: string | undefined): Promise<Grant> {
    const fields = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    const grantType = fields.grant_type;
    if (grantType === undefined || grantType === null || grantType === '') fail('grantTypeRequired');
    switch (grantType) {
      case 'client_credentials':
        return this.clientCredentials(app, fields);
      case 'password':
        return this.password(app, fields);
      case 'inherit':
        return this.inherit(app, fields, bearer);
      case 'agora':
        return this.agora(app, bearer);
      default:
        return fail('grantTypeUnsupported', { grantType: String(grantType) });
    }
  }

  private async clientCredentials(app: App, f: Record<string, unknown>): Promise<Grant> {
    if (typeof f.client_id !== 'string' || f.client_id === '') fail('clientIdRequired');
    if (typeof f.client_secret !== 'string' || f.client_secret === '') fail('clientSecretRequired');
    const ttl = parseTtl(f.ttl, this.defaultTtl);
    const current = (await this.apps.findFresh(app.org_name, app.app_name)) ?? app;
    if (f.client_id !== current.client_id) fail('clientIdMismatch');
    if (!(await this.apps.verifyClientSecret(current, f.client_secret))) fail('clientSecretMismatch');
    const token = this.tokens.issueApp(app, ttl);
    return { accessToken: token.accessToken, expiresIn: token.expiresIn };
  }

  private async password(app: App, f: Record<string, unknown>): Promise<Grant> {
    if (typeof f.username !== 'string' || f.username === '') fail('grantUsernameRequired');
    if (typeof f.password !== 'string' || f.password === '') fail('grantPasswordRequired');
    const ttl = parseTtl(f.ttl, this.defaultTtl);
    const user = await this.users.findRow(app, f.username);
    if (!user) fail('grantUserNotFound');
    if (!(await this.users.verifyPassword(user, f.password))) fail('grantInvalidPassword');
    return this.userToken(app, user, ttl);
  }

  private async inherit(app: App, f: Record<string, unknown>, bearer: string | undefined): Promise<Grant> {
    const principal = await this.tokens.verify(app, bearer);
    if (principal.kind !== 'app') fail('tokenRevoked');
    if (typeof f.username !== 'string' || f.username === '') fail('grantUsernameRequired');
    const ttl = parseTtl(f.ttl, this.defaultTtl);
    const autoCreate = f.autoCreateUser === true || f.autoCreateUser === 'true';
    const user = autoCreate ? await this.users.findOrCreate(app, newUsername(f.username)) : await this.users.findRow(app, f.username);
    if (!user) fail('grantUserNotFound');
    return this.userToken(app, user, ttl);
  }

  /**
   * The app token expires with the Agora token ("the validity period of an Agora Chat app token is
   * subject to that of the Agora app token"), and at most 24 hours after the exchange.
   */
  private agora(app: App, bearer: string | undefined): Grant {
    const agora = this.tokens.verifyAgoraApp(app, bearer);
    const token = this.tokens.issueAppUntil(app, Math.min(agora.expiresAt, this.now() + AGORA_EXCHANGE_MAX_MS));
    return { accessToken: token.accessToken, expiresIn: token.expiresIn, expiresAt: token.expiresAt };
  }

  private userToken(app: App, user: UserRow, ttl: number): Grant {
    if (user.activated !== 1) fail('grantUserNotActivated');
    const token = this.tokens.issueUser(app, user, ttl);
    return { accessToken: token.accessToken, expiresIn: token.expiresIn, user: userRecord(user) };
  }
}
