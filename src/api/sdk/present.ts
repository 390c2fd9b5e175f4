// Wire shapes of the client SDK's history and conversation answers (client-protocol REST.md):
// history messages are base64 protobuf Metas exactly as on the socket; conversation-list messages
// are JSON with `payload` a JSON string.
import { messageMeta } from '../../msync/codec.js';
import { pb } from '../../msync/schema.js';
import type { ConversationPage, HistoryPage } from '../../services/roaming.js';
import type { DeliveredMessage } from '../../services/sessions/entries.js';

export function historyWire(page: HistoryPage, appKey: string): Record<string, unknown> {
  return {
    msgs: page.messages.map((m) => ({
      msg: Buffer.from(pb.Meta.encode(pb.Meta.fromObject(messageMeta(m, null, appKey))).finish()).toString('base64'),
      msgId: m.id,
      timestamp: m.timestamp,
    })),
    next_key: page.nextKey,
    is_last: page.isLast,
  };
}

/** A message as conversation lists carry it (`payload` a JSON string, `bodies[0]` typed). */
function messageJson(m: DeliveredMessage): Record<string, unknown> {
  const room = m.chat_type !== 'chat';
  const payload: Record<string, unknown> = {
    type: m.chat_type,
    from: m.from,
    to: m.to,
    ext: m.ext ?? {},
    bodies: [{ type: m.type, ...(m.body as Record<string, unknown>) }],
  };
  if (m.edit) payload.meta = { edit_msg: { edit_time: m.edit.at, operator: m.edit.by, count: m.edit.count } };
  return { id: m.id, from: m.from, to: room ? `${m.to}@conference.easemob.com` : m.to, timestamp: m.timestamp, payload: JSON.stringify(payload) };
}

export function conversationsWire(page: ConversationPage): Record<string, unknown> {
  return {
    cursor: page.cursor,
    channel_infos: page.conversations.map((c) => ({
      session_to: c.target,
      session_type: c.type,
      unread_num: c.unread,
      is_top: false,
      update_top_status_time: 0,
      marks: [],
      meta: c.last ? messageJson(c.last) : {},
    })),
  };
}
