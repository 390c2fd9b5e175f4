// The store: one object holding every repository over one database connection.
import type { DatabaseConfig } from '../config.js';
import { openDatabase, type Db } from './db.js';
import type { ReadCache } from './read-cache.js';
import type { Dialect } from './migrations/dialect.js';
import { AppsRepository } from './apps.js';
import { UsersRepository } from './users.js';
import { GroupsRepository } from './groups.js';
import { GroupFilesRepository } from './group-files.js';
import { ThreadsRepository } from './threads.js';
import { ModerationRepository } from './moderation.js';
import { SuperAdminsRepository } from './super-admins.js';
import { GroupRequestsRepository } from './group-requests.js';
import { ChatfilesRepository } from './chatfiles.js';
import { ConversationsRepository } from './conversations.js';
import { OfflineRepository } from './offline.js';
import { HistoryRepository } from './history.js';
import { MessageLifecycleRepository } from './message-lifecycle.js';
import { RoamingRepository } from './roaming.js';

export interface Store {
  db: Db;
  dialect: Dialect;
  apps: AppsRepository;
  users: UsersRepository;
  groups: GroupsRepository;
  chatrooms: GroupsRepository;
  moderation: ModerationRepository;
  conversations: ConversationsRepository;
  groupFiles: GroupFilesRepository;
  threads: ThreadsRepository;
  superAdmins: SuperAdminsRepository;
  groupRequests: GroupRequestsRepository;
  chatfiles: ChatfilesRepository;
  offline: OfflineRepository;
  history: HistoryRepository;
  messageLifecycle: MessageLifecycleRepository;
  roaming: RoamingRepository;
  /** SQLite's kept read answers (read-cache.ts), when on. */
  readCache?: ReadCache;
  close(): Promise<void>;
}

export async function openStore(config: DatabaseConfig): Promise<Store> {
  const { db, dialect, readCache } = await openDatabase(config);
  return {
    db,
    dialect,
    readCache,
    apps: new AppsRepository(db),
    users: new UsersRepository(db, dialect),
    groups: new GroupsRepository(db, dialect, 'group'),
    chatrooms: new GroupsRepository(db, dialect, 'chatroom'),
    moderation: new ModerationRepository(db, dialect),
    conversations: new ConversationsRepository(db),
    groupFiles: new GroupFilesRepository(db, dialect),
    threads: new ThreadsRepository(db, dialect),
    superAdmins: new SuperAdminsRepository(db),
    groupRequests: new GroupRequestsRepository(db, dialect),
    chatfiles: new ChatfilesRepository(db, dialect),
    offline: new OfflineRepository(db),
    history: new HistoryRepository(db),
    messageLifecycle: new MessageLifecycleRepository(db),
    roaming: new RoamingRepository(db),
    close: () => db.destroy(),
  };
}
