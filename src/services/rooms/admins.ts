// Room admins: list, promote, demote (group_member.md "管理员", chatroom_member.md; ≤ 99 admins).
import type { App } from '../apps.js';
import type { Principal } from '../tokens.js';
import { fail } from '../errors.js';
import { objectBody } from '../fields.js';
import { username } from '../usernames.js';
import type { RoomCore } from './core.js';

export class RoomAdmins {
  constructor(
    private readonly core: RoomCore,
    private readonly maxAdmins: number,
  ) {}

  /** GET /{rooms}/{id}/admin */
  async list(app: App, id: string): Promise<string[]> {
    await this.core.get(app, id);
    return (await this.core.rows.admins(id)).map((m) => m.username);
  }

  /** POST /{rooms}/{id}/admin {"newadmin"} — answers the folded name. */
  async add(app: App, id: string, body: unknown, actor: Principal): Promise<string> {
    const f = objectBody(body, 'groupBodyNotObject');
    if (typeof f.newadmin !== 'string' || f.newadmin === '') fail('groupFieldRequired', { field: 'newadmin' });
    const name = username(f.newadmin);
    const room = await this.core.getManageable(app, id);
    if (name === room.owner) fail('groupOwnerForbidden');
    const member = await this.core.rows.member(id, name);
    if (!member) fail('groupNotMembers', { usernames: name });
    if (member.role === 'admin') fail('groupAlreadyAdmin', { username: name, id });
    const outcome = await this.core.write(id, () => this.core.rows.promoteAdmin(id, name, this.maxAdmins));
    if (outcome === 'full') fail('groupAdminsFull', { max: this.maxAdmins });
    // Promoted or removed by a concurrent request in the meantime.
    if (outcome === 'not_member') fail('groupAlreadyAdmin', { username: name, id });
    await this.core.announce(app, id, actor, { op: 'admin_added', to: [name] });
    return name;
  }

  /** DELETE /{rooms}/{id}/admin/{username} — answers the folded name. */
  async remove(app: App, id: string, rawName: string, actor: Principal): Promise<string> {
    const name = username(rawName);
    await this.core.getManageable(app, id);
    if (!(await this.core.rows.setRole(id, name, 'admin', 'member'))) fail('groupNotAdmin', { username: name, id });
    await this.core.announce(app, id, actor, { op: 'admin_removed', to: [name] });
    return name;
  }
}
