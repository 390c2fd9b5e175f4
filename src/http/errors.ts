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
  jsonParse: entry(400, 'json_parse', 'com.fasterxml.jackson.core.JsonParseException', (p) => String(p.message)),
  invalidRequestBody: entry(400, 'illegal_argument', ILLEGAL, (p) => String(p.message)),
  invalidQuery: entry(400, 'illegal_argument', ILLEGAL, (p) => String(p.message)),
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
  userNotFound: entry(404, 'service_resource_not_found', 'UserNotFoundException', 'Service resource not found'),
  passwordUserNotFound: entry(404, 'entity_not_found', 'EntityNotFoundException', 'User null not found'),
  newPasswordRequired: entry(400, 'illegal_argument', ILLEGAL, 'newpassword is required'),

  // Groups: seed 001 error tables and REFERENCE §2d.
  groupInvalidParameter: entry(400, 'invalid_parameter', GROUP_INVALID, (p) => String(p.message)),
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
  groupBatchTooLarge: entry(400, 'invalid_parameter', GROUP_INVALID, (p) => String(p.message)),
  // Announcement and shared files (seed 000 shows no error table; these follow REFERENCE §2c/§2f).
  announcementTooLong: entry(403, 'forbidden_op', GROUP_FORBIDDEN, 'announce info length exceeds limit!'),
  shareFilesFull: entry(403, 'exceed_limit', GROUP_LIMIT, (p) => `group share files count exceeds the limit : ${p.max}`),
  shareFileTooLarge: entry(413, 'Request Entity Too Large', WEB, (p) => `uploaded file is larger than ${p.max} bytes`),
  shareFileNotFound: entry(404, 'storage_object_not_found', 'StorageObjectNotFoundException', (p) => `file ${p.fileId} does not exist`),
  shareFileForbidden: entry(403, 'forbidden_op', GROUP_FORBIDDEN, (p) => `user ${p.username} is not a member of group ${p.id}`),
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
  concurrentOperation: entry(409, 'concurrent_operation_error', 'ConcurrentOperationException', (p) => String(p.message)),
  appTooManyChatrooms: entry(403, 'exceed_limit', GROUP_LIMIT, (p) => `appKey:${p.appKey} has create too many chatrooms!`),
  // Message sends (REFERENCE §2e).
  messageSendError: entry(400, 'message_send_error', 'MessageSendException', (p) => String(p.message)),
  messageInvalidBody: entry(400, 'invalid_request_body', 'InvalidRequestBodyException', 'Request body is invalid. Please check body is correct.'),
  groupDetailsTooMany: entry(400, 'invalid_parameter', GROUP_INVALID, (p) => `group ids size is more than max limit : ${p.max}`),
  // qunliao: a plain GET of a WebSocket endpoint (`/ws`, `/websocket`); docs/realtime.md, docs/client-sdk.md.
  websocketRequired: entry(400, 'illegal_argument', ILLEGAL, 'this endpoint only accepts WebSocket connections (Connection: Upgrade, Upgrade: websocket)'),
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
      return new DomainError('invalidRequestBody', { message: 'Request body is invalid' });
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new DomainError('jsonParse', { message: err.message });
  }
  if (err.validation) {
    const where = err.validationContext === 'querystring' ? 'query parameter' : err.validationContext ?? 'request';
    const first = err.validation[0];
    const field = first?.instancePath ? first.instancePath.replace(/^\//, '') : (first?.params as { missingProperty?: string })?.missingProperty ?? '';
    return new DomainError('invalidQuery', { message: `${where} ${field} ${first?.message ?? 'is invalid'}`.replace(/\s+/g, ' ').trim() });
  }
  if (err instanceof SyntaxError) return new DomainError('jsonParse', { message: err.message });
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
