// Agora Chat tokens for the suites, built by Agora's own AccessToken2 (package agora-token) with a
// chosen issue time, salt and privileges, so that expired and privilege-less tokens can be made too.
import agoraToken from 'agora-token';
import accessToken2 from 'agora-token/src/AccessToken2.js';
import type { AgoraCredentials } from '../../src/config.js';

const { AccessToken2, ServiceChat } = accessToken2;

/** Credentials of the known-answer vectors (AgoraIO/Tools DynamicKey/AgoraDynamicKey tests). */
export const VECTOR_CREDENTIALS: AgoraCredentials = { appId: '970CA35de60c44645bbae8a215061b33', appCertificate: '5CFd2fd1755d40ecb72977518be15d3b' };

export interface ChatTokenSpec {
  /** The chat service's privileges; `none`: a chat service without any. */
  privilege: 'app' | 'user' | 'both' | 'none';
  uid?: string;
  /** Unix seconds; default now. */
  issuedAt?: number;
  /** Seconds after issue; default 3600. */
  expire?: number;
  /** Seconds after issue for the privilege; default `expire`. */
  privilegeExpire?: number;
  salt?: number;
}

export function chatToken(credentials: AgoraCredentials, spec: ChatTokenSpec): string {
  const issuedAt = spec.issuedAt ?? Math.floor(Date.now() / 1000);
  const expire = spec.expire ?? 3600;
  const token = new AccessToken2(credentials.appId, credentials.appCertificate, issuedAt, expire);
  token.salt = spec.salt ?? 1 + Math.floor(Math.random() * 99_999_998);
  const privilegeExpire = spec.privilegeExpire ?? expire;
  const chat = new ServiceChat(spec.uid ?? '');
  if (spec.privilege === 'user' || spec.privilege === 'both') chat.add_privilege(ServiceChat.kPrivilegeUser, privilegeExpire);
  if (spec.privilege === 'app' || spec.privilege === 'both') chat.add_privilege(ServiceChat.kPrivilegeApp, privilegeExpire);
  token.add_service(chat);
  return token.build();
}

/** An RTC token of the project (Agora's RtcTokenBuilder2): valid, but with no chat service at all. */
export function rtcToken(credentials: AgoraCredentials, ttl = 3600): string {
  return agoraToken.RtcTokenBuilder.buildTokenWithUid(credentials.appId, credentials.appCertificate, 'channel', 42, agoraToken.RtcRole.PUBLISHER, ttl, ttl);
}

/** Agora's ChatTokenBuilder2, exactly as an Agora Chat app server calls it. */
export const { ChatTokenBuilder } = agoraToken;
