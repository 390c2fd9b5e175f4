// The wire codes and texts of refusals to connected clients, one table per client protocol, beside
// the REST catalog (errors.ts). Services raise ClientRefusal with a reason; a codec looks the
// reason up here.
//
// - JSON `/ws` (docs/realtime.md): `{type:"error", code, error, error_description}`, with the codes
//   documented there (the hosted SDKs' numbers, REFERENCE §2e).
// - msync (docs/client-sdk.md, PROTOCOL.md §5): the `Status` of the ack, whose `errorCode` and
//   `reason` text are what the official SDK maps to its error type: each text below is one the
//   SDK matches (PROTOCOL.md §5 "Error mapping"), so that a refusal never leaves its promise
//   unsettled and shows the hosted service's error.
import type { ClientRefusal, ClientRefusalReason } from '../services/errors.js';
import type { KickReason } from '../coord/fanout.js';
import { ErrorCode, StatisticsOperation } from '../msync/schema.js';

export interface JsonClientError {
  code: number;
  error: string;
  error_description: string;
}

const json =
  (code: number, error: string, description: (detail: string) => string) =>
  (detail: string): JsonClientError => ({
    code,
    error,
    error_description: description(detail),
  });

/** SDK codes: 215 USER_MUTED, 507 MESSAGE_ILLEGAL_WHITELIST, 602 GROUP_NOT_JOINED, 210 USER_PERMISSION_DENIED; 603 for a disabled group (ours). */
export const JSON_WS_ERRORS: Record<ClientRefusalReason, (detail: string) => JsonClientError> = {
  muted: json(215, 'user_muted', () => 'you are muted in this group or chatroom'),
  mute_all: json(507, 'message_illegal_whitelist', () => 'all members are muted and you are not on the allowlist'),
  not_member: json(602, 'group_not_joined', () => 'you are not a member of this group or chatroom'),
  blocked: json(210, 'user_permission_denied', () => 'you are blocked in this group or chatroom'),
  disabled: json(603, 'group_disabled', () => 'this group is disabled'),
  group_not_found: json(600, 'group_invalid_id', (id) => `group ${id} does not exist`),
  chatroom_not_found: json(700, 'chatroom_invalid_id', (id) => `chatroom ${id} does not exist`),
  user_not_found: json(204, 'user_not_found', (name) => `user ${name} does not exist`),
  invalid_message: json(500, 'message_invalid', (what) => `invalid message: ${what}`),
  message_too_large: json(500, 'message_invalid', () => 'message is too large'),
  // Not reachable over /ws (it has no chatroom join, recall or edit); listed for completeness.
  message_not_found: json(500, 'message_invalid', (id) => `message ${id} does not exist`),
  recall_too_late: json(504, 'message_recall_time_limit', () => 'exceed recall time limit'),
  not_your_message: json(603, 'user_permission_denied', () => 'you may only change your own messages'),
  edit_format: json(500, 'message_invalid', () => 'only text and custom messages can be edited, to the same type'),
  edit_limit: json(50, 'max_limit', () => 'the message has reached its edit limit'),
  chatroom_full: json(704, 'chatroom_members_full', () => 'the chatroom is full'),
  chatroom_blocked: json(210, 'user_permission_denied', () => 'you are blocked in this chatroom'),
  too_many_chatrooms: json(50, 'max_limit', () => 'you have joined too many chatrooms'),
  owner_cannot_leave: json(603, 'forbidden_op', () => 'the owner cannot leave'),
  unsupported: json(500, 'message_invalid', (what) => `not supported: ${what}`),
};

/** Wire frames of the JSON `/ws` that are not refusals of a send (docs/realtime.md). */
export const JSON_WS_FRAME_ERRORS = {
  notJson: { code: 500, error: 'message_invalid', error_description: 'frame is not JSON' },
  tooDeep: (max: number) => ({ code: 500, error: 'message_invalid', error_description: `frame nests deeper than ${max} levels` }),
  unknownType: { code: 500, error: 'message_invalid', error_description: 'unknown frame type' },
  internal: { code: 1, error: 'internal', error_description: 'the message could not be sent' },
} satisfies Record<string, JsonClientError | ((max: number) => JsonClientError)>;

export interface MsyncStatus {
  errorCode: number;
  reason: string;
}

const fail =
  (reason: (detail: string) => string) =>
  (detail: string): MsyncStatus => ({ errorCode: ErrorCode.FAIL, reason: reason(detail) });

/** The SDK error type each status becomes is in the comment (PROTOCOL.md §5). */
export const MSYNC_ERRORS: Record<ClientRefusalReason, (detail: string) => MsyncStatus> = {
  muted: () => ({ errorCode: ErrorCode.USER_MUTED, reason: 'user muted' }), // 507 "you were muted"
  mute_all: fail(() => 'not in group or chatroom white list'), // 506
  not_member: fail(() => 'not in group or chatroom'), // 602
  blocked: fail(() => 'blocked'), // 603
  disabled: fail(() => 'group is disabled'), // 608
  group_not_found: fail((id) => `grpID(${id}) does not exist!`), // 705
  chatroom_not_found: fail((id) => `grpID(${id}) does not exist!`), // 705
  user_not_found: fail((name) => `username ${name} doesn't exist!`), // 204
  invalid_message: (what) => ({ errorCode: ErrorCode.WRONG_PARAMETER, reason: `invalid message: ${what}` }), // 604, the reason as message
  message_too_large: () => ({ errorCode: ErrorCode.PERMISSION_DENIED, reason: 'Sorry, data is too large' }), // 511
  chatroom_full: fail(() => 'group member list is full!'), // 704
  chatroom_blocked: fail((name) => `can not join this group, ${name} is in the blacklist`), // 603
  too_many_chatrooms: fail((name) => `user ${name} has joined too many chatrooms`), // 50
  owner_cannot_leave: fail(() => 'forbidden operation on chatroom owner'), // 503
  // Recall and edit: texts the SDK matches (its recall and edit rows of PROTOCOL.md §5).
  message_not_found: fail(() => 'Sorry, message does not exist'), // 1302
  recall_too_late: fail(() => 'exceed recall time limit'), // 504
  not_your_message: fail(() => 'Sorry, You do not have permission'), // 603
  edit_format: fail(() => 'Sorry, format is incorrect'), // 1303
  edit_limit: fail(() => 'Sorry, edit limit reached'), // 50
  unsupported: fail((what) => `${what} is not supported`), // 503
};

export function jsonWsError(refusal: ClientRefusal): JsonClientError {
  return JSON_WS_ERRORS[refusal.reason](refusal.detail);
}

export function msyncStatus(refusal: ClientRefusal): MsyncStatus {
  return MSYNC_ERRORS[refusal.reason](refusal.detail);
}

/** PROVISION refusals (PROTOCOL.md §4: the SDK matches the reason texts of FAIL). */
export const MSYNC_PROVISION_ERRORS = {
  tokenInvalid: { errorCode: ErrorCode.FAIL, reason: 'Sorry, token or password does not match login info' }, // 28 INVALID_TOKEN
  tokenExpired: { errorCode: ErrorCode.FAIL, reason: 'Sorry, token expired' }, // 56
  userNotFound: { errorCode: ErrorCode.FAIL, reason: 'Sorry, user not found' }, // 204
  // qunliao: the SDK has no "banned" login error; IM_FORBIDDEN is its "server serving disabled" (57).
  userDeactivated: { errorCode: ErrorCode.IM_FORBIDDEN, reason: 'Sorry, user is deactivated' }, // 57
  appNotFound: { errorCode: ErrorCode.FAIL, reason: 'Sorry, appkey not found' }, // 2 Auth failed
  badResource: { errorCode: ErrorCode.WRONG_PARAMETER, reason: 'resource must be 1 to 64 characters' }, // -3
  unavailable: { errorCode: ErrorCode.FAIL, reason: 'Sorry, the server could not log you in' }, // 2 Auth failed
} satisfies Record<string, MsyncStatus>;

/** Why `/websocket` closes a connection (close code, reason), docs/client-sdk.md. */
export const MSYNC_CLOSE = {
  textFrame: [1003, 'msync frames are binary'],
  undecodable: [1007, 'undecodable msync frame'],
  unknownCommand: [1008, 'unknown msync command'],
  provisionFirst: [1008, 'PROVISION first'],
  provisionedAlready: [1008, 'already provisioned'],
  refused: [1008, 'provision refused'],
  kicked: [4001, 'session ended'],
  logout: [1000, 'logout'],
  internal: [1011, 'internal error'],
} as const satisfies Record<string, readonly [number, string]>;

/**
 * The forced-logout operation (StatisticsBody) for each kick, and the SDK error it raises
 * (PROTOCOL.md §9). Each sets the SDK's logOut: it does not reconnect.
 */
export const MSYNC_KICKS: Record<KickReason, number> = {
  password_changed: StatisticsOperation.USER_KICKED_BY_CHANGE_PASSWORD, // 216
  deleted: StatisticsOperation.USER_REMOVED, // 207
  // qunliao: the SDK has no "banned" event; 207 logs it out for good, as a ban does until lifted.
  deactivated: StatisticsOperation.USER_REMOVED, // 207
  forced_logout: StatisticsOperation.USER_KICKED_BY_OTHER_DEVICE, // 217
  replaced: StatisticsOperation.USER_LOGIN_ANOTHER_DEVICE, // 206
};

/** A send or join that failed inside qunliao (logged): the SDK's generic 503. */
export const MSYNC_INTERNAL: MsyncStatus = { errorCode: ErrorCode.FAIL, reason: 'internal server error' };
