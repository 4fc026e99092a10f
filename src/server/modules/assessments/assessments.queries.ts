import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import type { RiskLevel } from '../../../domain/factors/risk-levels.js';
import type { Actor } from '../../actor.js';
import { visiblePersonIds } from '../people/people.policy.js';
import { samePersonIds } from '../chronology/chronology.policy.js';

/** The content of one saved version of an assessment. */
export interface AssessmentContent {
  riskHome: string | null;
  riskPeers: string | null;
  riskSchool: string | null;
  riskCommunity: string | null;
  riskOnline: string | null;
  riskToOthers: string | null;
  strengths: string | null;
  childViews: string | null;
  familyViews: string | null;
  analysis: string | null;
  level: RiskLevel | null;
  levelRationale: string | null;
  loweringReason: string | null;
  reviewOn: string | null;
}

/** A saved version, with who saved it and when. */
export interface AssessmentVersion extends AssessmentContent {
  version: number;
  savedAt: Date;
  savedByName: string;
  previousLevel: RiskLevel | null;
}

/** An assessment with every version, newest first. */
export interface AssessmentDetail {
  id: string;
  personId: string;
  organisationId: string;
  organisationName: string;
  borough: string;
  assessorUserId: string;
  assessorName: string;
  status: string;
  basedOnAssessmentId: string | null;
  previousLevel: RiskLevel | null;
  returnNote: string | null;
  createdAt: Date;
  submittedAt: Date | null;
  signedOffAt: Date | null;
  signedOffByName: string | null;
  panelReferralDue: boolean;
  versions: AssessmentVersion[];
}

/** Content columns in SQL, mapped to the content fields. */
export const CONTENT_COLUMNS = {
  riskHome: 'risk_home', riskPeers: 'risk_peers', riskSchool: 'risk_school', riskCommunity: 'risk_community', riskOnline: 'risk_online',
  riskToOthers: 'risk_to_others', strengths: 'strengths', childViews: 'child_views', familyViews: 'family_views', analysis: 'analysis',
  level: 'level', levelRationale: 'level_rationale', loweringReason: 'lowering_reason', reviewOn: 'review_on',
} as const;

/** Maps a version row to content. */
export function toContent(r: Record<string, unknown>): AssessmentContent {
  const out = {} as Record<string, unknown>;
  for (const [field, column] of Object.entries(CONTENT_COLUMNS)) out[field] = r[column] ?? null;
  return out as unknown as AssessmentContent;
}

/** One assessment with all its versions. */
export async function getAssessment(db: Kysely<Database>, assessmentId: string): Promise<AssessmentDetail | null> {
  const a = await db
    .selectFrom('assessment as a')
    .innerJoin('organisation as o', 'o.id', 'a.organisation_id')
    .innerJoin('app_user as u', 'u.id', 'a.assessor_user_id')
    .leftJoin('app_user as s', 's.id', 'a.signed_off_by_user_id')
    .select([
      'a.id', 'a.person_id', 'a.organisation_id', 'o.name as organisation_name', 'o.borough', 'a.assessor_user_id', 'u.name as assessor_name',
      'a.status', 'a.based_on_assessment_id', 'a.previous_level', 'a.return_note', 'a.created_at', 'a.submitted_at', 'a.signed_off_at',
      's.name as signed_off_by_name',
      sql<boolean>`EXISTS (SELECT 1 FROM panel_referral_due p WHERE p.assessment_id = a.id)`.as('referral_due'),
    ])
    .where('a.id', '=', assessmentId)
    .executeTakeFirst();
  if (!a) return null;
  const versions = await db
    .selectFrom('assessment_version as v')
    .innerJoin('app_user as u', 'u.id', 'v.saved_by_user_id')
    .selectAll('v')
    .select('u.name as saved_by_name')
    .where('v.assessment_id', '=', assessmentId)
    .orderBy('v.version', 'desc')
    .execute();
  return {
    id: a.id, personId: a.person_id, organisationId: a.organisation_id, organisationName: a.organisation_name, borough: a.borough,
    assessorUserId: a.assessor_user_id, assessorName: a.assessor_name, status: a.status, basedOnAssessmentId: a.based_on_assessment_id,
    previousLevel: a.previous_level as RiskLevel | null, returnNote: a.return_note, createdAt: a.created_at, submittedAt: a.submitted_at,
    signedOffAt: a.signed_off_at, signedOffByName: a.signed_off_by_name, panelReferralDue: a.referral_due,
    versions: versions.map((v) => ({
      ...toContent(v as unknown as Record<string, unknown>), version: v.version, savedAt: v.saved_at, savedByName: v.saved_by_name,
      previousLevel: v.previous_level as RiskLevel | null,
    })),
  };
}

/** The latest signed-off assessment of a person, wherever it was made, with its latest content. */
export async function latestSignedOff(db: Kysely<Database>, personId: string): Promise<{ id: string; content: AssessmentContent; signedOffAt: Date } | null> {
  const row = await db
    .selectFrom('assessment as a')
    .innerJoin('assessment_version as v', 'v.assessment_id', 'a.id')
    .selectAll('v')
    .select(['a.id', 'a.signed_off_at'])
    .where('a.person_id', 'in', samePersonIds(db, personId))
    .where('a.status', '=', 'signed_off')
    .where(sql<boolean>`v.version = (SELECT max(x.version) FROM assessment_version x WHERE x.assessment_id = a.id)`)
    .orderBy('a.signed_off_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? { id: row.id, content: toContent(row as unknown as Record<string, unknown>), signedOffAt: row.signed_off_at! } : null;
}

/** A line in an assessment list. */
export interface AssessmentSummary {
  id: string;
  personId: string;
  personName?: string;
  organisationId: string;
  organisationName: string;
  assessorName: string;
  status: string;
  level: RiskLevel | null;
  reviewOn: string | null;
  versions: number;
  createdAt: Date;
  signedOffAt: Date | null;
  panelReferralDue: boolean;
}

/** Assessments of a person, newest first (the caller filters by what the actor may read). */
export async function listAssessments(db: Kysely<Database>, personId: string): Promise<AssessmentSummary[]> {
  const rows = await summaryQuery(db).where('a.person_id', 'in', samePersonIds(db, personId)).orderBy('a.created_at', 'desc').execute();
  return rows.map(toSummary);
}

function summaryQuery(db: Kysely<Database>) {
  return db
    .selectFrom('assessment as a')
    .innerJoin('organisation as o', 'o.id', 'a.organisation_id')
    .innerJoin('app_user as u', 'u.id', 'a.assessor_user_id')
    .innerJoin('assessment_version as v', (j) => j.onRef('v.assessment_id', '=', 'a.id').on(sql<boolean>`v.version = (SELECT max(x.version) FROM assessment_version x WHERE x.assessment_id = a.id)`))
    .select([
      'a.id', 'a.person_id', 'a.organisation_id', 'o.name as organisation_name', 'u.name as assessor_name', 'a.status', 'v.level', 'v.review_on',
      'v.version', 'a.created_at', 'a.signed_off_at',
      sql<boolean>`EXISTS (SELECT 1 FROM panel_referral_due p WHERE p.assessment_id = a.id)`.as('referral_due'),
    ]);
}

function toSummary(r: Awaited<ReturnType<ReturnType<typeof summaryQuery>['execute']>>[number]): AssessmentSummary {
  return {
    id: r.id, personId: r.person_id, organisationId: r.organisation_id, organisationName: r.organisation_name, assessorName: r.assessor_name,
    status: r.status, level: r.level as RiskLevel | null, reviewOn: r.review_on, versions: r.version, createdAt: r.created_at,
    signedOffAt: r.signed_off_at, panelReferralDue: r.referral_due,
  };
}

/**
 * Current assessments whose review date has passed, for the home page of the assessor and of the
 * manager who signed them off. Only the latest signed-off assessment of each child counts.
 */
export async function overdueReviews(db: Kysely<Database>, actor: Actor & { kind: 'user' }, today: string): Promise<AssessmentSummary[]> {
  const userId = actor.userId;
  const rows = await summaryQuery(db)
    .where('a.person_id', 'in', visiblePersonIds(db, actor))
    .where('a.status', '=', 'signed_off')
    .where((eb) => eb.or([eb('a.assessor_user_id', '=', userId), eb('a.signed_off_by_user_id', '=', userId)]))
    .where('v.review_on', '<', today)
    .where(sql<boolean>`NOT EXISTS (SELECT 1 FROM assessment n WHERE n.person_id = a.person_id AND n.status = 'signed_off' AND n.signed_off_at > a.signed_off_at)`)
    .orderBy('v.review_on')
    .limit(100)
    .execute();
  return rows.map(toSummary);
}

/** Assessments waiting for a team manager's sign-off in their organisation (not their own), of children they may see. */
export async function awaitingSignOff(db: Kysely<Database>, actor: Actor & { kind: 'user' }): Promise<AssessmentSummary[]> {
  const rows = await summaryQuery(db)
    .where('a.status', '=', 'awaiting_sign_off')
    .where('a.organisation_id', '=', actor.organisationId)
    .where('a.assessor_user_id', '<>', actor.userId)
    .where('a.person_id', 'in', visiblePersonIds(db, actor))
    .orderBy('a.submitted_at')
    .limit(100)
    .execute();
  return rows.map(toSummary);
}
