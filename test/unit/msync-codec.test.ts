// The msync codec (src/msync/codec.ts, events.ts) against qunliao's own .proto: frames decoded as
// the SDK sends them, frames encoded as the SDK reads them (PROTOCOL.md §2–§9), typed ext and
// message bodies both ways, and undecodable input as a FrameError.
import { describe, expect, it } from 'vitest';
import {
  ackFrame,
  batchFrame,
  bodyOf,
  contentOf,
  decodeChat,
  decodeFrame,
  decodeMuc,
  extOf,
  FrameError,
  keyValuesOf,
  kickFrame,
  messageMeta,
  noticeFrame,
  provisionReply,
  pullKey,
  queueOf,
  seqOfKey,
  unreadReply,
} from '../../src/msync/codec.js';
import { eventMeta } from '../../src/msync/events.js';
import { BodyType, Command, ContentType, MucOperation, NameSpace, pb, StatisticsOperation, ValueType } from '../../src/msync/schema.js';
import { decodeReceived, encode, encodeMsync, metaBody } from '../support/msync.js';

const APP_KEY = 'acme#chat';

const syncFrame = (ul: Record<string, unknown>) => encodeMsync(Command.SYNC, encode('CommSyncUL', ul));

describe('decoding what the SDK sends', () => {
  it('PROVISION: guid, auth, resource, authToken, sessionId', () => {
    const p = encode('Provision', {
      osType: 16,
      version: '4.21.1',
      resource: 'webim_web_1',
      authToken: '{"token":"$t$YWMtx"}',
      sessionId: '17:',
      protocolCompressType: [2],
    });
    const frame = encodeMsync(Command.PROVISION, p, {
      guid: { appKey: APP_KEY, name: 'alice', domain: 'easemob.com', clientResource: 'webim_web_1' },
      auth: '$t$YWMtx',
      encryptType: [0],
      traceId: '7205759403792793599',
    });
    expect(decodeFrame(frame)).toEqual({
      command: 'provision',
      guid: { appKey: APP_KEY, name: 'alice', domain: 'easemob.com', clientResource: 'webim_web_1' },
      auth: '$t$YWMtx',
      resource: 'webim_web_1',
      authToken: '{"token":"$t$YWMtx"}',
      sessionId: '17:',
    });
  });

  it('SYNC: a meta (64-bit id kept exact), a pull key, a queue', () => {
    const frame = syncFrame({
      meta: {
        id: '1300000000000000001',
        to: { appKey: APP_KEY, name: 'bob', domain: 'easemob.com' },
        ns: NameSpace.CHAT,
        payload: Buffer.from([1, 2]),
        routetype: 1,
      },
      key: '18446744073709551615',
      queue: { name: 'bob' },
    });
    const f = decodeFrame(frame);
    expect(f).toMatchObject({ command: 'sync', key: '18446744073709551615', queue: { name: 'bob' } });
    expect(f.command === 'sync' && f.meta).toEqual({
      id: '1300000000000000001',
      to: { appKey: APP_KEY, name: 'bob', domain: 'easemob.com' },
      ns: NameSpace.CHAT,
      payload: Buffer.from([1, 2]),
      routeOnline: true,
      ext: [],
    });
  });

  it('UNREAD and LOGOUT; an empty frame is a SYNC with nothing in it', () => {
    expect(decodeFrame(encodeMsync(Command.UNREAD))).toEqual({ command: 'unread' });
    expect(decodeFrame(encodeMsync(Command.LOGOUT, encode('Logout', { reason: 'inner:logout' })))).toEqual({ command: 'logout' });
    expect(decodeFrame(new Uint8Array())).toEqual({ command: 'sync' });
  });

  it('garbage and truncated frames are undecodable; unknown commands are named', () => {
    for (const bad of [Buffer.from([0xff, 0xff, 0xff]), Buffer.from([0x4a, 0x10, 0x01]), encodeMsync(Command.PROVISION, Buffer.from([0x0a, 0x7f]))]) {
      expect(() => decodeFrame(bad)).toThrow(FrameError);
      try {
        decodeFrame(bad);
      } catch (err) {
        expect((err as FrameError).kind).toBe('undecodable');
      }
    }
    expect(() => decodeFrame(Buffer.from([0x40, 0x07]))).toThrow('unknown msync command 7');
  });

  it('chat metas: sends by body type, receipts, recall and edit', () => {
    const meta = (body: Record<string, unknown>, to = 'bob') => ({
      id: '5',
      to: { name: to },
      ns: NameSpace.CHAT,
      payload: encode('MessageBody', body),
      routeOnline: false,
    });
    expect(
      decodeChat(
        meta({
          type: BodyType.CHAT,
          to: { name: 'bob' },
          contents: [{ type: ContentType.TEXT, text: 'hi' }],
          ext: [{ key: 'k', type: ValueType.STRING, stringValue: 'v' }],
        }),
      ),
    ).toEqual({
      kind: 'send',
      send: { chatType: 'chat', to: 'bob', type: 'txt', body: { msg: 'hi' }, ext: { k: 'v' }, onlineOnly: false },
    });
    expect(decodeChat(meta({ type: BodyType.GROUPCHAT, contents: [{ type: ContentType.COMMAND, action: 'go' }] }, '42'))).toMatchObject({
      send: { chatType: 'groupchat', to: '42', type: 'cmd', body: { action: 'go' } },
    });
    expect(decodeChat(meta({ type: BodyType.CHATROOM, contents: [] }, '43'))).toMatchObject({
      send: { chatType: 'chatroom', to: '43', type: undefined, body: undefined },
    });
    for (const [type, receipt] of [
      [BodyType.READ_ACK, 'read'],
      [BodyType.DELIVER_ACK, 'delivered'],
      [BodyType.CHANNEL_ACK, 'channel'],
    ] as const)
      expect(decodeChat(meta({ type, ackMessageId: '9' }))).toEqual({ kind: 'receipt', receipt, to: 'bob', room: false, msgId: '9', content: undefined });
    expect(decodeChat(meta({ type: BodyType.RECALL, ackMessageId: '9' }))).toMatchObject({ kind: 'recall', to: 'bob', room: false, msgId: '9' });
    expect(decodeChat(meta({ type: BodyType.EDIT, editMessageId: '9', contents: [{ type: ContentType.TEXT, text: 'new' }] }))).toMatchObject({
      kind: 'edit',
      to: 'bob',
      msgId: '9',
      type: 'txt',
      body: { msg: 'new' },
      ext: undefined,
    });
    expect(() => decodeChat({ ...meta({}), payload: Buffer.from([0xff]) })).toThrow(FrameError);
  });

  it('MUC metas: a chatroom join as the SDK builds it', () => {
    const payload = encode('MUCBody', {
      mucId: { appKey: APP_KEY, name: '77', domain: 'conference.easemob.com' },
      operation: MucOperation.JOIN,
      from: { name: 'Alice' },
      isChatroom: true,
      ext: 'hello',
      leaveOtherRooms: true,
    });
    expect(decodeMuc({ id: '1', ns: NameSpace.MUC, payload, routeOnline: false })).toEqual({
      operation: MucOperation.JOIN,
      roomId: '77',
      isChatroom: true,
      from: 'Alice',
      ext: 'hello',
      leaveOtherRooms: true,
    });
  });
});

describe('pull keys', () => {
  it('name the entry and the connection: the same entry on another connection has another key', () => {
    expect(pullKey(9, 3)).toBe('9003');
    expect(pullKey(9, 1003)).toBe('9003');
    expect(pullKey(9, 4)).not.toBe(pullKey(9, 3));
    expect(seqOfKey('9003')).toBe(9);
    expect(seqOfKey(pullKey(2 ** 40, 999))).toBe(2 ** 40);
  });

  it('keys that are no keys of ours acknowledge nothing', () => {
    for (const bad of [undefined, '', '0', '999', 'abc', '-5000', '18446744073709551615']) expect(seqOfKey(bad)).toBeUndefined();
  });
});

describe('typed ext (KeyValue) both ways', () => {
  it('as the SDK types its ext: BOOL, INT, DOUBLE, STRING, JSON_STRING — and back', () => {
    const ext = { t: true, f: false, n: 42, neg: -7, big: 2 ** 40, d: 0.5, s: 'x', o: { a: [1, 'b'] }, arr: [1, 2], nul: null };
    const kv = keyValuesOf(ext);
    expect(kv.map((k) => [k.key, k.type])).toEqual([
      ['t', ValueType.BOOL],
      ['f', ValueType.BOOL],
      ['n', ValueType.INT],
      ['neg', ValueType.INT],
      ['big', ValueType.INT],
      ['d', ValueType.DOUBLE],
      ['s', ValueType.STRING],
      ['o', ValueType.JSON_STRING],
      ['arr', ValueType.JSON_STRING],
      ['nul', ValueType.JSON_STRING],
    ]);
    // Through the wire and back.
    const wire = pb.MessageBody.decode(encode('MessageBody', { ext: kv })) as unknown as { ext: unknown[] };
    expect(extOf(wire.ext)).toEqual(ext);
  });

  it('the types other SDKs use (UINT, LLINT, FLOAT) and broken JSON', () => {
    const wire = pb.MessageBody.decode(
      encode('MessageBody', {
        ext: [
          { key: 'u', type: ValueType.UINT, varintValue: 7 },
          { key: 'l', type: ValueType.LLINT, varintValue: '-9000000000' },
          { key: 'f', type: ValueType.FLOAT, floatValue: 1.5 },
          { key: 'j', type: ValueType.JSON_STRING, stringValue: '{not json' },
        ],
      }),
    ) as unknown as { ext: unknown[] };
    expect(extOf(wire.ext)).toEqual({ u: 7, l: -9_000_000_000, f: 1.5, j: '{not json' });
    expect(extOf(undefined)).toEqual({});
    expect(keyValuesOf('not an object')).toEqual([]);
  });
});

describe('message bodies both ways', () => {
  const roundTrip = (type: string, body: Record<string, unknown>) => {
    const content = pb.MessageBody.decode(encode('MessageBody', { contents: [contentOf(type, body)] })) as unknown as { contents: Record<string, unknown>[] };
    return bodyOf(content.contents[0]);
  };

  it.each([
    ['txt', { msg: 'hello' }],
    ['img', { url: 'http://f/1', filename: 'a.png', secret: 's', file_length: 10, size: { width: 3, height: 4 } }],
    ['audio', { url: 'http://f/2', filename: 'a.amr', secret: 's', file_length: 10, length: 9 }],
    ['video', { url: 'http://f/3', filename: 'v.mp4', secret: 's', file_length: 10, length: 30, thumb: 'http://f/3t', thumb_secret: 't' }],
    ['file', { url: 'http://f/4', filename: 'f.pdf', secret: 's', file_length: 10 }],
    ['loc', { lat: 39.9, lng: 116.4, addr: 'Beijing', buildingName: 'Tower' }],
    ['cmd', { action: 'refresh' }],
    ['custom', { customEvent: 'gift', customExts: { size: 'L' } }],
  ])('%s', (type, body) => {
    expect(roundTrip(type, body)).toEqual({ type, body });
  });

  it('REST bodies with numbers as strings (loc) and missing optional fields', () => {
    expect(roundTrip('loc', { lat: '1.5', lng: '2.5' })).toEqual({ type: 'loc', body: { lat: 1.5, lng: 2.5 } });
    expect(roundTrip('file', { url: 'http://f/5' })).toEqual({ type: 'file', body: { url: 'http://f/5' } });
  });
});

describe('encoding what the SDK reads', () => {
  it('the PROVISION answer: status OK, resource, absolute expiry, no compression; a refusal has only its status', () => {
    const now = 1_800_000_000_000;
    const ok = decodeReceived(provisionReply('ok', 'webim_web_1', now + 3_600_000, now));
    expect(ok).toEqual({ command: Command.PROVISION, body: { status: { errorCode: 0 }, resource: 'webim_web_1', authToken: `{"expires_in":${now + 3_600_000}}` } });
    expect(decodeReceived(provisionReply('ok', 'r', 0)).body).toEqual({ status: { errorCode: 0 }, resource: 'r' });
    // The SDK's countdown cannot reach past 2^31 - 1 ms (it would fire at once): no expiry then.
    expect(decodeReceived(provisionReply('ok', 'r', now + 2 ** 31 - 2, now)).body).toMatchObject({ authToken: `{"expires_in":${now + 2 ** 31 - 2}}` });
    expect(decodeReceived(provisionReply('ok', 'r', now + 2 ** 31, now)).body).toEqual({ status: { errorCode: 0 }, resource: 'r' });
    expect(decodeReceived(provisionReply({ errorCode: 1, reason: 'Sorry, token expired' }, 'r')).body).toEqual({
      status: { errorCode: 1, reason: 'Sorry, token expired' },
    });
  });

  it('acks echo the metaId with serverId and timestamp, and carry extra metas', () => {
    expect(decodeReceived(ackFrame('531314088139', 'ok', 1700, '1300000000000000002')).body).toEqual({
      status: { errorCode: 0 },
      metaId: '531314088139',
      serverId: '1300000000000000002',
      timestamp: '1700',
    });
    expect(decodeReceived(ackFrame('5', { errorCode: 15, reason: 'user muted' }, 1)).body).toEqual({
      status: { errorCode: 15, reason: 'user muted' },
      metaId: '5',
      timestamp: '1',
    });
    expect(decodeReceived(ackFrame('5', 'ok', 1, '6', [{ id: '7', ns: NameSpace.MUC }])).body.metas).toEqual([{ id: '7', ns: NameSpace.MUC }]);
  });

  it('batches: metas with isLast false and nextKey; the empty one with isLast true; status always present', () => {
    const queue = { appKey: APP_KEY, name: 'bob', domain: 'easemob.com' };
    expect(decodeReceived(batchFrame(queue, [{ id: '1', ns: 1 }], '9003', 5)).body).toEqual({
      status: { errorCode: 0 },
      queue,
      metas: [{ id: '1', ns: 1 }],
      nextKey: '9003',
      isLast: false,
      timestamp: '5',
    });
    expect(decodeReceived(batchFrame(queue, [], undefined, 5)).body).toEqual({ status: { errorCode: 0 }, queue, isLast: true, timestamp: '5' });
  });

  it('notices, unread lists (counts clamped to 32 bits) and kicks', () => {
    const queue = { appKey: APP_KEY, name: '42', domain: 'conference.easemob.com' };
    expect(decodeReceived(noticeFrame(queue))).toEqual({ command: Command.NOTICE, body: { queue } });
    expect(decodeReceived(unreadReply([{ queue, n: 2 ** 40 }], 3)).body).toEqual({
      status: { errorCode: 0 },
      unread: [{ queue, n: 0xffffffff }],
      timestamp: '3',
    });
    const own = queueOf({ kind: 'user', id: 'user:alice' }, APP_KEY, 'alice');
    const kick = decodeReceived(kickFrame(StatisticsOperation.USER_KICKED_BY_CHANGE_PASSWORD, '11', own, 4)).body;
    expect(kick).toMatchObject({ status: { errorCode: 0 }, queue: own, isLast: true });
    expect(kick.metas).toHaveLength(1);
    expect(kick.metas[0]).toMatchObject({ id: '11', ns: NameSpace.STATISTIC });
    expect(metaBody(kick.metas[0])).toEqual({ operation: StatisticsOperation.USER_KICKED_BY_CHANGE_PASSWORD });
  });

  it('delivered messages: domains by chat type, the sending device as clientResource, from/to names in the body', () => {
    const m = {
      id: '1300000000000000003',
      from: 'dave',
      to: '42',
      chat_type: 'groupchat' as const,
      type: 'txt',
      body: { msg: 'group hi' },
      ext: { a: 1 },
      timestamp: 99,
    };
    const meta = messageMeta(m, 'webim_web_9', APP_KEY);
    const decoded = pb.Meta.toObject(pb.Meta.decode(pb.Meta.encode(pb.Meta.fromObject(meta)).finish()), { longs: String, enums: Number });
    expect(decoded).toMatchObject({
      id: m.id,
      from: { appKey: APP_KEY, name: 'dave', domain: 'easemob.com', clientResource: 'webim_web_9' },
      to: { name: '42', domain: 'conference.easemob.com' },
      timestamp: '99',
      ns: NameSpace.CHAT,
    });
    expect(metaBody(decoded)).toEqual({
      type: BodyType.GROUPCHAT,
      from: { name: 'dave' },
      to: { name: '42' },
      contents: [{ type: ContentType.TEXT, text: 'group hi' }],
      ext: [{ key: 'a', type: ValueType.INT, varintValue: '1' }],
    });
    expect(messageMeta({ ...m, chat_type: 'chat', to: 'bob' }, null, APP_KEY).to).toEqual({ appKey: APP_KEY, name: 'bob', domain: 'easemob.com' });
    expect(messageMeta(m, null, APP_KEY).from).toEqual({ appKey: APP_KEY, name: 'dave', domain: 'easemob.com' });
  });

  it('room events: the MUC operation, the room and the operator, the mute expiry in ext', () => {
    const meta = eventMeta.of(
      {
        conversation: 'group:42',
        seq: 3,
        timestamp: 5,
        from: 'owner1',
        fromResource: null,
        audience: null,
        liveOnly: false,
        event: { eventId: '1300000000000000009', room: 'group', id: '42', kind: 'muted', from: 'owner1', to: ['alice'], muteExpire: 1234 },
      },
      APP_KEY,
    )!;
    expect(meta).toMatchObject({ id: '1300000000000000009', ns: NameSpace.MUC, timestamp: 5 });
    const body = pb.MUCBody.toObject(pb.MUCBody.decode(meta.payload as Uint8Array), { enums: Number });
    expect(body).toEqual({
      mucId: { appKey: APP_KEY, name: '42', domain: 'conference.easemob.com' },
      operation: MucOperation.ADD_MUTE,
      from: { appKey: APP_KEY, name: 'owner1', domain: 'easemob.com' },
      to: [{ appKey: APP_KEY, name: 'alice', domain: 'easemob.com' }],
      isChatroom: false,
      ext: '{"user_mute_time":1234}',
    });
  });
});
