// Conversation ids. Every message and event is an entry of one conversation's log:
//   chat:<len>:<a>:<b>   a 1:1 conversation of users a ≤ b (length-prefixed: REST senders are free text)
//   group:<id>           a group
//   chatroom:<id>        a chatroom
//   user:<name>          a user's own notices (room events that reach them as a person: removed,
//                        blocked, dissolved — after which they are no member to read the room's log)
import type { ConversationHead } from '../../store/conversations.js';
import type { ConversationKind } from '../../store/schema.js';

export type RoomKind = 'group' | 'chatroom';

/** A conversation as one user sees it. */
export type ConversationView = { kind: 'chat'; id: string; peer: string } | { kind: RoomKind; id: string; room: string } | { kind: 'user'; id: string };

export function chatConversation(a: string, b: string): ConversationHead {
  const [first, second] = a <= b ? [a, b] : [b, a];
  return { id: `chat:${first.length}:${first}:${second}`, kind: 'chat', memberA: first, memberB: second };
}

export function roomConversation(kind: RoomKind, roomId: string): ConversationHead {
  return { id: `${kind}:${roomId}`, kind };
}

export function userConversation(username: string): ConversationHead {
  return { id: `user:${username}`, kind: 'user' };
}

/** Parses a conversation id; undefined when it is not one. */
export function parseConversation(id: string): { kind: ConversationKind; members?: [string, string]; room?: string; user?: string } | undefined {
  const colon = id.indexOf(':');
  const kind = id.slice(0, colon);
  const rest = id.slice(colon + 1);
  switch (kind) {
    case 'chat': {
      const sep = rest.indexOf(':');
      const len = Number(rest.slice(0, sep));
      if (sep < 1 || !Number.isInteger(len)) return undefined;
      const a = rest.slice(sep + 1, sep + 1 + len);
      const b = rest.slice(sep + 2 + len);
      return { kind: 'chat', members: [a, b] };
    }
    case 'group':
    case 'chatroom':
      return { kind, room: rest };
    case 'user':
      return { kind: 'user', user: rest };
    default:
      return undefined;
  }
}

/** The conversation as `viewer` sees it; undefined when the viewer has no part in it. */
export function viewOf(id: string, viewer: string): ConversationView | undefined {
  const parsed = parseConversation(id);
  if (!parsed) return undefined;
  switch (parsed.kind) {
    case 'chat': {
      const [a, b] = parsed.members!;
      if (viewer !== a && viewer !== b) return undefined;
      return { kind: 'chat', id, peer: viewer === a ? b : a };
    }
    case 'group':
    case 'chatroom':
      return { kind: parsed.kind, id, room: parsed.room! };
    case 'user':
      return parsed.user === viewer ? { kind: 'user', id } : undefined;
  }
}
