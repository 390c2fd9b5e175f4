// Hostile inputs as fast-check arbitraries: query strings, path segments, JSON and form bodies,
// authorization headers. Ids appear as symbolic Refs, resolved when a case runs.
import fc from 'fast-check';
import { Ref, type RefKind } from './world.js';

/** Object.prototype's names (and friends), as query keys, body keys and values. */
export const PROTO_NAMES = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__defineGetter__',
  '__lookupSetter__',
];

/** Query parameters the API reads somewhere. */
export const QUERY_NAMES = ['limit', 'cursor', 'pagenum', 'pagesize', 'sort', 'joined_time', 'access_token', 'share-secret', 'version', 'restrict-access'];

/** Body fields the API reads somewhere. */
export const FIELD_NAMES = [
  'username', 'password', 'nickname', 'newpassword', 'grant_type', 'client_id', 'client_secret', 'ttl', 'autoCreateUser',
  'groupname', 'desc', 'description', 'name', 'public', 'maxusers', 'members', 'owner', 'newowner', 'newadmin', 'usernames',
  'allowinvites', 'invite_need_confirm', 'membersonly', 'custom', 'avatar', 'announcement', 'mute_duration', 'group_id',
  'msg_id', 'to', 'from', 'type', 'body', 'ext', 'msg', 'routetype', 'sync_device', 'role', 'muted', 'blocked', 'allowlisted',
  'disabled', 'auto', 'mute',
];

/** Numbers as text: huge, negative, exponent overflow, not a number. */
export const NUMBERISH = [
  '99999999999999999999', '-99999999999999999999', '-1', '0', '1', '1001', '1e400', '-1e400', '1e-400', '1.5', 'NaN', 'Infinity',
  '0x10', '2147483648', '9007199254740993', '', ' 1', '00001', '+1', '1,2',
];

const long = (n: number) => 'x'.repeat(n);

/** Strings that broke or could break something: NUL and control bytes, lone surrogates, case-folding expansions… */
export const HOSTILE_TEXT = [
  '', ' ', '\u0000', 'a\u0000b', '\u0001\u0002\u001f\u007f', '\t\r\n', '\r\nX-Injected: 1', '\ud800', '\udfff', 'a\ud83db', '\ufeff', '\u202e',
  // Lower-casing makes these longer (İ → i̇) or changes them (K Kelvin → k); upper-casing ß → SS.
  'İ'.repeat(64), 'İ'.repeat(33), 'İ'.repeat(65), 'ß'.repeat(64), 'ﬃ'.repeat(64), 'Σ'.repeat(64), 'K', 'ı', 'ǅ', 'İ'.repeat(512), 'İ'.repeat(128),
  '群聊', '😀'.repeat(64), 'e\u0301', '\u0000'.repeat(64),
  '.', '..', '/', '../..', '\\', 'a/b', 'a,b', ',', ',,,', ' , ',
  "'", '"', "' OR 1=1 --", '%', '_', '*', '%00', '%2e%2e',
  ...PROTO_NAMES,
  ...NUMBERISH,
  'true', 'false', 'null', '[]', '{}',
  long(65), long(256), long(513), long(8193), long(65536),
];

/** Already percent-encoded URL pieces, several of them deliberately broken. */
export const RAW_URL_PIECES = [
  '%', '%%', '%zz', '%E4%B8', '%C0%AE', '%C0%AF', '%FF', '%ED%A0%80', '%ED%BF%BF', '%00', 'a%00b', '%01%1F%7F', '%0D%0A',
  '%2e', '%2e%2e', '.%2e', '%2E%2E%2F', '..%2f..%2f', '%252e%252e', '%5c', '+', '%20', '%u0000', '%3B', '%2C', '%2C%2C', '%F0%9F%98',
  '%E7%BE%A4', '%26', '%3D', '%23', '%3F', '%2F',
];

/** Percent-encodes text for a URL, lone surrogates as the (invalid) bytes of their code unit. */
export function encodeText(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch.length === 1 && c >= 0xd800 && c <= 0xdfff) {
      out += [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    } else {
      out += encodeURIComponent(ch);
    }
  }
  return out;
}

const REF_KINDS: RefKind[] = ['user', 'group', 'room', 'thread', 'file', 'token'];

export const refArb: fc.Arbitrary<Ref> = fc
  .record({ kind: fc.constantFrom(...REF_KINDS), slot: fc.integer({ min: 0, max: 4 }) })
  .map((r) => new Ref(r.kind, r.slot));

/** Any UTF-16 code unit, lone surrogates and controls included. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));

export const textArb: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...HOSTILE_TEXT), weight: 6 },
  { arbitrary: fc.string({ unit: codeUnit, maxLength: 12 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 12 }), weight: 1 },
  { arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 20 }), weight: 1 },
);

/** One piece of a URL (a path segment, a query key or value). */
export type UrlPiece =
  | { ref: Ref }
  | { text: string }
  | { raw: string }
  | { list: ({ ref: Ref } | { text: string })[] }
  | { ids: number; with?: Ref };

export const urlPieceArb: fc.Arbitrary<UrlPiece> = fc.oneof(
  { arbitrary: refArb.map((ref) => ({ ref })), weight: 6 },
  { arbitrary: textArb.map((text) => ({ text })), weight: 5 },
  { arbitrary: fc.constantFrom(...RAW_URL_PIECES).map((raw) => ({ raw })), weight: 3 },
  {
    arbitrary: fc
      .array(fc.oneof(refArb.map((ref) => ({ ref })), textArb.map((text) => ({ text }))), { minLength: 2, maxLength: 8 })
      .map((list) => ({ list })),
    weight: 2,
  },
  // Comma lists of 100 to 10,000 ids, some with a real id inside.
  { arbitrary: fc.record({ ids: fc.constantFrom(100, 1000, 10_000), with: fc.option(refArb, { nil: undefined }) }), weight: 1 },
);

export type Resolve = (ref: Ref) => string;

export function renderPiece(piece: UrlPiece, resolve: Resolve): string {
  if ('ref' in piece) return encodeText(resolve(piece.ref));
  if ('text' in piece) return encodeText(piece.text);
  if ('raw' in piece) return piece.raw;
  if ('list' in piece) return piece.list.map((p) => ('ref' in p ? encodeText(resolve(p.ref)) : encodeText(p.text))).join(',');
  const ids = Array.from({ length: piece.ids }, (_, i) => `u${i}`);
  if (piece.with) ids[Math.floor(ids.length / 2)] = encodeText(resolve(piece.with));
  return ids.join(',');
}

export interface QueryPair {
  key: UrlPiece | string;
  value?: UrlPiece | string;
  /** `k=v`, `k` or `=v` */
  form: 'pair' | 'bare' | 'nokey';
  /** The same key once more, with this value (repeated keys). */
  again?: UrlPiece | string;
}

/** Huge, negative and overflowing numbers, the most frequent values of paging parameters. */
const PAGING_VALUES = ['99999999999999999999', '9007199254740993', '2147483648', '1e20', '1e400', '-1', '-99999999999999999999', '0', '1.5', 'NaN', ''];

const queryKeyArb: fc.Arbitrary<UrlPiece | string> = fc.oneof(
  { arbitrary: fc.constantFrom(...QUERY_NAMES), weight: 5 },
  { arbitrary: fc.constantFrom(...PROTO_NAMES), weight: 4 },
  { arbitrary: urlPieceArb, weight: 1 },
);
const queryValueArb: fc.Arbitrary<UrlPiece | string> = fc.oneof(
  { arbitrary: fc.constantFrom(...NUMBERISH), weight: 4 },
  { arbitrary: fc.constantFrom('asc', 'desc', 'ASC', 'true', 'false', '1', '0'), weight: 1 },
  { arbitrary: fc.constant<UrlPiece>({ ref: new Ref('admin', 0) }), weight: 1 },
  { arbitrary: urlPieceArb, weight: 4 },
);

const queryPairArb: fc.Arbitrary<QueryPair> = fc.oneof(
  {
    arbitrary: fc.record<QueryPair>({
      key: fc.constantFrom('pagenum', 'pagesize', 'limit'),
      value: fc.oneof({ arbitrary: fc.constantFrom(...PAGING_VALUES), weight: 4 }, { arbitrary: queryValueArb, weight: 1 }),
      form: fc.constant('pair'),
      again: fc.oneof({ arbitrary: fc.constant(undefined), weight: 4 }, { arbitrary: fc.constantFrom(...PAGING_VALUES), weight: 1 }),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record<QueryPair>({
      key: queryKeyArb,
      value: fc.option(queryValueArb, { nil: undefined }),
      form: fc.constantFrom<QueryPair['form']>('pair', 'pair', 'pair', 'pair', 'bare', 'nokey'),
      again: fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: queryValueArb, weight: 1 }),
    }),
    weight: 6,
  },
);

/** Query strings: prototype names as keys, repeated keys, huge and broken values. */
export const queryArb: fc.Arbitrary<QueryPair[]> = fc.array(queryPairArb, { minLength: 1, maxLength: 6 });

export function renderQuery(pairs: QueryPair[], resolve: Resolve): string {
  const part = (p: UrlPiece | string | undefined) => (p === undefined ? '' : typeof p === 'string' ? p : renderPiece(p, resolve));
  return pairs
    .flatMap((q) => {
      const first = q.form === 'bare' ? part(q.key) : q.form === 'nokey' ? `=${part(q.value)}` : `${part(q.key)}=${part(q.value)}`;
      return q.again === undefined ? [first] : [first, `${part(q.key)}=${part(q.again)}`];
    })
    .join('&');
}

/** How a request authenticates. */
export type Auth = { kind: 'admin' } | { kind: 'none' } | { kind: 'user'; ref: Ref } | { kind: 'header'; value: string };

export const authArb: fc.Arbitrary<Auth> = fc.oneof(
  { arbitrary: fc.constant<Auth>({ kind: 'admin' }), weight: 12 },
  { arbitrary: fc.integer({ min: 0, max: 2 }).map<Auth>((slot) => ({ kind: 'user', ref: new Ref('token', slot) })), weight: 2 },
  { arbitrary: fc.constant<Auth>({ kind: 'none' }), weight: 1 },
  {
    arbitrary: fc
      .constantFrom('Bearer', 'Bearer x', `Bearer ${'a'.repeat(5000)}`, 'Basic Zm9vOmJhcg==', 'Bearer YWMt', 'Bearer \u00e9', 'bearer', 'Bearer %00')
      .map<Auth>((value) => ({ kind: 'header', value })),
    weight: 1,
  },
);

// ------------------------------------------------------------------- bodies

/**
 * A JSON body as a value tree (Refs resolved at send time), a raw payload, a form body, or a
 * mutation of the route's valid body: each [key, value] sets a key (a number picks one of the
 * template's own keys) to a hostile value.
 */
export type Body = { json: unknown } | { raw: string } | { form: [string, string][] } | { mutate: [number | string, unknown][] };

const user = (slot: number) => new Ref('user', slot);
/** Counts fresh names and message ids, so that creations in templates do not collide. */
let fresh = 0;

/** A valid body for a mutating route (the documented shapes), which mutations then break. */
export function templateFor(method: string, path: string): Record<string, unknown> | undefined {
  const p = path.replace('/:org/:app', '');
  const key = `${method} ${p}`;
  switch (key) {
    case 'POST /token':
      return { grant_type: 'password', username: user(1), password: 'pw', ttl: 3600 };
    case 'POST /users':
      return { username: `fznew${++fresh}`, password: 'pw', nickname: 'n' };
    case 'PUT /users/:username/password':
      return { newpassword: 'pw' };
    case 'POST /chatgroups':
      return { groupname: 'g', desc: 'd', public: true, maxusers: 200, owner: user(1), members: [user(2)], custom: 'c' };
    case 'PUT /chatgroups/:group_id':
      return { groupname: 'g2', description: 'd2', maxusers: 300, membersonly: false, allowinvites: true, custom: 'c2', newowner: user(2) };
    case 'POST /chatgroups/:group_id/users':
    case 'POST /chatrooms/:chatroom_id/users':
    case 'POST /chatgroups/:group_id/blocks/users':
    case 'POST /chatrooms/:chatroom_id/blocks/users':
    case 'POST /chatgroups/:group_id/white/users':
    case 'POST /chatrooms/:chatroom_id/white/users':
    case 'POST /thread/:thread_id/users':
    case 'DELETE /thread/:thread_id/users':
      return { usernames: [user(2), user(3)] };
    case 'POST /chatgroups/:group_id/admin':
    case 'POST /chatrooms/:chatroom_id/admin':
      return { newadmin: user(2) };
    case 'POST /chatgroups/:group_id/announcement':
    case 'POST /chatrooms/:chatroom_id/announcement':
      return { announcement: 'a' };
    case 'POST /chatgroups/:group_id/mute':
    case 'POST /chatrooms/:chatroom_id/mute':
      return { usernames: [user(2)], mute_duration: 60_000 };
    case 'POST /chatrooms':
      return { name: 'r', description: 'd', maxusers: 200, owner: user(1), members: [user(2)] };
    case 'PUT /chatrooms/:chatroom_id':
      return { name: 'r2', description: 'd2', maxusers: 300 };
    case 'POST /thread':
      return { group_id: new Ref('group', 1), name: 't', owner: user(2), msg_id: `${1_000_000 + ++fresh}` };
    case 'PUT /thread/:thread_id':
      return { name: 't2' };
    case 'POST /messages/users':
      return { from: user(1), to: [user(2)], type: 'txt', body: { msg: 'hi' }, ext: { k: 'v' }, sync_device: true };
    case 'POST /messages/chatgroups':
      return { from: user(1), to: [new Ref('group', 1)], type: 'txt', body: { msg: 'hi' }, routetype: 'ROUTE_ONLINE' };
    case 'POST /messages/chatrooms':
      return { from: user(1), to: [new Ref('room', 1)], type: 'txt', body: { msg: 'hi' } };
    default:
      return undefined;
  }
}

/** Strings whose lower- or upper-case form is longer than they are. */
export const CASE_FOLDING = ['İ'.repeat(64), 'İ'.repeat(33), 'İ'.repeat(32) + 'a', 'ß'.repeat(64), 'ﬃ'.repeat(64), 'İ'.repeat(100), 'İ'.repeat(128), 'İ'.repeat(256)];

const jsonLeafArb: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: textArb, weight: 5 },
  { arbitrary: refArb, weight: 4 },
  { arbitrary: fc.constantFrom(1e308, -1, 0, 1, 2 ** 53 + 1, -(2 ** 63), 1.5, 1e20, -0), weight: 2 },
  { arbitrary: fc.integer(), weight: 1 },
  { arbitrary: fc.boolean(), weight: 1 },
  { arbitrary: fc.constant(null), weight: 1 },
);

const bodyKeyArb = fc.oneof(
  { arbitrary: fc.constantFrom(...FIELD_NAMES), weight: 8 },
  { arbitrary: fc.constantFrom(...PROTO_NAMES), weight: 2 },
  { arbitrary: textArb, weight: 1 },
);

const { json: jsonArb } = fc.letrec<{ json: unknown }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { arbitrary: jsonLeafArb, weight: 6 },
    { arbitrary: fc.array(tie('json'), { maxLength: 5 }), weight: 2 },
    { arbitrary: fc.array(fc.tuple(bodyKeyArb, tie('json')), { maxLength: 5 }).map((e) => objectOf(e)), weight: 2 },
  ),
}));

/** An object with exactly these own keys (`__proto__` included, as JSON.parse would make it). */
function objectOf(entries: [string, unknown][]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

const RAW_BODIES = [
  '', '   ', 'null', '"text"', '12345', '1e400', '[]', '{}', 'not json', '{"a":', '[', '"', '\ufeff{}', '{"a":1,"a":2}',
  '{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"polluted":1}}}', '{"__proto__":[]}',
  '{"username":"a\\u0000b","password":"p"}', '{"name":"\\ud800","groupname":"\\udfff"}', '{"usernames":["\\u0000"]}',
  `{"username":"${'İ'.repeat(64)}","password":"p"}`, `{"groupname":"${'İ'.repeat(128)}","owner":"x","public":true}`,
];

function deep(levels: number, kind: 'array' | 'object'): string {
  return kind === 'array' ? `${'['.repeat(levels)}${']'.repeat(levels)}` : `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
}

const mutationValueArb: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: jsonArb, weight: 6 },
  { arbitrary: fc.constantFrom(...CASE_FOLDING), weight: 2 },
  { arbitrary: fc.constantFrom('a\u0000b', '\u0000', 'x\u0000'.repeat(10)), weight: 2 },
  { arbitrary: fc.constantFrom(...CASE_FOLDING, 'a\u0000b').map((v) => [v]), weight: 1 },
  { arbitrary: fc.constantFrom(1000, 100_000).map((n) => Array(n).fill('u')), weight: 1 },
  { arbitrary: fc.constantFrom(200_000, 900_000).map((n) => 'x'.repeat(n)), weight: 1 },
);

export const bodyArb: fc.Arbitrary<Body> = fc.oneof(
  // The route's own body with one to three fields made hostile.
  {
    arbitrary: fc
      .array(fc.tuple(fc.oneof({ arbitrary: fc.nat(), weight: 4 }, { arbitrary: bodyKeyArb, weight: 1 }), mutationValueArb), { minLength: 1, maxLength: 3 })
      .map<Body>((mutate) => ({ mutate })),
    weight: 10,
  },
  // An object with the API's field names, wrong types and hostile values.
  { arbitrary: fc.array(fc.tuple(bodyKeyArb, jsonArb), { minLength: 1, maxLength: 8 }).map<Body>((e) => ({ json: objectOf(e) })), weight: 10 },
  { arbitrary: jsonArb.map<Body>((json) => ({ json })), weight: 2 },
  { arbitrary: fc.constantFrom(...RAW_BODIES).map<Body>((raw) => ({ raw })), weight: 2 },
  // Deep nesting, up to 10,000 levels.
  {
    arbitrary: fc.tuple(fc.constantFrom(100, 1000, 10_000), fc.constantFrom<'array' | 'object'>('array', 'object')).map<Body>(([n, kind]) => ({ raw: deep(n, kind) })),
    weight: 1,
  },
  // Huge arrays and strings under the 1 MB body limit.
  {
    arbitrary: fc
      .tuple(bodyKeyArb, fc.constantFrom(1000, 100_000), fc.constantFrom('"u"', '1', '{}', '"\\u0000"'))
      .map<Body>(([key, n, item]) => ({ raw: `{${JSON.stringify(key)}:[${Array(n).fill(item).join(',')}]}` })),
    weight: 1,
  },
  { arbitrary: fc.tuple(bodyKeyArb, fc.constantFrom(200_000, 900_000)).map<Body>(([key, n]) => ({ raw: `{${JSON.stringify(key)}:"${'x'.repeat(n)}"}` })), weight: 1 },
  // Form bodies with hostile keys.
  { arbitrary: fc.array(fc.tuple(bodyKeyArb, textArb), { minLength: 1, maxLength: 5 }).map<Body>((form) => ({ form })), weight: 1 },
);

export const contentTypeArb: fc.Arbitrary<string | undefined> = fc.oneof(
  { arbitrary: fc.constant('application/json'), weight: 12 },
  {
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'APPLICATION/JSON',
      'application/merge-patch+json',
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/octet-stream',
      'multipart/form-data',
      'multipart/form-data; boundary=zz',
      'application/json; charset=utf-16',
      `application/json; x=${'y'.repeat(2000)}`,
    ),
    weight: 3,
  },
  { arbitrary: fc.constant(undefined), weight: 1 },
);

/** The bytes of a body for a route, Refs resolved (a form body in its own encoding). */
export function renderBody(body: Body, resolve: Resolve, method: string, path: string): string {
  const json = (value: unknown) => JSON.stringify(value, (_key, v: unknown) => (v instanceof Ref ? resolve(v) : v));
  if ('raw' in body) return body.raw;
  if ('form' in body) return body.form.map(([k, v]) => `${encodeText(k)}=${encodeText(v)}`).join('&');
  if ('json' in body) return json(body.json);
  const template = templateFor(method, path) ?? { usernames: [user(1)] };
  const keys = Object.keys(template);
  const out = objectOf(Object.entries(template));
  for (const [key, value] of body.mutate) {
    const name = typeof key === 'number' ? keys[key % keys.length]! : key;
    Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
  }
  return json(out);
}
