// Creating rooms: `maxusers`, the initial members, and the insert within the per-user and per-app
// caps (seed 001 "创建群组", chatroom_create.md).
import { AppGroupLimitError, UserGroupLimitError, type NewGroup } from '../../store/groups.js';
import { isUniqueViolation } from '../../store/db.js';
import type { App } from '../apps.js';
import { fail } from '../errors.js';
import { stringArray } from '../fields.js';
import { numericId } from '../ids.js';
import { usernames } from '../usernames.js';
import type { RoomCore } from './core.js';

/** The columns of a new room that its create request decides. */
export type RoomFields = Pick<
  NewGroup,
  'name' | 'description' | 'avatar' | 'public' | 'membersonly' | 'allowinvites' | 'invite_need_confirm' | 'maxusers' | 'custom'
>;

export class RoomCreation {
  constructor(
    private readonly core: RoomCore,
    private readonly now: () => number = Date.now,
  ) {}

  /** `maxusers`: a positive integer (a numeric string too) up to this kind's highest. */
  parseMaxUsers(v: unknown): number | undefined {
    if (v === undefined || v === null) return undefined;
    const n = typeof v === 'string' && /^\d{1,16}$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) fail('groupMaxUsersInvalid');
    const highest = this.core.profile.maxUsers.highest;
    if (n > highest) fail('groupMaxUsersTooLarge', { max: highest });
    return n;
  }

  /**
   * The `members` of a create request besides the owner (a folded name): existing users, folded,
   * without repeats, fitting in `maxusers` together with the owner (who must exist too).
   */
  async initialMembers(app: App, raw: unknown, owner: string, maxusers: number): Promise<string[]> {
    const members = raw === undefined || raw === null ? [] : usernames(stringArray(raw, 'groupMembersNotArray')).filter((m) => m !== owner);
    if (members.length + 1 > maxusers) fail('groupMembersExceedMax');
    await this.core.requireUsers(app, [owner, ...members]);
    return members;
  }

  /** Inserts a new room of this kind with a fresh numeric id, its owner and members. Returns the id. */
  async insert(app: App, fields: RoomFields, owner: string, members: string[]): Promise<string> {
    const { profile, rows } = this.core;
    for (let attempt = 0; ; attempt++) {
      const now = this.now();
      const id = numericId(now);
      try {
        const row = Object.assign({}, fields, { app_uuid: app.uuid, id, owner, member_count: members.length + 1, created: now, modified: now });
        await this.core.write(id, () => rows.create(row, owner, members, now, { perUser: profile.perUser, perApp: profile.perApp }));
        return id;
      } catch (err) {
        if (err instanceof UserGroupLimitError) fail(profile.errors.createUserTooMany, { username: err.username });
        if (err instanceof AppGroupLimitError) fail(profile.errors.createAppTooMany, { appKey: `${app.org_name}#${app.app_name}` });
        if (!isUniqueViolation(err) || attempt >= 4) throw err;
      }
    }
  }
}
