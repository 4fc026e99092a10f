import type { Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import type { MatchExplanation } from '../../../domain/matching/types.js';
import { recordFromIncoming, contentHash } from './incoming.js';
import { activeModel } from './identity.model-store.js';
import { findCandidates } from './identity.candidates.js';
import { addDetailsToPerson, createPersonFromIncoming } from './identity.person-writer.js';
import { decide } from './identity.decide.js';

export type { MatchExplanation } from '../../../domain/matching/types.js';

/** The person as one agency knows them, from one of its systems. */
export interface IncomingPerson {
  organisationId: string;
  sourceSystem: string;
  sourceRecordId: string;
  givenNames: string | null;
  familyName: string | null;
  otherNames?: { kind: 'alias' | 'nickname' | 'known_as' | 'online_handle' | 'previous'; givenNames: string | null; familyName: string | null }[];
  /** YYYY-MM-DD, or null. */
  dateOfBirth: string | null;
  sex: 'female' | 'male' | 'not_known';
  /** A DfE/ONS four-letter ethnicity code, or null. */
  ethnicity: string | null;
  identifiers: { scheme: 'nhs_number' | 'upn' | 'police_id' | 'local_id'; value: string }[];
  postcode: string | null;
  addressLine: string | null;
  borough: string | null;
}

/** What became of an agency's record. */
export interface Resolution {
  personId: string;
  /**
   * linked: joined to an existing person automatically; new: a new person; review: stored as a new
   * provisional person and queued for a human to compare with a likely match; existing_source_record:
   * this agency's record was seen before and keeps its person (a changed content is stored as a new version).
   */
  outcome: 'linked' | 'new' | 'review' | 'existing_source_record';
  matchWeight: number | null;
  reviewItemId: string | null;
  explanation: MatchExplanation | null;
}

/** How a caller narrows automatic linking. */
export interface ResolveOptions {
  /**
   * Asked before a record is linked automatically to an existing person: when it answers false, the
   * record is kept apart as a new provisional person and the pair goes to identity review instead
   * (outcome `review`), as for a weaker match.
   */
  mayLink?: (personId: string) => Promise<boolean>;
}

/** Finds or creates the person for an agency's record, inside the caller's transaction. */
export async function resolvePerson(trx: Kysely<Database>, incoming: IncomingPerson, opts: ResolveOptions = {}): Promise<Resolution> {
  const hash = contentHash(incoming);
  const existing = await trx
    .selectFrom('source_record')
    .select(['id', 'person_id', 'match_weight', 'explanation'])
    .where('organisation_id', '=', incoming.organisationId)
    .where('source_system', '=', incoming.sourceSystem)
    .where('source_record_id', '=', incoming.sourceRecordId)
    .executeTakeFirst();
  if (existing) {
    const latest = await trx
      .selectFrom('source_record_version')
      .select('content_hash')
      .where('source_record_ref', '=', existing.id)
      .orderBy('received_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    // Same record, changed content: keep the new version beside the old one; the agency's own
    // record id still names the same person, so the link stands.
    if (latest?.content_hash !== hash) {
      await trx.insertInto('source_record_version')
        .values({ source_record_ref: existing.id, content_hash: hash, person_data: JSON.stringify(incoming) })
        .execute();
      await addDetailsToPerson(trx, existing.person_id, incoming);
    }
    return {
      personId: existing.person_id, outcome: 'existing_source_record', matchWeight: existing.match_weight,
      reviewItemId: null, explanation: (existing.explanation as MatchExplanation | null) ?? null,
    };
  }

  const model = await activeModel(trx);
  const record = recordFromIncoming(incoming);
  const candidates = await findCandidates(trx, [record]);
  const decided = decide(model, record, candidates[0] ?? []);
  const refused = decided.band === 'link' && decided.best && opts.mayLink ? !(await opts.mayLink(decided.best.personId)) : false;
  const decision = refused ? { ...decided, band: 'review' as const } : decided;

  let personId: string;
  if (decision.band === 'link' && decision.best) {
    personId = decision.best.personId;
    await addDetailsToPerson(trx, personId, incoming);
  } else {
    personId = await createPersonFromIncoming(trx, incoming);
  }
  const outcome = decision.band === 'link' ? 'linked' : decision.band === 'review' ? 'review' : 'new';
  const explanation = decision.best?.explanation ?? null;
  const source = await trx
    .insertInto('source_record')
    .values({
      organisation_id: incoming.organisationId, source_system: incoming.sourceSystem, source_record_id: incoming.sourceRecordId,
      person_id: personId, outcome, match_weight: decision.best?.explanation.total ?? null,
      explanation: explanation ? JSON.stringify(explanation) : null, model_version: model.version,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await trx.insertInto('source_record_version')
    .values({ source_record_ref: source.id, content_hash: hash, person_data: JSON.stringify(incoming) })
    .execute();

  let reviewItemId: string | null = null;
  if (outcome === 'review' && decision.best && explanation) {
    const item = await trx
      .insertInto('identity_review_item')
      .values({
        source_record_ref: source.id, person_id: personId, candidate_person_id: decision.best.personId,
        match_weight: explanation.total, explanation: JSON.stringify(explanation), model_version: model.version,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    reviewItemId = item.id;
  }
  return { personId, outcome, matchWeight: explanation?.total ?? null, reviewItemId, explanation };
}
