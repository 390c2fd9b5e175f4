// Who of a room's members to tell now. Called once the entry is stored, so that a device either
// gets the notice or finds the entry when it reads its backlog.
import type { Fanout } from '../../coord/fanout.js';
import type { ConversationsRepository } from '../../store/conversations.js';

/** Connected users looked up by name among a room's members; beyond, the members are read whole. */
const ONLINE_LOOKUP_MAX = 500;

/**
 * When the fan-out knows who is connected and they are fewer than the room's members, only those
 * are looked up (nobody at all when nobody is connected), and again those who connected during
 * the lookup: a device that subscribed after its backlog was read must not miss the notice.
 * Otherwise every member (the fan-out skips those without a device).
 */
export async function connectedMembers(
  fanout: Fanout,
  conversations: ConversationsRepository,
  appUuid: string,
  roomId: string,
  memberCount: number,
): Promise<string[]> {
  const online = fanout.onlineUsers(appUuid);
  if (!online || online.size >= memberCount || online.size > ONLINE_LOOKUP_MAX) return conversations.roomMembers(roomId);
  const asked = new Set<string>();
  const members: string[] = [];
  for (;;) {
    const fresh = [...online].filter((u) => !asked.has(u));
    if (fresh.length === 0) return members;
    fresh.forEach((u) => asked.add(u));
    members.push(...(await conversations.roomMembers(roomId, fresh)));
  }
}
