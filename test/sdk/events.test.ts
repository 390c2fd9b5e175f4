// Room events as the official web SDK gets them (PROTOCOL.md §8): onGroupEvent / onChatroomEvent
// with the operation, the room, the operator and the user concerned, to the people the SDK's API
// notes name; group events are kept for members who are away, chatroom events are not.
//
// Every event here is caused the way an app causes it: a REST call with the app token (the
// operator is then `admin`), a user's own call through the SDK (REST with the user's token and the
// acting device in `resource=`; that device is not told, the user's other devices are), or a
// chatroom join over the socket.
import { describe, expect, it } from 'vitest';
import { databases } from '../support/harness.js';
import { multipartBody } from '../support/multipart.js';
import { sleep } from '../support/util.js';
import { SDK_QUIET_MS, type SdkUser } from '../support/sdk/client.js';
import { sdkSuite } from '../support/sdk/suite.js';
import { Devices } from '../support/ws.js';

describe.each(databases)('SDK room events (%s)', (kind) => {
  const s = sdkSuite(kind);

  const groupEvent = (u: SdkUser, operation: string) =>
    u.waitFor('onGroupEvent', (e: { operation: string }) => e.operation === operation, `onGroupEvent ${operation}`);
  const roomEvent = (u: SdkUser, operation: string) =>
    u.waitFor('onChatroomEvent', (e: { operation: string }) => e.operation === operation, `onChatroomEvent ${operation}`);
  const operations = (u: SdkUser, name = 'onGroupEvent') => u.all(name).map((e: { operation: string }) => e.operation);
  const none = async (u: SdkUser, name = 'onGroupEvent') => {
    await sleep(SDK_QUIET_MS);
    expect(u.all(name)).toEqual([]);
  };

  describe('groups, by REST calls with the app token', () => {
    it('members added: the others see memberPresence (with the count), the added one directJoined', async () => {
      const [o, m, n] = await s.t.makeUsers('eg_o', 'eg_m', 'eg_n');
      const gid = await s.t.createGroup(o, [m], { groupname: 'the group' });
      const [co, cm, cn] = await Promise.all([o, m, n].map((u) => s.login(u)));
      await s.t.apiOk('POST', `/chatgroups/${gid}/users/${n}`);
      for (const u of [co!, cm!])
        expect(await groupEvent(u, 'memberPresence')).toMatchObject({ operation: 'memberPresence', id: gid, from: n, memberCount: 3 });
      expect(await groupEvent(cn!, 'directJoined')).toMatchObject({ id: gid, from: 'admin', name: 'the group' });
      await sleep(SDK_QUIET_MS);
      expect(operations(cn!)).toEqual(['directJoined']);
      // m was told at its own login that the group was created with it in.
      expect(operations(cm!)).toEqual(['directJoined', 'memberPresence']);
    });

    it('a group created with members: each member is told directJoined', async () => {
      const [o, m] = await s.t.makeUsers('ec_o', 'ec_m');
      const cm = await s.login(m);
      const gid = await s.t.createGroup(o, [m], { groupname: 'new one' });
      expect(await groupEvent(cm, 'directJoined')).toMatchObject({ id: gid, from: 'admin', name: 'new one' });
    });

    it('members removed: the removed one sees removeMember, the others memberAbsence', async () => {
      const [o, m, x, y] = await s.t.makeUsers('er_o', 'er_m', 'er_x', 'er_y');
      const gid = await s.t.createGroup(o, [m, x, y]);
      const [co, cm, cx, cy] = await Promise.all([o, m, x, y].map((u) => s.login(u)));
      // (A removed member no longer reads the group's log: x reads the creation notice first.)
      await groupEvent(cx!, 'directJoined');
      await s.t.apiOk('DELETE', `/chatgroups/${gid}/users/${x}`);
      expect(await groupEvent(cx!, 'removeMember')).toMatchObject({ id: gid, from: 'admin' });
      for (const u of [co!, cm!, cy!]) expect(await groupEvent(u, 'memberAbsence')).toMatchObject({ id: gid, from: x, memberCount: 3 });
      // Several at once: one event per member.
      await s.t.apiOk('DELETE', `/chatgroups/${gid}/users/${m},${y}`);
      expect(await groupEvent(cy!, 'removeMember')).toMatchObject({ id: gid });
      await co!.waitUntil(() => co!.all('onGroupEvent').filter((e: { operation: string }) => e.operation === 'memberAbsence').length === 3, 'three absences');
      await sleep(SDK_QUIET_MS);
      expect(operations(cx!)).toEqual(['directJoined', 'removeMember']);
    });

    it('mutes reach every member with the user and the expiry; mute-all, unmute', async () => {
      const [o, m, w] = await s.t.makeUsers('em_o', 'em_m', 'em_w');
      const gid = await s.t.createGroup(o, [m, w]);
      const [co, cm, cw] = await Promise.all([o, m, w].map((u) => s.login(u)));
      const muted = await s.t.apiOk('POST', `/chatgroups/${gid}/mute`, { usernames: [m], mute_duration: 60_000 });
      const expire = muted.data[0].expire as number;
      expect(expire).toBeGreaterThan(Date.now());
      for (const u of [co!, cm!, cw!]) expect(await groupEvent(u, 'muteMember')).toMatchObject({ id: gid, from: 'admin', userId: m, muteTimestamp: expire });
      await s.t.apiOk('DELETE', `/chatgroups/${gid}/mute/${m}`);
      for (const u of [co!, cm!, cw!]) expect(await groupEvent(u, 'unmuteMember')).toMatchObject({ id: gid, userId: m });
      await s.t.apiOk('POST', `/chatgroups/${gid}/ban`);
      await s.t.apiOk('DELETE', `/chatgroups/${gid}/ban`);
      for (const u of [co!, cm!, cw!]) {
        expect(await groupEvent(u, 'muteAllMembers')).toMatchObject({ id: gid, from: 'admin' });
        expect(await groupEvent(u, 'unmuteAllMembers')).toMatchObject({ id: gid, from: 'admin' });
      }
      // Unmuting someone who was not muted tells nobody.
      await s.t.apiOk('DELETE', `/chatgroups/${gid}/mute/${w}`);
      await sleep(SDK_QUIET_MS);
      expect(operations(cw!)).toEqual(['directJoined', 'muteMember', 'unmuteMember', 'muteAllMembers', 'unmuteAllMembers']);
    });

    it('allowlist and admins: only the user concerned', async () => {
      const [o, m, w] = await s.t.makeUsers('ea_o', 'ea_m', 'ea_w');
      const gid = await s.t.createGroup(o, [m, w]);
      const [cm, cw] = await Promise.all([m, w].map((u) => s.login(u)));
      await s.t.apiOk('POST', `/chatgroups/${gid}/white/users/${m}`);
      await s.t.apiOk('DELETE', `/chatgroups/${gid}/white/users/${m}`);
      await s.t.apiOk('POST', `/chatgroups/${gid}/admin`, { newadmin: m });
      await s.t.apiOk('DELETE', `/chatgroups/${gid}/admin/${m}`);
      expect(await groupEvent(cm!, 'addUserToAllowlist')).toMatchObject({ id: gid, userId: m });
      expect(await groupEvent(cm!, 'removeAllowlistMember')).toMatchObject({ id: gid, userId: m });
      expect(await groupEvent(cm!, 'setAdmin')).toMatchObject({ id: gid, userId: m });
      expect(await groupEvent(cm!, 'removeAdmin')).toMatchObject({ id: gid, from: 'admin' });
      await sleep(SDK_QUIET_MS);
      expect(operations(cw!)).toEqual(['directJoined']);
    });

    it('owner, info, announcement and shared files reach the members', async () => {
      const [o, m] = await s.t.makeUsers('ei_o', 'ei_m');
      const gid = await s.t.createGroup(o, [m]);
      const cm = await s.login(m);
      await s.t.apiOk('PUT', `/chatgroups/${gid}`, { newowner: m });
      expect(await groupEvent(cm, 'changeOwner')).toMatchObject({ id: gid, from: 'admin' });
      await s.t.apiOk('PUT', `/chatgroups/${gid}`, { groupname: 'new name', description: 'new desc', maxusers: 300, membersonly: true });
      expect(await groupEvent(cm, 'updateInfo')).toMatchObject({
        id: gid,
        from: 'admin',
        detail: { name: 'new name', description: 'new desc', maxUsers: 300, approval: true },
      });
      await s.t.apiOk('POST', `/chatgroups/${gid}/announcement`, { announcement: 'hello all' });
      expect(await groupEvent(cm, 'updateAnnouncement')).toMatchObject({ id: gid, announcement: 'hello all' });
      await s.t.apiOk('POST', `/chatgroups/${gid}/announcement`, { announcement: '' });
      expect(await groupEvent(cm, 'deleteAnnouncement')).toMatchObject({ id: gid });
      const file = multipartBody([{ field: 'file', filename: 'note.txt', content: 'hello', type: 'text/plain' }]);
      const up = await s.t.api('POST', `/chatgroups/${gid}/share_files`, { payload: file.payload, headers: { 'content-type': file.contentType } });
      expect(up.status, up.text).toBe(200);
      expect(await groupEvent(cm, 'uploadFile')).toMatchObject({ id: gid });
      await s.t.apiOk('DELETE', `/chatgroups/${gid}/share_files/${up.body.data.file_id}`);
      expect(await groupEvent(cm, 'deleteFile')).toMatchObject({ id: gid });
    });

    it('blocked: removeMember to the blocked one, memberAbsence to the others; unblocked: unblockMember; dissolved: destroy; disabled: nothing', async () => {
      const [o, m, b] = await s.t.makeUsers('eb_o', 'eb_m', 'eb_b');
      const gid = await s.t.createGroup(o, [m, b]);
      const [cm, cb] = await Promise.all([m, b].map((u) => s.login(u)));
      await groupEvent(cb!, 'directJoined');
      await s.t.apiOk('POST', `/chatgroups/${gid}/disable`);
      await s.t.apiOk('POST', `/chatgroups/${gid}/enable`);
      await s.t.apiOk('POST', `/chatgroups/${gid}/blocks/users/${b}`);
      expect(await groupEvent(cb!, 'removeMember')).toMatchObject({ id: gid, from: 'admin' });
      expect(await groupEvent(cm!, 'memberAbsence')).toMatchObject({ id: gid, from: b, memberCount: 2 });
      await s.t.apiOk('DELETE', `/chatgroups/${gid}/blocks/users/${b}`);
      expect(await groupEvent(cb!, 'unblockMember')).toMatchObject({ id: gid, from: 'admin' });
      await s.t.apiOk('DELETE', `/chatgroups/${gid}`);
      expect(await groupEvent(cm!, 'destroy')).toMatchObject({ id: gid, from: 'admin' });
      await sleep(SDK_QUIET_MS);
      expect(operations(cm!)).toEqual(['directJoined', 'memberAbsence', 'destroy']);
      expect(operations(cb!)).toEqual(['directJoined', 'removeMember', 'unblockMember']);
    });

    it('kept for members who were away: at the next login, with the messages', async () => {
      const [o, m, x] = await s.t.makeUsers('ek_o', 'ek_m', 'ek_x');
      const gid = await s.t.createGroup(o, [m, x]);
      await s.t.apiOk('POST', `/chatgroups/${gid}/mute`, { usernames: [m], mute_duration: -1 });
      await s.t.api('POST', '/messages/chatgroups', { body: { from: o, to: [gid], type: 'txt', body: { msg: 'ek while away' } } });
      await s.t.apiOk('DELETE', `/chatgroups/${gid}/users/${x}`);
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

  describe("groups, by the users' own SDK calls", () => {
    it('the acting device is not told; the same user on another device and the other members are', async () => {
      const [o, m] = await s.t.makeUsers('ed_o', 'ed_m');
      const gid = await s.t.createGroup(o, [m]);
      const [acting, other, cm] = await Promise.all([s.login(o), s.login(o), s.login(m)]);
      expect(await acting!.get('clientResource')).not.toBe(await other!.get('clientResource'));
      await acting!.call('muteGroupMember', { groupId: gid, username: m, muteDuration: 60_000 });
      for (const u of [other!, cm!]) expect(await groupEvent(u, 'muteMember')).toMatchObject({ id: gid, from: o, userId: m });
      await acting!.call('updateGroupAnnouncement', { groupId: gid, announcement: 'from the owner' });
      for (const u of [other!, cm!]) expect(await groupEvent(u, 'updateAnnouncement')).toMatchObject({ id: gid, from: o, announcement: 'from the owner' });
      await none(acting!);
    });

    it('leaving: memberAbsence to the others, nothing to the one who left', async () => {
      const [o, m, l] = await s.t.makeUsers('el_o', 'el_m', 'el_l');
      const gid = await s.t.createGroup(o, [m, l]);
      const [cm, cl] = await Promise.all([m, l].map((u) => s.login(u)));
      await groupEvent(cl!, 'directJoined');
      await cl!.call('leaveGroup', { groupId: gid });
      expect(await groupEvent(cm!, 'memberAbsence')).toMatchObject({ id: gid, from: l, memberCount: 2 });
      await sleep(SDK_QUIET_MS);
      expect(operations(cl!)).toEqual(['directJoined']);
    });

    it('joining a public group: memberPresence to the members', async () => {
      const [o, j] = await s.t.makeUsers('ej_o', 'ej_j');
      const gid = await s.t.createGroup(o, [], { public: true, membersonly: false });
      const [co, cj] = await Promise.all([o, j].map((u) => s.login(u)));
      await cj!.call('joinGroup', { groupId: gid, message: 'hi' });
      expect(await groupEvent(co!, 'memberPresence')).toMatchObject({ id: gid, from: j, memberCount: 2 });
      await none(cj!);
    });

    it('an application to a members-only group: requestToJoin to the owner and admins; accepted → acceptRequest and memberPresence; declined → joinPublicGroupDeclined', async () => {
      const [o, a, m, p, q] = await s.t.makeUsers('eq_o', 'eq_a', 'eq_m', 'eq_p', 'eq_q');
      const gid = await s.t.createGroup(o, [a, m], { public: true, membersonly: true });
      await s.t.apiOk('POST', `/chatgroups/${gid}/admin`, { newadmin: a });
      const [co, ca, cm, cp, cq] = await Promise.all([o, a, m, p, q].map((u) => s.login(u)));
      await cp!.call('joinGroup', { groupId: gid, message: 'let me in' });
      for (const u of [co!, ca!]) expect(await groupEvent(u, 'requestToJoin')).toMatchObject({ id: gid, from: p, reason: 'let me in' });
      await co!.call('acceptGroupJoinRequest', { groupId: gid, applicant: p });
      expect(await groupEvent(cp!, 'acceptRequest')).toMatchObject({ id: gid, from: o });
      for (const u of [ca!, cm!]) expect(await groupEvent(u, 'memberPresence')).toMatchObject({ id: gid, from: p, memberCount: 4 });

      await cq!.call('joinGroup', { groupId: gid, message: 'me too' });
      await groupEvent(ca!, 'requestToJoin');
      await ca!.call('rejectGroupJoinRequest', { groupId: gid, applicant: q, reason: 'not now' });
      expect(await groupEvent(cq!, 'joinPublicGroupDeclined')).toMatchObject({ id: gid, from: a, userId: q });
      await sleep(SDK_QUIET_MS);
      expect(operations(cm!)).toEqual(['directJoined', 'memberPresence']);
      expect(operations(cq!)).toEqual(['joinPublicGroupDeclined']);
    });

    it('an invitation that needs confirming: inviteToJoin to the invitee; accepted → acceptInvite to the inviter; declined → rejectInvite', async () => {
      const [o, m, v, w] = await s.t.makeUsers('ev_o', 'ev_m', 'ev_v', 'ev_w');
      const gid = await s.t.createGroup(o, [m], { groupname: 'invited to', invite_need_confirm: true });
      const [co, cm, cv, cw] = await Promise.all([o, m, v, w].map((u) => s.login(u)));
      await co!.call('inviteUsersToGroup', { groupId: gid, users: [v, w] });
      for (const u of [cv!, cw!]) expect(await groupEvent(u, 'inviteToJoin')).toMatchObject({ id: gid, from: o, name: 'invited to' });
      await cv!.call('acceptGroupInvite', { groupId: gid, invitee: v });
      expect(await groupEvent(co!, 'acceptInvite')).toMatchObject({ id: gid, from: v });
      expect(await groupEvent(cm!, 'memberPresence')).toMatchObject({ id: gid, from: v, memberCount: 3 });
      await cw!.call('rejectGroupInvite', { groupId: gid, invitee: w });
      expect(await groupEvent(co!, 'rejectInvite')).toMatchObject({ id: gid, from: w });
      await sleep(SDK_QUIET_MS);
      expect(operations(cm!)).toEqual(['directJoined', 'memberPresence']);
      expect(operations(cw!)).toEqual(['inviteToJoin']);
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
      await sleep(SDK_QUIET_MS);
      expect(operations(owner, 'onChatroomEvent')).toEqual(['memberPresence', 'memberAbsence']);
    });

    it('a mute reaches the muted member and the owner and admins, not the other members', async () => {
      const [o, a, m, p] = await s.t.makeUsers('cm_o', 'cm_a', 'cm_m', 'cm_p');
      const rid = await s.t.createRoom(o, [a, m, p]);
      await s.t.apiOk('POST', `/chatrooms/${rid}/admin`, { newadmin: a });
      const [co, ca, cm, cp] = await Promise.all([o, a, m, p].map((u) => s.login(u)));
      await s.t.apiOk('POST', `/chatrooms/${rid}/mute`, { usernames: [m], mute_duration: -1 });
      for (const u of [co!, ca!, cm!]) expect(await roomEvent(u, 'muteMember')).toMatchObject({ id: rid, userId: m, muteTimestamp: -1 });
      await none(cp!, 'onChatroomEvent');
    });

    it('room changes by REST: info, announcement, admins, removal', async () => {
      const [o, m, x] = await s.t.makeUsers('cr_o', 'cr_m', 'cr_x');
      const rid = await s.t.createRoom(o, [m, x]);
      const [cm, cx] = await Promise.all([m, x].map((u) => s.login(u)));
      await s.t.apiOk('PUT', `/chatrooms/${rid}`, { name: 'renamed' });
      // The SDK reads no detail for chatrooms.
      expect(await roomEvent(cm!, 'updateInfo')).toMatchObject({ id: rid, from: 'admin' });
      await s.t.apiOk('POST', `/chatrooms/${rid}/announcement`, { announcement: 'room news' });
      expect(await roomEvent(cm!, 'updateAnnouncement')).toMatchObject({ id: rid, announcement: 'room news' });
      await s.t.apiOk('POST', `/chatrooms/${rid}/admin`, { newadmin: m });
      expect(await roomEvent(cm!, 'setAdmin')).toMatchObject({ id: rid, userId: m });
      await s.t.apiOk('DELETE', `/chatrooms/${rid}/users/${x}`);
      expect(await roomEvent(cx!, 'removeMember')).toMatchObject({ id: rid, from: 'admin' });
      expect(await roomEvent(cm!, 'memberAbsence')).toMatchObject({ id: rid, from: x });
    });

    it('not kept for members who were away, nor for a removed member', async () => {
      const [o, m, x] = await s.t.makeUsers('ck_o', 'ck_m', 'ck_x');
      const rid = await s.t.createRoom(o, [m, x]);
      await s.t.apiOk('POST', `/chatrooms/${rid}/ban`);
      await s.t.apiOk('DELETE', `/chatrooms/${rid}/users/${x}`);
      const [cm, cx] = await Promise.all([m, x].map((u) => s.login(u)));
      await none(cm!, 'onChatroomEvent');
      await none(cx!, 'onChatroomEvent');
      // Live, they arrive.
      await s.t.apiOk('DELETE', `/chatrooms/${rid}/ban`);
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
        const muted = await s.t.apiOk('POST', `/chatgroups/${gid}/mute`, { usernames: [m], mute_duration: 5000 });
        const frame = await ws.waitFor((f) => (f as { event?: { kind?: string } }).event?.kind === 'muted', 'the event frame');
        expect(frame).toMatchObject({
          type: 'event',
          event: { room: 'group', id: gid, kind: 'muted', from: 'admin', to: [m], muteExpire: muted.data[0].expire, eventId: expect.stringMatching(/^\d+$/) },
        });
        expect(Object.keys((frame as { event: object }).event)).not.toContain('device');
      } finally {
        await devices.closeAll();
      }
    });
  });
});
