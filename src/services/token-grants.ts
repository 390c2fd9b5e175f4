// POST /{org}/{app}/token — the three grants of REFERENCE §2a (easemob_app_token.md,
// easemob_user_token.md): client_credentials, password, inherit.
import type { App, AppsService } from './apps.js';
import { fail } from './errors.js';
import { parseTtl, type TokensService } from './tokens.js';
import { userRecord, type UserRecord, type UsersService } from './users.js';
import { newUsername } from './usernames.js';
import type { UserRow } from '../store/users.js';

/** A granted token: an app token, or a user token with its user (src/api/token/present.ts shows it). */
export type Grant = { accessToken: string; expiresIn: number; user?: UserRecord };

export class TokenGrantService {
  constructor(
    private readonly apps: AppsService,
    private readonly users: UsersService,
    private readonly tokens: TokensService,
    private readonly defaultTtl: number,
  ) {}

  /** `bearer` is the Authorization token, if any; only `inherit` needs it (an app token). */
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

  private userToken(app: App, user: UserRow, ttl: number): Grant {
    if (user.activated !== 1) fail('grantUserNotActivated');
    const token = this.tokens.issueUser(app, user, ttl);
    return { accessToken: token.accessToken, expiresIn: token.expiresIn, user: userRecord(user) };
  }
}
