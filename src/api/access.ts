// Who may call each route: the one table (issue 14; roles from ../shared/api/client-protocol/REST.md
// and the hosted client docs). The app (admin) token may call every route that takes a token; a
// user token only where a row below lets it, under the role the row names. The rule is enforced
// in one place (src/http/context.ts) before the handler; services then receive the acting user and
// keep the rules that depend on data (allowinvites, membersonly, public vs private, own files…).
//
// Keys are `METHOD path` with the path under /{org}/{app} exactly as registered. A route missing
// here takes the app token only.

/** A role in the room named by the path (`:group_id`, `:chatroom_id`, or the group of `:thread_id`). */
export type RoomRole = 'member' | 'admin' | 'owner';

export type Access =
  /** No token is checked by the plumbing (the token endpoint; WebSocket upgrades check their own). */
  | 'none'
  /** `POST /users`: without a token the documented "registration is not open" 401. */
  | 'registration'
  /** Any valid token or none; the service decides (shared-file and attachment downloads). */
  | 'optional'
  /** The app token only. */
  | 'app'
  /** Any logged-in user; the service decides from data. */
  | 'user'
  /** Only the user the path's `:username` names. */
  | 'self'
  /** A chatroom super admin (chatroom_superadmin.md). */
  | 'superadmin'
  /** At least this role in the path's room. */
  | { room: RoomRole; self?: boolean };

const member = { room: 'member' } as const;
const admin = { room: 'admin' } as const;
const owner = { room: 'owner' } as const;
/** The path's user, who must also be a member of the path's room. */
const selfMember = { room: 'member', self: true } as const;

export const access: Record<string, Access> = {
  'POST /token': 'none',
  'GET /ws': 'none',
  // The token is the user's new one, checked by the route against the user it names.
  'GET /sdk/users/:username/token/expires': 'none',

  // ---- users ----
  'POST /users': 'registration',
  'GET /users/:username': 'self',
  'GET /users/:username/joined_chatrooms': 'self',
  'GET /users/:username/joined_chatgroups': 'self',
  // ---- the SDK's history and conversations (REST.md "Messages"; Self) ----
  'POST /users/:username/messageroaming': 'self',
  'DELETE /users/:username/user_channel': 'self',
  'DELETE /user/:username/user_channel': 'self',
  'GET /sdk/user/:username/user_channels/list': 'self',
  'DELETE /sdk/message/roaming/chat/user/:username': 'self',
  'DELETE /sdk/message/roaming/group/user/:username': 'self',
  'DELETE /sdk/message/roaming/chat/user/:username/time': 'self',
  'DELETE /sdk/message/roaming/group/user/:username/time': 'self',
  'POST /sdk/message/roaming/user/:username/delete/all': 'self',

  // ---- groups ----
  'POST /chatgroups': 'user',
  'GET /publicchatgroups': 'user',
  'GET /chatgroups/user/:username': 'self',
  'GET /chatgroups/user/:username/joined_count': 'self',
  'GET /chatgroups/:group_id/user/:username/is_joined': 'self',
  'GET /chatgroups/:group_id': 'user',
  'PUT /chatgroups/:group_id': admin,
  'DELETE /chatgroups/:group_id': owner,
  'DELETE /chatgroups/:group_id/quit': member,
  'POST /chatgroups/:group_id/apply': 'user',
  'POST /chatgroups/:group_id/apply_verify': admin,
  'POST /chatgroups/:group_id/invite': member,
  'POST /chatgroups/:group_id/invite_verify': 'user',
  'GET /chatgroups/:group_id/users': member,
  'GET /chatgroups/:group_id/acks/:msg_id': member,
  'DELETE /chatgroups/:group_id/users/:username': admin,
  'GET /chatgroups/:group_id/admin': member,
  'POST /chatgroups/:group_id/admin': owner,
  'DELETE /chatgroups/:group_id/admin/:username': owner,
  'GET /chatgroups/:group_id/announcement': member,
  'POST /chatgroups/:group_id/announcement': admin,
  'GET /chatgroups/:group_id/share_files': member,
  'POST /chatgroups/:group_id/share_files': member,
  'GET /chatgroups/:group_id/share_files/:file_id': 'optional',
  'DELETE /chatgroups/:group_id/share_files/:file_id': member,
  'POST /chatgroups/:group_id/mute': admin,
  'GET /chatgroups/:group_id/mute': admin,
  'DELETE /chatgroups/:group_id/mute/:usernames': admin,
  'GET /sdk/chatgroups/:group_id/mute/:username': selfMember,
  'POST /chatgroups/:group_id/ban': admin,
  'DELETE /chatgroups/:group_id/ban': admin,
  'GET /chatgroups/:group_id/white/users': admin,
  'GET /chatgroups/:group_id/white/users/:username': member,
  'POST /chatgroups/:group_id/white/users': admin,
  'POST /chatgroups/:group_id/white/users/:usernames': admin,
  'DELETE /chatgroups/:group_id/white/users/:usernames': admin,
  'GET /chatgroups/:group_id/blocks/users': admin,
  'POST /chatgroups/:group_id/blocks/users': admin,
  'POST /chatgroups/:group_id/blocks/users/:usernames': admin,
  'DELETE /chatgroups/:group_id/blocks/users/:usernames': admin,

  // ---- chatrooms ----
  'POST /chatrooms': 'superadmin',
  'GET /chatrooms': 'user',
  'GET /chatrooms/:chatroom_id': 'user',
  'PUT /chatrooms/:chatroom_id': admin,
  'DELETE /chatrooms/:chatroom_id': owner,
  'GET /chatrooms/:chatroom_id/users': member,
  'POST /chatrooms/:chatroom_id/users': admin,
  'DELETE /chatrooms/:chatroom_id/users/:username': admin,
  'GET /chatrooms/:chatroom_id/admin': member,
  'POST /chatrooms/:chatroom_id/admin': owner,
  'DELETE /chatrooms/:chatroom_id/admin/:username': owner,
  'GET /chatrooms/:chatroom_id/announcement': member,
  'POST /chatrooms/:chatroom_id/announcement': admin,
  'POST /chatrooms/:chatroom_id/mute': admin,
  'GET /chatrooms/:chatroom_id/mute': admin,
  'DELETE /chatrooms/:chatroom_id/mute/:usernames': admin,
  'GET /sdk/chatrooms/:chatroom_id/mute/:username': selfMember,
  'POST /chatrooms/:chatroom_id/ban': admin,
  'DELETE /chatrooms/:chatroom_id/ban': admin,
  'GET /chatrooms/:chatroom_id/white/users': admin,
  'GET /chatrooms/:chatroom_id/white/users/:username': member,
  'POST /chatrooms/:chatroom_id/white/users': admin,
  'POST /chatrooms/:chatroom_id/white/users/:usernames': admin,
  'DELETE /chatrooms/:chatroom_id/white/users/:usernames': admin,
  'GET /chatrooms/:chatroom_id/blocks/users': admin,
  'POST /chatrooms/:chatroom_id/blocks/users': admin,
  'POST /chatrooms/:chatroom_id/blocks/users/:usernames': admin,
  'DELETE /chatrooms/:chatroom_id/blocks/users/:usernames': admin,

  // ---- message attachments (the web SDK uploads with the sender's token; <img> fetches carry none) ----
  'POST /chatfiles': 'user',
  'GET /chatfiles/:file_uuid': 'optional',
  'POST /sdk/chatfiles/part-upload': 'user',
  'PUT /sdk/chatfiles/part-upload/:uuid': 'user',
  'POST /sdk/chatfiles/part-upload/:uuid': 'user',
  'DELETE /sdk/chatfiles/part-upload/:uuid': 'user',
  // The history file's signed download link carries no token (as the hosted OSS URL).
  'GET /chatmessages/:time/download': 'none',

  // ---- threads (the room is the thread's group) ----
  'POST /thread': 'user',
  'GET /thread/:thread_id': member,
  'PUT /thread/:thread_id': member,
  'DELETE /thread/:thread_id': admin,
  'GET /thread/:thread_id/users': member,
  'DELETE /thread/:thread_id/users/:username': admin,
  'POST /thread/:thread_id/user/:username/join': selfMember,
  // Only a member of the thread's group: anyone else is refused, not told `result: false`.
  'DELETE /thread/:thread_id/user/:username/quit': selfMember,
  'POST /thread/message': 'user',
  'GET /threads/user/:username': 'self',
  'GET /threads/chatgroups/:group_id/user/:username': 'self',
  'GET /threads/chatgroups/:group_id': member,
};

/** The rule for a route (`url` as registered, with or without the /:org/:app prefix). */
export function accessOf(method: string, url: string): Access {
  const path = url.startsWith('/:org/:app') ? url.slice('/:org/:app'.length) || '/' : url;
  return access[`${method === 'HEAD' ? 'GET' : method} ${path}`] ?? 'app';
}
