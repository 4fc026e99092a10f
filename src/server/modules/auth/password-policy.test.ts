import { describe, expect, it } from 'vitest';
import { ROLES } from '../../actor.js';
import { requiresTotp, ROLES_REQUIRING_TOTP } from './mfa.js';
import { checkNewPassword, commonPasswords, passwordCore } from './password-policy.js';

const who = { email: 'sam.okafor-reed@council.example.test', name: 'Sam Okafor-Reed' };

describe('new password rules', () => {
  it('ships a list of common passwords of a few thousand entries, lower-case, one a line', () => {
    const list = commonPasswords();
    expect(list.size).toBeGreaterThan(3000);
    for (const p of ['password', '123456789012', 'qwertyuiop', 'iloveyou', 'arsenal', 'liverpool', 'blackdragon', 'monkeymonkey']) expect(list.has(p)).toBe(true);
  });

  it('refuses fewer than 12 characters, counting characters not bytes', () => {
    expect(checkNewPassword('short one', who)).toEqual(['Your new password must be 12 characters or more']);
    expect(checkNewPassword('ééééé ééééé', who)[0]).toMatch(/12 characters or more/);
    expect(checkNewPassword('x'.repeat(257), who)).toEqual(['Your new password must be 256 characters or fewer']);
  });

  it('refuses common passwords and small changes to them', () => {
    for (const p of ['passwordpassword', 'Password1234!', 'P@55w0rd2024!', 'Liverpool1999!!', '123456789012', 'qwertyuiop123', 'Summer2025!!!', 'ILoveYou12345', 'aaaaaaaaaaaaaa', 'abcabcabcabcabc', '121212121212', 'Black Dragon 2024']) {
      expect(checkNewPassword(p, who), p).toEqual([expect.stringMatching(/too easy to guess/)]);
    }
  });

  it('refuses the service name, the person\'s name and their email address', () => {
    for (const p of ['MyJigsawLogin2026', 'sam.okafor-reed@council.example.test!', 'okafor-lamp-violet-river', 'tree-reed-river-lamp-violet']) {
      expect(checkNewPassword(p, who), p).toEqual([expect.stringMatching(/must not contain/)]);
    }
  });

  it('accepts long passphrases that are none of these', () => {
    for (const p of ['violet lamp under the river', 'correct-horse-battery-staple', 'Kettle!Orbit7Meadow', 'tangerine quarry whistle']) {
      expect(checkNewPassword(p, who), p).toEqual([]);
    }
  });

  it('finds the word inside decorated passwords', () => {
    expect(passwordCore('!!4rs3n4l2024')).toContain('arsenal');
    expect(passwordCore('Manchester United 99')).toContain('manchesterunited');
  });
});

describe('who must use a second factor', () => {
  it('is the oversight roles and every user of a police organisation', () => {
    expect([...ROLES_REQUIRING_TOTP].sort()).toEqual(['data_protection_officer', 'partnership_admin', 'team_manager']);
    for (const role of ROLES) {
      expect(requiresTotp({ roles: [role], organisationKind: 'police' }), role).toBe(true);
      expect(requiresTotp({ roles: [role], organisationKind: 'school' }), role).toBe(ROLES_REQUIRING_TOTP.includes(role));
    }
    expect(requiresTotp({ roles: ['practitioner', 'team_manager'], organisationKind: 'gp' })).toBe(true);
  });
});
