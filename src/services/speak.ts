// "May this user speak here now, and if not, why" — the one place that decides, for groups and
// chatrooms alike (REFERENCE §2c "Allowlist", seed 003). Client sends go through it; REST sends are
// admin operations and only check the disabled group.

export type Role = 'owner' | 'admin' | 'member' | 'none';

export interface SpeakFacts {
  role: Role;
  /** On the room's blocklist. */
  blocked: boolean;
  /** On the individual mute list with a mute that has not expired. */
  muted: boolean;
  allowlisted: boolean;
  muteAll: boolean;
  disabled: boolean;
}

export type SpeakRefusal = 'disabled' | 'blocked' | 'not_member' | 'muted' | 'mute_all';

export type SpeakDecision = { allowed: true } | { allowed: false; reason: SpeakRefusal };

/**
 * In order: a disabled group silences everyone; a blocked user and a non-member cannot speak; an
 * individual mute silences even an allowlisted member (the mute list wins) — the owner cannot be
 * muted, so an owner always passes it; during mute-all only the owner, admins and allowlisted
 * members may speak.
 */
export function decideSpeak(f: SpeakFacts): SpeakDecision {
  if (f.disabled) return { allowed: false, reason: 'disabled' };
  if (f.blocked) return { allowed: false, reason: 'blocked' };
  if (f.role === 'none') return { allowed: false, reason: 'not_member' };
  if (f.muted && f.role !== 'owner') return { allowed: false, reason: 'muted' };
  if (f.muteAll && f.role === 'member' && !f.allowlisted) return { allowed: false, reason: 'mute_all' };
  return { allowed: true };
}
