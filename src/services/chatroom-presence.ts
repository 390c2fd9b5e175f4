// Joining and leaving chatrooms from a connected client (the SDK's joinChatRoom / leaveChatRoom go
// over the socket, PROTOCOL.md §8). Membership follows the chatroom rules of the REST member
// operations (services/rooms/members.ts: blocklist, maxusers, chatrooms per user); their refusals
// become client refusals.
import type { ModerationRepository } from '../store/moderation.js';
import type { App } from './apps.js';
import { ClientRefusal, DomainError, refuse, type ErrorCode } from './errors.js';
import type { EventsService } from './events.js';
import type { Room } from './rooms/index.js';

/** What a member learns on joining (the SDK's join result `info`). */
export interface ChatroomJoinInfo {
  isAllMembersMuted: boolean;
  createTimestamp: number;
  isInAllowlist: boolean;
  memberCount: number;
  /** Unix ms when the member's mute ends, -1 = permanent; undefined = not muted. */
  muteExpire?: number;
}

/** REST refusals of a join, as client refusals. */
const JOIN_REFUSALS: Partial<Record<ErrorCode, ClientRefusal['reason']>> = {
  groupNotFound: 'chatroom_not_found',
  groupMembersExceedMax: 'chatroom_full',
  groupUserBlocked: 'chatroom_blocked',
  roomJoinTooMany: 'too_many_chatrooms',
  userTooManyChatrooms: 'too_many_chatrooms',
};

/** Rooms left at once for `leaveOtherRooms`. */
const LEAVE_OTHERS_MAX = 1000;

export class ChatroomPresenceService {
  constructor(
    /** The chatrooms' room model: membership rules and rows. */
    private readonly chatrooms: Room,
    private readonly lists: ModerationRepository,
    private readonly events: EventsService,
    private readonly now: () => number = Date.now,
  ) {}

  private get rooms() {
    return this.chatrooms.core.rows;
  }

  private async room(app: App, id: string) {
    const room = await this.chatrooms.core.find(app, id);
    if (!room) refuse('chatroom_not_found', id);
    return room;
  }

  /**
   * Joins (a member already is one: joining again succeeds); answers the room's state for the
   * member. The other members are told (memberPresence), with the join's `ext`.
   */
  async join(app: App, username: string, id: string, leaveOthers: boolean, ext = ''): Promise<{ info: ChatroomJoinInfo; joined: boolean }> {
    const before = await this.room(app, id);
    let joined = false;
    if (!(await this.rooms.member(id, username))) {
      try {
        await this.chatrooms.members.join(app, before, [username]);
        joined = true;
      } catch (err) {
        if (err instanceof DomainError && err.code === 'groupAlreadyMember') joined = false;
        else if (err instanceof DomainError && JOIN_REFUSALS[err.code]) refuse(JOIN_REFUSALS[err.code]!, err.code === 'groupNotFound' ? id : username);
        else throw err;
      }
    }
    if (joined) await this.events.room(app, { kind: 'chatroom', id }, { op: 'member_joined', from: username, ...(ext ? { text: ext } : {}) });
    if (leaveOthers) {
      for (const other of await this.rooms.userGroups(app.uuid, username, 0, LEAVE_OTHERS_MAX)) {
        if (other.id === id || other.owner === username) continue;
        if ((await this.rooms.removeMembers(other.id, [username], this.now())).length > 0) {
          await this.events.room(app, { kind: 'chatroom', id: other.id }, { op: 'member_left', from: username });
        }
      }
    }
    const room = await this.room(app, id);
    const [allowlisted, mute] = await Promise.all([this.lists.contains('group_allowlist', id, username), this.lists.activeMute(id, username, this.now())]);
    return {
      joined,
      info: {
        isAllMembersMuted: room.mute_all === 1,
        createTimestamp: room.created,
        isInAllowlist: allowlisted,
        memberCount: room.member_count,
        ...(mute ? { muteExpire: mute.expire } : {}),
      },
    };
  }

  /** Leaves (leaving a room one is not in succeeds); the owner cannot leave; the others are told (memberAbsence). Answers whether they were a member. */
  async leave(app: App, username: string, id: string): Promise<boolean> {
    const room = await this.room(app, id);
    if (room.owner === username) refuse('owner_cannot_leave', id);
    const left = (await this.rooms.removeMembers(id, [username], this.now())).length > 0;
    if (left) await this.events.room(app, { kind: 'chatroom', id }, { op: 'member_left', from: username });
    return left;
  }
}
