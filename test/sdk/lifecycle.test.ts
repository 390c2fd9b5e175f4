// Message lifecycle with the official web SDK (issue 15): recallMessage (onRecallMessage on the
// other side, the time limit's 504, someone else's message, unknown ids, offline devices),
// modifyMessage (onModifiedMessage, modifiedInfo, the limit and format refusals), and read,
// delivery and channel acks passed on to the peer (onReadMessage, onDeliveredMessage,
// onChannelMessage). State is read back from the store.
import { describe, expect, it } from 'vitest';
import { databases } from '../support/harness.js';
import { sleep } from '../support/util.js';
import { rejection, SDK_QUIET_MS } from '../support/sdk/client.js';
import { sdkSuite } from '../support/sdk/suite.js';

describe.each(databases)('SDK message lifecycle (%s)', (kind) => {
  const s = sdkSuite(kind);

  const stored = (id: string) => s.t.qunliao.store.db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirst();
  /** Makes a message look older than it is (the recall window is 2 minutes). */
  const age = (id: string, ms: number) =>
    s.t.qunliao.store.db
      .updateTable('messages')
      .set((eb) => ({ timestamp: eb('timestamp', '-', ms) }))
      .where('id', '=', id)
      .execute();

  describe('recall', () => {
    it('a 1:1 recall resolves; the peer and the sender’s other device get onRecallMessage; the message is gone', async () => {
      const [a, b] = await s.t.makeUsers('rc_a', 'rc_b');
      const sender = await s.login(a, undefined, { deviceId: 'rc-1' });
      const other = await s.login(a, undefined, { deviceId: 'rc-2' });
      const receiver = await s.login(b);
      const sent = await sender.send({ type: 'txt', chatType: 'singleChat', to: b, msg: 'rc recall me' });
      await receiver.message('rc recall me');

      await sender.call('recallMessage', { mid: sent.serverMsgId, to: b, chatType: 'singleChat', ext: 'why' });
      const recalled = await receiver.waitFor('onRecallMessage', (r) => r.mid === sent.serverMsgId, 'the recall');
      expect(recalled).toMatchObject({ mid: sent.serverMsgId, from: a, to: b, ext: 'why' });
      await other.waitFor('onRecallMessage', (r) => r.mid === sent.serverMsgId, 'the recall on the other device');
      expect(await stored(sent.serverMsgId)).toBeUndefined();
      await sleep(SDK_QUIET_MS);
      // The recalling device is not told about its own recall.
      expect(sender.all('onRecallMessage')).toEqual([]);
    });

    it('a device that was away gets the recall and never the recalled message', async () => {
      const [a, b] = await s.t.makeUsers('rco_a', 'rco_b');
      const sender = await s.login(a);
      const kept = await sender.send({ type: 'txt', chatType: 'singleChat', to: b, msg: 'rco kept' });
      const gone = await sender.send({ type: 'txt', chatType: 'singleChat', to: b, msg: 'rco gone' });
      await sender.call('recallMessage', { mid: gone.serverMsgId, to: b, chatType: 'singleChat' });

      const receiver = await s.login(b);
      expect((await receiver.message('rco kept')).id).toBe(kept.serverMsgId);
      await receiver.waitFor('onRecallMessage', (r) => r.mid === gone.serverMsgId, 'the recall');
      await sleep(SDK_QUIET_MS);
      expect(receiver.texts('rco')).toEqual(['rco kept']);
    });

    it('past the recall window → 504; the message stays', async () => {
      const [a, b] = await s.t.makeUsers('rcl_a', 'rcl_b');
      const sender = await s.login(a);
      const sent = await sender.send({ type: 'txt', chatType: 'singleChat', to: b, msg: 'rcl old' });
      await age(sent.serverMsgId, 121_000);
      expect(await rejection(sender.call('recallMessage', { mid: sent.serverMsgId, to: b, chatType: 'singleChat' }))).toMatchObject({ type: 504 });
      expect(await stored(sent.serverMsgId)).toBeDefined();
    });

    it('someone else’s message → 603, an unknown id → 1302; nothing changes', async () => {
      const [a, b] = await s.t.makeUsers('rcx_a', 'rcx_b');
      const sender = await s.login(a);
      const receiver = await s.login(b);
      const sent = await sender.send({ type: 'txt', chatType: 'singleChat', to: b, msg: 'rcx mine' });
      await receiver.message('rcx mine');
      expect(await rejection(receiver.call('recallMessage', { mid: sent.serverMsgId, to: a, chatType: 'singleChat' }))).toMatchObject({ type: 603 });
      expect(await rejection(sender.call('recallMessage', { mid: '999999999999999999', to: b, chatType: 'singleChat' }))).toMatchObject({ type: 1302 });
      expect(await stored(sent.serverMsgId)).toBeDefined();
    });

    it('in a group, the owner recalls a member’s message, even past the window; the members are told', async () => {
      const [owner, m1, m2] = await s.t.makeUsers('rcg_o', 'rcg_m', 'rcg_n');
      const group = await s.t.createGroup(owner, [m1, m2]);
      const member = await s.login(m1);
      const ownerSdk = await s.login(owner);
      const peer = await s.login(m2);
      const sent = await member.send({ type: 'txt', chatType: 'groupChat', to: group, msg: 'rcg hello' });
      await peer.message('rcg hello');
      // A plain member may not recall someone else's message.
      expect(await rejection(peer.call('recallMessage', { mid: sent.serverMsgId, to: group, chatType: 'groupChat' }))).toMatchObject({ type: 603 });
      await age(sent.serverMsgId, 3_600_000);
      await ownerSdk.call('recallMessage', { mid: sent.serverMsgId, to: group, chatType: 'groupChat' });
      for (const u of [member, peer]) {
        expect(await u.waitFor('onRecallMessage', (r) => r.mid === sent.serverMsgId, 'the group recall')).toMatchObject({ from: owner, to: group });
      }
      expect(await stored(sent.serverMsgId)).toBeUndefined();
    });

    it('in a chatroom, the sender recalls; the members present get onRecallMessage', async () => {
      const [owner, m1, m2] = await s.t.makeUsers('rcr_o', 'rcr_m', 'rcr_n');
      const room = await s.t.createRoom(owner);
      const sender = await s.login(m1);
      const peer = await s.login(m2);
      await sender.call('joinChatRoom', { roomId: room });
      await peer.call('joinChatRoom', { roomId: room });
      const sent = await sender.send({ type: 'txt', chatType: 'chatRoom', to: room, msg: 'rcr hi' });
      await peer.message('rcr hi');
      await sender.call('recallMessage', { mid: sent.serverMsgId, to: room, chatType: 'chatRoom' });
      expect(await peer.waitFor('onRecallMessage', (r) => r.mid === sent.serverMsgId, 'the chatroom recall')).toMatchObject({ from: m1, to: room });
      expect(await stored(sent.serverMsgId)).toBeUndefined();
    });
  });

  describe('edit', () => {
    it('modifyMessage resolves with modifiedInfo; the peer gets onModifiedMessage; the store has the new text', async () => {
      const [a, b] = await s.t.makeUsers('ed_a', 'ed_b');
      const sender = await s.login(a);
      const receiver = await s.login(b);
      const sent = await sender.send({ type: 'txt', chatType: 'singleChat', to: b, msg: 'ed before' });
      await receiver.message('ed before');

      const res = await sender.modify(sent.serverMsgId, { type: 'txt', chatType: 'singleChat', to: b, msg: 'ed after' });
      expect(res.message).toMatchObject({ id: sent.serverMsgId, msg: 'ed after', from: a, modifiedInfo: { operatorId: a, operationCount: 1 } });

      const modified = await receiver.waitFor('onModifiedMessage', (m) => m.id === sent.serverMsgId, 'the edit');
      expect(modified).toMatchObject({ id: sent.serverMsgId, type: 'txt', msg: 'ed after', from: a, to: b, chatType: 'singleChat' });
      expect(modified.modifiedInfo).toMatchObject({ operatorId: a, operationCount: 1 });
      expect(JSON.parse((await stored(sent.serverMsgId))!.body)).toEqual({ msg: 'ed after' });
      const row = (await stored(sent.serverMsgId))!;
      expect(row).toMatchObject({ edited_by: a });
      expect(Number(row.edit_count)).toBe(1);
    });

    it('a device that was away gets the message as it is now, marked as edited', async () => {
      const [a, b] = await s.t.makeUsers('edo_a', 'edo_b');
      const sender = await s.login(a);
      const sent = await sender.send({ type: 'txt', chatType: 'singleChat', to: b, msg: 'edo before' });
      await sender.modify(sent.serverMsgId, { type: 'txt', chatType: 'singleChat', to: b, msg: 'edo after' });
      const receiver = await s.login(b);
      const got = await receiver.message('edo after');
      expect(got).toMatchObject({ id: sent.serverMsgId, from: a });
      expect(got.modifiedInfo).toMatchObject({ operatorId: a, operationCount: 1 });
      await receiver.waitFor('onModifiedMessage', (m) => m.id === sent.serverMsgId && m.msg === 'edo after', 'the edit');
      expect(receiver.texts('edo')).toEqual(['edo after']);
    });

    it('someone else’s message → 603, a non-text message → 1303, an unknown id → 1302, the 11th edit → 50', async () => {
      const [a, b] = await s.t.makeUsers('edx_a', 'edx_b');
      const sender = await s.login(a);
      const receiver = await s.login(b);
      const sent = await sender.send({ type: 'txt', chatType: 'singleChat', to: b, msg: 'edx 0' });
      await receiver.message('edx 0');
      expect(await rejection(receiver.modify(sent.serverMsgId, { type: 'txt', chatType: 'singleChat', to: a, msg: 'edx hijack' }))).toMatchObject({ type: 603 });
      const loc = await sender.send({ type: 'loc', chatType: 'singleChat', to: b, lat: 1, lng: 2, addr: 'x' });
      expect(await rejection(sender.modify(loc.serverMsgId, { type: 'txt', chatType: 'singleChat', to: b, msg: 'edx loc' }))).toMatchObject({ type: 1303 });
      expect(await rejection(sender.modify('999999999999999999', { type: 'txt', chatType: 'singleChat', to: b, msg: 'edx none' }))).toMatchObject({ type: 1302 });
      for (let i = 1; i <= 10; i++) await sender.modify(sent.serverMsgId, { type: 'txt', chatType: 'singleChat', to: b, msg: `edx ${i}` });
      expect(await rejection(sender.modify(sent.serverMsgId, { type: 'txt', chatType: 'singleChat', to: b, msg: 'edx 11' }))).toMatchObject({ type: 50 });
      const row = (await stored(sent.serverMsgId))!;
      expect(JSON.parse(row.body)).toEqual({ msg: 'edx 10' });
      expect(Number(row.edit_count)).toBe(10);
    });
  });

  describe('read, delivery and channel acks', () => {
    it('reach the peer as onReadMessage, onDeliveredMessage and onChannelMessage', async () => {
      const [a, b] = await s.t.makeUsers('ack_a', 'ack_b');
      const sender = await s.login(a);
      const reader = await s.login(b, undefined, { delivery: true });
      const sent = await sender.send({ type: 'txt', chatType: 'singleChat', to: b, msg: 'ack read me' });
      await reader.message('ack read me');
      // delivery: true makes the reader's SDK send a delivery ack by itself.
      expect(await sender.waitFor('onDeliveredMessage', (d) => d.mid === sent.serverMsgId, 'the delivery ack')).toMatchObject({ from: b, to: a });

      await reader.send({ type: 'read', chatType: 'singleChat', to: a, id: sent.serverMsgId });
      expect(await sender.waitFor('onReadMessage', (r) => r.mid === sent.serverMsgId, 'the read ack')).toMatchObject({ from: b, to: a, type: 'read' });

      await reader.send({ type: 'channel', chatType: 'singleChat', to: a });
      expect(await sender.waitFor('onChannelMessage', (c) => c.from === b, 'the channel ack')).toMatchObject({ from: b, to: a, chatType: 'singleChat' });
      await sleep(SDK_QUIET_MS);
      // The acks are for the peer only.
      expect(reader.all('onReadMessage')).toEqual([]);
      expect(reader.all('onChannelMessage')).toEqual([]);
    });

    it('a read ack waits for a sender who was away', async () => {
      const [a, b] = await s.t.makeUsers('acko_a', 'acko_b');
      const sender = await s.login(a, undefined, { deviceId: 'acko' });
      const reader = await s.login(b);
      const sent = await sender.send({ type: 'txt', chatType: 'singleChat', to: b, msg: 'acko read me' });
      await reader.message('acko read me');
      await sender.call('close');
      await reader.send({ type: 'read', chatType: 'singleChat', to: a, id: sent.serverMsgId });
      const back = await s.login(a, undefined, { deviceId: 'acko' });
      expect(await back.waitFor('onReadMessage', (r) => r.mid === sent.serverMsgId, 'the read ack')).toMatchObject({ from: b, to: a });
    });

    it('a group read ack reaches the message’s sender with the number of readers; getGroupMsgReadUser lists them', async () => {
      const [owner, m1, m2, outsider] = await s.t.makeUsers('ackg_o', 'ackg_m', 'ackg_n', 'ackg_x');
      const group = await s.t.createGroup(owner, [m1, m2]);
      const ownerSdk = await s.login(owner);
      const first = await s.login(m1);
      const second = await s.login(m2);
      const sent = await ownerSdk.send({ type: 'txt', chatType: 'groupChat', to: group, msg: 'ackg hi', msgConfig: { allowGroupAck: true } });
      await first.message('ackg hi');
      await second.message('ackg hi');
      await first.send({ type: 'read', chatType: 'groupChat', to: group, id: sent.serverMsgId });
      expect(await ownerSdk.waitFor('onReadMessage', (r) => r.mid === sent.serverMsgId, 'the first group read ack')).toMatchObject({ from: m1, to: group, groupReadCount: 1 });
      await second.send({ type: 'read', chatType: 'groupChat', to: group, id: sent.serverMsgId });
      expect(await ownerSdk.waitFor('onReadMessage', (r) => r.mid === sent.serverMsgId && r.from === m2, 'the second')).toMatchObject({ groupReadCount: 2 });
      // Reading twice counts once.
      await first.send({ type: 'read', chatType: 'groupChat', to: group, id: sent.serverMsgId });
      expect(await ownerSdk.waitFor('onReadMessage', (r) => r.mid === sent.serverMsgId && r.from === m1, 'the repeat')).toMatchObject({ groupReadCount: 2 });

      const readers = await ownerSdk.call('getGroupMsgReadUser', { groupId: group, msgId: sent.serverMsgId });
      expect(readers.data).toMatchObject({ ackmid: sent.serverMsgId, total: 2, is_last: true, userlist: [m1, m2] });
      const stranger = await s.login(outsider);
      expect(await rejection(stranger.call('getGroupMsgReadUser', { groupId: group, msgId: sent.serverMsgId }))).toMatchObject({ type: 602 });
    });
  });
});
