/**
 * Every action a policy decides and the access log records: one typed union, so a misspelt
 * action does not compile, and a route's access rule, its policy and its audit row name the
 * same thing.
 */
export type Action =
  | 'session.create'
  | 'session.end'
  | 'person.read'
  | 'person.search'
  | 'chronology.read'
  | 'event.record'
  | 'event.correct'
  | 'intake.import'
  | 'intake.person'
  | 'intake.report.read'
  | 'intake.mapping.write'
  | 'identity.review.list'
  | 'identity.review.read'
  | 'identity.review.decide'
  | 'identity.unmerge'
  | 'identity.train'
  | 'access_log.read'
  | 'home.read'
  | 'assessment.read'
  | 'assessment.create'
  | 'assessment.update'
  | 'assessment.submit'
  | 'assessment.sign_off'
  | 'assessment.return'
  | 'consideration.list'
  | 'consideration.read'
  | 'consideration.create'
  | 'consideration.decide'
  | 'factor.read'
  | 'factor.revise'
  | 'rule.change'
  | 'fairness.read'
  | 'baseline.change'
  | 'break_glass.open'
  | 'break_glass.list'
  | 'break_glass.review'
  | 'relationship.confirm'
  | 'relationship.list'
  | 'relationship.review'
  | 'subject_access.export'
  | 'what_we_hold.read'
  | 'retention.read'
  | 'retention.decide'
  | 'sharing.manage'
  | 'partnership.read'
  | 'partnership.configure'
  | 'users.manage'
  | 'user.role_grant'
  | 'user.role_grants.read'
  | 'user.invitation.accept'
  | 'alert.create'
  | 'alert.list'
  | 'alert.acknowledge'
  | 'watcher.manage'
  | 'involvement.allocate'
  | 'involvement.end'
  | 'involvement.lead'
  | 'involvement.read'
  | 'trusted_adult.record'
  | 'missing.read'
  | 'missing.record'
  | 'missing.profile.read'
  | 'missing.profile.record'
  | 'missing.interview.record'
  | 'missing.timeliness.read'
  | 'request.refused';

/** Actions on a person's record: each needs a relationship with the person (authorizePerson). */
export type PersonAction = Extract<
  Action,
  'person.read' | 'chronology.read' | 'event.record' | 'event.correct' | 'assessment.create' | 'identity.unmerge' | 'involvement.read' | 'trusted_adult.record' | 'watcher.manage'
  | 'missing.read' | 'missing.record' | 'missing.profile.read' | 'missing.profile.record' | 'missing.interview.record'
>;

/** Actions on a risk and vulnerability assessment. */
export type AssessmentAction = Extract<Action, 'assessment.read' | 'assessment.create' | 'assessment.update' | 'assessment.submit' | 'assessment.sign_off'>;

/** Actions on a consideration. */
export type ConsiderationAction = Extract<Action, 'consideration.read' | 'consideration.decide'>;
