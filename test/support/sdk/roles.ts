// Role tables for the client SDK's own REST calls (issue 14; ../shared/api/client-protocol/REST.md):
// four users — owner, admin, plain member, outsider — each logged in once through the real web SDK
// (one worker each, kept for the whole file), try an operation on a fresh room made for that try
// with the app token; each gets what the hosted role rules give them, and state is read back with
// the app token.
import { afterAll, beforeAll, expect } from 'vitest';
import { startApp, type DbKind, type TestApp } from '../harness.js';
import { rejection, SdkUser } from './client.js';
import { APP_KEY } from './suite.js';

export const ROLES = ['owner', 'admin', 'member', 'outsider'] as const;
export type Role = (typeof ROLES)[number];

/** The users of a role table: the four roles and `target`, a plain member operations act on. */
export interface Cast {
  owner: string;
  admin: string;
  member: string;
  outsider: string;
  target: string;
}

export interface RoleSuite {
  readonly t: TestApp;
  readonly names: Cast;
  /** The SDK user logged in under each role (and the target). */
  readonly sdk: Record<Role | 'target', SdkUser>;
  /** A second outsider, for calls that need an untouched user (created once). */
  readonly spare: string;
  /** Another SDK user logged in for one test (terminated after the file). */
  login(name: string): Promise<SdkUser>;
}

export function roleSuite(kind: DbKind, prefix: string): RoleSuite {
  const state = {} as { t: TestApp; base: string; names: Cast; sdk: Record<Role | 'target', SdkUser>; spare: string };
  const extra: SdkUser[] = [];
  beforeAll(async () => {
    state.t = await startApp(kind);
    const base = await state.t.qunliao.server.listen({ port: 0, host: '127.0.0.1' });
    state.base = base;
    const [owner, admin, member, outsider, target, spare] = await state.t.makeUsers(
      `${prefix}o`,
      `${prefix}a`,
      `${prefix}m`,
      `${prefix}x`,
      `${prefix}t`,
      `${prefix}s`,
    );
    state.names = { owner, admin, member, outsider, target };
    state.spare = spare;
    const entries = await Promise.all(
      (['owner', 'admin', 'member', 'outsider', 'target'] as const).map(async (role) => {
        const user = await SdkUser.start(state.names[role], { base, appKey: APP_KEY });
        await user.open({ user: state.names[role], pwd: 'pw' });
        return [role, user] as const;
      }),
    );
    state.sdk = Object.fromEntries(entries) as Record<Role | 'target', SdkUser>;
  }, 60_000);
  afterAll(async () => {
    await Promise.all([...Object.values(state.sdk ?? {}), ...extra].map((u) => u.terminate()));
    await state.t?.close();
  });
  return {
    get t() {
      return state.t;
    },
    get names() {
      return state.names;
    },
    get sdk() {
      return state.sdk;
    },
    get spare() {
      return state.spare;
    },
    async login(name) {
      const user = await SdkUser.start(name, { base: state.base, appKey: APP_KEY });
      extra.push(user);
      await user.open({ user: name, pwd: 'pw' });
      return user;
    },
  };
}

/**
 * One operation tried under each role. `allowed` roles must succeed (`ok` checks the SDK's answer
 * and reads the change back); the others must be refused with the SDK error type of `refused` (by
 * default 602 "not a member" for the outsider, 603 "permission denied" for the rest, as REST.md's
 * error mapping turns the hosted answers), and `unchanged` reads back that nothing changed.
 */
export interface Row<C> {
  op: string;
  allowed: readonly Role[];
  refused?: Partial<Record<Role, number>>;
  /** The room (or thread) the try runs against, made fresh for each role. */
  fresh: () => Promise<C>;
  params: (c: C, role: Role) => Record<string, unknown>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  ok?: (res: any, c: C, role: Role) => unknown;
  unchanged?: (c: C, role: Role) => unknown;
  /** The SDK resolves with nothing (REST.md: "SDK reads nothing"), not with `{type: 0, …}`. */
  resolvesVoid?: boolean;
}

/** Runs `row` once per role, each on a fresh room. */
export async function tryRoles<C>(s: RoleSuite, row: Row<C>, defaults: Record<Role, number>): Promise<void> {
  for (const role of ROLES) {
    const c = await row.fresh();
    const attempt = s.sdk[role].call(row.op, row.params(c, role));
    if (row.allowed.includes(role)) {
      let res: unknown;
      try {
        res = await attempt;
      } catch (err) {
        throw new Error(`${row.op} as ${role}: expected success, got ${String(err)}`);
      }
      if (row.resolvesVoid) expect(res ?? null, `${row.op} as ${role}`).toBeNull();
      else expect(res, `${row.op} as ${role}`).toMatchObject({ type: 0 });
      await row.ok?.(res, c, role);
    } else {
      const err = await rejection(attempt);
      const type = row.refused?.[role] ?? defaults[role];
      expect(err?.type, `${row.op} as ${role}: ${JSON.stringify(err)}`).toBe(type);
      await row.unchanged?.(c, role);
    }
  }
}
