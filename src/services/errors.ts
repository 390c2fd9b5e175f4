// Domain errors: services throw these; src/http/errors.ts maps each code to its documented wire body.

export type ErrorCode =
  // request plumbing
  | 'appNotFound'
  | 'routeNotFound'
  | 'methodNotAllowed'
  | 'unsupportedMediaType'
  | 'bodyTooLarge'
  | 'jsonParse'
  | 'jsonTooDeep'
  | 'requestBodyInvalid'
  | 'queryParameterInvalid'
  | 'badUrl'
  | 'nulCharacter'
  | 'badRequest'
  | 'headersTooLarge'
  | 'requestTimeout'
  | 'expectationFailed'
  | 'upgradeNotHere'
  | 'badWebSocketHandshake'
  | 'wsResourceInvalid'
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
  | 'callerNotMember'
  | 'callerNotAdmin'
  | 'callerNotOwner'
  | 'callerNotSuperAdmin'
  | 'callerNotCreator'
  | 'groupNotPublic'
  | 'groupInviteForbidden'
  | 'groupRequestNotFound'
  | 'invitationNotYours'
  | 'superAdminNotFound'
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
  | 'registerBodyInvalid'
  | 'registerUserInvalid'
  | 'registerBodyEmpty'
  | 'userCursorInvalid'
  | 'userNotFound'
  | 'passwordUserNotFound'
  | 'newPasswordRequired'
  // groups
  | 'groupBodyNotObject'
  | 'groupFieldNotString'
  | 'groupFieldNotBool'
  | 'groupNameTooLong'
  | 'groupDescriptionTooLong'
  | 'groupCustomTooLong'
  | 'groupMembersNotArray'
  | 'groupMaxUsersInvalid'
  | 'groupNewOwnerInvalid'
  | 'groupCursorInvalid'
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
  | 'addMembersTooMany'
  | 'kickMembersTooMany'
  | 'muteTooMany'
  | 'unmuteTooMany'
  | 'allowTooMany'
  | 'disallowTooMany'
  | 'blockTooMany'
  | 'unblockTooMany'
  | 'muteDurationInvalid'
  | 'ownerTransferConflict'
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
  // messages
  | 'messageSendError'
  | 'messageInvalidBody'
  | 'broadcastFromEmpty'
  | 'broadcastExtInvalid'
  | 'broadcastTargetTypeMissing'
  | 'broadcastTargetTypeInvalid'
  | 'legacyTargetTypeInvalid'
  | 'importTypeEmpty'
  | 'importBodyEmpty'
  | 'importIdTaken'
  | 'historyTimeInvalid'
  | 'historyUnstored'
  | 'historyNotFound'
  | 'historyLinkInvalid'
  // recall and edit (message-lifecycle.ts)
  | 'recallInvalid'
  | 'rewriteInvalidId'
  | 'rewriteInvalid'
  | 'rewriteUnsupportedType'
  | 'rewriteNotAuthorized'
  | 'rewriteLimit'
  | 'rewriteNotFound'
  | 'groupAckMessageNotFound'
  | 'groupAckInvalid'
  // the SDK's history and conversations (roaming.ts)
  | 'roamingInvalid'
  | 'roamingRoomNotFound'
  | 'roamingNotMember'
  // announcement and shared files
  | 'announcementTooLong'
  | 'shareFilesFull'
  | 'shareFileTooLarge'
  | 'shareFileNotFound'
  | 'shareFileForbidden'
  | 'shareFileNotYours'
  | 'fileNameRequired'
  | 'fileNameTooLong'
  | 'fileContentTypeTooLong'
  | 'restrictAccessInvalid'
  | 'notMultipart'
  | 'multipartMalformed'
  | 'shareFileNulByte'
  // message attachments
  | 'chatfileRequired'
  | 'chatfileEmpty'
  | 'chatfileTooLarge'
  | 'chatfileNotFound'
  | 'chatfileExpired'
  | 'chatfileForbidden'
  | 'chatfileUploadNotFound'
  | 'chatfilePartNumberInvalid'
  | 'chatfileNoParts'
  | 'chatfilePartMissing'
  | 'chatfileUploadChanged'
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
  | 'threadBodyLimit'
  // client connections
  | 'websocketRequired';

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

/**
 * Why a connected client's request was refused. Services raise these reasons; each client codec
 * maps them to its own codes and texts (src/http/client-errors.ts), as the REST catalog does for
 * DomainError.
 */
export type ClientRefusalReason =
  // the speak decision (services/speak.ts)
  | 'muted'
  | 'mute_all'
  | 'not_member'
  | 'blocked'
  | 'disabled'
  // what the message is sent to
  | 'group_not_found'
  | 'chatroom_not_found'
  | 'user_not_found'
  // what the message is
  | 'invalid_message'
  | 'message_too_large'
  // joining and leaving chatrooms
  | 'chatroom_full'
  | 'chatroom_blocked'
  | 'too_many_chatrooms'
  | 'owner_cannot_leave'
  // recall and edit (services/message-lifecycle.ts)
  | 'message_not_found'
  | 'recall_too_late'
  | 'not_your_message'
  | 'edit_format'
  | 'edit_limit'
  // what qunliao does not offer
  | 'unsupported';

export class ClientRefusal extends Error {
  constructor(
    readonly reason: ClientRefusalReason,
    /** Names what was wrong or what it was about (a field, a room id, a username). */
    readonly detail: string = '',
  ) {
    super(`${reason}${detail ? `: ${detail}` : ''}`);
    this.name = 'ClientRefusal';
  }
}

export function refuse(reason: ClientRefusalReason, detail?: string): never {
  throw new ClientRefusal(reason, detail);
}
