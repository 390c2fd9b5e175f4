// The "may this user speak" decision over every combination the chatrooms-and-mutes issue names:
// {owner, admin, member, non-member} × {muted, expired mute, not muted} × {allowlisted or not} ×
// {mute-all on / off} × {group disabled or not}, plus blocked users. The expected column is
// written out from the rules, not computed by the function under test.
import { describe, expect, it } from 'vitest';
import { decideSpeak, type Role, type SpeakRefusal } from '../../src/services/speak.js';

type Mute = 'muted' | 'expired' | 'none';

const roles: Role[] = ['owner', 'admin', 'member', 'none'];
const mutes: Mute[] = ['muted', 'expired', 'none'];
const bools = [true, false];

/** The rules in the issue, in plain words, one by one. */
function expected(role: Role, mute: Mute, allowlisted: boolean, muteAll: boolean, disabled: boolean): true | SpeakRefusal {
  if (disabled) return 'disabled'; // a disabled group silences everyone
  if (role === 'none') return 'not_member'; // only members speak
  const activeMute = mute === 'muted'; // an expired mute no longer counts
  if (activeMute && role !== 'owner') return 'muted'; // the mute list wins, even over the allowlist
  const exempt = role === 'owner' || role === 'admin' || allowlisted; // may speak during mute-all
  if (muteAll && !exempt) return 'mute_all';
  return true;
}

const table = roles.flatMap((role) =>
  mutes.flatMap((mute) =>
    bools.flatMap((allowlisted) => bools.flatMap((muteAll) => bools.map((disabled) => ({ role, mute, allowlisted, muteAll, disabled })))),
  ),
);

describe('decideSpeak', () => {
  it('covers all 96 combinations', () => {
    expect(table).toHaveLength(4 * 3 * 2 * 2 * 2);
  });

  it.each(table)('$role, mute $mute, allowlisted $allowlisted, mute-all $muteAll, disabled $disabled', ({ role, mute, allowlisted, muteAll, disabled }) => {
    const decision = decideSpeak({ role, muted: mute === 'muted', allowlisted, muteAll, disabled, blocked: false });
    const want = expected(role, mute, allowlisted, muteAll, disabled);
    expect(decision).toEqual(want === true ? { allowed: true } : { allowed: false, reason: want });
  });

  it.each(roles)('a blocked user (%s) may never speak, unless the group is disabled first', (role) => {
    expect(decideSpeak({ role, muted: false, allowlisted: true, muteAll: false, disabled: false, blocked: true })).toEqual({ allowed: false, reason: 'blocked' });
    expect(decideSpeak({ role, muted: false, allowlisted: true, muteAll: false, disabled: true, blocked: true })).toEqual({ allowed: false, reason: 'disabled' });
  });

  it('spot checks the rules that are easy to get wrong', () => {
    // Mute list beats allowlist, with and without mute-all.
    expect(decideSpeak({ role: 'member', muted: true, allowlisted: true, muteAll: true, disabled: false, blocked: false })).toEqual({ allowed: false, reason: 'muted' });
    expect(decideSpeak({ role: 'member', muted: true, allowlisted: true, muteAll: false, disabled: false, blocked: false })).toEqual({ allowed: false, reason: 'muted' });
    // Allowlisted members, admins and the owner speak during mute-all.
    for (const role of ['owner', 'admin'] as Role[]) {
      expect(decideSpeak({ role, muted: false, allowlisted: false, muteAll: true, disabled: false, blocked: false })).toEqual({ allowed: true });
    }
    expect(decideSpeak({ role: 'member', muted: false, allowlisted: true, muteAll: true, disabled: false, blocked: false })).toEqual({ allowed: true });
    // An admin on the mute list is muted.
    expect(decideSpeak({ role: 'admin', muted: true, allowlisted: false, muteAll: false, disabled: false, blocked: false })).toEqual({ allowed: false, reason: 'muted' });
  });
});
