import type { Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import { RuleDefinitionSchema, type RuleDefinition } from '../../../domain/rules/rule-language.js';

/** A rule as it runs: its current version's definition and written rationale. */
export interface ActiveRule {
  ruleId: string;
  /** The partnership whose rule this is: it runs for the children of that partnership. */
  partnershipId: string;
  code: string;
  ruleVersionId: string;
  version: number;
  name: string;
  rationale: string;
  definition: RuleDefinition;
}

/** A rule with every version, for the rules pages. */
export interface RuleWithHistory {
  id: string;
  code: string;
  active: boolean;
  versions: { id: string; version: number; name: string; rationale: string; definition: unknown; changeReason: string; createdAt: Date; createdByName: string | null }[];
}

/**
 * The current version of every active rule of every partnership (or of one partnership). The
 * default set (rules of no partnership) never runs. A stored definition that no longer parses is
 * skipped, never guessed at.
 */
export async function loadActiveRules(db: Kysely<Database>, opts: { partnershipId?: string } = {}): Promise<ActiveRule[]> {
  let q = db
    .selectFrom('rule as r')
    .innerJoin('rule_version as v', 'v.rule_id', 'r.id')
    .select(['r.id as rule_id', 'r.partnership_id', 'r.code', 'v.id', 'v.version', 'v.name', 'v.rationale', 'v.definition'])
    .where('r.active', '=', true)
    .where('r.partnership_id', 'is not', null);
  if (opts.partnershipId) q = q.where('r.partnership_id', '=', opts.partnershipId);
  const rows = await q
    .where((eb) => eb('v.version', '=', eb.selectFrom('rule_version as x').select((x) => x.fn.max('x.version').as('m')).whereRef('x.rule_id', '=', 'r.id')))
    .orderBy('r.code')
    .orderBy('r.partnership_id')
    .execute();
  const out: ActiveRule[] = [];
  for (const r of rows) {
    const parsed = RuleDefinitionSchema.safeParse(typeof r.definition === 'string' ? JSON.parse(r.definition) : r.definition);
    if (parsed.success) out.push({ ruleId: r.rule_id, partnershipId: r.partnership_id!, code: r.code, ruleVersionId: r.id, version: r.version, name: r.name, rationale: r.rationale, definition: parsed.data });
  }
  return out;
}

/** Every rule of one partnership with its versions, newest version first. */
export async function listRules(db: Kysely<Database>, partnershipId: string): Promise<RuleWithHistory[]> {
  const [rules, versions] = await Promise.all([
    db.selectFrom('rule').selectAll().where('partnership_id', '=', partnershipId).orderBy('code').execute(),
    db
      .selectFrom('rule_version as v')
      .innerJoin('rule as r', 'r.id', 'v.rule_id')
      .leftJoin('app_user as u', 'u.id', 'v.created_by_user_id')
      .where('r.partnership_id', '=', partnershipId)
      .select(['v.id', 'v.rule_id', 'v.version', 'v.name', 'v.rationale', 'v.definition', 'v.change_reason', 'v.created_at', 'u.name as created_by_name'])
      .orderBy('v.version', 'desc')
      .execute(),
  ]);
  return rules.map((r) => ({
    id: r.id, code: r.code, active: r.active,
    versions: versions.filter((v) => v.rule_id === r.id).map((v) => ({
      id: v.id, version: v.version, name: v.name, rationale: v.rationale, definition: v.definition, changeReason: v.change_reason,
      createdAt: v.created_at, createdByName: v.created_by_name,
    })),
  }));
}
