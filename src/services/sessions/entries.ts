// What a conversation log holds, as the session core and the codecs see it: messages and room
// events, numbered per conversation. Entries are immutable once written (but for a recalled
// message, whose entry is emptied, and an edited one, whose body changes), so a copy of one (in a
// live notice, a session's buffer) is as good as the stored row.
import type { LogRow } from '../../store/conversations.js';
import type { ChatType } from '../../store/schema.js';
import type { RoomKind } from './conversations.js';

/** A message as delivered to clients (the JSON `/ws` frame's `message`, docs/realtime.md). */
export interface DeliveredMessage {
  id: string;
  from: string;
  to: string;
  chat_type: ChatType;
  type: string;
  body: unknown;
  ext: unknown;
  timestamp: number;
  /** Set once the message was edited (message-lifecycle.ts): what the SDK shows as modifiedInfo. */
  edit?: MessageEdit;
}

export interface MessageEdit {
  count: number;
  /** Who edited it last. */
  by: string;
  /** When (ms). */
  at: number;
}

/**
 * What happened to a message, or what a client says about it (services/message-lifecycle.ts):
 * written to the message's conversation like a message, for the devices of those it concerns.
 */
export type MessageSignal =
  /** The message was recalled by `from` (a user, or `admin` for the app). */
  | { kind: 'recall'; id: string; chat_type: ChatType; from: string; to: string; msg_id: string; ext?: string }
  /** `from` read / received the message `msg_id` of the peer `to` (READ_ACK / DELIVER_ACK). */
  | { kind: 'read' | 'delivered'; id: string; chat_type: ChatType; from: string; to: string; msg_id: string; content?: string; readers?: number }
  /** `from` read the whole 1:1 conversation with `to` (CHANNEL_ACK). */
  | { kind: 'channel'; id: string; chat_type: ChatType; from: string; to: string }
  /** The message was edited: its new content, as it is now. */
  | { kind: 'edit'; id: string; chat_type: ChatType; from: string; to: string; msg_id: string; message: DeliveredMessage; scope: 'body' | 'body_and_ext' };

/**
 * A notification about a group or chatroom, as one recipient gets it (PROTOCOL.md §8): the codecs
 * turn each kind into their own frame (msync: the MUC operation the SDK turns into onGroupEvent /
 * onChatroomEvent). services/events.ts decides who gets which.
 */
export type RoomEventKind =
  /** Someone became a member (added or joined); to the members. */
  | 'member_joined'
  /** Someone stopped being a member (left, removed, blocked); to the members. */
  | 'member_left'
  /** You were added by someone else. */
  | 'added'
  /** You were removed (or blocked) by someone else. */
  | 'removed'
  | 'muted'
  | 'unmuted'
  | 'mute_all'
  | 'unmute_all'
  | 'allowlisted'
  | 'unallowlisted'
  | 'admin_added'
  | 'admin_removed'
  | 'owner_changed'
  | 'info_updated'
  | 'announcement_updated'
  | 'announcement_deleted'
  | 'file_uploaded'
  | 'file_deleted'
  | 'unblocked'
  | 'destroyed'
  /** Someone applied to join a members-only group; to its owner and admins. */
  | 'join_requested'
  /** Your application was accepted / declined. */
  | 'request_accepted'
  | 'request_declined'
  /** You were invited (and are asked to answer). */
  | 'invited'
  /** The one you invited accepted / declined. */
  | 'invitation_accepted'
  | 'invitation_declined';

export interface RoomEvent {
  /** Unique like a message id (clients de-duplicate by it). */
  eventId: string;
  room: RoomKind;
  /** The group or chatroom id. */
  id: string;
  kind: RoomEventKind;
  /** Who did it: the acting user, the member who joined or left, or `admin` for app-token calls. */
  from: string;
  /** The users it was done to (muted, added, removed…). */
  to?: string[];
  /** Members after the operation (joins and leaves). */
  memberCount?: number;
  /** Unix ms when a mute ends; -1 = permanent (muted). */
  muteExpire?: number;
  /** Free text the operation carries (a chatroom join's ext, the announcement, the room's name…). */
  text?: string;
  /** Why (an application's or invitation's message, a decline's reason). */
  reason?: string;
}

/** The origin of an entry that none of the sender's devices is given (REST sends not synced to the sender). */
export const ALL_DEVICES = '*';

export interface LogEntry {
  conversation: string;
  seq: number;
  timestamp: number;
  from: string;
  /** The sending device (the codec's origin tag), which already has the entry; ALL_DEVICES: all of them. */
  fromResource: string | null;
  /**
   * The users who may see it; null = every member of the conversation. Empty: handed to no device
   * (an imported message, services/messages.ts importMessage; it is there for the log's history).
   */
  audience: string[] | null;
  /** Members who do not see it (the one who joined, who left…). */
  except?: string[];
  /** Only for devices that were connected when it was written. */
  liveOnly: boolean;
  message?: DeliveredMessage;
  event?: RoomEvent;
  signal?: MessageSignal;
}

export function entryFromRow(r: LogRow): LogEntry {
  const entry: LogEntry = {
    conversation: r.conversation,
    seq: Number(r.seq),
    timestamp: Number(r.timestamp),
    from: r.from_user,
    fromResource: r.from_resource,
    audience: null,
    liveOnly: Number(r.live_only) === 1,
  };
  // The audience column: a JSON array of who sees it, or {"except": [...]} for everyone but them.
  if (r.audience !== null) {
    const audience = JSON.parse(r.audience) as string[] | { except: string[] };
    if (Array.isArray(audience)) entry.audience = audience;
    else entry.except = audience.except;
  }
  if (r.m_id !== null) {
    entry.message = {
      id: r.m_id,
      from: r.m_from_user!,
      to: r.m_to_target!,
      chat_type: r.m_chat_type as ChatType,
      type: r.m_msg_type!,
      body: JSON.parse(r.m_body!),
      ext: JSON.parse(r.m_ext!),
      timestamp: Number(r.m_timestamp),
    };
    if (r.m_edit_count !== null && Number(r.m_edit_count) > 0) {
      entry.message.edit = { count: Number(r.m_edit_count), by: r.m_edited_by ?? '', at: Number(r.m_edited_at ?? 0) };
    }
  }
  // The event column holds a room event, or {"signal": …} for a message signal.
  if (r.event !== null) {
    const parsed = JSON.parse(r.event) as RoomEvent | { signal: MessageSignal };
    if ('signal' in parsed) entry.signal = parsed.signal;
    else entry.event = parsed;
  }
  return entry;
}
