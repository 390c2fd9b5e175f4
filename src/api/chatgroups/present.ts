// Wire shapes of /chatgroups answers (seed 001, group_member.md, REFERENCE §2d).
import type { App } from '../../services/apps.js';
import type { RoomRecord } from '../../services/rooms/records.js';
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

/** GET /chatgroups/user/{username} entities. */
export function userGroupItem(g: RoomRecord): Record<string, unknown> {
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
  };
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
