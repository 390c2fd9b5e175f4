// Wire shapes both room kinds share (REFERENCE §2c/§2d; seed 001 details): details, member rows,
// batch results. Each resource's present.ts passes the key it names its room id with.
import { itemTexts } from '../../http/errors.js';
import type { ListChange, MuteRecord } from '../../services/moderation.js';
import type { DetailsEntry, MemberRecord, RemovalResult, RoomWithMembers } from '../../services/rooms/records.js';
import type { RoomKind } from '../../store/schema.js';

export function affiliation(m: MemberRecord): { owner: string } | { member: string } {
  return m.role === 'owner' ? { owner: m.username } : { member: m.username };
}

/** GET …/users rows: `{owner}` / `{member}`, with `joined_time` when asked for. */
export function memberRow(m: MemberRecord, withJoinedTime: boolean): Record<string, unknown> {
  return withJoinedTime ? Object.assign(affiliation(m), { joined_time: m.joined }) : affiliation(m);
}

/** GET …/users?limit=&cursor= rows (the client SDK's getGroupMembers): the role is the key — `owner`, `admin` or `member`. */
export function memberRowByRole(m: MemberRecord, withJoinedTime: boolean): Record<string, unknown> {
  const row: Record<string, unknown> = { [m.role]: m.username };
  if (withJoinedTime) row.joined_time = m.joined;
  return row;
}

function roomDetails(r: RoomWithMembers): Record<string, unknown> {
  return {
    id: r.id,
    name: r.name,
    avatar: r.avatar,
    description: r.description,
    membersonly: r.membersOnly,
    allowinvites: r.allowInvites,
    invite_need_confirm: r.inviteNeedConfirm,
    maxusers: r.maxUsers,
    owner: r.owner,
    created: r.created,
    custom: r.custom,
    mute: r.muteAll,
    affiliations_count: r.memberCount,
    disabled: r.disabled,
    affiliations: r.members.map(affiliation),
    public: r.public,
  };
}

/** GET /chatgroups/{ids}, /chatrooms/{ids}: each room, or `{id, error}` for a missing one. */
export function detailsList(entries: DetailsEntry[], kind: RoomKind): Record<string, unknown>[] {
  return entries.map((e) => (e.found ? roomDetails(e.room) : { id: e.id, error: itemTexts.missingRoom(kind) }));
}

/** PUT /chatgroups/{id}, /chatrooms/{id}: `{field: true}` per field changed. */
export function changedFields(fields: string[]): Record<string, boolean> {
  return Object.fromEntries(fields.map((f) => [f, true]));
}

/** One user of a batch removal, with the room id under `idKey`. */
export function removalRow(r: RemovalResult, idKey: string, id: string): Record<string, unknown> {
  const row: Record<string, unknown> = { result: r.removed, action: 'remove_member' };
  if (r.reason) row.reason = r.reason === 'owner' ? itemTexts.ownerForbidden() : itemTexts.notInGroup(r.user, id);
  row.user = r.user;
  row[idKey] = id;
  return row;
}

/** Allowlist / blocklist rows: `{result, action, reason?, user, <idKey>}`. */
export function listRows(changes: ListChange[], action: string, idKey: string, id: string): Record<string, unknown>[] {
  return changes.map((c) => {
    const row: Record<string, unknown> = { result: c.result, action };
    if (c.reason) row.reason = itemTexts.notInGroup(c.user, id);
    row.user = c.user;
    row[idKey] = id;
    return row;
  });
}

/** POST …/mute: `{result, expire, user}` per user. */
export function muteRows(mutes: MuteRecord[]): Record<string, unknown>[] {
  return mutes.map((m) => ({ result: true, expire: m.expire, user: m.user }));
}

/** GET …/mute: `{expire, user}` per active mute. */
export function muteListRows(mutes: MuteRecord[]): Record<string, unknown>[] {
  return mutes.map((m) => ({ expire: m.expire, user: m.user }));
}

/** DELETE …/mute/{u}: `{result, user}` per user. */
export function unmuteRows(changes: ListChange[]): Record<string, unknown>[] {
  return changes.map((c) => ({ result: c.result, user: c.user }));
}
