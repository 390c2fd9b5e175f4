// Room events: what a REST operation on a group or chatroom tells the people concerned (PROTOCOL.md
// §8, and who receives what per the SDK's own API notes). Room services call `room()` after the
// operation has happened; the events go through the session core like messages, so every client
// protocol gets them: a group event is kept for members who are away, a chatroom event is not.
//
// Where they go:
// - to the room's members (or some of them): one entry in the room's log, read like its messages;
// - to people who are no longer members (removed, blocked, unblocked, the members of a dissolved
//   room): one entry in each one's own log (`user:<name>`), live only for chatrooms.
import type { Fanout } from '../coord/fanout.js';
import type { ConversationHead, ConversationsRepository } from '../store/conversations.js';
import type { GroupsRepository } from '../store/groups.js';
import type { App } from './apps.js';
import { nextMessageId } from './messages.js';
import { roomConversation, userConversation, type RoomKind } from './sessions/conversations.js';
import { connectedMembers } from './sessions/recipients.js';
import type { LogEntry, RoomEvent, RoomEventKind } from './sessions/entries.js';

/**
 * What happened to a room. `from` is who did it: the acting user, the member who joined or left,
 * or `admin` for an app-token call; `to` the users it was done to.
 */
export type RoomOperation =
  /** Added by someone else (REST add, an invitation that needed no confirmation). */
  | { op: 'members_added'; from: string; to: string[] }
  /** Joined by themselves (a chatroom join, a public group join); `from` the member, `text` a chatroom join's ext. */
  | { op: 'member_joined'; from: string; text?: string }
  /** Removed by someone else. */
  | { op: 'members_removed'; from: string; to: string[] }
  /** Left by themselves; `from` the member. */
  | { op: 'member_left'; from: string }
  /** `expire`: Unix ms when the mutes end, -1 = permanent. */
  | { op: 'muted'; from: string; to: string[]; expire: number }
  | { op: 'unmuted'; from: string; to: string[] }
  | { op: 'mute_all'; from: string }
  | { op: 'unmute_all'; from: string }
  | { op: 'allowlisted'; from: string; to: string[] }
  | { op: 'unallowlisted'; from: string; to: string[] }
  | { op: 'admin_added'; from: string; to: string[] }
  | { op: 'admin_removed'; from: string; to: string[] }
  /** `to`: the new owner. */
  | { op: 'owner_changed'; from: string; to: string[] }
  /** `changes`: the modified fields as the REST body named them (groupname, description, maxusers…). */
  | { op: 'info_updated'; from: string; changes: Record<string, unknown> }
  | { op: 'announcement_updated'; from: string; text: string }
  | { op: 'announcement_deleted'; from: string }
  /** `text`: the file id. */
  | { op: 'file_uploaded'; from: string; text: string }
  | { op: 'file_deleted'; from: string; text: string }
  /** Blocking removes the member (told as removed, like members_removed). */
  | { op: 'blocked'; from: string; to: string[] }
  | { op: 'unblocked'; from: string; to: string[] }
  /** `members`: everyone who was in the room. */
  | { op: 'destroyed'; from: string; members: string[] }
  /** A group created with members: each is told they were added (no presence for the others). */
  | { op: 'created'; from: string; to: string[] }
  /** An application to a members-only group, to its owner and admins; `from` the applicant. */
  | { op: 'join_requested'; from: string; reason: string }
  /** `to`: the applicant; when accepted the other members see them join. */
  | { op: 'request_answered'; from: string; to: string; accepted: boolean; reason?: string }
  /** Invitations waiting for the invitees' answer (`invite_need_confirm`). */
  | { op: 'invited'; from: string; to: string[]; reason: string }
  /** `from`: the invitee; `to`: who invited them (nobody is told when that was the app). */
  | { op: 'invitation_answered'; from: string; to: string; accepted: boolean }
  /** The SDKs have no event for these: nothing is sent (as the hosted service). */
  | { op: 'disabled'; from: string }
  | { op: 'enabled'; from: string };

/**
 * An operation as a room service reports it: who acted comes from the caller (RoomCore.announce),
 * with the acting device (the `resource=` the client SDK sends), which is not told.
 */
export type Announcement = RoomOperation extends infer O ? (O extends RoomOperation ? Omit<O, 'from'> : never) : never;

/** An event on its way to the log, with the device that caused it (stored beside it, not in it). */
type Stamped = RoomEvent & { device?: string | undefined };

export interface RoomRef {
  kind: RoomKind;
  id: string;
}

/** What the REST field names of a group or chatroom are to the SDK's updateInfo detail (its `lt` table). */
const INFO_FIELDS: Record<string, string> = {
  groupname: 'name',
  name: 'name',
  title: 'title',
  description: 'description',
  desc: 'description',
  public: 'public',
  membersonly: 'members_only',
  members_only: 'members_only',
  allowinvites: 'allow_user_invites',
  invite_need_confirm: 'invite_need_confirm',
  maxusers: 'max_users',
  custom: 'custom',
  avatar: 'avatar',
};

/** Fields of the updateInfo detail that are booleans. */
const SWITCHES = new Set(['public', 'members_only', 'allow_user_invites', 'invite_need_confirm']);

export class EventsService {
  constructor(
    private readonly conversations: ConversationsRepository,
    private readonly rooms: Record<RoomKind, GroupsRepository>,
    private readonly fanout: Fanout,
    private readonly onError: (err: unknown, what: string) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Tells the people concerned what `operation` did to `room`. Never throws: the operation has
   * happened; a failure to tell is reported (and the event lost).
   */
  async room(app: App, room: RoomRef, operation: RoomOperation, device?: string): Promise<void> {
    try {
      await this.deliver(app, room, operation, device);
    } catch (err) {
      this.onError(err, `announcing ${operation.op} in ${room.kind} ${room.id}`);
    }
  }

  private async deliver(app: App, room: RoomRef, o: RoomOperation, device: string | undefined): Promise<void> {
    const group = room.kind === 'group';
    const event = (kind: RoomEventKind, extra: Partial<RoomEvent> = {}): Stamped => {
      const from = extra.from ?? o.from;
      // The acting device already knows; the actor's other devices are told like everyone.
      return Object.assign({ eventId: '', room: room.kind, id: room.id, kind }, extra, { from, device: from === o.from ? device : undefined });
    };
    switch (o.op) {
      case 'members_added': {
        // memberPresence names the member who joined; the added member learns who added them.
        const count = await this.memberCount(app, room);
        const name = await this.roomName(app, room);
        for (const user of o.to) {
          await this.toMembers(app, room, event('member_joined', { from: user, memberCount: count }), { except: o.to });
          await this.toMembers(app, room, event('added', { to: [user], text: name }), [user]);
        }
        return;
      }
      case 'member_joined':
        return this.toMembers(app, room, event('member_joined', { memberCount: await this.memberCount(app, room), text: o.text }), { except: [o.from] });
      case 'member_left':
        return this.toMembers(app, room, event('member_left', { memberCount: await this.memberCount(app, room) }), { except: [o.from] });
      case 'muted':
      case 'unmuted':
        // Groups tell every member; chatrooms the muted member, the owner and the admins.
        for (const user of o.to) {
          const e = event(o.op, { to: [user], ...(o.op === 'muted' ? { muteExpire: o.expire } : {}) });
          await this.toMembers(app, room, e, group ? undefined : [user, ...(await this.staff(room))]);
        }
        return;
      case 'mute_all':
      case 'unmute_all':
        return this.toMembers(app, room, event(o.op));
      case 'allowlisted':
      case 'unallowlisted':
      case 'admin_added':
      case 'admin_removed':
        for (const user of o.to) await this.toMembers(app, room, event(o.op, { to: [user] }), [user]);
        return;
      case 'owner_changed':
        return this.toMembers(app, room, event('owner_changed', { to: o.to }));
      case 'info_updated': {
        const detail = Object.fromEntries(
          Object.entries(o.changes).flatMap(([k, v]) => {
            const field = INFO_FIELDS[k];
            if (!field) return [];
            // Switches are stored as 1 / 0; the SDK's detail has them as booleans.
            return [[field, SWITCHES.has(field) && typeof v === 'number' ? v === 1 : v]];
          }),
        );
        return this.toMembers(app, room, event('info_updated', { text: JSON.stringify(detail) }));
      }
      case 'announcement_updated':
        return this.toMembers(app, room, event('announcement_updated', { text: o.text }));
      case 'announcement_deleted':
        return this.toMembers(app, room, event('announcement_deleted'));
      case 'file_uploaded':
      case 'file_deleted':
        return this.toMembers(app, room, event(o.op, { text: o.text }));
      case 'blocked':
      case 'members_removed': {
        // The one removed (or blocked) is told as removed; the others see them leave.
        const count = await this.memberCount(app, room);
        for (const user of o.to) {
          await this.toPerson(app, room, user, event('removed', { to: [user] }));
          await this.toMembers(app, room, event('member_left', { from: user, memberCount: count }));
        }
        return;
      }
      case 'unblocked':
        for (const user of o.to) await this.toPerson(app, room, user, event('unblocked', { to: [user] }));
        return;
      case 'destroyed':
        for (const user of o.members) if (user !== o.from) await this.toPerson(app, room, user, event('destroyed'));
        return;
      case 'created': {
        const name = await this.roomName(app, room);
        const invited = o.to.filter((u) => u !== o.from);
        if (invited.length > 0) await this.toMembers(app, room, event('added', { text: name }), invited);
        return;
      }
      case 'join_requested':
        return this.toMembers(app, room, event('join_requested', { reason: o.reason }), await this.staff(room));
      case 'request_answered':
        await this.toPerson(app, room, o.to, event(o.accepted ? 'request_accepted' : 'request_declined', { to: [o.to], ...(o.reason ? { reason: o.reason } : {}) }));
        if (o.accepted) await this.toMembers(app, room, event('member_joined', { from: o.to, memberCount: await this.memberCount(app, room) }), { except: [o.to] });
        return;
      case 'invited': {
        const name = await this.roomName(app, room);
        for (const user of o.to) await this.toPerson(app, room, user, event('invited', { to: [user], text: name, reason: o.reason }));
        return;
      }
      case 'invitation_answered':
        if (o.to !== 'admin') await this.toPerson(app, room, o.to, event(o.accepted ? 'invitation_accepted' : 'invitation_declined', { to: [o.to] }));
        if (o.accepted) await this.toMembers(app, room, event('member_joined', { memberCount: await this.memberCount(app, room) }), { except: [o.from] });
        return;
      case 'disabled':
      case 'enabled':
        return;
    }
  }

  private async memberCount(app: App, room: RoomRef): Promise<number | undefined> {
    return (await this.rooms[room.kind].find(app.uuid, room.id))?.member_count;
  }

  private async roomName(app: App, room: RoomRef): Promise<string | undefined> {
    return (await this.rooms[room.kind].find(app.uuid, room.id))?.name;
  }

  /** The owner and the admins. */
  private async staff(room: RoomRef): Promise<string[]> {
    const repo = this.rooms[room.kind];
    const admins = (await repo.admins(room.id)).map((m) => m.username);
    const owner = (await repo.members(room.id, 0, 1))[0]?.username;
    return owner ? [owner, ...admins] : admins;
  }

  /**
   * One entry in the room's log, seen by every member, by the members of a list, or by every
   * member but the ones named in `except`.
   */
  private async toMembers(app: App, room: RoomRef, event: Stamped, audience?: string[] | { except: string[] }): Promise<void> {
    const head = roomConversation(room.kind, room.id);
    if (Array.isArray(audience)) {
      const members = new Set(await this.conversations.roomMembers(room.id, audience));
      const list = audience.filter((u) => members.has(u));
      if (list.length > 0) await this.append(app, head, event, list, false, async () => list);
      return;
    }
    const except = audience?.except ?? [];
    const count = (await this.rooms[room.kind].find(app.uuid, room.id))?.member_count ?? Number.MAX_SAFE_INTEGER;
    const notify = async () => (await connectedMembers(this.fanout, this.conversations, app.uuid, room.id, count)).filter((m) => !except.includes(m));
    await this.append(app, head, event, except.length > 0 ? { except } : null, false, notify);
  }

  /** One entry in a person's own log (they may be no member any more); live only for chatrooms. */
  private toPerson(app: App, room: RoomRef, user: string, event: Stamped): Promise<void> {
    return this.append(app, userConversation(user), event, null, room.kind === 'chatroom', async () => [user]);
  }

  /** Stores the event, then tells the connected devices of `notify()` (looked up once it is stored). */
  private async append(
    app: App,
    head: ConversationHead,
    { device, ...event }: Stamped,
    audience: string[] | { except: string[] } | null,
    liveOnly: boolean,
    notify: () => Promise<string[]>,
  ): Promise<void> {
    const timestamp = this.now();
    const stamped: RoomEvent = Object.assign({}, event, { eventId: nextMessageId(timestamp) });
    const seq = await this.conversations.append(app.uuid, head, {
      message_id: null,
      event: JSON.stringify(stamped),
      audience: audience === null ? null : JSON.stringify(audience),
      from_user: stamped.from,
      from_resource: device ?? null,
      live_only: liveOnly ? 1 : 0,
      timestamp,
    });
    const entry: LogEntry = {
      conversation: head.id,
      seq,
      timestamp,
      from: stamped.from,
      fromResource: device ?? null,
      audience: Array.isArray(audience) ? audience : null,
      ...(audience !== null && !Array.isArray(audience) ? { except: audience.except } : {}),
      liveOnly,
      event: stamped,
    };
    this.fanout.publish(app.uuid, await notify(), { conversation: head.id, entries: [entry] });
  }
}
