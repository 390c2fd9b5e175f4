// Room events as the official web SDK gets them (PROTOCOL.md §8): onGroupEvent / onChatroomEvent
// with the operation, the room, the operator and the user concerned, to the people the SDK's API
// notes name; group events are kept for members who are away, chatroom events are not.
//
// Chatroom joins and leaves over the socket announce themselves. The REST operations' calls into
// the events service come with the room services (issue 11); until then the tests make the call
// a room service makes, right after the REST operation it announces.
import { beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/services/apps.js';
import type { RoomOperation, RoomRef } from '../../src/services/events.js';
import { databases, MAIN } from '../support/harness.js';
import { sleep } from '../support/util.js';
import { SDK_QUIET_MS, type SdkUser } from '../support/sdk/client.js';
import { sdkSuite } from '../support/sdk/suite.js';
import { Devices } from '../support/ws.js';

describe.each(databases)('SDK room events (%s)', (kind) => {
  const s = sdkSuite(kind);
  let app: App;
  beforeAll(async () => {
    app = (await s.t.qunliao.services.apps.find(MAIN.org, MAIN.app))!;
  });

  const announce = (room: RoomRef, op: RoomOperation) => s.t.qunliao.services.events.room(app, room, op);
  const groupEvent = (u: SdkUser, operation: string) =>
    u.waitFor('onGroupEvent', (e: { operation: string }) => e.operation === operation, `onGroupEvent ${operation}`);
  const roomEvent = (u: SdkUser, operation: string) =>
    u.waitFor('onChatroomEvent', (e: { operation: string }) => e.operation === operation, `onChatroomEvent ${operation}`);
  const none = async (u: SdkUser, name = 'onGroupEvent') => {
    await sleep(SDK_QUIET_MS);
    expect(u.all(name)).toEqual([]);
  };

  describe('groups', () => {
    it('members added: the others see memberPresence (with the count), the added one directJoined', async () => {
      const [o, m, n] = await s.t.makeUsers('eg_o', 'eg_m', 'eg_n');
      const gid = await s.t.createGroup(o, [m], { groupname: 'the group' });
      const [co, cm, cn] = await Promise.all([o, m, n].map((u) => s.login(u)));
      await s.t.apiOk('POST', `/chatgroups/${gid}/users/${n}`);
      await announce({ kind: 'group', id: gid }, { op: 'members_added', from: o, to: [n] });
      for (const u of [co!, cm!])
        expect(await groupEvent(u, 'memberPresence')).toMatchObject({ operation: 'memberPresence', id: gid, from: n, memberCount: 3 });
      expect(await groupEvent(cn!, 'directJoined')).toMatchObject({ id: gid, from: o, name: 'the group' });
      await sleep(SDK_QUIET_MS);
      expect(cn!.all('onGroupEvent').map((e: { operation: string }) => e.operation)).toEqual(['directJoined']);
    });

    it('members removed: the removed one sees removeMember, the others memberAbsence', async () => {
      const [o, m, x] = await s.t.makeUsers('er_o', 'er_m', 'er_x');
      const gid = await s.t.createGroup(o, [m, x]);
      const [co, cm, cx] = await Promise.all([o, m, x].map((u) => s.login(u)));
      await s.t.apiOk('DELETE', `/chatgroups/${gid}/users/${x}`);
      await announce({ kind: 'group', id: gid }, { op: 'members_removed', from: o, to: [x] });
      expect(await groupEvent(cx!, 'removeMember')).toMatchObject({ id: gid, from: o });
      for (const u of [co!, cm!]) expect(await groupEvent(u, 'memberAbsence')).toMatchObject({ id: gid, from: x, memberCount: 2 });
    });

    it('mutes reach every member with the user and the expiry; mute-all, unmute', async () => {
      const [o, m, w] = await s.t.makeUsers('em_o', 'em_m', 'em_w');
      const gid = await s.t.createGroup(o, [m, w]);
      const [co, cm, cw] = await Promise.all([o, m, w].map((u) => s.login(u)));
      const expire = Date.now() + 60_000;
      await announce({ kind: 'group', id: gid }, { op: 'muted', from: o, to: [m], expire });
      for (const u of [co!, cm!, cw!]) expect(await groupEvent(u, 'muteMember')).toMatchObject({ id: gid, from: o, userId: m, muteTimestamp: expire });
      await announce({ kind: 'group', id: gid }, { op: 'unmuted', from: o, to: [m] });
      for (const u of [co!, cm!, cw!]) expect(await groupEvent(u, 'unmuteMember')).toMatchObject({ id: gid, userId: m });
      await announce({ kind: 'group', id: gid }, { op: 'mute_all', from: o });
      await announce({ kind: 'group', id: gid }, { op: 'unmute_all', from: o });
      for (const u of [co!, cm!, cw!]) {
        expect(await groupEvent(u, 'muteAllMembers')).toMatchObject({ id: gid, from: o });
        expect(await groupEvent(u, 'unmuteAllMembers')).toMatchObject({ id: gid, from: o });
      }
    });

    it('allowlist and admins: only the user concerned', async () => {
      const [o, m, w] = await s.t.makeUsers('ea_o', 'ea_m', 'ea_w');
      const gid = await s.t.createGroup(o, [m, w]);
      const [cm, cw] = await Promise.all([m, w].map((u) => s.login(u)));
      const room = { kind: 'group', id: gid } as const;
      await announce(room, { op: 'allowlisted', from: o, to: [m] });
      await announce(room, { op: 'unallowlisted', from: o, to: [m] });
      await announce(room, { op: 'admin_added', from: o, to: [m] });
      await announce(room, { op: 'admin_removed', from: o, to: [m] });
      expect(await groupEvent(cm!, 'addUserToAllowlist')).toMatchObject({ id: gid, userId: m });
      expect(await groupEvent(cm!, 'removeAllowlistMember')).toMatchObject({ id: gid, userId: m });
      expect(await groupEvent(cm!, 'setAdmin')).toMatchObject({ id: gid, userId: m });
      expect(await groupEvent(cm!, 'removeAdmin')).toMatchObject({ id: gid, from: o });
      await none(cw!);
    });

    it('owner, info, announcement and shared files reach the members', async () => {
      const [o, m] = await s.t.makeUsers('ei_o', 'ei_m');
      const gid = await s.t.createGroup(o, [m]);
      const cm = await s.login(m);
      const room = { kind: 'group', id: gid } as const;
      await announce(room, { op: 'owner_changed', from: o, to: [m] });
      await announce(room, { op: 'info_updated', from: o, changes: { groupname: 'new name', description: 'new desc', maxusers: 300 } });
      await announce(room, { op: 'announcement_updated', from: o, text: 'hello all' });
      await announce(room, { op: 'announcement_deleted', from: o });
      await announce(room, { op: 'file_uploaded', from: o, text: 'file-1' });
      await announce(room, { op: 'file_deleted', from: o, text: 'file-1' });
      expect(await groupEvent(cm, 'changeOwner')).toMatchObject({ id: gid, from: o });
      expect(await groupEvent(cm, 'updateInfo')).toMatchObject({ id: gid, from: o, detail: { name: 'new name', description: 'new desc', maxUsers: 300 } });
      expect(await groupEvent(cm, 'updateAnnouncement')).toMatchObject({ id: gid, announcement: 'hello all' });
      expect(await groupEvent(cm, 'deleteAnnouncement')).toMatchObject({ id: gid });
      expect(await groupEvent(cm, 'uploadFile')).toMatchObject({ id: gid });
      expect(await groupEvent(cm, 'deleteFile')).toMatchObject({ id: gid });
    });

    it('blocked: removeMember to the blocked one; unblocked: unblockMember; dissolved: destroy to every former member; disabled: nothing', async () => {
      const [o, m, b] = await s.t.makeUsers('eb_o', 'eb_m', 'eb_b');
      const gid = await s.t.createGroup(o, [m, b]);
      const [cm, cb] = await Promise.all([m, b].map((u) => s.login(u)));
      const room = { kind: 'group', id: gid } as const;
      await announce(room, { op: 'disabled', from: o });
      await s.t.apiOk('POST', `/chatgroups/${gid}/blocks/users/${b}`);
      await announce(room, { op: 'blocked', from: o, to: [b] });
      expect(await groupEvent(cb!, 'removeMember')).toMatchObject({ id: gid, from: o });
      await announce(room, { op: 'unblocked', from: o, to: [b] });
      expect(await groupEvent(cb!, 'unblockMember')).toMatchObject({ id: gid, from: o });
      await s.t.apiOk('DELETE', `/chatgroups/${gid}`);
      await announce(room, { op: 'destroyed', from: o, members: [o, m] });
      expect(await groupEvent(cm!, 'destroy')).toMatchObject({ id: gid, from: o });
      await sleep(SDK_QUIET_MS);
      expect(cm!.all('onGroupEvent').map((e: { operation: string }) => e.operation)).toEqual(['destroy']);
    });

    it('kept for members who were away: at the next login, with the messages', async () => {
      const [o, m, x] = await s.t.makeUsers('ek_o', 'ek_m', 'ek_x');
      const gid = await s.t.createGroup(o, [m, x]);
      const room = { kind: 'group', id: gid } as const;
      await announce(room, { op: 'muted', from: o, to: [m], expire: -1 });
      await s.t.api('POST', '/messages/chatgroups', { body: { from: o, to: [gid], type: 'txt', body: { msg: 'ek while away' } } });
      await s.t.apiOk('DELETE', `/chatgroups/${gid}/users/${x}`);
      await announce(room, { op: 'members_removed', from: o, to: [x] });
      const cm = await s.login(m);
      await cm.waitFor('onOfflineMessageSyncFinish');
      expect(await groupEvent(cm, 'muteMember')).toMatchObject({ userId: m, muteTimestamp: -1 });
      await cm.message('ek while away');
      expect(await groupEvent(cm, 'memberAbsence')).toMatchObject({ from: x });
      // The removed member learns it at their next login too, though no longer a member.
      const cx = await s.login(x);
      expect(await groupEvent(cx, 'removeMember')).toMatchObject({ id: gid });
    });
  });

  describe('chatrooms', () => {
    it('joining and leaving over the socket: memberPresence (with ext) and memberAbsence to the others', async () => {
      const [o, u] = await s.t.makeUsers('cj_o', 'cj_u');
      const rid = await s.t.createRoom(o, []);
      const owner = await s.login(o);
      const user = await s.login(u);
      await user.call('joinChatRoom', { roomId: rid, ext: 'hi there' });
      expect(await roomEvent(owner, 'memberPresence')).toMatchObject({ operation: 'memberPresence', id: rid, from: u, memberCount: 2, ext: 'hi there' });
      await user.call('leaveChatRoom', { roomId: rid });
      expect(await roomEvent(owner, 'memberAbsence')).toMatchObject({ id: rid, from: u, memberCount: 1 });
      await none(user, 'onChatroomEvent');
    });

    it('a mute reaches the muted member and the owner and admins, not the other members', async () => {
      const [o, a, m, p] = await s.t.makeUsers('cm_o', 'cm_a', 'cm_m', 'cm_p');
      const rid = await s.t.createRoom(o, [a, m, p]);
      await s.t.apiOk('POST', `/chatrooms/${rid}/admin`, { newadmin: a });
      const [co, ca, cm, cp] = await Promise.all([o, a, m, p].map((u) => s.login(u)));
      await announce({ kind: 'chatroom', id: rid }, { op: 'muted', from: o, to: [m], expire: -1 });
      for (const u of [co!, ca!, cm!]) expect(await roomEvent(u, 'muteMember')).toMatchObject({ id: rid, userId: m });
      await none(cp!, 'onChatroomEvent');
    });

    it('not kept for members who were away, nor for a removed member', async () => {
      const [o, m, x] = await s.t.makeUsers('ck_o', 'ck_m', 'ck_x');
      const rid = await s.t.createRoom(o, [m, x]);
      const room = { kind: 'chatroom', id: rid } as const;
      await announce(room, { op: 'mute_all', from: o });
      await s.t.apiOk('DELETE', `/chatrooms/${rid}/users/${x}`);
      await announce(room, { op: 'members_removed', from: o, to: [x] });
      const [cm, cx] = await Promise.all([m, x].map((u) => s.login(u)));
      await none(cm!, 'onChatroomEvent');
      await none(cx!, 'onChatroomEvent');
      // Live, they arrive.
      await announce(room, { op: 'unmute_all', from: o });
      expect(await roomEvent(cm!, 'unmuteAllMembers')).toMatchObject({ id: rid });
    });
  });

  describe('the JSON /ws', () => {
    it('gets the same events as frames', async () => {
      const devices = await Devices.at(s.t, s.base);
      try {
        const [o, m] = await s.t.makeUsers('ew_o', 'ew_m');
        const gid = await s.t.createGroup(o, [m]);
        const ws = await devices.connect(m);
        await announce({ kind: 'group', id: gid }, { op: 'muted', from: o, to: [m], expire: 123 });
        const frame = await ws.waitFor((f) => (f as { type?: string }).type === 'event', 'the event frame');
        expect(frame).toMatchObject({
          type: 'event',
          event: { room: 'group', id: gid, kind: 'muted', from: o, to: [m], muteExpire: 123, eventId: expect.stringMatching(/^\d+$/) },
        });
      } finally {
        await devices.closeAll();
      }
    });
  });
});
