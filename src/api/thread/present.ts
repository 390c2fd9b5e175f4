// Wire shapes of thread answers (seed 002, group_thread.md; the client SDK's thread calls, REST.md).
import type { ThreadRecord } from '../../services/threads.js';

/** A user's or a group's threads: `{name, owner, id, msgId, groupId, created}`. */
export function threadItem(t: ThreadRecord): Record<string, unknown> {
  return { name: t.name, owner: t.owner, id: t.id, msgId: t.messageId, groupId: t.groupId, created: t.created };
}

/** GET /thread/{id} and the join answer's `detail`: the item plus `affiliations_count`. */
export function threadDetail(t: ThreadRecord & { memberCount: number }): Record<string, unknown> {
  return Object.assign(threadItem(t), { affiliations_count: t.memberCount });
}

/** The thread lists' `properties`: the cursor of the page's last row, when the page has rows. */
export function cursorProperties(cursor: string | undefined): Record<string, unknown> {
  return cursor ? { cursor } : {};
}
