import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../../db/database.js';
import { recordAccess } from '../../../audit/record-access.js';
import { scoreAgainstLabels, type PairScores } from '../../../../domain/matching/evaluate.js';
import { prepareRecord } from '../../../../domain/matching/prepare.js';
import { recordFromIncoming } from '../incoming.js';
import { labelledRecords, type Label } from '../identity.labels.js';
import { activeModel, saveModel } from '../identity.model-store.js';
import { trainLinkageModel, type TrainingReport } from '../identity.train.js';
import type { IncomingPerson } from '../resolve-person.js';

/** Fewer agency records than this cannot tell matches from coincidences reliably. */
export const MIN_TRAINING_RECORDS = 200;

/** Why training could not run, or its model was not stored, in words for the person running it (with the report when there is one). */
export class TrainingRefused extends Error {
  constructor(message: string, readonly report: TrainedReport | null = null) {
    super(message);
  }
}

/** What training learnt, with the model in use beside it and, when labels were given, both models scored against them. */
export interface TrainedReport extends TrainingReport {
  /** Pairwise precision, recall and F1 of automatic links among the labelled records, before (the model in use) and after. */
  labelled: { records: number; notFound: number; before: PairScores; after: PairScores } | null;
  stored: boolean;
}

/**
 * Trains a new model version from the agency records held (the latest version of each, a repeatable
 * sample of at most `sample`) against the people held, and stores it: the newest stored model is the
 * one intake uses. Thresholds are kept from the model in use. A pair of an agency record and the person
 * that record itself created is left out (it would teach the model that copies agree); a record linked
 * to an existing person keeps that pair, because it is a real match, compared with what the person's
 * other agency records hold (the person holds the record's own date of birth and address too). Comparisons the records do not
 * hold keep the weights of the model in use; a model whose learnt prior is implausible is not stored
 * (TrainingRefused, with the report). With labels, both models are scored against them.
 */
export async function trainAndStoreModel(
  db: Kysely<Database>,
  opts: { sample?: number; seed?: number; now?: Date; labels?: Label[] } = {},
): Promise<TrainedReport> {
  const seed = opts.seed ?? 1;
  const rows = (await sql<{ id: string; person_id: string; outcome: string; person_data: IncomingPerson }>`
    SELECT s.id, s.person_id, s.outcome, v.person_data FROM source_record s
    JOIN LATERAL (SELECT person_data FROM source_record_version WHERE source_record_ref = s.id ORDER BY received_at DESC LIMIT 1) v ON true
    ORDER BY md5(s.id::text || ${String(seed)}) LIMIT ${opts.sample ?? 5_000}`.execute(db)).rows;
  if (rows.length < MIN_TRAINING_RECORDS) {
    throw new TrainingRefused(`Only ${rows.length} agency records are held; training needs at least ${MIN_TRAINING_RECORDS}. Import more agency records first.`);
  }
  const current = await activeModel(db);
  const stamp = (opts.now ?? new Date()).toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  const version = `trained-${stamp}`;
  const { model, report } = await trainLinkageModel(db, rows.map((r) => recordFromIncoming(r.person_data)), {
    base: { ...current, version }, previous: current, version, seed,
    exclude: (i, personId) => rows[i]!.outcome !== 'linked' && rows[i]!.person_id === personId,
    // A linked record's person also holds the record's own values: it is compared with the others.
    ownRecord: (i) => ({ personId: rows[i]!.person_id, sourceRecordRef: rows[i]!.id }),
  });
  let labelled: TrainedReport['labelled'] = null;
  if (opts.labels) {
    const held = await labelledRecords(db, opts.labels);
    const prepared = held.records.map(prepareRecord);
    labelled = {
      records: held.records.length, notFound: held.notFound,
      before: scoreAgainstLabels(current, prepared, held.labels), after: scoreAgainstLabels(model, prepared, held.labels),
    };
  }
  const stored = report.priorProblem === null;
  await db.transaction().execute(async (trx) => {
    if (stored) {
      await saveModel(trx, model, `Trained without labels on ${report.records} agency records against ${report.population} people: `
        + report.sessions.map((s) => `${s.name} session ${s.pairs} pairs, about ${s.expectedMatches} matches`).join('; ')
        + (report.kept.length ? `; kept from ${current.version}: ${report.kept.join(', ')}` : '') + '.');
    }
    // The run read agency records whether or not its model is stored.
    await recordAccess(trx, {
      actor: null, action: 'identity.train', route: 'cli:identity train', outcome: 'allowed',
      detail: { version, stored, records: report.records, peopleSampled: report.peopleSampled, kept: report.kept, labelledRecords: labelled?.records ?? null },
    });
  });
  const result: TrainedReport = { ...report, labelled, stored };
  if (!stored) throw new TrainingRefused(`Not stored: ${report.priorProblem}. The model in use (${current.version}) stays in use.`, result);
  return result;
}
