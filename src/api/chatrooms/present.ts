// Wire shapes of /chatrooms answers (REFERENCE §2c: chatroom_manage.md, chatroom_member.md).
import type { App } from '../../services/apps.js';
import type { RoomRecord } from '../../services/rooms/records.js';
import type { RoomWire } from '../shared/room-handlers.js';

/** GET /chatrooms items. */
export function roomListItem(r: RoomRecord): Record<string, unknown> {
  return { id: r.id, name: r.name, owner: r.owner, affiliations_count: r.memberCount, disabled: r.disabled };
}

/**
 * GET /users/{username}/joined_chatrooms items; with `detail=true` (the client SDK's
 * getJoinedChatRooms) also what it parses: `title`, `owner` as "{org}#{app}_{user}", `created`,
 * `description`, `max_users`.
 */
export function joinedRoomItem(app: App, r: RoomRecord, detail: boolean): Record<string, unknown> {
  const item: Record<string, unknown> = { id: r.id, name: r.name, disabled: r.disabled };
  if (detail) {
    Object.assign(item, { title: r.name, owner: `${app.org_name}#${app.app_name}_${r.owner}`, created: r.created, description: r.description, max_users: r.maxUsers });
  }
  return item;
}

/** PUT /chatrooms/{id}: the hosted answer names the room's name "groupname". */
export function roomChangedFields(fields: string[]): Record<string, boolean> {
  return Object.fromEntries(fields.map((f) => [f === 'name' ? 'groupname' : f, true]));
}

/** Chatrooms name their id `id` in member results, and `chatroomid` in allowlist and blocklist results. */
export const ROOM_MEMBER_ID_KEY = 'id';
export const ROOM_LIST_ID_KEY = 'chatroomid';


/** The chatroom flavour of the shapes both room kinds answer with. */
export const roomWire: RoomWire = {
  kind: 'chatroom',
  param: 'chatroom_id',
  memberIdKey: ROOM_MEMBER_ID_KEY,
  listIdKey: ROOM_LIST_ID_KEY,
  addedOne: (user, id) => ({ result: true, action: 'add_member', id, user }),
  addedMany: (newmembers, id) => ({ newmembers, action: 'add_member', id }),
  removedOne: (user, id) => ({ result: true, action: 'remove_member', user, id }),
  dissolved: (id) => ({ success: true, id }),
  // The chatroom page (and recordings) answer POST …/ban with action "put".
  muteAllAction: 'put',
};
