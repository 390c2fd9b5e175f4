// What room services answer: plain records with real booleans and numbers. The presenters under
// src/api/<resource>/present.ts turn them into the documented wire shapes.
import type { GroupRow, MemberEntryRow } from '../../store/groups.js';
import type { GroupRole } from '../../store/schema.js';

export interface RoomRecord {
  /** Position in creation order (keyset cursors). */
  seq: number;
  id: string;
  name: string;
  description: string;
  avatar: string;
  public: boolean;
  membersOnly: boolean;
  allowInvites: boolean;
  inviteNeedConfirm: boolean;
  maxUsers: number;
  owner: string;
  custom: string;
  disabled: boolean;
  muteAll: boolean;
  /** Members including the owner. */
  memberCount: number;
  created: number;
  modified: number;
}

/** A room as one of its members sees it in their list: with their role there. */
export interface JoinedRoomRecord extends RoomRecord {
  role: GroupRole;
}

export interface MemberRecord {
  username: string;
  role: GroupRole;
  joined: number;
}

/** A room with (up to the details cap of) its members, owner first. */
export interface RoomWithMembers extends RoomRecord {
  members: MemberRecord[];
}

/** Details of one asked-for id: the room, or that it does not exist. */
export type DetailsEntry = { found: true; room: RoomWithMembers } | { found: false; id: string };

/** One user of a batch removal. */
export interface RemovalResult {
  user: string;
  removed: boolean;
  /** Why not: the owner cannot be removed, or the user was not a member. */
  reason?: 'owner' | 'not_member';
}

export function roomRecord(row: GroupRow): RoomRecord {
  return {
    seq: row.seq,
    id: row.id,
    name: row.name,
    description: row.description,
    avatar: row.avatar,
    public: row.public === 1,
    membersOnly: row.membersonly === 1,
    allowInvites: row.allowinvites === 1,
    inviteNeedConfirm: row.invite_need_confirm === 1,
    maxUsers: row.maxusers,
    owner: row.owner,
    custom: row.custom,
    disabled: row.disabled === 1,
    muteAll: row.mute_all === 1,
    memberCount: row.member_count,
    created: row.created,
    modified: row.modified,
  };
}

export function joinedRoomRecord(row: GroupRow & { role: GroupRole }): JoinedRoomRecord {
  return Object.assign(roomRecord(row), { role: row.role });
}

export function memberRecord(row: MemberEntryRow): MemberRecord {
  return { username: row.username, role: row.role, joined: row.joined };
}
