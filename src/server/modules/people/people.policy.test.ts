import { describe, expect, it } from 'vitest';
import { involve, makeOrg, makePerson, makeTeam, makeUser, TEST_ENGINE, useTestDb } from '../../../../test/helpers.js';
import type { Actor, Role } from '../../actor.js';
import type { PersonAction } from '../../actions.js';
import { authorizePerson, visiblePersonIds } from './people.policy.js';

type Relationship = 'own_active' | 'team_active' | 'own_ended' | 'own_future' | 'other_team' | 'managed_worker' | 'org_involved' | 'break_glass' | 'break_glass_expired' | 'none';

describe(`person policy on ${TEST_ENGINE}: role × relationship × action`, () => {
  const t = useTestDb();

  const ROLES: Role[] = ['practitioner', 'team_manager', 'designated_safeguarding_lead', 'panel_coordinator', 'analyst', 'data_protection_officer', 'partnership_admin'];
  const RELATIONSHIPS: Relationship[] = ['own_active', 'team_active', 'own_ended', 'own_future', 'other_team', 'managed_worker', 'org_involved', 'break_glass', 'break_glass_expired', 'none'];
  const ACTIONS: PersonAction[] = ['person.read', 'chronology.read', 'event.record', 'event.correct'];
  const CASE_ROLES = new Set<Role>(['practitioner', 'team_manager', 'designated_safeguarding_lead', 'panel_coordinator']);
  const expected = (role: Role, rel: Relationship) =>
    CASE_ROLES.has(role) &&
    (rel === 'own_active' || rel === 'team_active' || rel === 'break_glass' ||
      (rel === 'managed_worker' && role === 'team_manager') ||
      // A DSL sees every child their organisation is actively involved with, whichever team holds them.
      (role === 'designated_safeguarding_lead' && ['other_team', 'managed_worker', 'org_involved'].includes(rel)));

  it('allows exactly case-holding roles with an active own or team involvement; the list filter agrees with every per-record decision', async () => {
    const org = await makeOrg(t.db);
    const team = await makeTeam(t.db, org.id);
    const otherTeam = await makeTeam(t.db, org.id);
    const colleague = await makeUser(t.db, { organisationId: org.id, teamId: otherTeam.id });
    for (const role of ROLES) {
      const user = await makeUser(t.db, { organisationId: org.id, teamId: team.id, roles: [role] });
      const teammate = await makeUser(t.db, { organisationId: org.id, teamId: team.id });
      const people: Record<Relationship, string> = {} as Record<Relationship, string>;
      for (const rel of RELATIONSHIPS) {
        const p = await makePerson(t.db);
        people[rel] = p.id;
        if (rel === 'own_active') await involve(t.db, { personId: p.id, organisationId: org.id, userId: user.id });
        if (rel === 'team_active') await involve(t.db, { personId: p.id, organisationId: org.id, userId: teammate.id, teamId: team.id });
        if (rel === 'own_ended') await involve(t.db, { personId: p.id, organisationId: org.id, userId: user.id, endedOn: '2024-12-31' });
        if (rel === 'own_future') {
          await t.db.insertInto('involvement').values({ person_id: p.id, organisation_id: org.id, user_id: user.id, role: 'key_worker', started_on: '2999-01-01' }).execute();
        }
        if (rel === 'other_team') await involve(t.db, { personId: p.id, organisationId: org.id, userId: colleague.id, teamId: otherTeam.id });
        // A practitioner in the user's team holds the case personally (no team on the involvement).
        if (rel === 'managed_worker') await involve(t.db, { personId: p.id, organisationId: org.id, userId: teammate.id });
        // The user's organisation (a school, say) is involved through someone in another team.
        if (rel === 'org_involved') await involve(t.db, { personId: p.id, organisationId: org.id, userId: colleague.id });
        if (rel === 'break_glass' || rel === 'break_glass_expired') {
          const expires = rel === 'break_glass' ? new Date(Date.now() + 3_600_000) : new Date(Date.now() - 60_000);
          await t.db.insertInto('break_glass').values({ user_id: user.id, person_id: p.id, reason: 'Child reported at immediate risk by the police', started_at: new Date(Date.now() - 7_200_000), expires_at: expires }).execute();
        }
      }
      const actor: Actor = { kind: 'user', userId: user.id, name: 'x', email: user.email, organisationId: org.id, organisationName: 'x', teamId: team.id, roles: [role], partnershipId: '00000000-0000-4000-8000-000000000000' };
      const listed = new Set((await visiblePersonIds(t.db, actor).execute()).map((r) => r.person_id));
      for (const rel of RELATIONSHIPS) {
        for (const action of ACTIONS) {
          const allowed = await authorizePerson(t.db, actor, action, people[rel]);
          expect(allowed, `${role} / ${rel} / ${action}`).toBe(expected(role, rel));
          expect(listed.has(people[rel]), `list filter agrees for ${role} / ${rel}`).toBe(allowed);
        }
      }
    }
  });

  it('treats malformed and unknown ids as not found', async () => {
    const org = await makeOrg(t.db);
    const user = await makeUser(t.db, { organisationId: org.id });
    const actor: Actor = { kind: 'user', userId: user.id, name: 'x', email: user.email, organisationId: org.id, organisationName: 'x', teamId: null, roles: ['practitioner'], partnershipId: '00000000-0000-4000-8000-000000000000' };
    for (const id of ['', 'not-a-uuid', "' OR 1=1 --", '00000000-0000-4000-8000-000000000000']) {
      expect(await authorizePerson(t.db, actor, 'person.read', id)).toBe(false);
    }
  });

  it('lets an organisation\'s system see only people the organisation is actively involved with', async () => {
    const org = await makeOrg(t.db, 'school');
    const other = await makeOrg(t.db, 'school');
    const mine = await makePerson(t.db);
    const theirs = await makePerson(t.db);
    await involve(t.db, { personId: mine.id, organisationId: org.id });
    await involve(t.db, { personId: theirs.id, organisationId: other.id });
    const system: Actor = { kind: 'system', apiKeyId: '00000000-0000-4000-8000-000000000001', organisationId: org.id, organisationName: 'x' };
    expect(await authorizePerson(t.db, system, 'chronology.read', mine.id)).toBe(true);
    expect(await authorizePerson(t.db, system, 'chronology.read', theirs.id)).toBe(false);
  });
});
