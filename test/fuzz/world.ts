// The entities a fuzz run works on. Known entities (a user, a group with members, admins, a mute
// and an allowlist entry, a chatroom, a thread, a shared file) appear only in GET and HEAD requests
// and must read back unchanged after the run; sacrificial ones may be changed, dissolved or deleted
// by any case, and a fresh generation of them is made every few cases.
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import type { TestApp } from '../support/harness.js';

export type RefKind = 'user' | 'group' | 'room' | 'thread' | 'file' | 'token' | 'admin';

/**
 * A symbolic id, resolved when a case runs (so that a case replays against a fresh server).
 * Slot 0 is the known entity of its kind; a mutating request gets sacrificial slot 1 instead.
 */
export class Ref {
  constructor(
    readonly kind: RefKind,
    readonly slot: number,
  ) {}
  /** How fast-check prints a Ref in a counterexample. */
  [fc.toStringMethod](): string {
    return `<${this.kind}${this.slot}>`;
  }
}

interface Entities {
  users: string[];
  groups: string[];
  rooms: string[];
  threads: string[];
  files: string[];
  tokens: string[];
}

/** A multipart body with one file part, built by hand. */
export function filePayload(name: string, content: string, type = 'text/plain'): { payload: Buffer; contentType: string } {
  const boundary = `fz${randomBytes(6).toString('hex')}`;
  const payload = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: ${type}\r\n\r\n${content}\r\n--${boundary}--\r\n`,
  );
  return { payload, contentType: `multipart/form-data; boundary=${boundary}` };
}

async function must(t: TestApp, method: string, path: string, options: Parameters<TestApp['api']>[2] = {}) {
  const res = await t.api(method, path, options);
  if (res.status !== 200) throw new Error(`fuzz setup: ${method} ${path} answered ${res.status} ${res.text.slice(0, 300)}`);
  return res;
}

export class World {
  private generation = 0;
  known!: Entities & { owner: string; member: string };
  current!: Entities;
  private baseline: unknown;

  constructor(
    readonly t: TestApp,
    /** Distinguishes the users of several worlds on one server. */
    private readonly tag: string,
  ) {}

  async setup(): Promise<void> {
    const t = this.t;
    const [owner, user, member] = [`${this.tag}kowner`, `${this.tag}kuser`, `${this.tag}kmember`];
    await t.createUsers(owner, user, member);
    const group = await t.createGroup(owner, [user, member], { groupname: 'known group', desc: 'kept as is' });
    await must(t, 'POST', `/chatgroups/${group}/admin`, { body: { newadmin: user } });
    await must(t, 'POST', `/chatgroups/${group}/mute`, { body: { usernames: [member], mute_duration: -1 } });
    await must(t, 'POST', `/chatgroups/${group}/white/users/${user}`);
    await must(t, 'POST', `/chatgroups/${group}/announcement`, { body: { announcement: 'known announcement' } });
    const room = await t.createRoom(owner, [user, member], { name: 'known room', description: 'kept as is' });
    const thread = (await must(t, 'POST', '/thread', { body: { group_id: group, name: 'known thread', owner: user, msg_id: '100' } })).body.data.thread_id as string;
    const { payload, contentType } = filePayload('known.txt', 'known bytes');
    const file = (await must(t, 'POST', `/chatgroups/${group}/share_files`, { payload, headers: { 'content-type': contentType } })).body.data.file_id as string;
    const token = await t.userToken(user);
    this.known = { owner, member, users: [user], groups: [group], rooms: [room], threads: [thread], files: [file], tokens: [token] };
    await this.refresh();
    this.baseline = await this.snapshot();
  }

  /** A fresh generation of sacrificial entities. */
  async refresh(): Promise<void> {
    const t = this.t;
    const g = ++this.generation;
    const users = ['a', 'b', 'c', 'd'].map((x) => `${this.tag}s${g}${x}`);
    await t.createUsers(...users);
    const [a, b, c, d] = users as [string, string, string, string];
    const groups = [await t.createGroup(a, [b, c]), await t.createGroup(d, [a])];
    const rooms = [await t.createRoom(a, [b]), await t.createRoom(c)];
    const thread = (await must(t, 'POST', '/thread', { body: { group_id: groups[0], name: 'th', owner: b, msg_id: `${g}` } })).body.data.thread_id as string;
    const { payload, contentType } = filePayload('s.txt', 'sacrificial');
    const file = (await must(t, 'POST', `/chatgroups/${groups[0]}/share_files`, { payload, headers: { 'content-type': contentType } })).body.data.file_id as string;
    const tokens = [await t.userToken(a), await t.userToken(b)];
    this.current = { users, groups, rooms, threads: [thread], files: [file], tokens };
  }

  resolve(ref: Ref, mutating: boolean): string {
    if (ref.kind === 'admin') return this.t.adminToken;
    const slot = ref.slot === 0 && mutating ? 1 : ref.slot;
    const key = `${ref.kind}s` as keyof Entities;
    if (slot === 0) return this.known[key][0]!;
    const list = this.current[key];
    return list[(slot - 1) % list.length]!;
  }

  /** What the known entities read back as, without the per-answer fields. */
  async snapshot(): Promise<Record<string, unknown>> {
    const t = this.t;
    const k = this.known;
    const [user, group, room, thread, file] = [k.users[0]!, k.groups[0]!, k.rooms[0]!, k.threads[0]!, k.files[0]!];
    const reads: Record<string, string> = {
      user: `/users/${user}`,
      owner: `/users/${k.owner}`,
      group: `/chatgroups/${group}`,
      members: `/chatgroups/${group}/users`,
      admins: `/chatgroups/${group}/admin`,
      mutes: `/chatgroups/${group}/mute`,
      allowlist: `/chatgroups/${group}/white/users`,
      blocks: `/chatgroups/${group}/blocks/users`,
      announcement: `/chatgroups/${group}/announcement`,
      userGroups: `/chatgroups/user/${user}`,
      room: `/chatrooms/${room}`,
      roomMembers: `/chatrooms/${room}/users`,
      threadMembers: `/thread/${thread}/users`,
      userThreads: `/threads/chatgroups/${group}/user/${user}`,
      files: `/chatgroups/${group}/share_files`,
    };
    const out: Record<string, unknown> = {};
    for (const [name, path] of Object.entries(reads)) {
      const res = await t.api('GET', path);
      const { data, entities, count, properties } = (res.body ?? {}) as Record<string, unknown>;
      out[name] = { status: res.status, data, entities, count, properties };
    }
    const bytes = await t.request('GET', `/acme/chat/chatgroups/${group}/share_files/${file}`, { token: t.adminToken });
    out.fileBytes = { status: bytes.status, text: bytes.text, type: bytes.headers['content-type'] };
    const token = await t.api('GET', `/users/${user}`, { token: k.tokens[0] });
    out.tokenWorks = token.status;
    return out;
  }

  /** Differences between the baseline and now, as readable lines (empty when unchanged). */
  async changes(): Promise<string[]> {
    const now = await this.snapshot();
    const before = this.baseline as Record<string, unknown>;
    const diffs: string[] = [];
    for (const key of Object.keys(before)) {
      const a = JSON.stringify(before[key]);
      const b = JSON.stringify(now[key]);
      if (a !== b) diffs.push(`${key}: was ${a.slice(0, 400)} — now ${b.slice(0, 400)}`);
    }
    return diffs;
  }
}
