// Room notifications as MUC metas (PROTOCOL.md §8): the operation the SDK turns into
// onGroupEvent / onChatroomEvent, with the fields its handlers read (mucId.name and from.name
// always; to[0] for the user concerned; the mute expiry in ext's user_mute_time; mucMemberCount).
import type { LogEntry, RoomEventKind } from '../services/sessions/entries.js';
import { CONFERENCE_DOMAIN, DOMAIN, MucOperation, NameSpace, pb } from './schema.js';

type Obj = Record<string, unknown>;

/** The MUC operation of each notification; the SDK's event name in the comment. */
export const MUC_OPERATION: Record<RoomEventKind, number> = {
  member_joined: MucOperation.PRESENCE, // memberPresence
  member_left: MucOperation.ABSENCE, // memberAbsence
  added: MucOperation.DIRECT_JOINED, // directJoined
  removed: MucOperation.KICK, // removeMember
  muted: MucOperation.ADD_MUTE, // muteMember
  unmuted: MucOperation.REMOVE_MUTE, // unmuteMember
  mute_all: MucOperation.BAN_GROUP, // muteAllMembers
  unmute_all: MucOperation.REMOVE_BAN_GROUP, // unmuteAllMembers
  allowlisted: MucOperation.ADD_USER_WHITE_LIST, // addUserToAllowlist
  unallowlisted: MucOperation.REMOVE_USER_WHITE_LIST, // removeAllowlistMember
  admin_added: MucOperation.ADD_ADMIN, // setAdmin
  admin_removed: MucOperation.REMOVE_ADMIN, // removeAdmin
  owner_changed: MucOperation.ASSIGN_OWNER, // changeOwner
  info_updated: MucOperation.UPDATE, // updateInfo
  announcement_updated: MucOperation.UPDATE_ANNOUNCEMENT, // updateAnnouncement
  announcement_deleted: MucOperation.DELETE_ANNOUNCEMENT, // deleteAnnouncement
  file_uploaded: MucOperation.UPLOAD_FILE, // uploadFile
  file_deleted: MucOperation.DELETE_FILE, // deleteFile
  unblocked: MucOperation.ALLOW, // unblockMember
  destroyed: MucOperation.DESTROY, // destroy
  join_requested: MucOperation.APPLY, // requestToJoin
  request_accepted: MucOperation.APPLY_ACCEPT, // acceptRequest
  request_declined: MucOperation.APPLY_DECLINE, // joinPublicGroupDeclined
  invited: MucOperation.INVITE, // inviteToJoin
  invitation_accepted: MucOperation.INVITE_ACCEPT, // acceptInvite
  invitation_declined: MucOperation.INVITE_DECLINE, // rejectInvite
};

function mucBody(body: Obj): Uint8Array {
  return pb.MUCBody.encode(pb.MUCBody.fromObject(body)).finish();
}

function of(entry: LogEntry, appKey: string): Obj | undefined {
  const e = entry.event;
  if (!e) return undefined;
  const body: Obj = {
    mucId: { appKey, name: e.id, domain: CONFERENCE_DOMAIN },
    operation: MUC_OPERATION[e.kind],
    from: { appKey, name: e.from, domain: DOMAIN },
    to: (e.to ?? []).map((name) => ({ appKey, name, domain: DOMAIN })),
    isChatroom: e.room === 'chatroom',
  };
  if (e.memberCount !== undefined) body.mucMemberCount = e.memberCount;
  // Where each handler of the SDK looks for the event's text.
  if (e.kind === 'muted' && e.muteExpire !== undefined) body.ext = JSON.stringify({ user_mute_time: e.muteExpire });
  else if (e.text !== undefined) {
    if (e.kind === 'member_joined') body.ext = e.text;
    else if (e.kind === 'added' || e.kind === 'invited') body.mucName = e.text;
    else if (e.kind === 'info_updated') body.eventInfo = { eventType: 0, ext: e.text };
    else body.reason = e.text;
  }
  if (e.reason !== undefined) body.reason = e.reason;
  return {
    id: e.eventId,
    from: { appKey, name: e.from, domain: DOMAIN },
    to: { appKey, name: e.id, domain: CONFERENCE_DOMAIN },
    timestamp: entry.timestamp,
    ns: NameSpace.MUC,
    payload: mucBody(body),
  };
}

export const eventMeta = { of, mucBody };
