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
import { OfflineService } from './offline.js';
import { HistoryService } from './history.js';
import { MessageLifecycleService } from './message-lifecycle.js';
import { RoamingService } from './roaming.js';
import { AccessService } from './access.js';
import { GroupRequestsService } from './group-requests.js';
import { SuperAdminsService } from './super-admins.js';
import { buildRoom } from './rooms/index.js';
import { chatroomProfile, groupProfile } from './rooms/profile.js';
import type { Fanout } from '../coord/fanout.js';
import { SessionsService } from './sessions/index.js';
import { ChatroomPresenceService } from './chatroom-presence.js';
import { EventsService } from './events.js';
import type { BlobStore } from '../blobs/index.js';
import path from 'node:path';
import { ChatfilesService } from './chatfiles.js';
import { ChatfilePartsService } from './chatfile-parts.js';
import { Thumbnailer } from './thumbnails.js';
import { BlobSweep } from './blob-sweep.js';

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
  offline: OfflineService;
  history: HistoryService;
  messageLifecycle: MessageLifecycleService;
  roaming: RoamingService;
  sessions: SessionsService;
  chatroomPresence: ChatroomPresenceService;
  events: EventsService;
  fanout: Fanout;
  access: AccessService;
  groupRequests: GroupRequestsService;
  superAdmins: SuperAdminsService;
  chatfiles: ChatfilesService;
  chatfileParts: ChatfilePartsService;
  blobSweep: BlobSweep;
}

/** Where services report failures that no caller sees (background work); the server's logger. */
export type ErrorReporter = (err: unknown, what: string) => void;

export function createServices(config: Config, store: Store, blobs: BlobStore, fanout: Fanout, reportError: ErrorReporter = () => undefined): Services {
  const hasher = new SecretHasher(config.scryptCost);
  const apps = new AppsService(store.apps, hasher);
  const tokens = new TokensService(store.users);
  const users = new UsersService(store.users, hasher, config.limits, blobs, fanout);
  const grants = new TokenGrantService(apps, users, tokens, config.defaultTokenTtl);
  const events = new EventsService(store.conversations, { group: store.groups, chatroom: store.chatrooms }, fanout, reportError);
  const roomStores = { users: store.users, lists: store.moderation, blobs, events };
  const groupRoom = buildRoom(groupProfile(config.limits), { ...roomStores, rows: store.groups }, config.limits);
  const chatroomRoom = buildRoom(chatroomProfile(config.limits), { ...roomStores, rows: store.chatrooms }, config.limits);
  const groups = new GroupsService(groupRoom);
  const chatrooms = new ChatroomsService(chatroomRoom);
  const groupModeration = new ModerationService(groupRoom, store.moderation, config.limits);
  const chatroomModeration = new ModerationService(chatroomRoom, store.moderation, config.limits);
  const groupFiles = new GroupFilesService(groupRoom.core, store.groups, store.groupFiles, blobs, config.limits);
  const threads = new ThreadsService(store.threads, groupRoom.core, config.limits);
  const messages = new MessagesService(
    store.conversations,
    store.users,
    { group: { rows: store.groups, moderation: groupModeration }, chatroom: { rows: store.chatrooms, moderation: chatroomModeration } },
    fanout,
    Date.now,
    reportError,
  );
  const offline = new OfflineService(store.offline, store.users);
  const history = new HistoryService(store.history);
  const messageLifecycle = new MessageLifecycleService(
    store.messageLifecycle,
    store.conversations,
    store.users,
    { group: store.groups, chatroom: store.chatrooms },
    fanout,
    config.recallSeconds * 1000,
  );
  const roaming = new RoamingService(store.roaming, { group: store.groups, chatroom: store.chatrooms });
  const sessions = new SessionsService(store.conversations, { group: store.groups, chatroom: store.chatrooms }, fanout, reportError, Date.now, store.users);
  const chatroomPresence = new ChatroomPresenceService(chatroomRoom, store.moderation, events);
  const access = new AccessService(store.groups, store.chatrooms, store.threads, store.superAdmins);
  const groupRequests = new GroupRequestsService(groupRoom, store.groupRequests);
  const superAdmins = new SuperAdminsService(store.superAdmins, store.users);
  const thumbnailer = new Thumbnailer(path.join(config.dataDir, 'thumbnails-tmp'));
  const chatfiles = new ChatfilesService(store.chatfiles, blobs, thumbnailer, config.limits, config.attachmentTtl);
  const chatfileParts = new ChatfilePartsService(store.chatfiles, blobs, chatfiles);
  // Every owner of blobs is asked before one is removed (blob-sweep.ts).
  const blobSweep = new BlobSweep(blobs, [store.groupFiles, store.chatfiles], [
    () => chatfiles.removeExpired(),
    () => chatfileParts.removeStale(),
    () => thumbnailer.removeStaleCopies(Date.now() - 10 * 60 * 1000),
  ]);
  return {
    apps,
    tokens,
    grants,
    users,
    groups,
    groupFiles,
    threads,
    chatrooms,
    groupModeration,
    chatroomModeration,
    messages,
    offline,
    history,
    messageLifecycle,
    roaming,
    sessions,
    chatroomPresence,
    events,
    fanout,
    access,
    groupRequests,
    superAdmins,
    chatfiles,
    chatfileParts,
    blobSweep,
  };
}
