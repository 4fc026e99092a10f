import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import { ethnicityLabel } from '../../../domain/ethnicity.js';
import { getPersonSummary } from '../people/people.queries.js';
import { accessHistory } from './transparency.queries.js';
import { samePersonIds } from '../chronology/chronology.policy.js';
import { entryScope } from '../chronology/chronology.policy.js';
import { considerationsHeld } from '../considerations/held.js';
import { plansAndOffersHeld, type PlansAndOffersHeld } from '../plans/held.js';

/** Why an item is marked for review before the export is released to the person. */
export type ReviewFlag = string | null;

/** Everything held about a person, with provenance, items needing review marked. */
export interface SubjectAccessExport extends PlansAndOffersHeld {
  generatedAt: string;
  personId: string;
  itemsForReview: number;
  person: {
    names: { kind: string; givenNames: string | null; familyName: string | null; validFrom: string | null; validTo: string | null }[];
    dateOfBirth: string | null;
    dateOfBirthAccuracy: string;
    sex: string;
    ethnicity: string | null;
    identifiers: { scheme: string; value: string }[];
    addresses: { line1: string | null; town: string | null; postcode: string | null; borough: string | null; validFrom: string | null; validTo: string | null; forReview: ReviewFlag }[];
  };
  relationships: { kind: string; name: string; forReview: ReviewFlag }[];
  involvements: { organisation: string; role: string; practitioner: string | null; startedOn: string; endedOn: string | null }[];
  chronology: {
    id: string; type: string; category: string; occurredAt: string; precision: string; organisation: string;
    summary: string; narrative: string | null; place: string | null; factorCodes: string[];
    recordedAt: string; recordedBy: string | null; recordedVia: string; sourceSystem: string; sourceRecordId: string | null; reliability: string;
    supersedes: string | null; correctionReason: string | null; supersededBy: string | null; roleOfPerson: string[]; forReview: ReviewFlag;
  }[];
  accessHistory: { at: string; who: string; organisation: string | null; action: string; outcome: string; forReview: ReviewFlag }[];
  considerations: { raisedOn: string; rule: string; rationale: string; explanation: string; decision: string | null; service: string | null; reason: string | null }[];
  /** Missing episodes with their return home interviews, each beside the entry it belongs to. */
  missingEpisodes: {
    entryId: string; organisation: string; source: string; reportedMissingAt: string; returnedAt: string | null; returnedPrecision: string | null;
    whereFound: string | null; whoWith: string | null; policeReference: string | null; riskGrading: string | null; foundReportEntryIds: string[];
    returnInterview: {
      dueAt: string; offeredAt: string | null; offeredBy: string | null; outcome: string | null; outcomeAt: string | null; declinedReason: string | null;
      completedAt: string | null; completedBy: string | null; completedByName: string | null; whereChildWas: string | null; whoWith: string | null;
      pushFactors: string[]; pullFactors: string[]; findings: string | null;
    } | null;
    forReview: ReviewFlag;
  }[];
  /** The description kept for the missing profile. */
  missingDescription: { height: string | null; build: string | null; distinguishingFeatures: string | null; phones: string | null; updatedAt: string } | null;
}

/**
 * The child's missing episodes and return home interviews, read as the partnership for subject
 * access (every merged record), each with its entry's sensitivity: an episode of a restricted entry
 * is marked for review as the entry is, and one naming other people (who with, the interviewer) for
 * third-party review.
 */
async function missingHeld(db: Kysely<Database>, personId: string): Promise<Pick<SubjectAccessExport, 'missingEpisodes' | 'missingDescription'>> {
  const [rows, description] = await Promise.all([
    db.selectFrom('missing_episode as m')
      .innerJoin(entryScope({ kind: 'partnership', purpose: 'subject_access' }, { ids: [personId] }).as('e'), 'e.id', 'm.event_id')
      .leftJoin('return_interview as r', 'r.episode_id', 'm.id')
      .select((eb) => [
        'm.event_id', 'e.organisation_name', 'e.sensitivity', 'e.restricted_contact as contact', 'm.source', 'm.reported_missing_at', 'm.returned_at', 'm.returned_precision',
        'm.where_found', 'm.who_with', 'm.police_reference', 'm.risk_grading', 'r.id as interview_id', 'r.due_at', 'r.offered_at', 'r.offered_by', 'r.outcome', 'r.outcome_at',
        'r.declined_reason', 'r.completed_at', 'r.completed_by_kind', 'r.completed_by_name', 'r.where_child_was', 'r.who_with as interview_who_with',
        'r.push_factors', 'r.pull_factors', 'r.findings',
        sql<string[]>`coalesce((SELECT array_agg(mr.event_id::text ORDER BY mr.created_at) FROM missing_episode_report mr WHERE mr.episode_id = m.id), '{}')`.as('reports'),
        eb.selectFrom('missing_episode_report as mr').innerJoin('event as f', 'f.id', 'mr.event_id').select((x) => x.fn.countAll<number>().as('n'))
          .whereRef('mr.episode_id', '=', 'm.id').where('f.sensitivity', '=', 'restricted').as('restricted_reports'),
      ])
      .where('m.person_id', 'in', samePersonIds(db, personId))
      .orderBy('m.reported_missing_at')
      .execute(),
    db.selectFrom('missing_description').selectAll().where('person_id', 'in', samePersonIds(db, personId)).orderBy('updated_at', 'desc').executeTakeFirst(),
  ]);
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return {
    missingEpisodes: rows.map((m) => ({
      entryId: m.event_id, organisation: m.organisation_name, source: m.source, reportedMissingAt: m.reported_missing_at.toISOString(),
      returnedAt: iso(m.returned_at), returnedPrecision: m.returned_precision, whereFound: m.where_found, whoWith: m.who_with,
      policeReference: m.police_reference, riskGrading: m.risk_grading, foundReportEntryIds: m.reports,
      returnInterview: m.interview_id && m.due_at ? {
        dueAt: m.due_at.toISOString(), offeredAt: iso(m.offered_at), offeredBy: m.offered_by, outcome: m.outcome, outcomeAt: iso(m.outcome_at),
        declinedReason: m.declined_reason, completedAt: iso(m.completed_at), completedBy: m.completed_by_kind, completedByName: m.completed_by_name,
        whereChildWas: m.where_child_was, whoWith: m.interview_who_with, pushFactors: m.push_factors ?? [], pullFactors: m.pull_factors ?? [], findings: m.findings,
      } : null,
      forReview: m.sensitivity === 'restricted' || Number(m.restricted_reports ?? 0) > 0
        ? `Restricted by ${m.organisation_name}${m.contact ? ` (ask ${m.contact})` : ''}: agree with them before release, as release may prejudice an investigation or put someone at risk`
        : m.who_with || m.interview_who_with || m.offered_by || m.completed_by_name
          ? 'Names other people (who the child was with, staff): remove or redact third-party information before release'
          : null,
    })),
    missingDescription: description ? {
      height: description.height, build: description.build, distinguishingFeatures: description.distinguishing_features, phones: description.phones,
      updatedAt: description.updated_at.toISOString(),
    } : null,
  };
}

/** Builds the subject access export: nothing is left out; restricted and third-party items are marked for review. */
export async function buildSubjectAccessExport(db: Kysely<Database>, personId: string): Promise<SubjectAccessExport | null> {
  const summary = await getPersonSummary(db, personId);
  if (!summary) return null;
  // Every entry of the child (merged records included, earlier versions too), in full: the data
  // protection officer reviews the marked items before release.
  const events = await db
    .selectFrom(entryScope({ kind: 'partnership', purpose: 'subject_access' }, { ids: [personId] }).as('e'))
    .select((eb) => [
      'e.id', 'e.type_label as label', 'e.category', 'e.occurred_at', 'e.occurred_precision', 'e.organisation_name', 'e.summary', 'e.narrative', 'e.place',
      'e.factor_codes', 'e.recorded_at', 'e.recorded_by_name as recorded_by', 'e.recorded_via', 'e.source_system', 'e.source_record_id', 'e.reliability',
      'e.supersedes', 'e.correction_reason', 'e.sensitivity', 'e.restricted_contact as contact', 'e.roles',
      eb.selectFrom('event as s').select('s.id').whereRef('s.supersedes', '=', 'e.id').limit(1).as('superseded_by'),
      eb.selectFrom('event_person as ep').select((x) => x.fn.countAll<number>().as('n')).whereRef('ep.event_id', '=', 'e.id').where('ep.person_id', 'not in', samePersonIds(db, personId)).as('others'),
    ])
    .orderBy('e.occurred_at')
    .execute();
  const access = await accessHistory(db, personId, 10_000);
  const missing = await missingHeld(db, personId);
  const plansAndOffers = await plansAndOffersHeld(db, personId);

  const chronology = events.map((e) => ({
    id: e.id, type: e.label ?? '', category: e.category, occurredAt: e.occurred_at.toISOString(), precision: e.occurred_precision,
    organisation: e.organisation_name, summary: e.summary ?? '', narrative: e.narrative, place: e.place, factorCodes: e.factor_codes,
    recordedAt: (e.recorded_at ?? new Date(0)).toISOString(), recordedBy: e.recorded_by, recordedVia: e.recorded_via ?? '', sourceSystem: e.source_system ?? '',
    sourceRecordId: e.source_record_id, reliability: e.reliability ?? '', supersedes: e.supersedes, correctionReason: e.correction_reason,
    supersededBy: (e.superseded_by as string | null) ?? null, roleOfPerson: e.roles,
    forReview: e.sensitivity === 'restricted'
      ? `Restricted by ${e.organisation_name}${e.contact ? ` (ask ${e.contact})` : ''}: agree with them before release, as release may prejudice an investigation or put someone at risk`
      : Number(e.others ?? 0) > 0
        ? 'Mentions other people: remove or redact third-party information before release'
        : null,
  }));
  const addresses = summary.addresses.map((a) => ({
    line1: a.line1, town: a.town, postcode: a.postcode, borough: a.borough, validFrom: a.validFrom, validTo: a.validTo,
    forReview: a.protected ? `Protected address recorded by ${a.recordedByOrganisationName ?? 'an agency'}: check before release that it is safe to disclose` : null,
  }));
  const relationships = summary.relationships.map((r) => ({ kind: r.kind, name: r.name, forReview: 'Third-party information: check before release' }));
  const history = access.map((a) => ({
    at: a.at.toISOString(), who: a.user_name ?? 'An agency system', organisation: a.organisation_name, action: a.action, outcome: a.outcome,
    forReview: 'Names of staff: the recipients of the data are disclosable; check individual names against local policy',
  }));
  const itemsForReview = [...chronology, ...addresses, ...relationships, ...missing.missingEpisodes, ...plansAndOffers.plans].filter((x) => x.forReview).length + (history.length ? 1 : 0);
  return {
    generatedAt: new Date().toISOString(),
    personId,
    itemsForReview,
    person: {
      names: summary.names, dateOfBirth: summary.dateOfBirth, dateOfBirthAccuracy: summary.dobAccuracy, sex: summary.sex,
      ethnicity: summary.ethnicity ? `${summary.ethnicity} (${ethnicityLabel(summary.ethnicity) ?? 'unknown code'})` : null,
      identifiers: summary.identifiers, addresses,
    },
    relationships,
    involvements: summary.involvements.map((i) => ({ organisation: i.organisationName, role: i.role, practitioner: i.userName, startedOn: i.startedOn, endedOn: i.endedOn })),
    chronology,
    accessHistory: history,
    considerations: (await considerationsHeld(db, personId)).map((c) => ({ ...c, raisedOn: c.raisedOn.toISOString() })),
    ...missing,
    ...plansAndOffers,
  };
}
