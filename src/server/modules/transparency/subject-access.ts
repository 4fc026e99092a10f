import type { Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import { ethnicityLabel } from '../../../domain/ethnicity.js';
import { getPersonSummary } from '../people/people.queries.js';
import { accessHistory } from './transparency.queries.js';
import { samePersonIds } from '../chronology/chronology.policy.js';
import { entryScope } from '../chronology/chronology.policy.js';
import { considerationsHeld } from '../considerations/held.js';

/** Why an item is marked for review before the export is released to the person. */
export type ReviewFlag = string | null;

/** Everything held about a person, with provenance, items needing review marked. */
export interface SubjectAccessExport {
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
  const itemsForReview = [...chronology, ...addresses, ...relationships].filter((x) => x.forReview).length + (history.length ? 1 : 0);
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
  };
}
