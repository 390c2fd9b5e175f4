// The one error catalog and the one error handler. Every error body that leaves the server is built
// here, with status, `error` and `error_description` taken from the Easemob docs (REFERENCE.md §2a,
// §2b, §2f). Entries marked "qunliao" are cases the docs leave open; docs/compat.md lists them.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, type ErrorCode, type ErrorParams } from '../services/errors.js';

interface CatalogEntry {
  status: number;
  error: string;
  exception: string;
  description: (p: ErrorParams) => string;
}

const SECURITY = 'EasemobSecurityException';
const ILLEGAL = 'java.lang.IllegalArgumentException';
const WEB = 'javax.ws.rs.WebApplicationException';
const GROUP_INVALID = 'com.easemob.group.exception.InvalidParameterException';
const GROUP_NOT_FOUND = 'com.easemob.group.exception.ResourceNotFoundException';
const GROUP_FORBIDDEN = 'com.easemob.group.exception.ForbiddenOpException';
const GROUP_LIMIT = 'com.easemob.group.exception.ExceedLimitException';
const THREAD = 'GroupException';
const JSON_PARSE = 'com.fasterxml.jackson.core.JsonParseException';

const entry = (status: number, error: string, exception: string, description: string | ((p: ErrorParams) => string)): CatalogEntry => ({
  status,
  error,
  exception,
  description: typeof description === 'string' ? () => description : description,
});

export const catalog: Record<ErrorCode, CatalogEntry> = {
  appNotFound: entry(404, 'organization_application_not_found', 'OrganizationApplicationNotFoundException',
    (p) => `Could not find application for ${p.org}/${p.app} from URI: ${p.uri}`),
  // qunliao: the hosted service answers unknown paths from its servlet container; we keep the body shape.
  routeNotFound: entry(404, 'service_resource_not_found', 'ServiceResourceNotFoundException', 'Service resource not found'),
  methodNotAllowed: entry(405, 'web_application', 'javax.ws.rs.NotAllowedException', 'HTTP 405 Method Not Allowed'),
  unsupportedMediaType: entry(415, 'web_application', WEB, 'Unsupported Media Type'),
  bodyTooLarge: entry(413, 'Request Entity Too Large', WEB, 'Request Entity Too Large'),
  // The parser's own account of where the JSON broke, as Jackson's JsonParseException gives it.
  jsonParse: entry(400, 'json_parse', JSON_PARSE, (p) => String(p.parserMessage)),
  // qunliao: bodies nest at most 100 levels; Jackson's own limit answers with this text (docs/compat.md).
  jsonTooDeep: entry(400, 'json_parse', JSON_PARSE, (p) => `Document nesting depth (${p.depth}) exceeds the maximum allowed (${p.max})`),
  requestBodyInvalid: entry(400, 'illegal_argument', ILLEGAL, 'Request body is invalid'),
  // qunliao: a query parameter failing its route's schema (`pagesize=abc`, `limit=0`).
  queryParameterInvalid: entry(400, 'illegal_argument', ILLEGAL, (p) => `query parameter ${p.parameter} ${p.problem}`),
  badUrl: entry(400, 'illegal_argument', ILLEGAL, (p) => `the request URL is not valid: ${p.reason}`),
  // qunliao: U+0000 cannot be stored in PostgreSQL text, so it is refused everywhere alike (docs/compat.md).
  nulCharacter: entry(400, 'illegal_argument', ILLEGAL, (p) => `the ${p.where} contains a NUL character (U+0000), which is not accepted`),
  // Requests the HTTP parser refuses (unknown method, broken framing); the connection is closed after.
  badRequest: entry(400, 'web_application', WEB, 'HTTP 400 Bad Request'),
  headersTooLarge: entry(431, 'web_application', WEB, 'HTTP 431 Request Header Fields Too Large'),
  requestTimeout: entry(408, 'web_application', WEB, 'HTTP 408 Request Timeout'),
  expectationFailed: entry(417, 'web_application', WEB, (p) => `HTTP 417 Expectation Failed: "Expect: ${p.expect}" is not supported`),
  // qunliao: an `Upgrade: websocket` request to a REST route, or a WebSocket handshake missing what RFC 6455 requires.
  upgradeNotHere: entry(400, 'web_application', WEB, 'HTTP 400 Bad Request: this path does not upgrade to a WebSocket'),
  wsResourceInvalid: entry(400, 'illegal_argument', ILLEGAL, 'query parameter resource must be 1 to 48 of A-Z a-z 0-9 _ . -'),
  badWebSocketHandshake: entry(400, 'web_application', WEB, 'HTTP 400 Bad Request: a WebSocket handshake is a GET with Upgrade: websocket, Sec-WebSocket-Key and Sec-WebSocket-Version 13'),
  rateLimited: entry(429, 'reach_limit', 'ReachLimitException', 'This request has reached api limit'),
  internal: entry(500, 'web_application', WEB, 'Internal Server Error'),

  tokenMissing: entry(401, 'unauthorized', SECURITY, 'Unable to authenticate due to expired access token'),
  tokenExpired: entry(401, 'unauthorized', SECURITY, 'Unable to authenticate due to expired access token'),
  tokenCorrupt: entry(401, 'auth_bad_access_token', SECURITY, 'Unable to authenticate due to corrupt access token'),
  tokenUnknown: entry(401, 'auth_bad_access_token', SECURITY, 'Unable to authenticate'),
  tokenRevoked: entry(401, 'unauthorized', SECURITY, 'Unable to authenticate (OAuth)'),
  adminRequired: entry(401, 'unauthorized', 'org.apache.shiro.authz.UnauthorizedException',
    (p) => `Subject does not have permission [applications:${p.method}:${p.appUuid}:${p.path}]`),
  registrationClosed: entry(401, 'unauthorized', SECURITY, "Open registration doesn't allow, so register user need token,"),
  // A user token below the role a route needs in its room (src/api/access.ts). The SDK turns the
  // first into 602/702 (not in the group or room) and any other 403 into 603 (permission denied).
  callerNotMember: entry(403, 'forbidden_op', GROUP_FORBIDDEN, (p) => `users [${p.username}] are not members of this group!`),
  callerNotAdmin: entry(403, 'forbidden_op', GROUP_FORBIDDEN, (p) => `user ${p.username} is neither the owner nor an admin of this group!`),
  callerNotOwner: entry(403, 'forbidden_op', GROUP_FORBIDDEN, (p) => `user ${p.username} is not the owner of this group!`),
  // qunliao: the client SDK always names its own user as the owner of what it creates.
  callerNotCreator: entry(403, 'forbidden_op', GROUP_FORBIDDEN, (p) => `user ${p.username} can only create a group or thread that they own`),
  // Joining and inviting from clients (group_manage.md "加入群组", "邀请用户入群"; texts ours where the docs show none).
  groupNotPublic: entry(403, 'forbidden_op', GROUP_FORBIDDEN, (p) => `group ${p.id} is not public: users cannot apply to join it`),
  groupInviteForbidden: entry(403, 'forbidden_op', GROUP_FORBIDDEN, (p) => `user ${p.username} may not invite users to group ${p.id}`),
  groupRequestNotFound: entry(404, 'resource_not_found', GROUP_NOT_FOUND, (p) => `user ${p.username} has no pending ${p.kind} in group ${p.id}`),
  invitationNotYours: entry(403, 'forbidden_op', GROUP_FORBIDDEN, (p) => `user ${p.username} can only answer their own invitations`),
  // qunliao: chatroom_superadmin.md shows no error table.
  superAdminNotFound: entry(404, 'resource_not_found', GROUP_NOT_FOUND, (p) => `user ${p.username} is not a chatroom super admin`),
  callerNotSuperAdmin: entry(403, 'forbidden_op', GROUP_FORBIDDEN, (p) => `user ${p.username} is not a chatroom super admin, only super admins create chatrooms`),

  grantTypeRequired: entry(400, 'illegal_argument', ILLEGAL, 'grant_type must be provided'),
  grantTypeUnsupported: entry(400, 'unsupported_grant_type', ILLEGAL, (p) => `unsupported grant_type ${p.grantType}`),
  clientIdRequired: entry(400, 'illegal_argument', ILLEGAL, 'client_id must be provided.'),
  clientSecretRequired: entry(400, 'illegal_argument', ILLEGAL, 'client_secret must be provided'),
  clientIdMismatch: entry(400, 'invalid_grant', ILLEGAL, 'client_id does not match'),
  clientSecretMismatch: entry(400, 'invalid_grant', ILLEGAL, 'client_secret does not match'),
  grantUsernameRequired: entry(400, 'illegal_argument', ILLEGAL, 'username must be provided'),
  grantPasswordRequired: entry(400, 'illegal_argument', ILLEGAL, 'password must be provided'),
  grantUserNotFound: entry(404, 'invalid_grant', 'EntityNotFoundException', 'user not found'),
  grantInvalidPassword: entry(400, 'invalid_grant', ILLEGAL, 'invalid password'),
  grantUserNotActivated: entry(400, 'invalid_grant', ILLEGAL, 'user not activated'),
  invalidTtl: entry(400, 'illegal_argument', ILLEGAL, 'ttl must be a non-negative integer number of seconds'),

  usernameIllegal: entry(400, 'illegal_argument', ILLEGAL, (p) => `username [${p.username}] is not legal`),
  usernameTooLong: entry(400, 'illegal_argument', ILLEGAL, 'USERNAME_TOO_LONG'),
  passwordRequired: entry(400, 'illegal_argument', ILLEGAL, 'password or pin must provided'),
  passwordTooLong: entry(400, 'illegal_argument', ILLEGAL, 'PASSWORD_TOO_LONG'),
  nicknameIllegal: entry(400, 'illegal_argument', ILLEGAL, 'nickname must be a string'),
  nicknameTooLong: entry(400, 'illegal_argument', ILLEGAL, 'NICKNAME_TOO_LONG'),
  usernameTaken: entry(400, 'duplicate_unique_property_exists', 'DuplicateUniquePropertyExistsException',
    (p) => `Application ${p.appUuid} Entity user requires that property named username be unique, value of ${p.username} exists`),
  batchPasswordConflict: entry(400, 'duplicate_unique_property_exists', 'DuplicateUniquePropertyExistsException',
    (p) => `the same user ${p.username} has a different password, the passwords are ${p.passwords}`),
  registerBatchTooLarge: entry(400, 'illegal_argument', ILLEGAL,
    (p) => `Request body array size[${p.size}] had almost reached or been greater than the upper range value[${p.max}]`),
  // qunliao: the docs show no body for these malformed registrations; the usergrid layer's illegal_argument fits.
  registerBodyInvalid: entry(400, 'illegal_argument', ILLEGAL, 'request body must be a user object or an array of users'),
  registerUserInvalid: entry(400, 'illegal_argument', ILLEGAL, 'each user must be a JSON object with username and password'),
  registerBodyEmpty: entry(400, 'illegal_argument', ILLEGAL, 'request body must contain at least one user'),
  userCursorInvalid: entry(400, 'illegal_argument', ILLEGAL, (p) => `cursor ${p.cursor} is not valid`),
  userNotFound: entry(404, 'service_resource_not_found', 'UserNotFoundException', 'Service resource not found'),
  passwordUserNotFound: entry(404, 'entity_not_found', 'EntityNotFoundException', 'User null not found'),
  newPasswordRequired: entry(400, 'illegal_argument', ILLEGAL, 'newpassword is required'),

  // Groups: seed 001 error tables and REFERENCE §2d.
  // qunliao: the group service's invalid_parameter for request shapes its pages leave open.
  groupBodyNotObject: entry(400, 'invalid_parameter', GROUP_INVALID, 'request body must be a JSON object'),
  groupFieldNotString: entry(400, 'invalid_parameter', GROUP_INVALID, (p) => `${p.field} must be a string`),
  groupFieldNotBool: entry(400, 'invalid_parameter', GROUP_INVALID, (p) => `${p.field} must be true or false`),
  groupNameTooLong: entry(400, 'invalid_parameter', GROUP_INVALID, 'groupname length is too big'),
  groupDescriptionTooLong: entry(400, 'invalid_parameter', GROUP_INVALID, 'description length is too big'),
  groupCustomTooLong: entry(400, 'invalid_parameter', GROUP_INVALID, 'custom length is too big'),
  groupMembersNotArray: entry(400, 'invalid_parameter', GROUP_INVALID, 'members must be an array of usernames'),
  groupMaxUsersInvalid: entry(400, 'invalid_parameter', GROUP_INVALID, 'maxusers must be a positive integer'),
  groupNewOwnerInvalid: entry(400, 'invalid_parameter', GROUP_INVALID, 'newowner must be a username'),
  groupCursorInvalid: entry(400, 'invalid_parameter', GROUP_INVALID, (p) => `cursor ${p.cursor} is not valid`),
  groupFieldRequired: entry(400, 'invalid_parameter', GROUP_INVALID, (p) => `${p.field} must be provided`),
  groupPublicRequired: entry(400, 'invalid_parameter', GROUP_INVALID, 'group must contain public field!'),
  groupAvatarTooLong: entry(400, 'invalid_parameter', GROUP_INVALID, 'avatar length is too big'),
  groupUserNotFound: entry(404, 'resource_not_found', GROUP_NOT_FOUND, (p) => `username ${p.username} doesn't exist!`),
  groupMembersExceedMax: entry(403, 'exceed_limit', GROUP_LIMIT, 'members size is greater than max user size !'),
  groupMaxUsersTooLarge: entry(403, 'exceed_limit', GROUP_LIMIT, (p) => `maxUsers cannot exceed ${p.max}`),
  userTooManyGroups: entry(403, 'exceed_limit', GROUP_LIMIT, (p) => `user ${p.username} has joined too many groups!`),
  appTooManyGroups: entry(403, 'exceed_limit', GROUP_LIMIT, (p) => `appKey:${p.appKey} has create too many groups!`),
  groupNotFound: entry(404, 'resource_not_found', GROUP_NOT_FOUND, (p) => `grpID ${p.id} does not exist!`),
  groupNotFoundForList: entry(404, 'service_resource_not_found', 'com.easemob.group.exception.ServiceResourceNotFoundException',
    (p) => `do not find this group:${p.id}`),
  groupInvalidFields: entry(400, 'invalid_parameter', GROUP_INVALID, (p) => `some of [${p.fields}] are not valid fields`),
  groupMaxUsersBelowCount: entry(403, 'forbidden_op', GROUP_FORBIDDEN, 'current user count is larger than the maxUsers that you want to update !'),
  // qunliao: the docs say a disabled group refuses management but show no body; docs/compat.md.
  groupDisabled: entry(403, 'forbidden_op', GROUP_FORBIDDEN, (p) => `group ${p.id} is disabled!`),
  groupAlreadyMember: entry(403, 'forbidden_op', GROUP_FORBIDDEN, (p) => `can not join this group, reason:user: ${p.username} already in group: ${p.id}\n`),
  groupNotMembers: entry(403, 'forbidden_op', GROUP_FORBIDDEN, (p) => `users [${p.usernames}] are not members of this group!`),
  groupUserNotInGroup: entry(404, 'resource_not_found', GROUP_NOT_FOUND, (p) => `user: ${p.username} doesn't exist in group: ${p.id}`),
  groupOwnerForbidden: entry(403, 'forbidden_op', GROUP_FORBIDDEN, 'forbidden operation on group owner!'),
  groupNotAdmin: entry(403, 'forbidden_op', GROUP_FORBIDDEN, (p) => `user:${p.username} is not admin of group:${p.id}`),
  groupAlreadyAdmin: entry(403, 'forbidden_op', GROUP_FORBIDDEN, (p) => `user:${p.username} is already admin of group:${p.id}`),
  groupAdminsFull: entry(403, 'exceed_limit', GROUP_LIMIT, (p) => `admin count of this group reaches the limit : ${p.max}`),
  groupSameOwner: entry(403, 'forbidden_op', GROUP_FORBIDDEN, 'new owner and old owner are the same'),
  // Batch limits (REFERENCE §2c/§2d), each with the text of its own operation.
  addMembersTooMany: entry(400, 'invalid_parameter', GROUP_INVALID, (p) => `addMembers: addMembers number more than maxSize : ${p.max}`),
  kickMembersTooMany: entry(400, 'invalid_parameter', GROUP_INVALID, (p) => `kickMember: kickMembers number more than maxSize : ${p.max}`),
  muteTooMany: entry(400, 'invalid_parameter', GROUP_INVALID, (p) => `userNames size is more than max limit : ${p.max}`),
  unmuteTooMany: entry(400, 'invalid_parameter', GROUP_INVALID, (p) => `removeMute member size more than max limit : ${p.max}`),
  allowTooMany: entry(400, 'invalid_parameter', GROUP_INVALID, (p) => `usernames size is more than max limit : ${p.max}`),
  disallowTooMany: entry(400, 'invalid_parameter', GROUP_INVALID, (p) => `removeWhitelist size is more than max limit : ${p.max}`),
  blockTooMany: entry(400, 'invalid_parameter', GROUP_INVALID, (p) => `userNames is more than max limit : ${p.max}`),
  unblockTooMany: entry(400, 'invalid_parameter', GROUP_INVALID, (p) => `removeBlacklist: list size more than max limit : ${p.max}`),
  // qunliao: seed 003 documents the field (ms, -1 = permanent) but no error for a bad value.
  muteDurationInvalid: entry(400, 'invalid_parameter', GROUP_INVALID, 'mute_duration must be a positive number of milliseconds or -1'),
  // Announcement and shared files (seed 000 shows no error table; these follow REFERENCE §2c/§2f).
  announcementTooLong: entry(403, 'forbidden_op', GROUP_FORBIDDEN, 'announce info length exceeds limit!'),
  shareFilesFull: entry(403, 'exceed_limit', GROUP_LIMIT, (p) => `group share files count exceeds the limit : ${p.max}`),
  shareFileTooLarge: entry(413, 'Request Entity Too Large', WEB, (p) => `uploaded file is larger than ${p.max} bytes`),
  shareFileNotFound: entry(404, 'storage_object_not_found', 'StorageObjectNotFoundException', (p) => `file ${p.fileId} does not exist`),
  // qunliao: upload shapes the seed leaves open.
  fileNameRequired: entry(400, 'invalid_parameter', GROUP_INVALID, 'file name must be provided'),
  fileNameTooLong: entry(400, 'invalid_parameter', GROUP_INVALID, (p) => `file name is longer than ${p.max} characters`),
  fileContentTypeTooLong: entry(400, 'invalid_parameter', GROUP_INVALID, (p) => `the file part's Content-Type is longer than ${p.max} characters`),
  restrictAccessInvalid: entry(400, 'invalid_parameter', GROUP_INVALID, 'restrict-access must be true, false, 1 or 0'),
  notMultipart: entry(400, 'invalid_parameter', GROUP_INVALID, 'the file must be sent as multipart/form-data'),
  // A plain member deletes only the files they uploaded (client docs "删除群文件").
  shareFileNotYours: entry(403, 'forbidden_op', GROUP_FORBIDDEN, (p) => `user ${p.username} may only delete the files they uploaded`),
  shareFileForbidden: entry(403, 'forbidden_op', GROUP_FORBIDDEN, (p) => `user ${p.username} is not a member of group ${p.id}`),
  // qunliao: an upload body without a boundary, cut short or without its closing boundary.
  multipartMalformed: entry(400, 'invalid_parameter', GROUP_INVALID, 'the multipart/form-data body is malformed'),
  // qunliao: text PostgreSQL cannot store, refused on SQLite alike.
  shareFileNulByte: entry(400, 'invalid_parameter', GROUP_INVALID, (p) => `${p.field} must not contain a NUL byte`),
  // Message attachments (docs/rest message_upload_file.md, message_download_file.md).
  chatfileRequired: entry(400, 'illegal_argument', ILLEGAL, 'file must be provided.'),
  // qunliao: a zero-byte file part; the pages document no error for it.
  chatfileEmpty: entry(400, 'illegal_argument', ILLEGAL, 'file must not be empty.'),
  chatfileTooLarge: entry(413, 'file exceeding maximum limit', WEB, 'the file size exceeds the maximum limit.'),
  chatfileNotFound: entry(404, 'entity_not_found', 'EntityNotFoundException', 'file may not exists'),
  chatfileExpired: entry(404, 'file_expired', 'FileExpiredException', (p) => `file ${p.uuid} is expired`),
  // qunliao: the status and type are ours; the text is the one the web SDK maps to its 222
  // (no permission to download, client-protocol REST.md).
  chatfileForbidden: entry(403, 'forbidden_op', 'EasemobForbiddenOpException', 'chatfile no permission'),
  // qunliao: the part upload (/sdk/chatfiles/part-upload) is documented only by what the client SDK sends.
  chatfileUploadNotFound: entry(404, 'entity_not_found', 'EntityNotFoundException', (p) => `part upload ${p.uuid} does not exist`),
  chatfilePartNumberInvalid: entry(400, 'illegal_argument', ILLEGAL, (p) => `part_number must be an integer from 1 to ${p.max}`),
  chatfileNoParts: entry(400, 'illegal_argument', ILLEGAL, (p) => `part upload ${p.uuid} has no parts`),
  chatfilePartMissing: entry(400, 'illegal_argument', ILLEGAL, (p) => `part ${p.number} of part upload ${p.uuid} is missing: parts are numbered from 1 without gaps`),
  chatfileUploadChanged: entry(409, 'concurrent_operation_error', 'ConcurrentOperationException', (p) => `parts of part upload ${p.uuid} changed while it was being completed, try again`),
  // Threads: group_thread.md error tables (error type `group_error`).
  threadParamIllegal: entry(400, 'param_illegal', 'HttpMessageNotReadableException', 'Failed to read HTTP message'),
  threadNameTooLong: entry(400, 'group_error', THREAD, 'thread name limit reached.'),
  threadLimitReached: entry(403, 'group_error', THREAD, 'thread number has reached limit.'),
  threadUserJoinLimit: entry(403, 'group_error', THREAD, 'user join thread reach limit.'),
  threadMessageTaken: entry(403, 'group_error', THREAD, 'msg already create thread.not allow to create.'),
  threadUserNotInGroup: entry(404, 'group_error', THREAD, 'user not in group.'),
  threadGroupNotFound: entry(404, 'group_error', THREAD, 'group not found.'),
  threadNotFound: entry(404, 'group_error', THREAD, 'thread not found.'),
  threadQueryLimit: entry(400, 'group_error', THREAD, 'query param reaches limit.'),
  threadBodyLimit: entry(400, 'group_error', THREAD, 'request body reaches limit.'),
  // qunliao: a blocked user added again; the docs only say blocked users cannot join.
  groupUserBlocked: entry(403, 'forbidden_op', GROUP_FORBIDDEN, (p) => `can not join this group, reason:user: ${p.username} is in the blocklist of group: ${p.id}`),

  // Chatrooms (REFERENCE §2c): the service reuses the word "group" in its messages.
  roomNotMembers: entry(400, 'forbidden_op', GROUP_FORBIDDEN, (p) => `users [${p.usernames}] are not members of this group!`),
  roomNameRequired: entry(400, 'invalid_parameter', GROUP_INVALID, 'chatroom must contain title/name field!'),
  roomTitleTooLong: entry(403, 'exceed_limit', GROUP_LIMIT, (p) => `title cannot exceed to ${p.max}`),
  roomDescriptionTooLong: entry(403, 'exceed_limit', GROUP_LIMIT, (p) => `desc cannot exceed to ${p.max}`),
  userTooManyChatrooms: entry(403, 'exceed_limit', GROUP_LIMIT, (p) => `user ${p.username} has joined too many chatrooms!`),
  roomJoinTooMany: entry(403, 'forbidden_op', GROUP_FORBIDDEN, (p) => `can not join this group, reason:user ${p.username} has joined too many chatrooms!`),
  // qunliao: the 409 of concurrent operations (REFERENCE §2a) for an owner transfer that raced another change.
  ownerTransferConflict: entry(409, 'concurrent_operation_error', 'ConcurrentOperationException', 'the owner or the new owner changed during the transfer, try again'),
  appTooManyChatrooms: entry(403, 'exceed_limit', GROUP_LIMIT, (p) => `appKey:${p.appKey} has create too many chatrooms!`),
  // Message sends (REFERENCE §2e).
  messageSendError: entry(400, 'message_send_error', 'MessageSendException', (p) => String(p.message)),
  messageInvalidBody: entry(400, 'invalid_request_body', 'InvalidRequestBodyException', 'Request body is invalid. Please check body is correct.'),
  // Broadcasts (broadcast_to_all_users.md, broadcast_to_online_users.md, broadcast_to_chatrooms.md) and the legacy POST /messages ([CN-old]).
  broadcastFromEmpty: entry(400, 'illegal_argument', ILLEGAL, "from can't be empty"),
  broadcastExtInvalid: entry(400, 'illegal_argument', ILLEGAL, 'ext must be JSONObject'),
  broadcastTargetTypeMissing: entry(400, 'illegal_argument', ILLEGAL, 'target_type must be provided'),
  broadcastTargetTypeInvalid: entry(400, 'illegal_argument', ILLEGAL, "target_type can only be 'users'"),
  // Message imports (message_import.md).
  importTypeEmpty: entry(400, 'illegal_argument', ILLEGAL, 'type not allow empty'),
  importBodyEmpty: entry(400, 'illegal_argument', ILLEGAL, 'message body not allow empty'),
  // qunliao: an import may keep the message's id from the system it comes from; ids are unique.
  importIdTaken: entry(400, 'illegal_argument', ILLEGAL, (p) => `msg_id ${p.id} already exists`),
  // The hourly history file (message_historical.md).
  historyTimeInvalid: entry(400, 'illegal_argument', ILLEGAL, (p) => `illegal arguments: appkey: ${p.appKey}, time: ${p.time}`),
  historyUnstored: entry(400, 'illegal_argument', ILLEGAL, (p) => `illegal arguments: appkey: ${p.appKey}, time: ${p.time}, maybe chat message history is expired or unstored`),
  historyNotFound: entry(404, 'storage_object_not_found', 'StorageObjectNotFoundException', (p) => `Failed to find chat message history download url for appkey: ${p.appKey}, time: ${p.time}`),
  // qunliao: the hosted file store answers its own 403 for a bad or expired link.
  historyLinkInvalid: entry(403, 'forbidden_op', 'ForbiddenOpException', 'the history download link is invalid or has expired'),
  legacyTargetTypeInvalid: entry(400, 'illegal_argument', ILLEGAL, "target_type can only be 'users' or 'chatgroups' or 'chatrooms'"),
  // Recall (message_recall.md): refusals of the message itself answer 200 with `recalled` saying
  // why (message-lifecycle.ts); these are requests that are not a recall at all. qunliao: the
  // page documents no error body for them.
  recallInvalid: entry(400, 'illegal_argument', ILLEGAL, (p) => String(p.message)),
  // Edit (message_modify_text_custom.md, its error table: exceptions and texts as documented).
  rewriteInvalidId: entry(400, 'message_rewrite_error', 'InvalidMessageIdException', 'The provided message ID is not a valid number.'),
  // qunliao: a body the page's table has no row for (no new_msg, wrong types).
  rewriteInvalid: entry(400, 'message_rewrite_error', 'InvalidRequestBodyException', (p) => String(p.message)),
  rewriteUnsupportedType: entry(400, 'message_rewrite_error', 'UnsupportedMessageTypeException', 'The message is of a type that is currently not supported for modification.'),
  rewriteNotAuthorized: entry(401, 'message_rewrite_error', 'RewriteMessageNotAuthorizedException', 'You are not authorized to edit this message.'),
  rewriteLimit: entry(403, 'message_rewrite_error', 'EditLimitExceededException', 'The message has reached its edit limit and cannot be modified further.'),
  rewriteNotFound: entry(404, 'message_rewrite_error', 'MessageUnavailableException', 'The message is unavailable or has expired.'),
  // The group read-ack list (the SDK's getGroupMsgReadUser; qunliao: no page documents its errors).
  groupAckMessageNotFound: entry(404, 'resource_not_found', GROUP_NOT_FOUND, (p) => `message ${p.id} is not a message of this group`),
  groupAckInvalid: entry(400, 'illegal_argument', ILLEGAL, (p) => String(p.message)),
  // The client SDK's history and conversation calls (client-protocol REST.md): qunliao, the pages
  // document no error bodies; the texts are ones the web SDK maps (404 "do not find this group" →
  // 605 / 705, 403 "are not members of this group" → 602 / 702).
  roamingInvalid: entry(400, 'illegal_argument', ILLEGAL, (p) => String(p.message)),
  roamingRoomNotFound: entry(404, 'service_resource_not_found', GROUP_NOT_FOUND, (p) => `do not find this group: ${p.id}`),
  roamingNotMember: entry(403, 'forbidden_op', GROUP_FORBIDDEN, (p) => `users [${p.username}] are not members of this group: ${p.id}`),
  groupDetailsTooMany: entry(400, 'invalid_parameter', GROUP_INVALID, (p) => `group ids size is more than max limit : ${p.max}`),
  // qunliao: a plain GET of a WebSocket endpoint (`/ws`, `/websocket`); docs/realtime.md, docs/client-sdk.md.
  websocketRequired: entry(400, 'illegal_argument', ILLEGAL, 'this endpoint only accepts WebSocket connections (Connection: Upgrade, Upgrade: websocket)'),
};

/**
 * Texts of per-item failures inside successful batch answers (REFERENCE §2c/§2d: batch removal and
 * blocking report each user in place; details report each missing id in place).
 */
export const itemTexts = {
  ownerForbidden: (): string => 'forbidden operation on group owner!',
  notInGroup: (user: string, id: string): string => `user: ${user} doesn't exist in group: ${id}`,
  alreadyInGroup: (user: string, id: string): string => `user: ${user} already in group: ${id}`,
  blockedInGroup: (user: string, id: string): string => `user: ${user} is in the blocklist of group: ${id}`,
  userMissing: (user: string): string => `username ${user} doesn't exist!`,
  missingRoom: (kind: 'group' | 'chatroom'): string => `${kind} id doesn't exist`,
};

export interface ErrorBody {
  error: string;
  exception: string;
  timestamp: number;
  duration: number;
  error_description: string;
}

export function errorBody(code: ErrorCode, params: ErrorParams, duration: number): { status: number; body: ErrorBody } {
  const e = catalog[code];
  return {
    status: e.status,
    body: {
      error: e.error,
      exception: e.exception,
      timestamp: Date.now(),
      duration,
      error_description: e.description(params),
    },
  };
}

/** Maps fastify's own errors (parsing, limits, schema validation) to catalog codes. */
function fromFastifyError(err: FastifyError): DomainError | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new DomainError('unsupportedMediaType');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new DomainError('bodyTooLarge');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new DomainError('requestBodyInvalid');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new DomainError('jsonParse', { parserMessage: err.message });
  }
  if (err.validation) {
    // Only query strings have schemas: name the parameter and what is wrong with it.
    const first = err.validation[0];
    const parameter = first?.instancePath ? first.instancePath.replace(/^\//, '') : (first?.params as { missingProperty?: string })?.missingProperty ?? '';
    return new DomainError('queryParameterInvalid', { parameter, problem: first?.message ?? 'is invalid' });
  }
  if (err instanceof SyntaxError) return new DomainError('jsonParse', { parserMessage: err.message });
  return undefined;
}

export function errorHandler(err: FastifyError | DomainError, req: FastifyRequest, reply: FastifyReply): void {
  let domain = err instanceof DomainError ? err : fromFastifyError(err);
  if (!domain) {
    req.log.error({ err }, 'unhandled error');
    domain = new DomainError('internal');
  }
  sendError(reply, domain);
}

export function sendError(reply: FastifyReply, err: DomainError): void {
  const { status, body } = errorBody(err.code, err.params, Math.floor(reply.elapsedTime));
  void reply.code(status).type('application/json').send(body);
}
