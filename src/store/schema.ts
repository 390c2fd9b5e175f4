// Table types for Kysely. Timestamps are Unix milliseconds; booleans are 0/1 integers so that one
// code path serves SQLite and PostgreSQL.
import type { Generated } from 'kysely';

export interface AppsTable {
  uuid: string;
  org_name: string;
  app_name: string;
  client_id: string;
  client_secret_hash: string;
  /** HMAC key for this app's access tokens (base64). */
  token_key: string;
  created: number;
  /** The Agora project's App ID and App Certificate (32 hex characters each), or null: Agora tokens are then refused. */
  agora_app_id: string | null;
  agora_app_certificate: string | null;
}

export interface UsersTable {
  seq: Generated<number>;
  app_uuid: string;
  uuid: string;
  username: string;
  password_hash: string;
  nickname: string | null;
  activated: number;
  /** Bumped when every token issued so far must stop working (password change, deactivation). */
  token_version: number;
  /** Unix ms of the last deactivation (0: never): Agora user tokens issued before it are refused. */
  deactivated_at: Generated<number>;
  created: number;
  modified: number;
}

export interface GroupsTable {
  seq: Generated<number>;
  app_uuid: string;
  id: string;
  name: string;
  description: string;
  avatar: string;
  public: number;
  membersonly: number;
  allowinvites: number;
  invite_need_confirm: number;
  maxusers: number;
  owner: string;
  custom: string;
  disabled: Generated<number>;
  mute_all: Generated<number>;
  member_count: number;
  created: number;
  modified: number;
  announcement: Generated<string>;
  kind: RoomKind;
}

/** Groups and chatrooms share the tables; `kind` tells them apart. */
export type RoomKind = 'group' | 'chatroom';

export interface GroupFilesTable {
  seq: Generated<number>;
  app_uuid: string;
  group_id: string;
  file_id: string;
  file_name: string;
  file_owner: string;
  file_size: number;
  content_type: string;
  restricted: number;
  /** Lets a download URL open a restricted file without a token ("?share-secret="). */
  share_secret: string;
  created: number;
}

export type GroupRole = 'owner' | 'admin' | 'member';

export interface GroupMembersTable {
  seq: Generated<number>;
  group_id: string;
  app_uuid: string;
  username: string;
  role: GroupRole;
  joined: number;
  kind: RoomKind;
}

export interface ModerationListTable {
  group_id: string;
  app_uuid: string;
  username: string;
  created: number;
}

export interface GroupMutesTable extends ModerationListTable {
  /** Unix ms when the mute ends; -1 = permanent. */
  expire: number;
}

export interface ThreadsTable {
  seq: Generated<number>;
  app_uuid: string;
  id: string;
  group_id: string;
  name: string;
  owner: string;
  msg_id: string;
  created: number;
  modified: number;
}

export interface ThreadMembersTable {
  seq: Generated<number>;
  thread_id: string;
  app_uuid: string;
  group_id: string;
  username: string;
  joined: number;
}

export type ChatType = 'chat' | 'groupchat' | 'chatroom';

export interface MessagesTable {
  seq: Generated<number>;
  app_uuid: string;
  id: string;
  chat_type: ChatType;
  from_user: string;
  /** The user, group or chatroom id. */
  to_target: string;
  msg_type: string;
  /** JSON text. */
  body: string;
  /** JSON text. */
  ext: string;
  timestamp: number;
  /** Edits so far (migration 013). */
  edit_count: Generated<number>;
  edited_by: string | null;
  edited_at: number | null;
}

export type ConversationKind = 'chat' | 'group' | 'chatroom' | 'user';

export interface ConversationsTable {
  app_uuid: string;
  id: string;
  kind: ConversationKind;
  member_a: string | null;
  member_b: string | null;
  last_seq: number;
  last_timestamp: number;
}

/** What a user removed from their own view of a conversation (migration 013). */
export interface ConversationCutoffsTable {
  app_uuid: string;
  username: string;
  conversation: string;
  hidden_before: Generated<number>;
  roam_before: Generated<number>;
}

/** Messages a user removed from their own history (migration 013). */
export interface RoamingRemovedTable {
  app_uuid: string;
  username: string;
  message_id: string;
}

/** Who read a group message (migration 013). */
export interface GroupReadAcksTable {
  message_id: string;
  username: string;
  timestamp: number;
}

export interface ConversationLogTable {
  app_uuid: string;
  conversation: string;
  seq: number;
  message_id: string | null;
  /** JSON text of a room event. */
  event: string | null;
  /** JSON array of usernames; null = every member. */
  audience: string | null;
  from_user: string;
  from_resource: string | null;
  live_only: Generated<number>;
  timestamp: number;
}

export interface DevicesTable {
  app_uuid: string;
  username: string;
  resource: string;
  created: number;
  last_seen: number;
  connections: Generated<number>;
}

export interface DevicePositionsTable {
  app_uuid: string;
  username: string;
  resource: string;
  conversation: string;
  seq: number;
}

export interface ChatroomSuperAdminsTable {
  app_uuid: string;
  username: string;
  created: number;
}

export type GroupRequestKind = 'apply' | 'invite';

export interface GroupRequestsTable {
  group_id: string;
  app_uuid: string;
  /** The applicant, or the invitee. */
  username: string;
  kind: GroupRequestKind;
  /** Who invited (invitations only). */
  inviter: string | null;
  reason: string;
  created: number;
}

/** A message attachment (POST /chatfiles, or a completed part upload); bytes under `uuid` in the blob store. */
export interface ChatfilesTable {
  seq: Generated<number>;
  app_uuid: string;
  uuid: string;
  /** The uploader's username, or `admin` for the app token. */
  owner: string;
  file_name: string;
  content_type: string;
  file_size: number;
  restricted: number;
  share_secret: string;
  /** The blob of the downscaled image (`thumbnail=true`), or null when the file is no image qunliao reads. */
  thumbnail_key: string | null;
  thumbnail_type: string | null;
  thumbnail_size: number | null;
  created: number;
}

/** A part upload in progress (/sdk/chatfiles/part-upload). */
export interface ChatfileUploadsTable {
  uuid: string;
  app_uuid: string;
  owner: string;
  created: number;
}

export interface ChatfilePartsTable {
  upload_uuid: string;
  /** 1-based, as the client numbers them. */
  part_number: number;
  blob_key: string;
  part_size: number;
  created: number;
}

export interface Database {
  apps: AppsTable;
  users: UsersTable;
  groups: GroupsTable;
  group_members: GroupMembersTable;
  group_files: GroupFilesTable;
  threads: ThreadsTable;
  thread_members: ThreadMembersTable;
  group_mutes: GroupMutesTable;
  group_allowlist: ModerationListTable;
  group_blocklist: ModerationListTable;
  messages: MessagesTable;
  chatroom_super_admins: ChatroomSuperAdminsTable;
  group_requests: GroupRequestsTable;
  chatfiles: ChatfilesTable;
  chatfile_uploads: ChatfileUploadsTable;
  chatfile_parts: ChatfilePartsTable;
  conversations: ConversationsTable;
  conversation_log: ConversationLogTable;
  conversation_cutoffs: ConversationCutoffsTable;
  roaming_removed: RoamingRemovedTable;
  group_read_acks: GroupReadAcksTable;
  devices: DevicesTable;
  device_positions: DevicePositionsTable;
}
