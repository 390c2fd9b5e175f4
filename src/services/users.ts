// IM user accounts (REFERENCE §2b; Easemob pages account_register_*, account_detail_obtain_*,
// account_delete_single, account_password_change, account_ban, account_unban).
import { randomUUID } from 'node:crypto';
import type { Limits } from '../config.js';
import type { NewUser, UserProfileRow, UserRow, UsersRepository } from '../store/users.js';
import type { App } from './apps.js';
import type { BlobStore } from '../blobs/index.js';
import type { Fanout } from '../coord/fanout.js';
import { DomainError, fail } from './errors.js';
import { randomSecret, type SecretHasher } from './secrets.js';
import { encodeCursor, readCursor } from './cursor.js';
import { pageSize, probedPage, type SizeRule } from './paging.js';
import { foldUsername, newUsername } from './usernames.js';

/** GET /users: limit default 10; "若实际用户数量超过 100，返回 100 个用户" — a larger one reads 100. */
export const USERS_PAGE: SizeRule = { default: 10, max: 100, overMax: 'cap' };

export const PASSWORD_MAX_CHARS = 64;
export const NICKNAME_MAX_CHARS = 100;

/** A user as services answer it; src/api/users/present.ts shows it as the hosted entity. */
export interface UserRecord {
  uuid: string;
  created: number;
  modified: number;
  username: string;
  activated: boolean;
  nickname: string | null;
}

/** `find` of the folded name; a name that is not legal names no one (no lookup). */
function byLegalName<T>(raw: string, find: (name: string) => Promise<T | undefined>): Promise<T | undefined> {
  const name = foldUsername(raw);
  return name ? find(name) : Promise.resolve(undefined);
}

export function userRecord(row: UserProfileRow): UserRecord {
  return { uuid: row.uuid, created: row.created, modified: row.modified, username: row.username, activated: row.activated === 1, nickname: row.nickname };
}

interface Registration {
  username: string;
  password: string;
  nickname: string | null;
}

function parseRegistration(raw: unknown): Registration {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new DomainError('registerUserInvalid');
  }
  const item = raw as Record<string, unknown>;
  const username = newUsername(item.username);
  const password = item.password;
  if (typeof password !== 'string' || password.length === 0) fail('passwordRequired');
  if ([...password].length > PASSWORD_MAX_CHARS) fail('passwordTooLong');
  const nickname = item.nickname;
  if (nickname !== undefined && nickname !== null && typeof nickname !== 'string') fail('nicknameIllegal');
  if (typeof nickname === 'string' && [...nickname].length > NICKNAME_MAX_CHARS) fail('nicknameTooLong');
  return { username, password, nickname: typeof nickname === 'string' ? nickname : null };
}

export interface RegisterResult {
  created: UserRecord[];
  failed: { username: string; registerUserFailReason: string }[];
}

export interface UserPage {
  users: UserRecord[];
  cursor?: string;
}

export class UsersService {
  constructor(
    private readonly repo: UsersRepository,
    private readonly hasher: SecretHasher,
    private readonly limits: Limits,
    private readonly blobs: BlobStore,
    private readonly fanout: Fanout,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Registers one user (a JSON object) or a batch (a JSON array, ≤ 60). Invalid input refuses the
   * whole request; names that already exist are reported per user in a batch (partial success),
   * and refused with the duplicate error for a single user.
   */
  async register(app: App, body: unknown): Promise<RegisterResult> {
    const single = !Array.isArray(body);
    if (body === undefined || body === null || typeof body !== 'object') {
      throw new DomainError('registerBodyInvalid');
    }
    const items = single ? [body] : (body as unknown[]);
    if (items.length === 0) throw new DomainError('registerBodyEmpty');
    if (items.length > this.limits.registerBatch) fail('registerBatchTooLarge', { size: items.length, max: this.limits.registerBatch });

    const registrations = new Map<string, Registration>();
    for (const reg of items.map(parseRegistration)) {
      const previous = registrations.get(reg.username);
      if (previous && previous.password !== reg.password) {
        fail('batchPasswordConflict', { username: reg.username, passwords: `${previous.password}, ${reg.password}` });
      }
      if (!previous) registrations.set(reg.username, reg);
    }

    const existing = new Set((await this.repo.findManyByName(app.uuid, [...registrations.keys()])).map((u) => u.username));
    if (single && existing.size > 0) fail('usernameTaken', { appUuid: app.uuid, username: [...existing][0]! });

    const now = this.now();
    const fresh = [...registrations.values()].filter((r) => !existing.has(r.username));
    const rows: NewUser[] = await Promise.all(
      fresh.map(async (r) => ({
        app_uuid: app.uuid,
        uuid: randomUUID(),
        username: r.username,
        password_hash: await this.hasher.hash(r.password),
        nickname: r.nickname,
        activated: 1,
        token_version: 0,
        created: now,
        modified: now,
      })),
    );
    const inserted = await this.repo.insertMissing(rows);
    const insertedNames = new Set(inserted.map((u) => u.username));
    // Names taken before the call, or by a concurrent call between our check and our insert.
    const failedNames = [...registrations.keys()].filter((name) => !insertedNames.has(name));
    if (single && failedNames.length > 0) fail('usernameTaken', { appUuid: app.uuid, username: failedNames[0]! });
    return {
      created: inserted.map(userRecord),
      failed: failedNames.map((username) => ({ username, registerUserFailReason: `the ${username} already exists` })),
    };
  }

  /** Finds or (for the `inherit` grant with autoCreateUser) creates a user without a usable password. */
  async findOrCreate(app: App, username: string): Promise<UserRow> {
    const existing = await this.repo.findByName(app.uuid, username);
    if (existing) return existing;
    const now = this.now();
    await this.repo.insertMissing([
      {
        app_uuid: app.uuid,
        uuid: randomUUID(),
        username,
        password_hash: await this.hasher.hash(randomSecret(32)),
        nickname: null,
        activated: 1,
        token_version: 0,
        created: now,
        modified: now,
      },
    ]);
    // Whoever won a concurrent creation, the row now exists.
    const row = await this.repo.findByName(app.uuid, username);
    if (!row) throw new Error(`user ${username} vanished right after creation`);
    return row;
  }

  /** The user named by `raw` (a path or body name): anything that is not a legal name cannot exist. */
  findRow(app: App, raw: string): Promise<UserRow | undefined> {
    return byLegalName(raw, (name) => this.repo.findByName(app.uuid, name));
  }

  async get(app: App, username: string): Promise<UserRecord> {
    const row = await byLegalName(username, (name) => this.repo.findProfileByName(app.uuid, name));
    if (!row) fail('userNotFound');
    return userRecord(row);
  }

  /** GET /users?limit=&cursor= — oldest first. */
  async list(app: App, query: { limit?: unknown; cursor?: string }): Promise<UserPage> {
    const limit = pageSize(query.limit, USERS_PAGE, 'limit');
    const after = readCursor('users', query.cursor, 'userCursorInvalid') ?? 0;
    const { items, hasMore } = probedPage(await this.repo.page(app.uuid, after, limit + 1), limit);
    const last = items[items.length - 1];
    return { users: items.map(userRecord), cursor: hasMore && last ? encodeCursor('users', last.seq) : undefined };
  }

  /**
   * Deletes a user; groups they own are dissolved and they leave all others (REFERENCE §2b). The
   * response shows the removed account as no longer activated.
   */
  async delete(app: App, username: string): Promise<UserRecord> {
    const row = await this.findRow(app, username);
    const deleted = row && (await this.repo.deleteCascade(app.uuid, row, this.now()));
    if (!deleted) fail('userNotFound');
    this.fanout.kick(app.uuid, row.username, 'deleted');
    await this.blobs.delete(deleted.fileIds);
    return { ...userRecord(row), activated: false };
  }

  async changePassword(app: App, username: string, body: unknown): Promise<void> {
    const newPassword = body !== null && typeof body === 'object' ? (body as Record<string, unknown>).newpassword : undefined;
    const row = await this.findRow(app, username);
    if (!row) fail('passwordUserNotFound');
    if (typeof newPassword !== 'string' || newPassword.length === 0) fail('newPasswordRequired');
    if ([...newPassword].length > PASSWORD_MAX_CHARS) fail('passwordTooLong');
    const hash = await this.hasher.hash(newPassword);
    if (!(await this.repo.setPassword(app.uuid, row.uuid, hash, this.now()))) fail('passwordUserNotFound');
    // "修改密码后 … 在线设备被踢下线": the user's connected devices are logged out.
    this.fanout.kick(app.uuid, row.username, 'password_changed');
  }

  async setActivated(app: App, username: string, activated: boolean): Promise<UserRecord> {
    const row = await this.findRow(app, username);
    const updated = row && (await this.repo.setActivated(app.uuid, row.uuid, activated, this.now()));
    if (!updated) fail('userNotFound');
    // A deactivated user is logged out at once (account_ban.md).
    if (!activated) this.fanout.kick(app.uuid, updated.username, 'deactivated');
    return userRecord(updated);
  }

  verifyPassword(user: UserRow, password: string): Promise<boolean> {
    return this.hasher.verify(password, user.password_hash);
  }
}
