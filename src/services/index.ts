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
import type { BlobStore } from '../blobs/index.js';

export interface Services {
  apps: AppsService;
  tokens: TokensService;
  grants: TokenGrantService;
  users: UsersService;
  groups: GroupsService;
  groupFiles: GroupFilesService;
  threads: ThreadsService;
}

export function createServices(config: Config, store: Store, blobs: BlobStore): Services {
  const hasher = new SecretHasher(config.scryptCost);
  const apps = new AppsService(store.apps, hasher);
  const tokens = new TokensService(store.users);
  const users = new UsersService(store.users, hasher, config.limits, blobs);
  const grants = new TokenGrantService(apps, users, tokens, config.defaultTokenTtl);
  const groups = new GroupsService(store.groups, store.users, config.limits, blobs);
  const groupFiles = new GroupFilesService(groups, store.groups, store.groupFiles, blobs, config.limits);
  const threads = new ThreadsService(store.threads, store.groups, groups, config.limits);
  return { apps, tokens, grants, users, groups, groupFiles, threads };
}
