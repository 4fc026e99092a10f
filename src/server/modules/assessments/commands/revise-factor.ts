import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../../db/database.js';
import { checkRevision, type FactorRevision } from '../../../../domain/factors/factor-versions.js';
import { loadVocabulary } from '../../../../domain/vocabulary.js';
import type { Actor } from '../../../actor.js';
import { recordAccess } from '../../../audit/record-access.js';
import { NotFoundError, ValidationError } from '../../../errors.js';

/**
 * Publishes a new version of a factor's definition, effective now. Earlier versions stay: entries
 * recorded before keep the meaning they were recorded with. The `factor` table carries the
 * current label and definition for the pages that list factors. Partnership administrators only
 * (the caller checks the role).
 */
export async function reviseFactor(db: Kysely<Database>, actor: Actor & { kind: 'user' }, code: string, r: FactorRevision, meta: { route: string; requestId: string }): Promise<{ version: number }> {
  return db.transaction().execute(async (trx) => {
    const current = await trx.selectFrom('factor_version').selectAll().where('code', '=', code).orderBy('version', 'desc').limit(1).forUpdate().executeTakeFirst();
    if (!current) throw new NotFoundError();
    const problems = checkRevision({ label: current.label, definition: current.definition, evidence: current.evidence, cinFactors: current.cin_factors }, r, loadVocabulary('1').cinFactorCodes);
    if (problems.length) throw new ValidationError(problems);
    const version = current.version + 1;
    await trx.insertInto('factor_version').values({
      code, version, kind: current.kind, label: r.label.trim(), definition: r.definition.trim(), evidence: r.evidence.trim(),
      cin_factors: [...new Set(r.cinFactors)], vocabulary_version: current.vocabulary_version, effective_from: sql<Date>`now()` as never,
      changed_by_user_id: actor.userId, change_reason: r.changeReason.trim(),
    }).execute();
    await trx.updateTable('factor').set({ label: r.label.trim(), definition: r.definition.trim() }).where('code', '=', code).execute();
    await recordAccess(trx, { actor, action: 'factor.revise', route: meta.route, outcome: 'allowed', requestId: meta.requestId, detail: { code, version, reason: r.changeReason.trim() } });
    return { version };
  });
}
