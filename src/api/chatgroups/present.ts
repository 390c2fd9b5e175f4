// Wire shapes of /chatgroups answers (seed 001, group_member.md, REFERENCE §2d).
import type { App } from '../../services/apps.js';
import type { JoinedRoomRecord, RoomRecord } from '../../services/rooms/records.js';
import type { InviteOutcome } from '../../services/group-requests.js';
import type { SharedFile } from '../../services/group-files.js';
import { itemTexts } from '../../http/errors.js';
import type { RoomWire } from '../shared/room-handlers.js';

/** GET /chatgroups items; the seed's recorded example shows the owner as "{org}#{app}_{username}". */
export function groupListItem(app: App, g: RoomRecord): Record<string, unknown> {
  return {
    owner: `${app.org_name}#${app.app_name}_${g.owner}`,
    groupid: g.id,
    affiliations: g.memberCount,
    type: 'group',
    lastModified: String(g.modified),
    groupname: g.name,
  };
}

/** GET /chatgroups/user/{username} entities (with the member count and the user's role, which the client SDK reads). */
export function userGroupItem(g: JoinedRoomRecord): Record<string, unknown> {
  return {
    name: g.name,
    avatar: g.avatar,
    owner: g.owner,
    id: g.id,
    groupId: g.id,
    description: g.description,
    disabled: g.disabled,
    public: g.public,
    allowinvites: g.allowInvites,
    membersonly: g.membersOnly,
    maxusers: g.maxUsers,
    created: g.created,
    affiliations_count: g.memberCount,
    permission: g.role,
  };
}

/** GET /users/{username}/joined_chatgroups items: the client SDK reads `id`, `name`, `disabled`, `permission` (and the legacy `groupid`, `groupname`). */
export function joinedGroupItem(g: JoinedRoomRecord): Record<string, unknown> {
  return { groupid: g.id, groupname: g.name, id: g.id, name: g.name, disabled: g.disabled, permission: g.role, public: g.public, affiliations_count: g.memberCount };
}

/** GET /publicchatgroups items: the client SDK renames `id` to `groupid` and `name` to `groupname`. */
export function publicGroupItem(g: RoomRecord): Record<string, unknown> {
  return { id: g.id, name: g.name, owner: g.owner, affiliations_count: g.memberCount, public: g.public, membersonly: g.membersOnly, created: g.created };
}

/** POST /chatgroups/{id}/invite: one row per invitee. */
export function inviteRows(outcomes: InviteOutcome[], id: string): Record<string, unknown>[] {
  return outcomes.map((o) => {
    const row: Record<string, unknown> = { action: 'invite', id, result: o.outcome === 'added' || o.outcome === 'invited', user: o.user };
    if (o.outcome === 'already_member') row.reason = itemTexts.alreadyInGroup(o.user, id);
    else if (o.outcome === 'blocked') row.reason = itemTexts.blockedInGroup(o.user, id);
    else if (o.outcome === 'no_such_user') row.reason = itemTexts.userMissing(o.user);
    return row;
  });
}
/** Groups name their id `groupid` in member and list results. */
export const GROUP_ID_KEY = 'groupid';


/** The group flavour of the shapes both room kinds answer with. */
export const groupWire: RoomWire = {
  kind: 'group',
  param: 'group_id',
  memberIdKey: GROUP_ID_KEY,
  listIdKey: GROUP_ID_KEY,
  addedOne: (user, id) => ({ result: true, groupid: id, action: 'add_member', user }),
  addedMany: (newmembers, id) => ({ newmembers, groupid: id, action: 'add_member' }),
  removedOne: (user, id) => ({ result: true, action: 'remove_member', user, groupid: id }),
  dissolved: (id) => ({ success: true, groupid: id }),
  // Mute-all answers with the request's method.
  muteAllAction: 'post',
};

/** Where a shared file downloads from; a restricted file's URL carries its share secret, as the hosted service's does. */
function sharedFileUrl(base: string, f: SharedFile): string {
  const url = `${base}/chatgroups/${f.groupId}/share_files/${f.fileId}`;
  return f.restricted ? `${url}?share-secret=${f.shareSecret}` : url;
}

/** Upload and JSON download answers (seed 000; CLIENTS.md). `base` is the app's URL (`http://host/org/app`). */
export function sharedFileData(base: string, f: SharedFile): Record<string, unknown> {
  const data: Record<string, unknown> = {
    file_url: sharedFileUrl(base, f),
    group_id: f.groupId,
    file_name: f.name,
    file_owner: f.owner,
    created: f.created,
    file_id: f.fileId,
    file_size: f.size,
  };
  if (f.restricted) data['share-secret'] = f.shareSecret;
  return data;
}

/** GET …/share_files items. */
export function sharedFileItem(f: SharedFile): Record<string, unknown> {
  return { file_id: f.fileId, file_name: f.name, file_owner: f.owner, file_size: f.size, created: f.created };
}

/** RFC 6266 with an ASCII fallback, so that Chinese file names survive. */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}
