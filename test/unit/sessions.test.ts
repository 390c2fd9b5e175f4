// The session core (src/services/sessions) without any socket: sessions with recording sinks over
// the real services and store, on every database. Push mode (the JSON /ws) and pull mode (msync),
// cursors and stored positions, who sees which entry, new devices, rooms, kicks, restarts, and
// exactly-once delivery while sends and connections interleave.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQunliao, type Qunliao } from '../../src/app.js';
import type { KickReason } from '../../src/coord/fanout.js';
import type { App } from '../../src/services/apps.js';
import type { ConversationView } from '../../src/services/sessions/conversations.js';
import type { LogEntry } from '../../src/services/sessions/entries.js';
import type { Session, SessionSink } from '../../src/services/sessions/index.js';
import { MAX_DEVICES_PER_USER } from '../../src/services/sessions/index.js';
import type { UserRow } from '../../src/store/users.js';
import { databases, MAIN, startApp, type TestApp } from '../support/harness.js';
import { sleep } from '../support/util.js';

/** A device that keeps what it is given. */
class Recorder {
  readonly delivered: LogEntry[] = [];
  readonly notified: ConversationView[] = [];
  readonly kicks: KickReason[] = [];
  /** Push mode refuses entries once this many were taken (the device went away). */
  capacity = Infinity;

  sink(mode: 'push' | 'pull'): SessionSink {
    const kick = (reason: KickReason) => void this.kicks.push(reason);
    if (mode === 'pull') return { notify: (view) => void this.notified.push(view), kick };
    return {
      deliver: (entry) => {
        if (this.delivered.length >= this.capacity) return false;
        this.delivered.push(entry);
        return true;
      },
      kick,
    };
  }

  /** The messages among what was delivered (room operations also deliver their events). */
  get messages(): LogEntry[] {
    return this.delivered.filter((e) => e.message);
  }

  /** The room events among what was delivered, but the group's creation every member sees first. */
  get events(): NonNullable<LogEntry['event']>[] {
    return this.delivered.flatMap((e) => (e.event && e.event.kind !== 'added' ? [e.event] : []));
  }

  texts(prefix = ''): string[] {
    return this.messages.map((e) => (e.message!.body as { msg?: string }).msg ?? '').filter((m) => m.startsWith(prefix));
  }
}

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe.each(databases)('session core (%s)', (kind) => {
  let t: TestApp;
  let app: App;

  beforeAll(async () => {
    t = await startApp(kind);
    app = (await t.qunliao.services.apps.find(MAIN.org, MAIN.app))!;
  });
  afterAll(() => t.close());

  const svc = () => t.qunliao.services;
  const user = async (name: string): Promise<UserRow> => (await t.qunliao.store.users.findByName(app.uuid, name))!;
  const open = async (
    name: string,
    resource: string,
    mode: 'push' | 'pull',
    rec = new Recorder(),
    origin = resource,
  ): Promise<{ session: Session; rec: Recorder }> => {
    const session = svc().sessions.open(app, await user(name), { resource, origin }, rec.sink(mode));
    await session.ready;
    return { session, rec };
  };
  const close = (session: Session) => svc().sessions.close(session);
  /** A 1:1 client send. */
  const say = (from: string, to: string, msg: string, origin = 'other-device') =>
    svc().messages.sendFromClient(app, { username: from, origin }, { chatType: 'chat', to, type: 'txt', body: { msg }, ext: {} });
  const sayIn = (kindOf: 'groupchat' | 'chatroom', from: string, id: string, msg: string, origin = 'other-device') =>
    svc().messages.sendFromClient(app, { username: from, origin }, { chatType: kindOf, to: id, type: 'txt', body: { msg }, ext: {} });
  const rest = (target: 'users' | 'chatgroups' | 'chatrooms', body: Record<string, unknown>) => svc().messages.sendRest(app, target, body);

  describe('push mode', () => {
    it('sends the backlog, every conversation merged by time, then live entries; each once', async () => {
      const [a, c, b] = await t.makeUsers('cp_a', 'cp_c', 'cp_b');
      const gid = await t.createGroup(a, [b]);
      await say(a, b, 'cp 1');
      await sayIn('groupchat', a, gid, 'cp 2');
      await say(c, b, 'cp 3');
      const { session, rec } = await open(b, 'ws', 'push');
      await until(() => rec.messages.length === 3, 'the backlog');
      await say(a, b, 'cp 4');
      await until(() => rec.messages.length === 4, 'the live one');
      expect(rec.texts('cp')).toEqual(['cp 1', 'cp 2', 'cp 3', 'cp 4']);
      await close(session);
      // The next session of the device starts after all of them.
      const next = await open(b, 'ws', 'push');
      await sleep(100);
      expect(next.rec.delivered).toEqual([]);
      await close(next.session);
    });

    it('a device that goes away mid-delivery gets exactly the rest on its next session', async () => {
      const [a, b] = await t.makeUsers('cg_a', 'cg_b');
      for (let i = 0; i < 20; i++) await say(a, b, `cg ${i}`);
      const first = new Recorder();
      first.capacity = 7;
      const s1 = await open(b, 'ws', 'push', first);
      await until(() => first.delivered.length === 7, 'the first seven');
      await sleep(50);
      await close(s1.session);
      const s2 = await open(b, 'ws', 'push');
      await until(() => s2.rec.delivered.length === 13, 'the other thirteen');
      expect([...first.texts(), ...s2.rec.texts()]).toEqual(Array.from({ length: 20 }, (_, i) => `cg ${i}`));
      await close(s2.session);
    });

    it("a message from the session's own connection is never given back; other connections of the user get it", async () => {
      const [a, b] = await t.makeUsers('co_a', 'co_b');
      const mine = await open(a, 'ws', 'push', new Recorder(), 'conn-1');
      const other = await open(a, 'ws', 'push', new Recorder(), 'conn-2');
      await say(a, b, 'co sent', 'conn-1');
      await until(() => other.rec.delivered.length === 1, 'the copy');
      await sleep(50);
      expect(mine.rec.delivered).toEqual([]);
      await close(mine.session);
      await close(other.session);
    });
  });

  describe('pull mode', () => {
    it('a notice per new entry, batches acknowledged by key, positions kept per device', async () => {
      const [a, b] = await t.makeUsers('cu_a', 'cu_b');
      const { session, rec } = await open(b, 'dev', 'pull');
      const sent = await say(a, b, 'cu 1');
      await until(() => rec.notified.length === 1, 'the notice');
      const view = rec.notified[0]!;
      expect(view).toMatchObject({ kind: 'chat', peer: a });
      const batch = await session.pull(view.id);
      expect(batch.entries.map((e) => e.message?.id)).toEqual([sent.id]);
      // Not acknowledged yet: this session does not offer it twice (a second NOTICE before the
      // acknowledgement would make the SDK raise it twice), but the device's next session does.
      expect((await session.pull(view.id)).entries).toEqual([]);
      await close(session);
      const retry = await open(b, 'dev', 'pull');
      const offeredAgain = await retry.session.pull(view.id);
      expect(offeredAgain.entries.map((e) => e.message?.id)).toEqual([sent.id]);
      expect(await retry.session.pull(view.id, offeredAgain.nextKey)).toEqual({ entries: [] });
      await close(retry.session);
      const again = await open(b, 'dev', 'pull');
      expect(await again.session.pending()).toEqual([]);
      expect((await again.session.pull(view.id)).entries).toEqual([]);
      await close(again.session);
    });

    it('pending() lists what waits, per conversation, with counts', async () => {
      const [a, b] = await t.makeUsers('cn_a', 'cn_b');
      const gid = await t.createGroup(a, [b]);
      await say(a, b, 'cn 1');
      await say(a, b, 'cn 2');
      await sayIn('groupchat', a, gid, 'cn 3');
      const { session } = await open(b, 'dev', 'pull');
      const pending = await session.pending();
      // The group's count holds its creation (the member's directJoined) and the message.
      expect(pending.map((p) => [p.view.kind, p.count]).sort()).toEqual([
        ['chat', 2],
        ['group', 2],
      ]);
      await close(session);
    });

    it('entries a device must not see are passed over without a notice: its own, and REST sends not synced to the sender', async () => {
      const [a, b] = await t.makeUsers('cv_a', 'cv_b');
      const { session, rec } = await open(a, 'dev', 'pull');
      await say(a, b, 'cv own', 'dev');
      await rest('users', { from: a, to: [b], type: 'txt', body: { msg: 'cv rest' } });
      await sleep(100);
      expect(rec.notified).toEqual([]);
      await close(session);
      const next = await open(a, 'dev', 'pull');
      expect(await next.session.pending()).toEqual([]);
      await close(next.session);
    });
  });

  describe('who sees what', () => {
    it('routetype ROUTE_ONLINE: only devices connected when it was sent', async () => {
      const [a, b] = await t.makeUsers('cl_a', 'cl_b');
      const on = await open(b, 'on', 'push');
      await rest('users', { from: a, to: [b], type: 'txt', body: { msg: 'cl online only' }, routetype: 'ROUTE_ONLINE' });
      await until(() => on.rec.delivered.length === 1, 'the online device');
      const off = await open(b, 'off', 'push');
      await rest('users', { from: a, to: [b], type: 'txt', body: { msg: 'cl kept' } });
      await until(() => off.rec.delivered.length === 1, 'the kept one');
      await sleep(50);
      expect(off.rec.texts()).toEqual(['cl kept']);
      await close(on.session);
      await close(off.session);
    });

    it('groups: a member sees what was said since they joined, not before, and not while they were away', async () => {
      const [o, m] = await t.makeUsers('cj_o', 'cj_m');
      const gid = await t.createGroup(o, []);
      await sayIn('groupchat', o, gid, 'cj before');
      await sleep(5);
      await t.apiOk('POST', `/chatgroups/${gid}/users/${m}`);
      await sayIn('groupchat', o, gid, 'cj member');
      const first = await open(m, 'dev', 'push');
      await until(() => first.rec.messages.length === 1, 'what came after joining');
      await close(first.session);
      await t.apiOk('DELETE', `/chatgroups/${gid}/users/${m}`);
      await sayIn('groupchat', o, gid, 'cj away');
      await sleep(5);
      await t.apiOk('POST', `/chatgroups/${gid}/users/${m}`);
      await sayIn('groupchat', o, gid, 'cj back');
      const second = await open(m, 'dev', 'push');
      await until(() => second.rec.messages.length === 1, 'what came after rejoining');
      await sleep(50);
      expect([...first.rec.texts(), ...second.rec.texts()]).toEqual(['cj member', 'cj back']);
      // A non-member pulling the group's log gets nothing.
      const [x] = await t.makeUsers('cj_x');
      const outsider = await open(x, 'dev', 'pull');
      expect((await outsider.session.pull(`group:${gid}`)).entries).toEqual([]);
      await close(second.session);
      await close(outsider.session);
    });

    it("room events: to every member but the one who left; a person's own log reaches them outside the room", async () => {
      const [o, m, x] = await t.makeUsers('ce_o', 'ce_m', 'ce_x');
      const gid = await t.createGroup(o, [m, x]);
      const [so, sm, sx] = [await open(o, 'dev', 'push'), await open(m, 'dev', 'push'), await open(x, 'dev', 'push')];
      await t.apiOk('DELETE', `/chatgroups/${gid}/users/${x}`);
      await until(() => so.rec.events.length === 1 && sm.rec.events.length === 1 && sx.rec.events.length === 1, 'the events');
      for (const s of [so, sm]) expect(s.rec.events[0]).toMatchObject({ kind: 'member_left', from: x, id: gid });
      expect(sx.rec.events[0]).toMatchObject({ kind: 'removed', to: [x], from: 'admin' });
      expect(sx.rec.delivered.at(-1)!.conversation).toBe(`user:${x}`);
      await svc().events.room(app, { kind: 'group', id: gid }, { op: 'member_left', from: m });
      await until(() => so.rec.events.length === 2, 'the owner seeing m leave');
      await sleep(50);
      expect(sm.rec.events).toHaveLength(1);
      for (const s of [so, sm, sx]) await close(s.session);
    });

    it('chatrooms: a device starts at what is new; nothing is kept for it', async () => {
      const [o, m] = await t.makeUsers('cr_o', 'cr_m');
      const rid = await t.createRoom(o, [m]);
      await sayIn('chatroom', o, rid, 'cr before');
      // Chatroom cursors start by time: what was said in the very millisecond of connecting counts as live.
      await sleep(3);
      const { session, rec } = await open(m, 'dev', 'pull');
      expect(await session.pending()).toEqual([]);
      expect((await session.pull(`chatroom:${rid}`)).entries).toEqual([]);
      await sayIn('chatroom', o, rid, 'cr live');
      await until(() => rec.notified.length === 1, 'the notice');
      const batch = await session.pull(`chatroom:${rid}`);
      expect(batch.entries.map((e) => (e.message?.body as { msg: string }).msg)).toEqual(['cr live']);
      await close(session);
    });
  });

  describe('devices', () => {
    it("a new device starts where the furthest of the user's devices is; conversations none of them saw come whole", async () => {
      const [a, c, b] = await t.makeUsers('cd_a', 'cd_c', 'cd_b');
      await say(a, b, 'cd 1');
      const old = await open(b, 'old', 'push');
      await until(() => old.rec.delivered.length === 1, 'the first');
      await close(old.session);
      await say(a, b, 'cd 2');
      await say(c, b, 'cd 3');
      const fresh = await open(b, 'new', 'push');
      await until(() => fresh.rec.delivered.length === 2, 'what no device had');
      await sleep(50);
      expect(fresh.rec.texts()).toEqual(['cd 2', 'cd 3']);
      await close(fresh.session);
      // The old device still gets what it has not had.
      const back = await open(b, 'old', 'push');
      await until(() => back.rec.delivered.length === 2, 'the old device catching up');
      await close(back.session);
    });

    it(`keeps at most ${MAX_DEVICES_PER_USER} devices per user (the least recently seen are forgotten)`, async () => {
      const [u] = await t.makeUsers('cm_u');
      for (let i = 0; i < MAX_DEVICES_PER_USER + 3; i++) {
        const { session } = await open(u, `d${i}`, 'pull');
        await close(session);
        await sleep(2);
      }
      const rows = await t.qunliao.store.db.selectFrom('devices').select('resource').where('app_uuid', '=', app.uuid).where('username', '=', u).execute();
      expect(rows).toHaveLength(MAX_DEVICES_PER_USER);
      expect(rows.map((r) => r.resource)).not.toContain('d0');
    });

    it('kicks reach every session of the user, or the one resource named', async () => {
      const [u] = await t.makeUsers('ck_u');
      const one = await open(u, 'r1', 'pull');
      const two = await open(u, 'r2', 'push');
      svc().fanout.kick(app.uuid, u, 'forced_logout', 'r2');
      expect(one.rec.kicks).toEqual([]);
      expect(two.rec.kicks).toEqual(['forced_logout']);
      svc().fanout.kick(app.uuid, u, 'password_changed');
      expect(one.rec.kicks).toEqual(['password_changed']);
      await close(one.session);
      await close(two.session);
    });
  });

  describe('writes', () => {
    it('a group message is one message row and one log entry, for 2 members as for 200, with nobody connected', async () => {
      const count = async () => {
        const db = t.qunliao.store.db;
        const n = async (table: 'messages' | 'conversation_log' | 'device_positions') =>
          Number(
            (
              await db
                .selectFrom(table)
                .select((eb) => eb.fn.countAll<number>().as('n'))
                .executeTakeFirstOrThrow()
            ).n,
          );
        return { messages: await n('messages'), log: await n('conversation_log'), positions: await n('device_positions') };
      };
      const [o] = await t.makeUsers('cw_o');
      const members: string[] = [];
      for (let i = 0; i < 200; i += 50) members.push(...(await t.makeUsers(...Array.from({ length: 50 }, () => 'cw_m'))));
      const small = await t.createGroup(o, members.slice(0, 1));
      const large = await t.createGroup(o, [], { maxusers: 300 });
      for (let i = 0; i < members.length; i += 60) await t.apiOk('POST', `/chatgroups/${large}/users`, { usernames: members.slice(i, i + 60) });
      for (const gid of [small, large]) {
        const before = await count();
        await rest('chatgroups', { from: o, to: [gid], type: 'txt', body: { msg: 'cw' } });
        expect(await count()).toEqual({ messages: before.messages + 1, log: before.log + 1, positions: before.positions });
      }
    });
  });

  describe('exactly once while sends and connections interleave', () => {
    it('connecting and disconnecting at random points of a stream: every message once, in order, across sessions', async () => {
      const [a, b] = await t.makeUsers('cx_a', 'cx_b');
      const expected = Array.from({ length: 60 }, (_, i) => `cx ${String(i).padStart(2, '0')}`);
      const got: string[] = [];
      const sending = (async () => {
        for (const msg of expected) {
          await say(a, b, msg);
          if (Math.random() < 0.3) await sleep(1);
        }
      })();
      let done = false;
      void sending.then(() => (done = true));
      while (!done) {
        const rec = new Recorder();
        const { session } = await open(b, 'dev', 'push', rec);
        await sleep(Math.floor(Math.random() * 8));
        await close(session);
        got.push(...rec.texts());
      }
      const last = await open(b, 'dev', 'push');
      await until(() => got.length + last.rec.delivered.length >= expected.length, 'the rest');
      await sleep(50);
      got.push(...last.rec.texts());
      await close(last.session);
      expect(got).toEqual(expected);
    });
  });
});

describe('session core across a restart (sqlite)', () => {
  let dir: string;
  let q: Qunliao | undefined;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qunliao-sessions-'));
  });
  afterAll(async () => {
    await q?.server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('positions and logs are in the database: a new process resumes each device where it was', async () => {
    const { testConfig } = await import('../support/harness.js');
    const config = testConfig(dir);
    q = await createQunliao(config);
    const app = (await q.services.apps.find(MAIN.org, MAIN.app))!;
    await q.services.users.register(app, [
      { username: 'rs_a', password: 'pw' },
      { username: 'rs_b', password: 'pw' },
    ]);
    const b = (await q.store.users.findByName(app.uuid, 'rs_b'))!;
    const send = (msg: string) =>
      q!.services.messages.sendFromClient(app, { username: 'rs_a', origin: 'x' }, { chatType: 'chat', to: 'rs_b', type: 'txt', body: { msg }, ext: {} });
    await send('rs 1');
    const rec = new Recorder();
    const s1 = q.services.sessions.open(app, b, { resource: 'dev', origin: 'dev' }, rec.sink('push'));
    await until(() => rec.delivered.length === 1, 'the first');
    // The process stops without the session being closed (positions are flushed at shutdown).
    void s1;
    await q.server.close();
    q = await createQunliao(config);
    await q.services.messages.sendFromClient(
      app,
      { username: 'rs_a', origin: 'x' },
      { chatType: 'chat', to: 'rs_b', type: 'txt', body: { msg: 'rs 2' }, ext: {} },
    );
    const rec2 = new Recorder();
    const s2 = q.services.sessions.open(app, b, { resource: 'dev', origin: 'dev' }, rec2.sink('push'));
    await until(() => rec2.delivered.length === 1, 'the second');
    await sleep(50);
    expect(rec2.texts()).toEqual(['rs 2']);
    await q.services.sessions.close(s2);
  });
});
