// Chatroom super admins (chatroom_superadmin.md): the users allowed to create chatrooms from
// clients. Add one, list them (pagesize 1..1000, default 10), revoke one.
import type { SuperAdminsRepository } from '../store/super-admins.js';
import type { UsersRepository } from '../store/users.js';
import type { App } from './apps.js';
import { fail } from './errors.js';
import { objectBody } from './fields.js';
import { numberedPage, type SizeRule } from './paging.js';
import type { NumberedPageQuery } from './rooms/members.js';
import { username } from './usernames.js';

export const SUPER_ADMINS_PAGE: SizeRule = { default: 10, max: 1000, overMax: 'cap' };

export class SuperAdminsService {
  constructor(
    private readonly superAdmins: SuperAdminsRepository,
    private readonly users: UsersRepository,
    private readonly now: () => number = Date.now,
  ) {}

  /** POST /chatrooms/super_admin {"superadmin"} — one existing user; adding one twice changes nothing. */
  async add(app: App, body: unknown): Promise<string> {
    const f = objectBody(body, 'groupBodyNotObject');
    if (typeof f.superadmin !== 'string' || f.superadmin === '') fail('groupFieldRequired', { field: 'superadmin' });
    const name = username(f.superadmin);
    if (!(await this.users.findByName(app.uuid, name))) fail('groupUserNotFound', { username: name });
    await this.superAdmins.add(app.uuid, name, this.now());
    return name;
  }

  /** GET /chatrooms/super_admin?pagenum=&pagesize= — in the order added. */
  list(app: App, query: NumberedPageQuery): Promise<string[]> {
    const page = numberedPage(query.pagenum, query.pagesize, SUPER_ADMINS_PAGE);
    return this.superAdmins.page(app.uuid, page.offset, page.limit);
  }

  /** DELETE /chatrooms/super_admin/{superadmin} */
  async remove(app: App, raw: string): Promise<string> {
    const name = username(raw);
    if (!(await this.superAdmins.remove(app.uuid, name))) fail('superAdminNotFound', { username: name });
    return name;
  }
}
