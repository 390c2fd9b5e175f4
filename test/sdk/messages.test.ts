// Sending and receiving with the official web SDK (PROTOCOL.md §5, §6): every message type the SDK
// builds with ext of every KeyValue type, 1:1, group and chatroom, the ack, copies to the sender's
// other devices, and the way across: socket sends reach REST-side storage and the JSON /ws, REST
// sends and /ws sends reach the SDK.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { databases } from '../support/harness.js';
import { sleep } from '../support/util.js';
import { Devices } from '../support/ws.js';
import { SDK_QUIET_MS, type SdkUser } from '../support/sdk/client.js';
import { sdkSuite } from '../support/sdk/suite.js';

/** One ext value of each type the SDK types (BOOL, INT, DOUBLE, STRING, JSON_STRING). */
const EXT = { flag: true, off: false, count: 42, negative: -7, ratio: 0.25, label: 'hi', nested: { a: [1, 'two'], b: null } };

/** Attachments are sent already uploaded (`body` with the url, no `file`: the SDK does not upload). */
const FILE_URL = 'http://files.example/chatfiles/0b6c2f2e-0000-0000-0000-000000000001';
/** The receiving SDK rebuilds an attachment's url on its own apiUrl, with the secret as a query. */
const SDK_URL = expect.stringMatching(/\/chatfiles\/0b6c2f2e-0000-0000-0000-000000000001\?em-redirect=true/);

interface TypeCase {
  type: string;
  event: string;
  options: Record<string, unknown>;
  /** What the receiving SDK's message shows. */
  expected: Record<string, unknown>;
  /** What the JSON /ws and the store show as the body. */
  body: Record<string, unknown>;
}

const attachment = (filename: string) => ({ url: FILE_URL, filename, secret: 's3cr3t', file_length: 1234 });

const TYPES: TypeCase[] = [
  { type: 'txt', event: 'onTextMessage', options: { msg: 'a text' }, expected: { msg: 'a text' }, body: { msg: 'a text' } },
  {
    type: 'img',
    event: 'onImageMessage',
    // The SDK's image message takes the url and size as options (no file name or secret).
    options: { url: FILE_URL, width: 640, height: 480, file_length: 1234 },
    expected: { url: SDK_URL, width: 640, height: 480, file_length: 1234 },
    body: { url: FILE_URL, file_length: 1234, size: { width: 640, height: 480 } },
  },
  {
    type: 'audio',
    event: 'onAudioMessage',
    options: { body: { ...attachment('a.amr'), length: 9 } },
    expected: { url: SDK_URL, secret: 's3cr3t', filename: 'a.amr', length: 9, file_length: 1234 },
    body: { ...attachment('a.amr'), length: 9 },
  },
  {
    type: 'video',
    event: 'onVideoMessage',
    options: { body: { ...attachment('v.mp4'), length: 30 } },
    expected: { url: SDK_URL, secret: 's3cr3t', filename: 'v.mp4', length: 30, file_length: 1234 },
    body: { ...attachment('v.mp4'), length: 30, thumb: `${FILE_URL}?vframe=true`, thumb_secret: 's3cr3t' },
  },
  {
    type: 'file',
    event: 'onFileMessage',
    options: { body: attachment('f.pdf') },
    expected: { url: SDK_URL, secret: 's3cr3t', filename: 'f.pdf', file_length: 1234 },
    body: attachment('f.pdf'),
  },
  {
    type: 'loc',
    event: 'onLocationMessage',
    options: { lat: 39.9, lng: 116.4, addr: 'Beijing', buildingName: 'Tower' },
    expected: { lat: 39.9, lng: 116.4, addr: 'Beijing', buildingName: 'Tower' },
    body: { lat: 39.9, lng: 116.4, addr: 'Beijing', buildingName: 'Tower' },
  },
  { type: 'cmd', event: 'onCmdMessage', options: { action: 'refresh' }, expected: { action: 'refresh' }, body: { action: 'refresh' } },
  {
    type: 'custom',
    event: 'onCustomMessage',
    options: { customEvent: 'gift', customExts: { size: 'L', color: 'red' } },
    expected: { customEvent: 'gift', customExts: { size: 'L', color: 'red' } },
    body: { customEvent: 'gift', customExts: { size: 'L', color: 'red' } },
  },
];

describe.each(databases)('SDK messages (%s)', (kind) => {
  const s = sdkSuite(kind);
  let devices: Devices;

  beforeAll(async () => {
    devices = await Devices.at(s.t, s.base);
  });
  afterEach(() => devices.closeAll());

  const storedMessage = (id: string) => s.t.qunliao.store.db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirst();

  describe('1:1, every message type, with ext of every type', () => {
    it.each(TYPES)('$type: the ack, the receiving SDK, the JSON /ws and the store agree', async (c) => {
      const [a, b] = await s.t.makeUsers(`ms_${c.type}_a`, `ms_${c.type}_b`);
      const sender = await s.login(a);
      const receiver = await s.login(b);
      const ws = await devices.connect(b);

      const before = Date.now();
      const sent = await sender.send({ type: c.type, chatType: 'singleChat', to: b, ext: EXT, ...c.options });
      // The ack: the local id echoed, the server id (the REST/ws message id) and the server time.
      expect(sent).toMatchObject({ localMsgId: expect.stringMatching(/^\d+$/), serverMsgId: expect.stringMatching(/^\d{16,}$/) });
      expect(sent.message.id).toBe(sent.serverMsgId);
      expect(sent.message.time).toBeGreaterThanOrEqual(before - 1000);

      const got = await receiver.waitFor(c.event, (m: { id: string }) => m.id === sent.serverMsgId, `${c.type} message`);
      expect(got).toMatchObject({ id: sent.serverMsgId, type: c.type, chatType: 'singleChat', from: a, to: b, ext: EXT, ...c.expected });
      expect(Number(got.time)).toBe(sent.message.time);

      const delivered = await ws.waitFor((f) => f.type === 'message' && f.message?.id === sent.serverMsgId, 'the /ws copy');
      expect(delivered.message).toEqual({
        id: sent.serverMsgId,
        from: a,
        to: b,
        chat_type: 'chat',
        type: c.type,
        body: c.body,
        ext: EXT,
        timestamp: sent.message.time,
      });

      const row = await storedMessage(sent.serverMsgId);
      expect(row).toMatchObject({ chat_type: 'chat', from_user: a, to_target: b, msg_type: c.type });
      expect(JSON.parse(row!.body)).toEqual(c.body);
      expect(JSON.parse(row!.ext)).toEqual(EXT);
    });
  });

  describe('groups and chatrooms', () => {
    it.each([
      ['groupChat', 'chatgroups'],
      ['chatRoom', 'chatrooms'],
    ] as const)('%s: members get it (SDK and /ws), the sender only on their other device', async (chatType, resource) => {
      const [o, m, n] = await s.t.makeUsers(`mg_${resource}_o`, `mg_${resource}_m`, `mg_${resource}_n`);
      const id = resource === 'chatgroups' ? await s.t.createGroup(o, [m]) : await s.t.createRoom(o, [m]);
      const owner1 = await s.login(o);
      const owner2 = await s.login(o);
      const member = await s.login(m);
      const outsider = await s.login(n);
      const ws = await devices.connect(m);

      const sent = await owner1.send({ type: 'custom', chatType, to: id, customEvent: 'poll', customExts: { q: 'lunch?' }, ext: EXT });
      const expected = { id: sent.serverMsgId, type: 'custom', chatType, from: o, to: id, customEvent: 'poll', customExts: { q: 'lunch?' }, ext: EXT };
      expect(await member.waitFor('onCustomMessage')).toMatchObject(expected);
      expect(await owner2.waitFor('onCustomMessage')).toMatchObject(expected);
      const frame = await ws.waitFor((f) => f.type === 'message', 'the /ws copy');
      expect(frame.message).toMatchObject({
        id: sent.serverMsgId,
        from: o,
        to: id,
        chat_type: resource === 'chatgroups' ? 'groupchat' : 'chatroom',
        type: 'custom',
      });
      await sleep(SDK_QUIET_MS);
      expect(owner1.all('onCustomMessage')).toEqual([]);
      expect(outsider.all('onCustomMessage')).toEqual([]);
      expect(await storedMessage(sent.serverMsgId)).toMatchObject({ from_user: o, to_target: id });
    });
  });

  describe('multi-device', () => {
    it("a 1:1 message reaches the sender's other device as their own, never the sending device", async () => {
      const [a, b] = await s.t.makeUsers('md_a', 'md_b');
      const a1 = await s.login(a);
      const a2 = await s.login(a);
      const peer = await s.login(b);
      const sent = await a1.send({ type: 'txt', chatType: 'singleChat', to: b, msg: 'md copy' });
      const copy = await a2.message('md copy');
      expect(copy).toMatchObject({ id: sent.serverMsgId, from: a, to: b, chatType: 'singleChat' });
      await peer.message('md copy');
      await sleep(SDK_QUIET_MS);
      expect(a1.texts('md')).toEqual([]);
      // And the reply reaches both of a's devices.
      await peer.send({ type: 'txt', chatType: 'singleChat', to: a, msg: 'md reply' });
      await a1.message('md reply');
      await a2.message('md reply');
    });
  });

  describe('REST and /ws to the SDK', () => {
    it('REST sends to users, groups and chatrooms reach the SDK, with ext', async () => {
      const [o, m] = await s.t.makeUsers('rs_o', 'rs_m');
      const gid = await s.t.createGroup(o, [m]);
      const rid = await s.t.createRoom(o, [m]);
      const member = await s.login(m);
      const send = async (target: string, to: string[], body: Record<string, unknown>) => {
        const res = await s.t.api('POST', `/messages/${target}`, { body: { from: o, to, ext: EXT, ...body } });
        expect(res.status, res.text).toBe(200);
        return res.body.data as Record<string, string>;
      };
      const ids = {
        chat: (await send('users', [m], { type: 'txt', body: { msg: 'rs user' } }))[m],
        group: (await send('chatgroups', [gid], { type: 'loc', body: { lat: '1.5', lng: '2.5', addr: 'here' } }))[gid],
        room: (await send('chatrooms', [rid], { type: 'cmd', body: { action: 'rs room' } }))[rid],
      };
      expect(await member.message('rs user')).toMatchObject({ id: ids.chat, from: o, to: m, chatType: 'singleChat', ext: EXT });
      expect(await member.waitFor('onLocationMessage')).toMatchObject({
        id: ids.group,
        from: o,
        to: gid,
        chatType: 'groupChat',
        lat: 1.5,
        lng: 2.5,
        addr: 'here',
        ext: EXT,
      });
      expect(await member.waitFor('onCmdMessage')).toMatchObject({ id: ids.room, from: o, to: rid, chatType: 'chatRoom', action: 'rs room', ext: EXT });
    });

    it('a /ws send reaches the SDK and an SDK send reaches /ws', async () => {
      const [a, b] = await s.t.makeUsers('wx_a', 'wx_b');
      const sdkUser = await s.login(a);
      const wsUser = await devices.connect(b);
      const id = await wsUser.sayOk('chat', a, 'wx from ws');
      expect(await sdkUser.message('wx from ws')).toMatchObject({ id, from: b, to: a });
      const sent = await sdkUser.send({ type: 'txt', chatType: 'singleChat', to: b, msg: 'wx from sdk' });
      expect(await wsUser.message('wx from sdk')).toMatchObject({ id: sent.serverMsgId, from: a, to: b, chat_type: 'chat' });
    });
  });

  describe('acks the SDK sends', () => {
    it('read and delivery acks are acknowledged (their promises settle)', async () => {
      const [a, b] = await s.t.makeUsers('ra_a', 'ra_b');
      const sender = await s.login(a);
      const reader: SdkUser = await s.login(b, undefined, { delivery: true });
      const sent = await sender.send({ type: 'txt', chatType: 'singleChat', to: b, msg: 'ra read me' });
      await reader.message('ra read me');
      const read = await reader.send({ type: 'read', chatType: 'singleChat', to: a, id: sent.serverMsgId });
      expect(read).toMatchObject({ serverMsgId: expect.stringMatching(/^\d+$/) });
      // The automatic delivery ack (delivery: true) was acknowledged too: no send timeout, no reconnect.
      await sleep(SDK_QUIET_MS);
      expect(reader.all('onError')).toEqual([]);
      expect(reader.all('onReconnecting')).toEqual([]);
    });
  });
});
