// Wires the services over a store. Nothing here knows about HTTP.
import type { Config } from '../config.js';
import type { Store } from '../store/index.js';
import { AppsService } from './apps.js';
import { SecretHasher } from './secrets.js';
import { TokenGrantService } from './token-grants.js';
import { TokensService } from './tokens.js';
import { UsersService } from './users.js';
import { GroupsService } from './groups.js';
import { GroupFilesService } from './group-files.js';
import { ThreadsService } from './threads.js';
import { ChatroomsService } from './chatrooms.js';
import { ModerationService } from './moderation.js';
import { MessagesService } from './messages.js';
import type { Fanout } from '../coord/fanout.js';
import { SessionsService } from './sessions/index.js';
import { ChatroomPresenceService } from './chatroom-presence.js';
import { EventsService } from './events.js';
import type { BlobStore } from '../blobs/index.js';

export interface Services {
  apps: AppsService;
  tokens: TokensService;
  grants: TokenGrantService;
  users: UsersService;
  groups: GroupsService;
  groupFiles: GroupFilesService;
  threads: ThreadsService;
  chatrooms: ChatroomsService;
  groupModeration: ModerationService;
  chatroomModeration: ModerationService;
  messages: MessagesService;
  sessions: SessionsService;
  chatroomPresence: ChatroomPresenceService;
  events: EventsService;
  fanout: Fanout;
}

/** Where services report failures that no caller sees (background work); the server's logger. */
export type ErrorReporter = (err: unknown, what: string) => void;

export function createServices(config: Config, store: Store, blobs: BlobStore, fanout: Fanout, reportError: ErrorReporter = () => undefined): Services {
  const hasher = new SecretHasher(config.scryptCost);
  const apps = new AppsService(store.apps, hasher);
  const tokens = new TokensService(store.users);
  const users = new UsersService(store.users, hasher, config.limits, blobs, fanout);
  const grants = new TokenGrantService(apps, users, tokens, config.defaultTokenTtl);
  const groups = new GroupsService(store.groups, store.users, store.moderation, config.limits, blobs);
  // Chatroom membership follows the group rules with the chatroom caps.
  const chatroomMembers = new GroupsService(
    store.chatrooms,
    store.users,
    store.moderation,
    { ...config.limits, groupsPerUser: config.limits.chatroomsPerUser, groupsPerApp: config.limits.chatroomsPerApp, groupMaxUsers: config.limits.chatroomMaxUsers },
    blobs,
  );
  const chatrooms = new ChatroomsService(store.chatrooms, chatroomMembers, config.limits);
  const groupModeration = new ModerationService('group', groups, store.groups, store.moderation, config.limits);
  const chatroomModeration = new ModerationService('chatroom', chatroomMembers, store.chatrooms, store.moderation, config.limits);
  const groupFiles = new GroupFilesService(groups, store.groups, store.groupFiles, blobs, config.limits);
  const threads = new ThreadsService(store.threads, store.groups, groups, config.limits);
  const messages = new MessagesService(
    store.conversations,
    store.users,
    { group: { rows: store.groups, moderation: groupModeration }, chatroom: { rows: store.chatrooms, moderation: chatroomModeration } },
    fanout,
  );
  const sessions = new SessionsService(store.conversations, { group: store.groups, chatroom: store.chatrooms }, fanout, reportError);
  const events = new EventsService(store.conversations, { group: store.groups, chatroom: store.chatrooms }, fanout, reportError);
  const chatroomPresence = new ChatroomPresenceService(chatroomMembers, store.chatrooms, store.moderation, events);
  return { apps, tokens, grants, users, groups, groupFiles, threads, chatrooms, groupModeration, chatroomModeration, messages, sessions, chatroomPresence, events, fanout };
}
