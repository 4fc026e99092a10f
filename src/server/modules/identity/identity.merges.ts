import { sql, type Kysely, type RawBuilder, type SelectQueryBuilder } from 'kysely';
import type { Database } from '../../../db/database.js';
import { AppError, NotFoundError } from '../../errors.js';

// Merges in force: every merge row without an unmerge row. Merged people are read through this
// indirection, because event_person (like the rest of the chronology) is never rewritten.
export const ACTIVE_MERGES = sql`SELECT m.survivor_person_id AS a, m.merged_person_id AS b FROM person_merge m
  WHERE NOT EXISTS (SELECT 1 FROM person_unmerge u WHERE u.merge_id = m.id)`;

/** The ids of every person record currently merged with this one (itself included), as a subquery (plain SQL, so no handle is needed). */
export function samePersonIds(_db: Kysely<Database> | null, personId: string): RawBuilder<string> {
  return sql<string>`(WITH RECURSIVE active AS (${ACTIVE_MERGES}), grp(person_id) AS (
    SELECT ${personId}::uuid
    UNION
    SELECT CASE WHEN act.a = g.person_id THEN act.b ELSE act.a END FROM grp g JOIN active act ON act.a = g.person_id OR act.b = g.person_id
  ) SELECT person_id FROM grp)`;
}

/**
 * The people in a set of person ids, widened to every record merged with one of them: an involvement
 * on either record of a merged person grants access to both. Keeps the shape of the given query.
 */
export function withMergedPersons<DB, TB extends keyof DB>(
  db: Kysely<Database>,
  ids: SelectQueryBuilder<DB, TB, { person_id: string }>,
): SelectQueryBuilder<DB, TB, { person_id: string }> {
  const partners = db
    .selectFrom(sql<{ person_id: string }>`(WITH RECURSIVE active AS (${ACTIVE_MERGES}), grp(person_id) AS (
      SELECT s.person_id FROM (${ids}) s
      UNION
      SELECT CASE WHEN act.a = g.person_id THEN act.b ELSE act.a END FROM grp g JOIN active act ON act.a = g.person_id OR act.b = g.person_id
    ) SELECT person_id FROM grp)`.as('merged'))
    .select('merged.person_id');
  // Only when some merge is in force does the (recursive) widening run at all.
  return ids.union(partners.where(sql<boolean>`EXISTS (SELECT 1 FROM person_merge)`) as never);
}

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
