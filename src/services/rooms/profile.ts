// Groups and chatrooms are one room model (REFERENCE §2c, §2d: the same roles, members, admins,
// owner transfer, announcement and moderation). What differs between the two kinds is written
// down once here, as a profile per kind: its caps and the documented errors it answers with.
import type { Limits } from '../../config.js';
import type { RoomKind } from '../../store/schema.js';
import type { ErrorCode } from '../errors.js';

export interface RoomProfile {
  kind: RoomKind;
  /** Rooms of this kind one user may be in; counted inside the writing transaction. */
  perUser: number;
  /** Rooms of this kind per app; 0 = unlimited. */
  perApp: number;
  /** Whether a user who is not a member may see a room's details only when it is public (groups), or always (chatrooms). */
  detailsOfPrivateForMembersOnly: boolean;
  /** `maxusers` when a create request does not ask, and the highest it may ask for. */
  maxUsers: { default: number; highest: number };
  errors: {
    /** A create whose owner or members would pass `perUser`. */
    createUserTooMany: ErrorCode;
    /** A create past `perApp`. */
    createAppTooMany: ErrorCode;
    /** Adding a member who is in `perUser` rooms already. */
    joinUserTooMany: ErrorCode;
    /** Moderating (mute, allowlist, block) users who are not members: 403 for groups, 400 for chatrooms. */
    notMembers: ErrorCode;
    /** Removing one user who is not a member. */
    removeNotMember: ErrorCode;
    /** Details asked for one id that does not exist. */
    detailsNotFound: ErrorCode;
  };
}

/** Groups: seed 001 and group_member.md. */
export function groupProfile(limits: Limits): RoomProfile {
  return {
    kind: 'group',
    perUser: limits.groupsPerUser,
    perApp: limits.groupsPerApp,
    detailsOfPrivateForMembersOnly: true,
    maxUsers: { default: 200, highest: limits.groupMaxUsers },
    errors: {
      createUserTooMany: 'userTooManyGroups',
      createAppTooMany: 'appTooManyGroups',
      joinUserTooMany: 'userTooManyGroups',
      notMembers: 'groupNotMembers',
      removeNotMember: 'groupUserNotInGroup',
      detailsNotFound: 'groupNotFound',
    },
  };
}

/** Chatrooms: chatroom_manage.md and chatroom_member.md (the texts still say "group"). */
export function chatroomProfile(limits: Limits): RoomProfile {
  return {
    kind: 'chatroom',
    perUser: limits.chatroomsPerUser,
    perApp: limits.chatroomsPerApp,
    detailsOfPrivateForMembersOnly: false,
    maxUsers: { default: 1000, highest: limits.chatroomMaxUsers },
    errors: {
      createUserTooMany: 'userTooManyChatrooms',
      createAppTooMany: 'appTooManyChatrooms',
      // Joining a room at the cap has its own text ("can not join this group, reason:…", §2c).
      joinUserTooMany: 'roomJoinTooMany',
      notMembers: 'roomNotMembers',
      removeNotMember: 'roomNotMembers',
      detailsNotFound: 'groupNotFoundForList',
    },
  };
}
