// The facts the access table (src/api/access.ts) needs about a caller: their role in the room a
// path names, and whether they are a chatroom super admin. The table's rules are applied by
// src/http/context.ts; the rules that depend on more than these facts stay in the services.
import type { GroupsRepository } from '../store/groups.js';
import type { SuperAdminsRepository } from '../store/super-admins.js';
import type { ThreadsRepository } from '../store/threads.js';
import type { GroupRole } from '../store/schema.js';
import type { App } from './apps.js';
import { isNumericId } from './ids.js';

/** A caller's standing in a room: a role, not a member, or there is no such room (the handler answers that). */
export type Standing = GroupRole | 'none' | 'no_room';

export class AccessService {
  constructor(
    private readonly groups: GroupsRepository,
    private readonly chatrooms: GroupsRepository,
    private readonly threads: ThreadsRepository,
    private readonly superAdmins: SuperAdminsRepository,
  ) {}

  /** The caller's role in the room of `:group_id`, `:chatroom_id` or `:thread_id` (its group). */
  async standing(app: App, params: Record<string, string | undefined>, username: string): Promise<Standing> {
    let rooms = this.groups;
    let id = params.group_id;
    if (params.chatroom_id !== undefined) {
      rooms = this.chatrooms;
      id = params.chatroom_id;
    } else if (params.thread_id !== undefined) {
      const thread = isNumericId(params.thread_id) ? await this.threads.find(app.uuid, params.thread_id) : undefined;
      if (!thread) return 'no_room';
      id = thread.group_id;
    }
    if (id === undefined || !isNumericId(id)) return 'no_room';
    const room = await rooms.find(app.uuid, id);
    if (!room) return 'no_room';
    const member = await rooms.member(id, username);
    return member ? member.role : 'none';
  }

  isSuperAdmin(app: App, username: string): Promise<boolean> {
    return this.superAdmins.contains(app.uuid, username);
  }
}
