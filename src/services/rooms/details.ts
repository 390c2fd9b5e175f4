// Room details (GET /chatgroups/{id1,id2,…}, GET /chatrooms/{id1,id2,…}): up to 100 rooms, each
// with up to 10,000 of its members.
import type { App } from '../apps.js';
import type { Limits } from '../../config.js';
import { fail } from '../errors.js';
import { commaList } from '../fields.js';
import { isNumericId } from '../ids.js';
import type { RoomCore } from './core.js';
import type { Principal } from '../tokens.js';
import { memberRecord, roomRecord, type DetailsEntry } from './records.js';

export class RoomDetails {
  constructor(
    private readonly core: RoomCore,
    private readonly limits: Pick<Limits, 'groupDetailsIds' | 'detailsMembers'>,
  ) {}

  /**
   * One id that does not exist → 404; among several, each missing one is reported in place. A user
   * sees a private group only as a member: alone it answers 403, among several it is reported as
   * missing.
   */
  async details(app: App, idList: string, actor: Principal): Promise<DetailsEntry[]> {
    const ids = commaList(idList);
    if (ids.length > this.limits.groupDetailsIds) fail('groupDetailsTooMany', { max: this.limits.groupDetailsIds });
    const rows = await this.core.rows.findMany(app.uuid, ids.filter(isNumericId));
    const byId = new Map(rows.map((g) => [g.id, g]));
    if (ids.length === 1 && !byId.has(ids[0]!)) fail(this.core.profile.errors.detailsNotFound, { id: ids[0]! });
    if (actor.kind === 'user' && this.core.profile.detailsOfPrivateForMembersOnly) {
      const privateIds = rows.filter((r) => r.public !== 1).map((r) => r.id);
      const memberOf = new Set((await this.core.rows.roomsOfAmong(actor.user.username, privateIds)));
      for (const id of privateIds) {
        if (memberOf.has(id)) continue;
        if (ids.length === 1) fail('callerNotMember', { username: actor.user.username });
        byId.delete(id);
      }
    }
    const out: DetailsEntry[] = [];
    for (const id of ids) {
      const row = byId.get(id);
      if (!row) {
        out.push({ found: false, id });
        continue;
      }
      const members = await this.core.rows.members(row.id, 0, this.limits.detailsMembers);
      out.push({ found: true, room: Object.assign(roomRecord(row), { members: members.map(memberRecord) }) });
    }
    return out;
  }
}
