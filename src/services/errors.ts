// Domain errors: services throw these; src/http/errors.ts maps each code to its documented wire body.

export type ErrorCode =
  // request plumbing
  | 'appNotFound'
  | 'routeNotFound'
  | 'methodNotAllowed'
  | 'unsupportedMediaType'
  | 'bodyTooLarge'
  | 'jsonParse'
  | 'invalidRequestBody'
  | 'invalidQuery'
  | 'rateLimited'
  | 'internal'
  // authentication
  | 'tokenMissing'
  | 'tokenExpired'
  | 'tokenCorrupt'
  | 'tokenUnknown'
  | 'tokenRevoked'
  | 'adminRequired'
  | 'registrationClosed'
  // token grants
  | 'grantTypeRequired'
  | 'grantTypeUnsupported'
  | 'clientIdRequired'
  | 'clientSecretRequired'
  | 'clientIdMismatch'
  | 'clientSecretMismatch'
  | 'grantUsernameRequired'
  | 'grantPasswordRequired'
  | 'grantUserNotFound'
  | 'grantInvalidPassword'
  | 'grantUserNotActivated'
  | 'invalidTtl'
  // users
  | 'usernameIllegal'
  | 'usernameTooLong'
  | 'passwordRequired'
  | 'passwordTooLong'
  | 'nicknameIllegal'
  | 'nicknameTooLong'
  | 'usernameTaken'
  | 'batchPasswordConflict'
  | 'registerBatchTooLarge'
  | 'userNotFound'
  | 'passwordUserNotFound'
  | 'newPasswordRequired'
  // groups
  | 'groupInvalidParameter'
  | 'groupFieldRequired'
  | 'groupPublicRequired'
  | 'groupAvatarTooLong'
  | 'groupUserNotFound'
  | 'groupMembersExceedMax'
  | 'groupMaxUsersTooLarge'
  | 'userTooManyGroups'
  | 'appTooManyGroups'
  | 'groupNotFound'
  | 'groupNotFoundForList'
  | 'groupInvalidFields'
  | 'groupMaxUsersBelowCount'
  | 'groupDisabled'
  | 'groupAlreadyMember'
  | 'groupNotMembers'
  | 'groupUserNotInGroup'
  | 'groupOwnerForbidden'
  | 'groupNotAdmin'
  | 'groupAlreadyAdmin'
  | 'groupAdminsFull'
  | 'groupSameOwner'
  | 'groupBatchTooLarge'
  | 'groupDetailsTooMany'
  | 'groupUserBlocked'
  // chatrooms
  | 'roomNotMembers'
  | 'roomNameRequired'
  | 'roomTitleTooLong'
  | 'roomDescriptionTooLong'
  | 'userTooManyChatrooms'
  | 'appTooManyChatrooms'
  | 'roomJoinTooMany'
  | 'concurrentOperation'
  // messages
  | 'messageSendError'
  | 'messageInvalidBody'
  // announcement and shared files
  | 'announcementTooLong'
  | 'shareFilesFull'
  | 'shareFileTooLarge'
  | 'shareFileNotFound'
  | 'shareFileForbidden'
  | 'multipartMalformed'
  | 'shareFileNulByte'
  // threads
  | 'threadParamIllegal'
  | 'threadNameTooLong'
  | 'threadLimitReached'
  | 'threadUserJoinLimit'
  | 'threadMessageTaken'
  | 'threadUserNotInGroup'
  | 'threadGroupNotFound'
  | 'threadNotFound'
  | 'threadQueryLimit'
  | 'threadBodyLimit';

export type ErrorParams = Record<string, string | number>;

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly params: ErrorParams = {},
  ) {
    super(code);
    this.name = 'DomainError';
  }
}

export function fail(code: ErrorCode, params: ErrorParams = {}): never {
  throw new DomainError(code, params);
}
