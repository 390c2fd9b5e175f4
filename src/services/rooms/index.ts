// One room model for groups and chatrooms: each kind is a Room built from its profile; the parts
// both kinds share live in this folder, and groups.ts / chatrooms.ts keep only what differs.
import type { BlobStore } from '../../blobs/index.js';
import type { Limits } from '../../config.js';
import type { GroupsRepository } from '../../store/groups.js';
import type { ModerationRepository } from '../../store/moderation.js';
import type { UsersRepository } from '../../store/users.js';
import type { EventsService } from '../events.js';
import { RoomAdmins } from './admins.js';
import { RoomAnnouncement } from './announcement.js';
import { RoomCore } from './core.js';
import { RoomCreation } from './creation.js';
import { RoomDetails } from './details.js';
import { RoomMembers } from './members.js';
import { RoomOwnership } from './ownership.js';
import type { RoomProfile } from './profile.js';

export interface Room {
  profile: RoomProfile;
  core: RoomCore;
  creation: RoomCreation;
  members: RoomMembers;
  admins: RoomAdmins;
  ownership: RoomOwnership;
  details: RoomDetails;
  announcement: RoomAnnouncement;
}

export interface RoomStores {
  rows: GroupsRepository;
  users: UsersRepository;
  lists: ModerationRepository;
  blobs: BlobStore;
  events: EventsService;
}

export function buildRoom(profile: RoomProfile, stores: RoomStores, limits: Limits): Room {
  const core = new RoomCore(profile, stores.rows, stores.users, stores.blobs, stores.events);
  return {
    profile,
    core,
    creation: new RoomCreation(core),
    members: new RoomMembers(core, stores.lists, limits),
    admins: new RoomAdmins(core, limits.groupAdmins),
    ownership: new RoomOwnership(core),
    details: new RoomDetails(core, limits),
    announcement: new RoomAnnouncement(core),
  };
}
