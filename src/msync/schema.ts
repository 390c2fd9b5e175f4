// The msync protocol of the official client SDKs (easemob-websdk / agora-chat): qunliao's own .proto,
// holding only the messages and fields qunliao reads or writes. Field numbers, names and the
// packing of repeated fields follow the SDK's embedded descriptor
// (../shared/api/client-protocol/msync.proto, PROTOCOL.md §2–§9). Kept as text in a module so that
// the build needs no extra step; parsed once with protobufjs.
import protobuf from 'protobufjs';

export const MSYNC_PROTO = `
syntax = "proto2";
package easemob.pb;

message JID {
  optional string appKey = 1;
  optional string name = 2;
  optional string domain = 3;
  optional string clientResource = 4;
}

message KeyValue {
  oneof value {
    int64 varintValue = 3;
    float floatValue = 4;
    double doubleValue = 5;
    string stringValue = 6;
  }
  optional string key = 1;
  optional ValueType type = 2;
  enum ValueType {
    BOOL = 1;
    INT = 2;
    UINT = 3;
    LLINT = 4;
    FLOAT = 5;
    DOUBLE = 6;
    STRING = 7;
    JSON_STRING = 8;
  }
}

message MSync {
  optional Version version = 1 [default = MSYNC_V1];
  optional JID guid = 2;
  optional string auth = 3;
  // uint32 rather than the Command enum: proto2 decoding drops unknown enum values, and an
  // unknown command must be seen to be refused.
  optional uint32 command = 8;
  optional bytes payload = 9;
  optional uint32 deviceId = 10;
  repeated uint32 encryptType = 11 [packed = false];
  optional uint64 traceId = 20;
  enum Version {
    MSYNC_V1 = 0;
    MSYNC_V2 = 1;
  }
  enum Command {
    SYNC = 0;
    UNREAD = 1;
    NOTICE = 2;
    PROVISION = 3;
    LOGOUT = 4;
  }
}

message Status {
  optional ErrorCode errorCode = 1;
  optional string reason = 2;
  enum ErrorCode {
    OK = 0;
    FAIL = 1;
    UNAUTHORIZED = 2;
    MISSING_PARAMETER = 3;
    WRONG_PARAMETER = 4;
    REDIRECT = 5;
    TOKEN_EXPIRED = 6;
    PERMISSION_DENIED = 7;
    NO_ROUTE = 8;
    UNKNOWN_COMMAND = 9;
    PB_PARSER_ERROR = 10;
    BIND_ANOTHER_DEVICE = 11;
    IM_FORBIDDEN = 12;
    TOO_MANY_DEVICES = 13;
    PLATFORM_LIMIT = 14;
    USER_MUTED = 15;
    ENCRYPT_DISABLE = 16;
    ENCRYPT_ENABLE = 17;
    DECRYPT_FAILURE = 18;
    PERMISSION_DENIED_EXTERNAL = 19;
  }
}

message Provision {
  optional uint32 osType = 1;
  optional string version = 2;
  repeated uint32 compressType = 5 [packed = false];
  repeated uint32 encryptType = 6 [packed = false];
  optional Status status = 8;
  optional string deviceUuid = 9;
  optional string deviceName = 12;
  optional string resource = 13;
  optional string auth = 14;
  optional string actionVersion = 17;
  optional string authToken = 18;
  optional string sessionId = 20;
  optional string reason = 21;
  repeated uint32 protocolCompressType = 22 [packed = true];
}

message Logout {
  optional string sessionId = 1;
  optional string reason = 2;
  optional Status status = 3;
}

message Meta {
  optional uint64 id = 1;
  optional JID from = 2;
  optional JID to = 3;
  optional uint64 timestamp = 4;
  optional NameSpace ns = 5;
  optional bytes payload = 6;
  optional uint32 routetype = 7;
  repeated KeyValue ext = 8;
  optional bytes meta = 9;
  repeated string directedUsers = 10;
  enum NameSpace {
    STATISTIC = 0;
    CHAT = 1;
    MUC = 2;
    ROSTER = 3;
    CONFERENCE = 4;
    NOTIFY = 5;
    QUERY = 6;
  }
}

message CommSyncUL {
  optional Meta meta = 1;
  optional uint64 key = 2;
  optional JID queue = 3;
}

message CommSyncDL {
  optional Status status = 1;
  optional uint64 metaId = 2;
  optional uint64 serverId = 3;
  repeated Meta metas = 4;
  optional uint64 nextKey = 5;
  optional JID queue = 6;
  optional bool isLast = 7;
  optional uint64 timestamp = 8;
}

message CommNotice {
  optional JID queue = 1;
}

message CommUnreadDL {
  optional Status status = 1;
  repeated MetaQueue unread = 2;
  optional uint64 timestamp = 3;
}

message MetaQueue {
  optional JID queue = 1;
  optional uint32 n = 2;
}

message MessageBody {
  optional Type type = 1;
  optional JID from = 2;
  optional JID to = 3;
  repeated Content contents = 4;
  repeated KeyValue ext = 5;
  optional uint64 ackMessageId = 6;
  optional MessageConfig msgConfig = 7;
  optional string ackContent = 8;
  optional string meta = 9;
  optional uint64 editMessageId = 11;
  optional EditScope editScope = 12;
  message Content {
    optional Type type = 1;
    optional string text = 2;
    optional double latitude = 3;
    optional double longitude = 4;
    optional string address = 5;
    optional string displayName = 6;
    optional string remotePath = 7;
    optional string secretKey = 8;
    optional int32 fileLength = 9;
    optional string action = 10;
    repeated KeyValue params = 11;
    optional int32 duration = 12;
    optional Size size = 13;
    optional string thumbnailRemotePath = 14;
    optional string thumbnailSecretKey = 15;
    optional string thumbnailDisplayName = 16;
    optional int32 thumbnailFileLength = 17;
    optional Size thumbnailSize = 18;
    optional string customEvent = 19;
    repeated KeyValue customExts = 20;
    optional string buildingName = 21;
    optional uint32 subType = 22;
    enum Type {
      TEXT = 0;
      IMAGE = 1;
      VIDEO = 2;
      LOCATION = 3;
      VOICE = 4;
      FILE = 5;
      COMMAND = 6;
      CUSTOM = 7;
      COMBINE = 8;
    }
    message Size {
      optional double width = 1;
      optional double height = 2;
    }
  }
  enum Type {
    NORMAL = 0;
    CHAT = 1;
    GROUPCHAT = 2;
    CHATROOM = 3;
    READ_ACK = 4;
    DELIVER_ACK = 5;
    RECALL = 6;
    CHANNEL_ACK = 7;
    EDIT = 8;
  }
  enum EditScope {
    BODY = 1;
    BODY_AND_EXT = 2;
  }
  message MessageConfig {
    optional bool allowGroupAck = 1;
  }
}

message MUCBody {
  optional JID mucId = 1;
  optional Operation operation = 2;
  optional JID from = 3;
  repeated JID to = 4;
  optional string reason = 6;
  optional bool isChatroom = 7;
  optional Status status = 8;
  optional string mucName = 11;
  optional EventInfo eventInfo = 12;
  optional int32 mucMemberCount = 13;
  optional string ext = 14;
  optional bool leaveOtherRooms = 15;
  repeated string members = 16;
  enum Operation {
    CREATE = 0;
    DESTROY = 1;
    JOIN = 2;
    LEAVE = 3;
    APPLY = 4;
    APPLY_ACCEPT = 5;
    APPLY_DECLINE = 6;
    INVITE = 7;
    INVITE_ACCEPT = 8;
    INVITE_DECLINE = 9;
    KICK = 10;
    GET_BLACKLIST = 11;
    BAN = 12;
    ALLOW = 13;
    UPDATE = 14;
    BLOCK = 15;
    UNBLOCK = 16;
    PRESENCE = 17;
    ABSENCE = 18;
    DIRECT_JOINED = 19;
    ASSIGN_OWNER = 20;
    ADD_ADMIN = 21;
    REMOVE_ADMIN = 22;
    ADD_MUTE = 23;
    REMOVE_MUTE = 24;
    UPDATE_ANNOUNCEMENT = 25;
    DELETE_ANNOUNCEMENT = 26;
    UPLOAD_FILE = 27;
    DELETE_FILE = 28;
    ADD_USER_WHITE_LIST = 29;
    REMOVE_USER_WHITE_LIST = 30;
    BAN_GROUP = 31;
    REMOVE_BAN_GROUP = 32;
    DISABLE_GROUP = 41;
    ABLE_GROUP = 42;
  }
  message EventInfo {
    optional uint32 eventType = 1;
    optional string ext = 2;
  }
  message Status {
    optional ErrorCode errorCode = 1;
    optional string description = 2;
    optional string chatroomInfo = 3;
    enum ErrorCode {
      OK = 0;
      PERMISSION_DENIED = 1;
      WRONG_PARAMETER = 2;
      MUC_NOT_EXIST = 3;
      USER_NOT_EXIST = 4;
      UNKNOWN = 5;
    }
  }
}

message StatisticsBody {
  optional Operation operation = 1;
  optional string reason = 10;
  enum Operation {
    INFORMATION = 0;
    USER_REMOVED = 1;
    USER_LOGIN_ANOTHER_DEVICE = 2;
    USER_KICKED_BY_CHANGE_PASSWORD = 3;
    USER_KICKED_BY_OTHER_DEVICE = 4;
  }
}
`;

const root = protobuf.parse(MSYNC_PROTO, { keepCase: true }).root;
const type = (name: string): protobuf.Type => root.lookupType(`easemob.pb.${name}`);

/** The protobuf message types qunliao encodes and decodes. */
export const pb = {
  MSync: type('MSync'),
  Status: type('Status'),
  Provision: type('Provision'),
  Logout: type('Logout'),
  Meta: type('Meta'),
  CommSyncUL: type('CommSyncUL'),
  CommSyncDL: type('CommSyncDL'),
  CommNotice: type('CommNotice'),
  CommUnreadDL: type('CommUnreadDL'),
  MessageBody: type('MessageBody'),
  MUCBody: type('MUCBody'),
  StatisticsBody: type('StatisticsBody'),
  KeyValue: type('KeyValue'),
};

/** Enum values used by the codec (numbers as on the wire). */
export const Command = { SYNC: 0, UNREAD: 1, NOTICE: 2, PROVISION: 3, LOGOUT: 4 } as const;
export const ErrorCode = {
  OK: 0,
  FAIL: 1,
  UNAUTHORIZED: 2,
  WRONG_PARAMETER: 4,
  PERMISSION_DENIED: 7,
  UNKNOWN_COMMAND: 9,
  PB_PARSER_ERROR: 10,
  IM_FORBIDDEN: 12,
  USER_MUTED: 15,
} as const;
export const NameSpace = { STATISTIC: 0, CHAT: 1, MUC: 2, ROSTER: 3, CONFERENCE: 4, NOTIFY: 5 } as const;
export const BodyType = { NORMAL: 0, CHAT: 1, GROUPCHAT: 2, CHATROOM: 3, READ_ACK: 4, DELIVER_ACK: 5, RECALL: 6, CHANNEL_ACK: 7, EDIT: 8 } as const;
export const EditScope = { BODY: 1, BODY_AND_EXT: 2 } as const;
export const ContentType = { TEXT: 0, IMAGE: 1, VIDEO: 2, LOCATION: 3, VOICE: 4, FILE: 5, COMMAND: 6, CUSTOM: 7, COMBINE: 8 } as const;
export const ValueType = { BOOL: 1, INT: 2, UINT: 3, LLINT: 4, FLOAT: 5, DOUBLE: 6, STRING: 7, JSON_STRING: 8 } as const;
export const MucOperation = {
  CREATE: 0,
  DESTROY: 1,
  JOIN: 2,
  LEAVE: 3,
  APPLY: 4,
  APPLY_ACCEPT: 5,
  APPLY_DECLINE: 6,
  INVITE: 7,
  INVITE_ACCEPT: 8,
  INVITE_DECLINE: 9,
  KICK: 10,
  ALLOW: 13,
  UPDATE: 14,
  BLOCK: 15,
  UNBLOCK: 16,
  PRESENCE: 17,
  ABSENCE: 18,
  DIRECT_JOINED: 19,
  ASSIGN_OWNER: 20,
  ADD_ADMIN: 21,
  REMOVE_ADMIN: 22,
  ADD_MUTE: 23,
  REMOVE_MUTE: 24,
  UPDATE_ANNOUNCEMENT: 25,
  DELETE_ANNOUNCEMENT: 26,
  UPLOAD_FILE: 27,
  DELETE_FILE: 28,
  ADD_USER_WHITE_LIST: 29,
  REMOVE_USER_WHITE_LIST: 30,
  BAN_GROUP: 31,
  REMOVE_BAN_GROUP: 32,
  DISABLE_GROUP: 41,
  ABLE_GROUP: 42,
} as const;
export const StatisticsOperation = {
  INFORMATION: 0,
  USER_REMOVED: 1,
  USER_LOGIN_ANOTHER_DEVICE: 2,
  USER_KICKED_BY_CHANGE_PASSWORD: 3,
  USER_KICKED_BY_OTHER_DEVICE: 4,
} as const;

export const DOMAIN = 'easemob.com';
export const CONFERENCE_DOMAIN = 'conference.easemob.com';
