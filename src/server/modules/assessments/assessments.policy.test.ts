import { describe, expect, it } from 'vitest';
import type { Actor, Role } from '../../actor.js';
import { decideAssessment, type AssessmentAction, type AssessmentHeader } from './assessments.policy.js';

const user = (roles: Role[], organisationId = 'org-a', userId = 'u-other'): Actor => ({
  kind: 'user', userId, name: 'Test', email: 't@test', organisationId, organisationName: 'Org', teamId: null, roles, partnershipId: '00000000-0000-4000-8000-000000000000',
});
const header = (status: string): AssessmentHeader => ({ id: 'a1', personId: 'p1', organisationId: 'org-a', assessorUserId: 'u-assessor', status });

// [who, action, status, may see the child, expected]
const CASES: [string, Actor, AssessmentAction, string | null, boolean, boolean][] = [
  ['practitioner with a relationship starts one', user(['practitioner']), 'assessment.create', null, true, true],
  ['practitioner without a relationship cannot start one', user(['practitioner']), 'assessment.create', null, false, false],
  ['analyst cannot start one', user(['analyst']), 'assessment.create', null, true, false],
  ['another agency reads a signed-off assessment', user(['practitioner'], 'org-b'), 'assessment.read', 'signed_off', true, true],
  ['another agency cannot read a draft', user(['practitioner'], 'org-b'), 'assessment.read', 'draft', true, false],
  ['the same organisation reads a draft', user(['practitioner']), 'assessment.read', 'draft', true, true],
  ['nobody reads without a relationship', user(['team_manager']), 'assessment.read', 'signed_off', false, false],
  ['the assessor edits a draft', user(['practitioner'], 'org-a', 'u-assessor'), 'assessment.update', 'draft', true, true],
  ['a colleague cannot edit the draft', user(['practitioner']), 'assessment.update', 'draft', true, false],
  ['the assessor cannot edit once submitted', user(['practitioner'], 'org-a', 'u-assessor'), 'assessment.submit', 'awaiting_sign_off', true, false],
  ['a team manager in the organisation signs off', user(['team_manager']), 'assessment.sign_off', 'awaiting_sign_off', true, true],
  ['a team manager elsewhere cannot sign off', user(['team_manager'], 'org-b'), 'assessment.sign_off', 'awaiting_sign_off', true, false],
  ['a practitioner cannot sign off', user(['practitioner', 'designated_safeguarding_lead']), 'assessment.sign_off', 'awaiting_sign_off', true, false],
  ['an assessor who is a manager cannot sign off their own', user(['team_manager'], 'org-a', 'u-assessor'), 'assessment.sign_off', 'awaiting_sign_off', true, false],
  ['nothing is signed off twice', user(['team_manager']), 'assessment.sign_off', 'signed_off', true, false],
  ['a manager with no relationship to the child cannot sign off', user(['team_manager']), 'assessment.sign_off', 'awaiting_sign_off', false, false],
];

describe('assessment policy', () => {
  it.each(CASES)('%s', (_name, actor, action, status, visible, expected) => {
    expect(decideAssessment(actor, action, status ? header(status) : null, visible)).toBe(expected);
  });

  it('refuses every action to an organisation\'s system', () => {
    const system: Actor = { kind: 'system', apiKeyId: 'k', organisationId: 'org-a', organisationName: 'Org' };
    for (const action of ['assessment.read', 'assessment.create', 'assessment.update', 'assessment.submit', 'assessment.sign_off'] as const) {
      expect(decideAssessment(system, action, header('signed_off'), true)).toBe(false);
    }
  });
});
