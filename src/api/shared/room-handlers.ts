// Handler bodies that /chatgroups and /chatrooms share: details, dissolve, announcement, members,
// admins, mutes, mute-all, allowlist and blocklist. Each resource folder registers them under its
// own literal paths (src/api/chatgroups/*.ts, src/api/chatrooms/*.ts); what differs on the wire is
// in the kind's RoomWire.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { envelope } from '../../http/envelope.js';
import type { ModerationService } from '../../services/moderation.js';
import type { Room } from '../../services/rooms/index.js';
import type { RoomKind } from '../../store/schema.js';
import { detailsList, listRows, memberRow, memberRowByRole, muteListRows, muteRows, removalRow, unmuteRows } from './present-rooms.js';

/** What one room kind names differently on the wire. */
export interface RoomWire {
  kind: RoomKind;
  /** The path parameter holding the room id. */
  param: 'group_id' | 'chatroom_id';
  /** Key of the room id in member results… */
  memberIdKey: string;
  /** …and in allowlist / blocklist results. */
  listIdKey: string;
  addedOne(user: string, id: string): Record<string, unknown>;
  addedMany(users: string[], id: string): Record<string, unknown>;
  removedOne(user: string, id: string): Record<string, unknown>;
  dissolved(id: string): Record<string, unknown>;
  muteAllAction: string;
}

type Req = FastifyRequest<{ Params: Record<string, string>; Querystring: Record<string, string | undefined> }>;
export type RoomHandler = (req: Req, reply: FastifyReply) => Promise<Record<string, unknown>>;

const flag = (v: string | undefined) => v === 'true';

export function roomHandlers(room: Room, wire: RoomWire) {
  const id = (req: Req) => req.params[wire.param]!;
  const handlers = {
    details: (async (req, reply) => {
      const data = detailsList(await room.details.details(req.chatApp, id(req), req.principal!), wire.kind);
      return envelope(req, reply, { data, count: data.length, properties: {} });
    }) satisfies RoomHandler,

    dissolve: (async (req, reply) => {
      await room.core.dissolve(req.chatApp, id(req), req.principal!);
      return envelope(req, reply, { data: wire.dissolved(id(req)) });
    }) satisfies RoomHandler,

    getAnnouncement: (async (req, reply) =>
      envelope(req, reply, { data: { announcement: await room.announcement.get(req.chatApp, id(req)) } })) satisfies RoomHandler,

    setAnnouncement: (async (req, reply) => {
      await room.announcement.set(req.chatApp, id(req), req.body, req.principal!);
      return envelope(req, reply, { data: { id: id(req), result: true } });
    }) satisfies RoomHandler,

    /** Numbered pages (`pagenum`, `pagesize`), or keyset pages when `limit` or `cursor` is sent (the client SDK). */
    listMembers: (async (req, reply) => {
      const withJoinedTime = flag(req.query.joined_time);
      if (req.query.limit !== undefined || req.query.cursor !== undefined) {
        const page = await room.members.listFrom(req.chatApp, id(req), req.query);
        const data = page.items.map((m) => memberRowByRole(m, withJoinedTime));
        return envelope(req, reply, { data, count: data.length, cursor: page.cursor, params: true });
      }
      const members = await room.members.list(req.chatApp, id(req), req.query);
      const data = members.map((m) => memberRow(m, withJoinedTime));
      return envelope(req, reply, { data, count: data.length, params: true });
    }) satisfies RoomHandler,

    addMember: (async (req, reply) =>
      envelope(req, reply, { data: wire.addedOne(await room.members.addOne(req.chatApp, id(req), req.params.username!, req.principal!), id(req)) })) satisfies RoomHandler,

    addMembers: (async (req, reply) =>
      envelope(req, reply, { data: wire.addedMany(await room.members.addMany(req.chatApp, id(req), req.body, req.principal!), id(req)) })) satisfies RoomHandler,

    /** One name answers an object, a comma list an array. */
    removeMembers: (async (req, reply) => {
      const names = req.params.username!;
      if (names.includes(',')) {
        const rows = await room.members.removeMany(req.chatApp, id(req), names, req.principal!);
        return envelope(req, reply, { data: rows.map((r) => removalRow(r, wire.memberIdKey, id(req))) });
      }
      return envelope(req, reply, { data: wire.removedOne(await room.members.removeOne(req.chatApp, id(req), names, req.principal!), id(req)) });
    }) satisfies RoomHandler,

    listAdmins: (async (req, reply) => {
      const data = await room.admins.list(req.chatApp, id(req));
      return envelope(req, reply, { data, count: data.length });
    }) satisfies RoomHandler,

    addAdmin: (async (req, reply) =>
      envelope(req, reply, { data: { result: 'success', newadmin: await room.admins.add(req.chatApp, id(req), req.body, req.principal!) } })) satisfies RoomHandler,

    removeAdmin: (async (req, reply) =>
      envelope(req, reply, { data: { result: 'success', oldadmin: await room.admins.remove(req.chatApp, id(req), req.params.username!, req.principal!) } })) satisfies RoomHandler,
  };
  return handlers;
}

export function moderationHandlers(moderation: ModerationService, wire: RoomWire) {
  const id = (req: Req) => req.params[wire.param]!;
  const rows = (req: Req, action: string, changes: Parameters<typeof listRows>[0]) => listRows(changes, action, wire.listIdKey, id(req));
  return {
    mute: (async (req, reply) => envelope(req, reply, { data: muteRows(await moderation.mute(req.chatApp, id(req), req.body, req.principal!)) })) satisfies RoomHandler,

    mutes: (async (req, reply) => envelope(req, reply, { data: muteListRows(await moderation.mutes(req.chatApp, id(req))) })) satisfies RoomHandler,

    unmute: (async (req, reply) =>
      envelope(req, reply, { data: unmuteRows(await moderation.unmute(req.chatApp, id(req), req.params.usernames!, req.principal!)) })) satisfies RoomHandler,

    muteAll: (async (req, reply) =>
      envelope(req, reply, { action: wire.muteAllAction, data: { mute: await moderation.setMuteAll(req.chatApp, id(req), true, req.principal!) } })) satisfies RoomHandler,

    unmuteAll: (async (req, reply) => envelope(req, reply, { data: { mute: await moderation.setMuteAll(req.chatApp, id(req), false, req.principal!) } })) satisfies RoomHandler,

    allowlist: (async (req, reply) => {
      const data = await moderation.allowlist(req.chatApp, id(req));
      return envelope(req, reply, { data, count: data.length });
    }) satisfies RoomHandler,

    allowOne: (async (req, reply) =>
      envelope(req, reply, { data: rows(req, 'add_user_whitelist', await moderation.allowOne(req.chatApp, id(req), req.params.usernames!, req.principal!))[0] })) satisfies RoomHandler,

    allowMany: (async (req, reply) =>
      envelope(req, reply, { data: rows(req, 'add_user_whitelist', await moderation.allowMany(req.chatApp, id(req), req.body, req.principal!)) })) satisfies RoomHandler,

    disallow: (async (req, reply) =>
      envelope(req, reply, { data: rows(req, 'remove_user_whitelist', await moderation.disallow(req.chatApp, id(req), req.params.usernames!, req.principal!)) })) satisfies RoomHandler,

    blocklist: (async (req, reply) => {
      const data = await moderation.blocklist(req.chatApp, id(req));
      return envelope(req, reply, { data, count: data.length });
    }) satisfies RoomHandler,

    /** One member: an object, as the REST docs show; with `version=v3` (the client SDK) a one-row array, which it reads. */
    blockOne: (async (req, reply) => {
      const data = rows(req, 'add_blocks', await moderation.blockOne(req.chatApp, id(req), req.params.usernames!, req.principal!));
      return envelope(req, reply, { data: req.query.version === 'v3' ? data : data[0] });
    }) satisfies RoomHandler,

    blockMany: (async (req, reply) =>
      envelope(req, reply, { data: rows(req, 'add_blocks', await moderation.blockMany(req.chatApp, id(req), req.body, req.principal!)) })) satisfies RoomHandler,

    /** One name answers an object, a comma list an array. */
    unblock: (async (req, reply) => {
      const names = req.params.usernames!;
      const data = rows(req, 'remove_blocks', await moderation.unblock(req.chatApp, id(req), names, req.principal!));
      return envelope(req, reply, { data: names.includes(',') || req.query.version === 'v3' ? data : data[0] });
    }) satisfies RoomHandler,

    /** GET /{rooms}/{id}/white/users/{username} — `{member, white}`. */
    allowlistStatus: (async (req, reply) =>
      envelope(req, reply, { data: await moderation.allowlistStatus(req.chatApp, id(req), req.params.username!, req.principal!) })) satisfies RoomHandler,

    /** GET /sdk/{rooms}/{id}/mute/{username} — whether the user is muted now. */
    isMuted: (async (req, reply) => envelope(req, reply, { data: await moderation.isMuted(req.chatApp, id(req), req.params.username!) })) satisfies RoomHandler,
  };
}
