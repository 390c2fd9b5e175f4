// The Agora Chat token verifier (src/services/agora-token.ts) against known-answer vectors: tokens
// that Agora's own builders produced for fixed inputs, copied from the reference implementations'
// tests in AgoraIO/Tools (commit da06bfb83556c597bfcb7db65fa65c975165a130), DynamicKey/AgoraDynamicKey/:
//   app id 970CA35de60c44645bbae8a215061b33, certificate 5CFd2fd1755d40ecb72977518be15d3b,
//   issue time 1111111, salt 1, expire 600 (token and privilege), user id "2882341273".
// The three builders compress differently (Go flushes, Java ends with an empty block), so the same
// payload arrives in three spellings. Verification uses "now", so every check injects the clock.
import { deflateSync, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import accessToken2 from 'agora-token/src/AccessToken2.js';
import { AgoraTokenRefused, isAgoraToken, verifyAgoraToken, type AgoraRefusal } from '../../src/services/agora-token.js';
import type { AgoraCredentials } from '../../src/config.js';
import { chatToken, VECTOR_CREDENTIALS as CREDS } from '../support/agora.js';

const ISSUED = 1111111;
const EXPIRES_MS = (ISSUED + 600) * 1000;
/** One second after the vectors were issued. */
const NOW = (ISSUED + 1) * 1000;
const UID = '2882341273';

const USER_VECTORS: Array<[string, string]> = [
  // nodejs/test/AccessToken2Test.js, AccessToken_Test_buildChatUserToken
  ['nodejs AccessToken_Test_buildChatUserToken', '007eJxTYNAIsnbS3v/A5t2TC6feR15r+6cq8bqAvfaW+tk/Vzz+p6xTYLA0N3B2NDZNSTUzSDYxMTMxTUpKTLVINDI0NTAzTDI2dv8iwBDBxMDAyADCrAyMDIxgPheDkYWFkbGJoZG5MQAfpR64'],
  // go/src/accesstoken2/accesstoken_test.go, Test_AccessToken_Build_ServiceChatUser
  ['go Test_AccessToken_Build_ServiceChatUser', '007eJxSYNAIsnbS3v/A5t2TC6feR15r+6cq8bqAvfaW+tk/Vzz+p6xTYLA0N3B2NDZNSTUzSDYxMTMxTUpKTLVINDI0NTAzTDI2dv8iwBDBxMDAyADCrAyMDIxgPheDkYWFkbGJoZG5MSAAAP//H6UeuA=='],
  // java/src/test/java/io/agora/media/AccessToken2Test.java, build_ServiceChat_userToken
  // (also go Test_AccessToken_Parse_TokenChatUser)
  ['java build_ServiceChat_userToken', '007eJxTYNAIsnbS3v/A5t2TC6feR15r+6cq8bqAvfaW+tk/Vzz+p6xTYLA0N3B2NDZNSTUzSDYxMTMxTUpKTLVINDI0NTAzTDI2dv8iwBDBxMDAyADCrEDMCOZzMRhZWBgZmxgamRsDAB+lHrg='],
];

const APP_VECTORS: Array<[string, string]> = [
  // nodejs/test/AccessToken2Test.js, AccessToken_Test_buildChatAppToken
  ['nodejs AccessToken_Test_buildChatAppToken', '007eJxTYNDNaz3snC8huEfHWdz6s98qltq4zqy9fl99Uh0FDvy6F6DAYGlu4OxobJqSamaQbGJiZmKalJSYapFoZGhqYGaYZGzs/kWAIYKJgYGRAYRZGRgZmMB8BgYArfIYaw=='],
  // go/src/accesstoken2/accesstoken_test.go, Test_AccessToken_Build_ServiceChatApp
  ['go Test_AccessToken_Build_ServiceChatApp', '007eJxSYNDNaz3snC8huEfHWdz6s98qltq4zqy9fl99Uh0FDvy6F6DAYGlu4OxobJqSamaQbGJiZmKalJSYapFoZGhqYGaYZGzs/kWAIYKJgYGRAYRZGRgZmMB8BgZAAAAA//+t8hhr'],
  // java/src/test/java/io/agora/media/AccessToken2Test.java, build_ServiceChat_appToken
  // (also go Test_AccessToken_Parse_TokenChatApp)
  ['java build_ServiceChat_appToken', '007eJxTYNDNaz3snC8huEfHWdz6s98qltq4zqy9fl99Uh0FDvy6F6DAYGlu4OxobJqSamaQbGJiZmKalJSYapFoZGhqYGaYZGzs/kWAIYKJgYGRAYRZgZgJzGdgAACt8hhr'],
];

// go/src/accesstoken2/accesstoken_test.go, Test_AccessToken_Build_MultipleServices: RTC (channel
// 7d72365eb983485397e3e3f9d460bdda, uid "2882341273"), RTM ("test_user") and chat user "2882341273".
const MULTI_SERVICE_VECTOR =
  '007eJxSYJjqLJBlM239wwWvmBZ7tW619coNnPKSXaHayfKzZODswxMVGCzNDZwdjU1TUs0Mkk1MzExMk5ISUy0SjQxNDcwMk4yN3b8IMEQwMTAwMjAwMDMwgiGIr8BgnmJuZGxmmppkaWFsYmFqbGmeapxqnGaZYmJmkJSSksjFYGRhYWRsYmhkbswE18fJUJJaXBJfWpxaxAoXRFYKCAAA///aoiqr';
// nodejs/test/AccessToken2Test.js, AccessToken_Test: an RTC token (join channel) and nothing for chat.
const RTC_ONLY_VECTOR =
  '007eJxTYBBbsMMnKq7p9Hf/HcIX5kce9b518kCiQgSr5Zrp4X1Tu6UUGCzNDZwdjU1TUs0Mkk1MzExMk5ISUy0SjQxNDcwMk4yN3b8IMEQwMTAwMoAwBIL4CgzmKeZGxmamqUmWFsYmFqbGluapxqnGaZYpJmYGSSkpiVwMRhYWRsYmhkbmxgDCaiTj';
// go/src/accesstoken2/accesstoken_test.go, DataMockWrongAppCertificate
const WRONG_CERTIFICATE = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';

const ALL_VECTORS = [...USER_VECTORS, ...APP_VECTORS];
const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** `null` credentials: the app has none. */
function refusal(token: string, credentials: AgoraCredentials | null = CREDS, now = NOW): AgoraRefusal | 'accepted' {
  try {
    verifyAgoraToken(token, credentials ?? undefined, now);
    return 'accepted';
  } catch (err) {
    if (err instanceof AgoraTokenRefused) return err.reason;
    throw err;
  }
}

const payloadOf = (token: string) => inflateSync(Buffer.from(token.slice(3), 'base64'));
const tokenOf = (payload: Buffer) => `007${deflateSync(payload).toString('base64')}`;

describe('Agora AccessToken2 known-answer vectors', () => {
  it('the builder in agora-token reproduces the nodejs vectors byte for byte', () => {
    const build = (privilege: 'user' | 'app') => {
      const { AccessToken2, ServiceChat } = accessToken2;
      const token = new AccessToken2(CREDS.appId, CREDS.appCertificate, ISSUED, 600);
      token.salt = 1;
      const chat = new ServiceChat(privilege === 'user' ? UID : '');
      chat.add_privilege(privilege === 'user' ? ServiceChat.kPrivilegeUser : ServiceChat.kPrivilegeApp, 600);
      token.add_service(chat);
      return token.build();
    };
    expect(build('user')).toBe(USER_VECTORS[0]![1]);
    expect(build('app')).toBe(APP_VECTORS[0]![1]);
  });

  it.each(USER_VECTORS)('accepts the chat user token of %s', (_source, token) => {
    expect(isAgoraToken(token)).toBe(true);
    expect(verifyAgoraToken(token, CREDS, NOW)).toEqual({ privilege: 'user', uid: UID, issuedAt: ISSUED * 1000, expiresAt: EXPIRES_MS });
  });

  it.each(APP_VECTORS)('accepts the chat app token of %s', (_source, token) => {
    expect(verifyAgoraToken(token, CREDS, NOW)).toEqual({ privilege: 'app', uid: '', issuedAt: ISSUED * 1000, expiresAt: EXPIRES_MS });
  });

  it('accepts the Go multi-service token (RTC + RTM + chat user) as a chat user token', () => {
    expect(verifyAgoraToken(MULTI_SERVICE_VECTOR, CREDS, NOW)).toEqual({ privilege: 'user', uid: UID, issuedAt: ISSUED * 1000, expiresAt: EXPIRES_MS });
  });

  it('accepts the App ID in any case (hex)', () => {
    expect(refusal(USER_VECTORS[0]![1], { ...CREDS, appId: CREDS.appId.toLowerCase() })).toBe('accepted');
  });

  it.each(ALL_VECTORS)('refuses %s with a wrong certificate, a wrong app id, or no credentials', (_source, token) => {
    expect(refusal(token, { ...CREDS, appCertificate: WRONG_CERTIFICATE })).toBe('badSignature');
    // Certificates are compared as given: the same hex in another case is another key.
    expect(refusal(token, { ...CREDS, appCertificate: CREDS.appCertificate.toLowerCase() })).toBe('badSignature');
    expect(refusal(token, { ...CREDS, appId: '0123456789abcdef0123456789abcdef' })).toBe('wrongApp');
    expect(refusal(token, null)).toBe('unconfigured');
  });

  it.each(ALL_VECTORS)('refuses %s once expired: valid until the last millisecond before issue + 600 s', (_source, token) => {
    expect(refusal(token, CREDS, EXPIRES_MS - 1)).toBe('accepted');
    expect(refusal(token, CREDS, EXPIRES_MS)).toBe('expired');
    expect(refusal(token, CREDS, EXPIRES_MS + 86_400_000)).toBe('expired');
  });

  it("refuses Agora's RTC token, which carries no chat privilege", () => {
    expect(refusal(RTC_ONLY_VECTOR)).toBe('noPrivilege');
    // Its signature is good: only the privilege is missing.
    const parsed = new accessToken2.AccessToken2('', '', 0, 0);
    expect(parsed.from_string(RTC_ONLY_VECTOR) && parsed.verifySignature(CREDS.appCertificate)).toBe(true);
  });

  it.each(ALL_VECTORS)('refuses %s after any one-byte change of its payload', (_source, token) => {
    const payload = payloadOf(token);
    const refused = new Set<AgoraRefusal | 'accepted'>();
    for (let i = 0; i < payload.length; i++) {
      for (const mask of [0x01, 0x80]) {
        const changed = Buffer.from(payload);
        changed[i] = changed[i]! ^ mask;
        const outcome = refusal(tokenOf(changed));
        expect(outcome, `byte ${i} ^ ${mask}`).not.toBe('accepted');
        refused.add(outcome);
      }
    }
    // The unchanged payload, recompressed by Node, is still accepted: the check is on the payload.
    expect(refusal(tokenOf(payload))).toBe('accepted');
    expect([...refused]).toContain('badSignature');
    expect([...refused]).toContain('malformed');
  });

  it.each(ALL_VECTORS)('refuses %s after any one-character change, except in bits that zlib ignores', (_source, token) => {
    const original = payloadOf(token);
    let accepted = 0;
    for (let i = 0; i < token.length; i++) {
      // The next letter of the base64 alphabet (the prefix "007" gets one too).
      const at = BASE64_ALPHABET.indexOf(token[i]!);
      const replacement = at < 0 ? 'A' : BASE64_ALPHABET[(at + 1) % 64]!;
      const changed = token.slice(0, i) + replacement + token.slice(i + 1);
      if (refusal(changed) !== 'accepted') continue;
      // Only the padding bits at the end of the deflate stream can change without the bytes
      // zlib inflates changing: the signed payload is then the same one.
      accepted++;
      expect(payloadOf(changed).equals(original), `character ${i}`).toBe(true);
      expect(i, `character ${i} of ${token.length}`).toBeGreaterThan(token.length - 16);
    }
    expect(accepted).toBeLessThanOrEqual(3);
  });

  it.each(ALL_VECTORS)('refuses %s truncated, extended, or with bytes after the zlib stream; accepts it unpadded', (_source, token) => {
    // Without its "=" padding a token is the same bytes; one character less is not.
    const unpadded = token.replace(/=+$/, '');
    expect(refusal(unpadded)).toBe('accepted');
    expect(refusal(unpadded.slice(0, -1))).toBe('malformed');
    expect(refusal(unpadded.slice(0, -4))).toBe('malformed');
    expect(refusal(`${token}AAAA`)).toBe('malformed');
    const bytes = Buffer.concat([Buffer.from(token.slice(3), 'base64'), Buffer.from([0])]);
    expect(refusal(`007${bytes.toString('base64')}`)).toBe('malformed');
  });
});

describe('verifyAgoraToken', () => {
  const now = Math.floor(Date.now() / 1000);

  it.each([
    ['empty', ''],
    ['the prefix alone', '007'],
    ['another version', USER_VECTORS[0]![1].replace(/^007/, '006')],
    ['not base64', '007eJx!!!!'],
    ['a character Node would skip', `${USER_VECTORS[0]![1].slice(0, 20)}.${USER_VECTORS[0]![1].slice(20)}`],
    ['base64 of something not zlib', `007${Buffer.from('hello world').toString('base64')}`],
    ['zlib of garbage', tokenOf(Buffer.from('garbage'))],
    ['over 2048 characters', `007${'A'.repeat(2048)}`],
    ['a zlib bomb', tokenOf(Buffer.alloc(1024 * 1024))],
  ])('refuses %s as malformed', (_what, token) => {
    expect(refusal(token, CREDS, now * 1000)).toBe('malformed');
    // Well-formedness is checked first: the same answer without credentials.
    expect(refusal(token, null, now * 1000)).toBe('malformed');
  });

  it('refuses another spelling of the same bytes (unused bits of the last base64 character set)', () => {
    const token = APP_VECTORS[0]![1];
    expect(token.endsWith('aw==')).toBe(true);
    const respelled = `${token.slice(0, -4)}ax==`;
    expect(Buffer.from(respelled.slice(3), 'base64').equals(Buffer.from(token.slice(3), 'base64'))).toBe(true);
    expect(refusal(respelled)).toBe('malformed');
  });

  it('reads "+" that a URL query turned into a space', () => {
    const token = USER_VECTORS[0]![1];
    expect(token).toContain('+');
    expect(refusal(token.replace(/\+/g, ' '))).toBe('accepted');
  });

  it('takes the earlier of the token expiry and the privilege expiry', () => {
    const token = chatToken(CREDS, { privilege: 'user', uid: 'u', issuedAt: now, expire: 600, privilegeExpire: 100 });
    expect(verifyAgoraToken(token, CREDS, now * 1000).expiresAt).toBe((now + 100) * 1000);
    expect(refusal(token, CREDS, (now + 100) * 1000)).toBe('expired');
    const longPrivilege = chatToken(CREDS, { privilege: 'app', issuedAt: now, expire: 300, privilegeExpire: 9000 });
    expect(verifyAgoraToken(longPrivilege, CREDS, now * 1000).expiresAt).toBe((now + 300) * 1000);
  });

  it('refuses a chat service without privileges, and prefers the app privilege when both are there', () => {
    expect(refusal(chatToken(CREDS, { privilege: 'none', uid: 'u', issuedAt: now }), CREDS, now * 1000)).toBe('noPrivilege');
    expect(verifyAgoraToken(chatToken(CREDS, { privilege: 'both', uid: 'u', issuedAt: now }), CREDS, now * 1000)).toMatchObject({ privilege: 'app', uid: '' });
  });

  it('refuses a token with an expire of 0 (expired when issued)', () => {
    expect(refusal(chatToken(CREDS, { privilege: 'app', issuedAt: now, expire: 0 }), CREDS, now * 1000)).toBe('expired');
  });
});
