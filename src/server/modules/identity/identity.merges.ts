import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import { AppError, NotFoundError } from '../../errors.js';
import { samePersonIds } from '../chronology/chronology.policy.js';

/** Reads two person records as one. Both records stay exactly as they were; only a merge row is added. */
export async function mergePersons(
  trx: Kysely<Database>,
  opts: { survivorPersonId: string; mergedPersonId: string; reason: string; userId: string | null; overrideNonMatch?: boolean },
): Promise<string> {
  const { survivorPersonId: a, mergedPersonId: b } = opts;
  const found = await trx.selectFrom('person').select('id').where('id', 'in', [a, b]).execute();
  if (a === b || found.length !== 2) throw new NotFoundError();
  const already = await sql<{ found: boolean }>`SELECT ${b}::uuid IN ${samePersonIds(trx, a)} AS found`.execute(trx);
  if (already.rows[0]?.found) throw new AppError(409, 'already_merged', 'These records are already read as one person.');
  // A pair a person judged different is never joined automatically; only a new human decision may.
  if (!opts.overrideNonMatch && (await judgedDifferent(trx, a, b))) {
    throw new AppError(409, 'judged_different', 'These records were judged to be different people.');
  }
  const row = await trx
    .insertInto('person_merge')
    .values({ survivor_person_id: a, merged_person_id: b, reason: opts.reason, decided_by_user_id: opts.userId })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Undoes a merge by adding an unmerge row: both records read exactly as they did before. */
export async function unmergePersons(trx: Kysely<Database>, opts: { mergeId: string; reason: string; userId: string | null }): Promise<void> {
  const merge = await trx.selectFrom('person_merge').select('id').where('id', '=', opts.mergeId).executeTakeFirst();
  if (!merge) throw new NotFoundError();
  const undone = await trx.selectFrom('person_unmerge').select('id').where('merge_id', '=', opts.mergeId).executeTakeFirst();
  if (undone) throw new AppError(409, 'already_unmerged', 'This merge has already been undone.');
  await trx.insertInto('person_unmerge').values({ merge_id: opts.mergeId, reason: opts.reason, decided_by_user_id: opts.userId }).execute();
}

/** Records that two person records are different people (so they are never linked automatically). */
export async function recordNonMatch(trx: Kysely<Database>, opts: { personA: string; personB: string; reason: string; userId: string | null }): Promise<void> {
  const [a, b] = [opts.personA, opts.personB].sort() as [string, string];
  await trx.insertInto('person_non_match').values({ person_a: a, person_b: b, reason: opts.reason, decided_by_user_id: opts.userId }).execute();
}

/** Whether any record of one person was judged different from any record of the other. */
export async function judgedDifferent(db: Kysely<Database>, personA: string, personB: string): Promise<boolean> {
  const row = await db
    .selectFrom('person_non_match as n')
    .select('n.id')
    .where((eb) => eb.or([
      eb.and([eb('n.person_a', 'in', samePersonIds(db, personA)), eb('n.person_b', 'in', samePersonIds(db, personB))]),
      eb.and([eb('n.person_a', 'in', samePersonIds(db, personB)), eb('n.person_b', 'in', samePersonIds(db, personA))]),
    ]))
    .executeTakeFirst();
  return row !== undefined;
}
