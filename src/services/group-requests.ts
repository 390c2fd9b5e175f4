// Joining and leaving groups from clients (group_manage.md / the client docs: "加入群组",
// "退出群组", "邀请用户入群", and the approvals): applications to public groups (direct, or waiting
// for the owner or an admin when the group is members-only), invitations (direct, or waiting for
// the invitee when `invite_need_confirm`), and leaving.
import type { GroupRequestsRepository } from '../store/group-requests.js';
import type { GroupRow } from '../store/groups.js';
import type { App } from './apps.js';
import { fail } from './errors.js';
import { objectBody, stringArray } from './fields.js';
import type { Room } from './rooms/index.js';
import type { Principal } from './tokens.js';
import { username, usernames } from './usernames.js';

const REASON_MAX = 512;

/** One invitee of an invitation: added, invited (waiting for their answer), or why neither. */
export interface InviteOutcome {
  user: string;
  outcome: 'added' | 'invited' | 'already_member' | 'blocked' | 'no_such_user';
}

/** What an application did: the applicant joined, or waits for the owner or an admin. */
export type ApplyOutcome = 'joined' | 'requested';

function reasonOf(raw: unknown): string {
  return typeof raw === 'string' ? [...raw].slice(0, REASON_MAX).join('') : '';
}

function flag(raw: unknown): boolean | undefined {
  if (raw === true || raw === 'true') return true;
  if (raw === false || raw === 'false') return false;
  return undefined;
}

export class GroupRequestsService {
  constructor(
    private readonly room: Room,
    private readonly requests: GroupRequestsRepository,
    private readonly now: () => number = Date.now,
  ) {}

  private actorName(actor: Principal): string {
    if (actor.kind !== 'user') return fail('groupFieldRequired', { field: 'username' });
    return actor.user.username;
  }

  /** DELETE /chatgroups/{id}/quit — the caller leaves; the owner cannot (they transfer or dissolve). */
  async quit(app: App, id: string, actor: Principal): Promise<void> {
    const name = this.actorName(actor);
    const group = await this.room.core.getManageable(app, id);
    if (name === group.owner) fail('groupOwnerForbidden');
    const removed = await this.room.core.write(id, () => this.room.core.rows.removeMembers(id, [name], this.now()));
    if (removed.length === 0) fail('groupUserNotInGroup', { username: name, id });
    await this.room.core.announce(app, id, actor, { op: 'member_left' });
  }

  /** POST /chatgroups/{id}/apply {"message"} — public groups only; members-only ones wait for approval. */
  async apply(app: App, id: string, actor: Principal, body: unknown): Promise<{ user: string; outcome: ApplyOutcome }> {
    const name = this.actorName(actor);
    const f = body === undefined ? {} : objectBody(body, 'groupBodyNotObject');
    const group = await this.room.core.getManageable(app, id);
    if (group.public !== 1) fail('groupNotPublic', { id });
    if (await this.room.core.rows.member(id, name)) fail('groupAlreadyMember', { username: name, id });
    if (group.membersonly === 1) {
      await this.room.members.refuseBlocked(id, [name]);
      await this.room.core.write(id, () =>
        this.requests.put({ group_id: id, app_uuid: app.uuid, username: name, kind: 'apply', inviter: null, reason: reasonOf(f.message), created: this.now() }),
      );
      await this.room.core.announce(app, id, actor, { op: 'join_requested', reason: reasonOf(f.message) });
      return { user: name, outcome: 'requested' };
    }
    await this.room.members.join(app, group, [name]);
    await this.room.core.announce(app, id, actor, { op: 'member_joined' });
    return { user: name, outcome: 'joined' };
  }

  /** POST /chatgroups/{id}/apply_verify {"applicant", "verifyResult", "reason"} — by the owner or an admin. */
  async verifyApplication(app: App, id: string, actor: Principal, body: unknown): Promise<{ user: string; accepted: boolean }> {
    const f = objectBody(body, 'groupBodyNotObject');
    if (typeof f.applicant !== 'string' || f.applicant === '') fail('groupFieldRequired', { field: 'applicant' });
    const accepted = flag(f.verifyResult);
    if (accepted === undefined) fail('groupFieldRequired', { field: 'verifyResult' });
    const applicant = username(f.applicant);
    const group = await this.room.core.getManageable(app, id);
    if (!(await this.requests.find(id, applicant, 'apply'))) fail('groupRequestNotFound', { username: applicant, kind: 'application', id });
    if (accepted) await this.room.members.join(app, group, [applicant]);
    await this.requests.take(id, applicant, 'apply');
    const reason = reasonOf(f.reason);
    await this.room.core.announce(app, id, actor, { op: 'request_answered', to: applicant, accepted, ...(reason ? { reason } : {}) });
    return { user: applicant, accepted };
  }

  /**
   * POST /chatgroups/{id}/invite {"usernames": [...]} — by the owner or an admin, or by a member of
   * a private group that allows invites. Invitees join at once unless the group wants them to confirm.
   */
  async invite(app: App, id: string, actor: Principal, body: unknown): Promise<InviteOutcome[]> {
    const f = objectBody(body, 'groupBodyNotObject');
    const names = usernames(stringArray(f.usernames, 'groupFieldRequired', { field: 'usernames' }));
    if (names.length === 0) fail('groupFieldRequired', { field: 'usernames' });
    const group = await this.room.core.getManageable(app, id);
    await this.requireMayInvite(group, actor);
    const existing = new Set((await this.room.core.rows.membersOf(id, names)).map((m) => m.username));
    const blocked = await this.room.members.blockedAmong(id, names);
    const users = new Set(await this.room.core.existingUsers(app, names));
    const outcomes = names.map((user): InviteOutcome => {
      if (!users.has(user)) return { user, outcome: 'no_such_user' };
      if (existing.has(user)) return { user, outcome: 'already_member' };
      if (blocked.has(user)) return { user, outcome: 'blocked' };
      return { user, outcome: group.invite_need_confirm === 1 ? 'invited' : 'added' };
    });
    const fresh = outcomes.filter((o) => o.outcome === 'invited' || o.outcome === 'added').map((o) => o.user);
    if (fresh.length === 0) return outcomes;
    if (group.invite_need_confirm === 1) {
      const inviter = actor.kind === 'user' ? actor.user.username : 'admin';
      const reason = reasonOf(f.reason);
      for (const user of fresh) {
        await this.room.core.write(id, () => this.requests.put({ group_id: id, app_uuid: app.uuid, username: user, kind: 'invite', inviter, reason, created: this.now() }));
      }
      await this.room.core.announce(app, id, actor, { op: 'invited', to: fresh, reason });
    } else {
      const added = await this.room.members.join(app, group, fresh);
      await this.room.core.announce(app, id, actor, { op: 'members_added', to: added });
    }
    return outcomes;
  }

  private async requireMayInvite(group: GroupRow, actor: Principal): Promise<void> {
    const standing = await this.room.core.standing(group, actor);
    if (standing === 'app' || standing === 'owner' || standing === 'admin') return;
    // Members of a private group may invite when it allows invites.
    if (standing === 'member' && group.public !== 1 && group.allowinvites === 1) return;
    fail('groupInviteForbidden', { username: actor.kind === 'user' ? actor.user.username : 'admin', id: group.id });
  }

  /** POST /chatgroups/{id}/invite_verify {"invitee", "verifyResult"} — by the invitee. Answers who invited them. */
  async answerInvitation(app: App, id: string, actor: Principal, body: unknown): Promise<{ user: string; accepted: boolean; inviter: string }> {
    const f = objectBody(body, 'groupBodyNotObject');
    const accepted = flag(f.verifyResult);
    if (accepted === undefined) fail('groupFieldRequired', { field: 'verifyResult' });
    const invitee = typeof f.invitee === 'string' && f.invitee !== '' ? username(f.invitee) : actor.kind === 'user' ? actor.user.username : '';
    if (invitee === '') fail('groupFieldRequired', { field: 'invitee' });
    if (actor.kind === 'user' && invitee !== actor.user.username) fail('invitationNotYours', { username: actor.user.username });
    const group = await this.room.core.getManageable(app, id);
    const invitation = await this.requests.find(id, invitee, 'invite');
    if (!invitation) fail('groupRequestNotFound', { username: invitee, kind: 'invitation', id });
    if (accepted) await this.room.members.join(app, group, [invitee]);
    await this.requests.take(id, invitee, 'invite');
    const inviter = invitation.inviter ?? 'admin';
    await this.room.core.announce(app, id, actor.kind === 'user' ? actor : invitee, { op: 'invitation_answered', to: inviter, accepted });
    return { user: invitee, accepted, inviter: invitation.inviter ?? 'admin' };
  }
}
