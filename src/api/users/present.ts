// Wire shapes of /users answers (REFERENCE §2b): the user entity as the hosted service shows it.
import type { UserRecord } from '../../services/users.js';

export interface UserEntity {
  uuid: string;
  type: 'user';
  created: number;
  modified: number;
  username: string;
  activated: boolean;
  nickname?: string;
}

export function userEntity(u: UserRecord): UserEntity {
  const entity: UserEntity = { uuid: u.uuid, type: 'user', created: u.created, modified: u.modified, username: u.username, activated: u.activated };
  if (u.nickname !== null) entity.nickname = u.nickname;
  return entity;
}
