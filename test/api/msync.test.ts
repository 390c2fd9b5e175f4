// GET /websocket frame by frame, through a raw protobuf client (test/support/msync.ts): what the
// SDK relies on byte for byte (PROTOCOL.md §4–§7), and what it never sends — text frames,
// undecodable bytes, frames before PROVISION, a second PROVISION, unknown commands, oversized
// frames, floods. Each is refused or closed with a clear reason; nothing is delivered twice or lost.
import { describe, expect, it, afterEach } from 'vitest';
import { Command, NameSpace } from '../../src/msync/schema.js';
import { databases, MAIN } from '../support/harness.js';
import { expectError } from '../support/expect.js';
import { sleep } from '../support/util.js';
import { encode, encodeMsync, metaBody, MsyncClient } from '../support/msync.js';
import { sdkSuite } from '../support/sdk/suite.js';

const APP_KEY = `${MAIN.org}#${MAIN.app}`;

describe.each(databases)('msync on /websocket (%s)', (kind) => {
  const s = sdkSuite(kind);
  const clients: MsyncClient[] = [];
  afterEach(() => clients.splice(0).forEach((c) => c.close()));

  const connect = async () => {
    const c = await MsyncClient.connect(s.base);
    clients.push(c);
    return c;
  };
  /** A connected, provisioned raw client of a fresh user. */
  const login = async (name: string, resource?: string) => {
    const c = await connect();
    const reply = await c.provision(APP_KEY, name, await s.t.userToken(name), resource);
    expect(reply.status).toEqual({ errorCode: 0 });
    return c;
  };
  const chatQueue = (peer: string) => ({ appKey: APP_KEY, name: peer, domain: 'easemob.com' });
  const restSend = async (from: string, to: string, msg: string) => {
    const res = await s.t.api('POST', '/messages/users', { body: { from, to: [to], type: 'txt', body: { msg } } });
    expect(res.status, res.text).toBe(200);
    return (res.body.data as Record<string, string>)[to]!;
  };
  const texts = (batch: { metas?: Record<string, unknown>[] }) => (batch.metas ?? []).map((m) => metaBody(m).contents[0].text as string);

  describe('login, heartbeat, logout', () => {
    it('a plain GET of /websocket (no Upgrade) answers 400 with the error body', async () => {
      const res = await s.t.request('GET', '/websocket');
      expectError(res, 400, 'illegal_argument');
    });

    it('PROVISION: status OK, the resource echoed, the absolute expiry, no compression offered', async () => {
      const [u] = await s.t.makeUsers('mp_u');
      const c = await connect();
      const before = Date.now();
      const reply = await c.provision(APP_KEY, u, await s.t.userToken(u, 'pw', { ttl: 600 }), 'webim_web_123');
      expect(reply.status).toEqual({ errorCode: 0 });
      expect(reply.resource).toBe('webim_web_123');
      expect(reply.protocolCompressType ?? []).toEqual([]);
      const expires = JSON.parse(reply.authToken).expires_in as number;
      expect(expires).toBeGreaterThanOrEqual(before + 600_000 - 1000);
      expect(expires).toBeLessThanOrEqual(Date.now() + 600_000);
    });

    it('a refused PROVISION is answered, then the socket is closed by the server', async () => {
      const [u] = await s.t.makeUsers('mr_u');
      const c = await connect();
      const reply = await c.provision(APP_KEY, u, 'YWMtforged');
      expect(reply.status).toEqual({ errorCode: 1, reason: 'Sorry, token or password does not match login info' });
      expect(await c.closed).toEqual({ code: 1008, reason: 'provision refused' });
    });

    it('the login UNREAD lists the waiting conversations with their counts; later ones are heartbeats', async () => {
      const [a, b] = await s.t.makeUsers('mu_a', 'mu_b');
      await restSend(a, b, 'mu 1');
      await restSend(a, b, 'mu 2');
      const c = await login(b);
      c.unread();
      const first = (await c.next((f) => f.command === Command.UNREAD)).body;
      expect(first.status).toEqual({ errorCode: 0 });
      expect(first.unread).toEqual([{ queue: chatQueue(a), n: 2 }]);
      expect(Number(first.timestamp)).toBeGreaterThan(Date.now() - 5000);
      c.unread();
      const beat = (await c.next((f) => f.command === Command.UNREAD)).body;
      expect(beat).toMatchObject({ status: { errorCode: 0 } });
      expect(beat.unread ?? []).toEqual([]);
    });

    it('LOGOUT is answered with status OK, then the socket closes', async () => {
      const [u] = await s.t.makeUsers('ml_u');
      const c = await login(u);
      c.raw(encodeMsync(Command.LOGOUT, encode('Logout', { sessionId: '1:', reason: 'inner:logout' })));
      expect((await c.next((f) => f.command === Command.LOGOUT)).body).toEqual({ status: { errorCode: 0 } });
      expect((await c.closed).code).toBe(1000);
    });
  });

  describe('receiving: NOTICE, pulls, the pull key as the acknowledgement', () => {
    it('a live message: NOTICE, a batch with isLast false and nextKey, then the empty isLast true', async () => {
      const [a, b] = await s.t.makeUsers('mn_a', 'mn_b');
      const c = await login(b);
      const id = await restSend(a, b, 'mn live');
      expect((await c.next((f) => f.command === Command.NOTICE)).body).toEqual({ queue: chatQueue(a) });
      const batch = await c.pull(chatQueue(a));
      expect(batch).toMatchObject({ status: { errorCode: 0 }, queue: chatQueue(a), isLast: false, nextKey: expect.any(String) });
      expect(batch.metaId).toBeUndefined();
      expect(batch.metas).toHaveLength(1);
      const meta = batch.metas[0];
      expect(meta).toMatchObject({ id, ns: NameSpace.CHAT, from: { appKey: APP_KEY, name: a, domain: 'easemob.com' }, to: { name: b, domain: 'easemob.com' } });
      expect(metaBody(meta)).toMatchObject({ type: 1, from: { name: a }, to: { name: b }, contents: [{ type: 0, text: 'mn live' }] });
      const done = await c.pull(chatQueue(a), batch.nextKey);
      expect(done).toMatchObject({ status: { errorCode: 0 }, queue: chatQueue(a), isLast: true });
      expect(done.metas ?? []).toEqual([]);
    });

    it('what a device acknowledged is not offered again; what it did not is, on its next connection', async () => {
      const [a, b] = await s.t.makeUsers('mk_a', 'mk_b');
      for (let i = 0; i < 3; i++) await restSend(a, b, `mk ${i}`);
      let c = await login(b, 'dev1');
      const batch = await c.pull(chatQueue(a));
      expect(texts(batch)).toEqual(['mk 0', 'mk 1', 'mk 2']);
      // Not acknowledged: a new connection of the same device gets them again.
      c.close();
      await c.closed;
      c = await login(b, 'dev1');
      const again = await c.pull(chatQueue(a));
      expect(texts(again)).toEqual(['mk 0', 'mk 1', 'mk 2']);
      await c.pull(chatQueue(a), again.nextKey);
      c.close();
      await c.closed;
      c = await login(b, 'dev1');
      expect(texts(await c.pull(chatQueue(a)))).toEqual([]);
    });

    it('a key beyond what was offered acknowledges only what was offered; nextKey never repeats', async () => {
      const [a, b] = await s.t.makeUsers('mx_a', 'mx_b');
      const c = await login(b);
      await restSend(a, b, 'mx 1');
      const first = await c.pull(chatQueue(a));
      expect(texts(first)).toEqual(['mx 1']);
      await restSend(a, b, 'mx 2');
      const second = await c.pull(chatQueue(a), '99999999');
      // mx 2 was never offered, so the huge key did not skip it.
      expect(texts(second)).toEqual(['mx 2']);
      expect(second.nextKey).not.toBe(first.nextKey);
      expect((await c.pull(chatQueue(a), second.nextKey)).isLast).toBe(true);
    });

    it("a queue that is not the user's (a group they are not in, a room that does not exist) answers an empty last batch", async () => {
      const [o, m, x] = await s.t.makeUsers('mq_o', 'mq_m', 'mq_x');
      const gid = await s.t.createGroup(o, [m]);
      await s.t.api('POST', '/messages/chatgroups', { body: { from: o, to: [gid], type: 'txt', body: { msg: 'mq secret' } } });
      const c = await login(x);
      for (const name of [gid, '999999999999999', '']) {
        const batch = await c.pull({ appKey: APP_KEY, name, domain: 'conference.easemob.com' });
        expect(batch).toMatchObject({ status: { errorCode: 0 }, isLast: true });
        expect(batch.metas ?? []).toEqual([]);
      }
    });
  });

  describe('bad input', () => {
    it('a text frame closes with 1003', async () => {
      const c = await connect();
      c.raw('{"hello":"json"}');
      expect(await c.closed).toEqual({ code: 1003, reason: 'msync frames are binary' });
    });

    it('undecodable bytes close with 1007', async () => {
      const c = await connect();
      c.raw(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]));
      expect(await c.closed).toEqual({ code: 1007, reason: 'undecodable msync frame' });
    });

    it('a frame before PROVISION closes with 1008', async () => {
      const c = await connect();
      c.unread();
      expect(await c.closed).toEqual({ code: 1008, reason: 'PROVISION first' });
    });

    it('a second PROVISION closes with 1008', async () => {
      const [u] = await s.t.makeUsers('m2_u');
      const c = await login(u);
      c.raw(encodeMsync(Command.PROVISION, encode('Provision', { resource: 'again' })));
      expect(await c.closed).toEqual({ code: 1008, reason: 'already provisioned' });
    });

    it('an unknown command closes with 1008', async () => {
      const [u] = await s.t.makeUsers('mc_u');
      const c = await login(u);
      // MSync.command (field 8) = 7, written by hand: the schema's enum has no 7.
      c.raw(Buffer.from([0x40, 0x07]));
      expect(await c.closed).toEqual({ code: 1008, reason: 'unknown msync command' });
    });

    it('a frame over 64 KiB closes with 1009', async () => {
      const [u] = await s.t.makeUsers('mb_u');
      const c = await login(u);
      c.raw(Buffer.alloc(64 * 1024 + 1, 1));
      expect((await c.closed).code).toBe(1009);
    });

    it('an undecodable message body, an unknown namespace: refused in the ack, the connection stays', async () => {
      const [a, b] = await s.t.makeUsers('mm_a', 'mm_b');
      const c = await login(a);
      c.raw(encodeMsync(Command.SYNC, encode('CommSyncUL', { meta: { id: '77', to: chatQueue(b), ns: NameSpace.CHAT, payload: Buffer.from([0xff, 0xff]) } })));
      expect((await c.next((f) => f.body.metaId === '77')).body.status).toEqual({ errorCode: 4, reason: 'invalid message: undecodable body' });
      c.raw(encodeMsync(Command.SYNC, encode('CommSyncUL', { meta: { id: '78', ns: NameSpace.ROSTER, payload: Buffer.alloc(0) } })));
      expect((await c.next((f) => f.body.metaId === '78')).body.status).toMatchObject({ errorCode: 1 });
      // A statistics meta needs no answer; the connection still works.
      c.raw(encodeMsync(Command.SYNC, encode('CommSyncUL', { meta: { id: '79', ns: NameSpace.STATISTIC, payload: Buffer.alloc(0) } })));
      const ack = await c.sendText(APP_KEY, a, b, 'mm fine');
      expect(ack.status).toEqual({ errorCode: 0 });
      expect(c.frames.some((f) => f.body.metaId === '79')).toBe(false);
    });

    it('a flood of frames: handled, or the connection closed once too many wait; every acknowledged message delivered once, in order', async () => {
      const [a, b] = await s.t.makeUsers('mf_a', 'mf_b');
      const c = await login(a);
      const total = 6000;
      for (let i = 0; i < total; i++) c.sendTextNoWait(APP_KEY, a, b, `mf ${String(i).padStart(4, '0')}`, 1, String(10_000 + i));
      const acks = () => c.frames.filter((f) => f.command === Command.SYNC && f.body.metaId && f.body.status?.errorCode === 0).length;
      const outcome = await Promise.race([
        c.closed,
        (async () => {
          while (acks() < total) await sleep(50);
          return 'all handled' as const;
        })(),
      ]);
      if (outcome !== 'all handled') expect(outcome).toEqual({ code: 1008, reason: 'too many frames waiting' });
      const acked = acks();
      await sleep(300);
      const r = await login(b);
      const got: string[] = [];
      let batch = await r.pull(chatQueue(a));
      while (!batch.isLast) {
        got.push(...texts(batch));
        batch = await r.pull(chatQueue(a), batch.nextKey);
      }
      // The frame under way when the connection closed may have been stored without its ack reaching the client.
      expect(got.length === acked || got.length === acked + 1, `${got.length} delivered, ${acked} acknowledged`).toBe(true);
      expect(got).toEqual(Array.from({ length: got.length }, (_, i) => `mf ${String(i).padStart(4, '0')}`));
    }, 120_000);
  });
});
