import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../../db/database.js';
import { parseRuleDefinition, type RuleProblem } from '../../../../domain/rules/rule-language.js';
import type { Actor } from '../../../actor.js';
import { recordAccess } from '../../../audit/record-access.js';
import { ValidationError } from '../../../errors.js';

/** A new rule, or a new version of one. */
export interface RuleChange {
  code: string;
  name: string;
  rationale: string;
  definition: string;
  changeReason: string;
  active: boolean;
}

/** Reads the definition text and checks every field; problems name the field (definition problems their path inside it). */
export async function checkRuleChange(db: Kysely<Database>, change: RuleChange): Promise<{ problems: { field: string; message: string }[]; definition: unknown }> {
  const problems: { field: string; message: string }[] = [];
  if (!/^[a-z][a-z0-9_]*$/.test(change.code)) problems.push({ field: 'code', message: 'The code must be lowercase letters, digits and underscores, starting with a letter' });
  if (!change.name.trim()) problems.push({ field: 'name', message: 'Enter the rule name' });
  if (!change.rationale.trim()) problems.push({ field: 'rationale', message: 'Enter the written rationale: why the partnership agreed this pattern' });
  if (!change.changeReason.trim()) problems.push({ field: 'changeReason', message: 'Enter why the rule is being added or changed' });
  let raw: unknown = null;
  try {
    raw = JSON.parse(change.definition);
  } catch (err) {
    problems.push({ field: 'definition', message: `The definition is not valid JSON: ${(err as Error).message}` });
    return { problems, definition: null };
  }
  // Check codes against the vocabulary as loaded, including factors added after version 1.
  const [eventTypes, factors] = await Promise.all([
    db.selectFrom('event_type').select('code').execute(),
    db.selectFrom('factor').select('code').execute(),
  ]);
  const parsed = parseRuleDefinition(raw, { eventTypes: eventTypes as never, factors: factors as never });
  if (!parsed.ok) problems.push(...parsed.problems.map((p: RuleProblem) => ({ field: 'definition', message: `${p.path}: ${p.message}` })));
  return { problems, definition: parsed.ok ? parsed.definition : null };
}

/**
 * Adds a rule or a new version of it to the administrator's own partnership (partnership
 * administrators only; the caller checks the role): the partnership is the actor's, never the
 * request's. Earlier versions stay, so considerations keep the version and rationale they were raised under.
 */
export async function reviseRule(db: Kysely<Database>, actor: Actor & { kind: 'user' }, change: RuleChange, meta: { route: string; requestId: string }): Promise<{ ruleId: string; version: number }> {
  const { problems, definition } = await checkRuleChange(db, change);
  if (problems.length) throw new ValidationError(problems);
  return db.transaction().execute(async (trx) => {
    await trx.insertInto('rule').values({ partnership_id: actor.partnershipId, code: change.code, active: change.active })
      .onConflict((oc) => oc.columns(['partnership_id', 'code']).doNothing()).execute();
    const rule = await trx.selectFrom('rule').select('id').where('partnership_id', '=', actor.partnershipId).where('code', '=', change.code).forUpdate().executeTakeFirstOrThrow();
    await trx.updateTable('rule').set({ active: change.active }).where('id', '=', rule.id).execute();
    const last = await trx.selectFrom('rule_version').select(sql<number>`coalesce(max(version), 0)`.as('v')).where('rule_id', '=', rule.id).executeTakeFirstOrThrow();
    const version = Number(last.v) + 1;
    await trx.insertInto('rule_version').values({
      rule_id: rule.id, version, name: change.name.trim(), rationale: change.rationale.trim(), definition: JSON.stringify(definition),
      change_reason: change.changeReason.trim(), created_by_user_id: actor.userId,
    }).execute();
    await recordAccess(trx, { actor, action: 'rule.change', route: meta.route, outcome: 'allowed', requestId: meta.requestId, detail: { ruleId: rule.id, partnershipId: actor.partnershipId, code: change.code, version, active: change.active } });
    return { ruleId: rule.id, version };
  });
}
