import type { Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import { ETHNICITY_GROUPS, ethnicityGroup } from '../../../domain/ethnicity.js';
import { AGE_BANDS, SEXES, ageBand, fairnessRows, type FairnessRow } from '../../../domain/rules/fairness.js';

/** The dimensions the fairness page compares, with their categories in display order. */
export const DIMENSIONS = {
  ethnicity_group: { label: 'Ethnic group', categories: [...ETHNICITY_GROUPS] as string[] },
  sex: { label: 'Sex', categories: [...SEXES] as string[] },
  age_band: { label: 'Age band', categories: [...AGE_BANDS] as string[] },
} as const;
/** A dimension code. */
export type Dimension = keyof typeof DIMENSIONS;

/** One section of the page: a rule (or all rules), with a table per dimension. */
export interface FairnessSection {
  title: string;
  ruleCode: string | null;
  children: string;
  tables: { dimension: Dimension; label: string; rows: FairnessRow[] }[];
}

/** A partnership's configured local child population, by dimension and category. */
export async function loadBaseline(db: Kysely<Database>, partnershipId: string): Promise<{ rows: { dimension: string; category: string; children: number; source: string; updated_at: Date }[]; byDimension: Map<string, Map<string, number>> }> {
  const rows = await db.selectFrom('population_baseline').select(['dimension', 'category', 'children', 'source', 'updated_at'])
    .where('partnership_id', '=', partnershipId).orderBy('dimension').orderBy('category').execute();
  const byDimension = new Map<string, Map<string, number>>();
  for (const r of rows) byDimension.set(r.dimension, (byDimension.get(r.dimension) ?? new Map()).set(r.category, r.children));
  return { rows, byDimension };
}

/**
 * Children considered under one partnership's rules, overall and for each rule (any version), by
 * ethnic group, sex and age band at their first consideration. Considerations raised before rules
 * belonged to partnerships (under the default set) count for the partnership the child lives in now.
 * Person-level rows are read to group them and never leave this function; only counts do.
 */
export async function fairnessSections(db: Kysely<Database>, baseline: Map<string, Map<string, number>>, partnershipId: string): Promise<FairnessSection[]> {
  const rows = await db
    .selectFrom('consideration as c')
    .innerJoin('rule_version as v', 'v.id', 'c.rule_version_id')
    .innerJoin('rule as r', 'r.id', 'v.rule_id')
    .innerJoin('person as p', 'p.id', 'c.person_id')
    .leftJoin('person_partnership as pp', 'pp.person_id', 'c.person_id')
    .where((eb) => eb.or([
      eb('r.partnership_id', '=', partnershipId),
      eb.and([eb('r.partnership_id', 'is', null), eb('pp.partnership_id', '=', partnershipId)]),
    ]))
    .select((eb) => ['r.code', 'c.person_id', 'p.sex', 'p.ethnicity', 'p.date_of_birth', eb.fn.min('c.created_at').as('first_at')])
    .groupBy(['r.code', 'c.person_id', 'p.sex', 'p.ethnicity', 'p.date_of_birth'])
    .execute();
  const names = await db
    .selectFrom('rule as r')
    .innerJoin('rule_version as v', 'v.rule_id', 'r.id')
    .select(['r.code', 'v.name', 'v.version'])
    .where('r.partnership_id', '=', partnershipId)
    .orderBy('r.code')
    .orderBy('v.version', 'desc')
    .execute();
  const ruleName = new Map<string, string>();
  for (const n of names) if (!ruleName.has(n.code)) ruleName.set(n.code, n.name);

  type Child = { sex: string; ethnicity: string | null; dob: string | null; at: Date };
  const overall = new Map<string, Child>();
  const byRule = new Map<string, Map<string, Child>>();
  for (const r of rows) {
    const child = { sex: r.sex, ethnicity: r.ethnicity, dob: r.date_of_birth, at: new Date(r.first_at as unknown as string) };
    const perRule = byRule.get(r.code) ?? new Map<string, Child>();
    perRule.set(r.person_id, child);
    byRule.set(r.code, perRule);
    const seen = overall.get(r.person_id);
    if (!seen || child.at < seen.at) overall.set(r.person_id, child);
  }
  const section = (title: string, ruleCode: string | null, children: Map<string, Child>): FairnessSection => {
    const count = (key: (c: Child) => string | null) => {
      const m = new Map<string, number>();
      for (const c of children.values()) {
        const k = key(c);
        if (k) m.set(k, (m.get(k) ?? 0) + 1);
      }
      return m;
    };
    const counts: Record<Dimension, Map<string, number>> = {
      ethnicity_group: count((c) => ethnicityGroup(c.ethnicity ?? '')),
      sex: count((c) => c.sex),
      age_band: count((c) => ageBand(c.dob, c.at)),
    };
    return {
      title, ruleCode, children: children.size < 5 && children.size > 0 ? 'fewer than 5' : String(children.size),
      tables: (Object.keys(DIMENSIONS) as Dimension[]).map((dimension) => ({
        dimension, label: DIMENSIONS[dimension].label,
        rows: fairnessRows(DIMENSIONS[dimension].categories, counts[dimension], baseline.get(dimension) ?? new Map()),
      })),
    };
  };
  return [
    section('All rules', null, overall),
    ...[...ruleName.keys()].map((code) => section(ruleName.get(code)!, code, byRule.get(code) ?? new Map())),
  ];
}

/** A problem with one row of a pasted baseline. */
export interface BaselineProblem {
  row: number;
  message: string;
}

/** Reads "dimension,category,children" lines; every problem names its row, field and why. */
export function parseBaseline(text: string): { rows: { dimension: Dimension; category: string; children: number }[]; problems: BaselineProblem[] } {
  const rows: { dimension: Dimension; category: string; children: number }[] = [];
  const problems: BaselineProblem[] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((line, i) => {
    const row = i + 1;
    if (!line.trim() || line.trim().startsWith('#')) return;
    // Categories may contain commas ("Black, Black British, Caribbean or African"): split at the first and last comma only.
    const first = line.indexOf(',');
    const last = line.lastIndexOf(',');
    if (first < 0 || last === first) return void problems.push({ row, message: 'needs three values: dimension, category, children' });
    const dimension = line.slice(0, first).trim();
    const category = line.slice(first + 1, last).trim();
    const children = line.slice(last + 1).trim();
    if (!(dimension in DIMENSIONS)) return void problems.push({ row, message: `dimension "${dimension}" must be ethnicity_group, sex or age_band` });
    const d = dimension as Dimension;
    if (!DIMENSIONS[d].categories.includes(category)) {
      return void problems.push({ row, message: `category "${category}" is not one of: ${DIMENSIONS[d].categories.join('; ')}` });
    }
    if (!/^\d+$/.test(children) || Number(children) > 10_000_000) return void problems.push({ row, message: `children must be a whole number, got "${children}"` });
    if (seen.has(`${d}:${category}`)) return void problems.push({ row, message: `${d} "${category}" is given twice` });
    seen.add(`${d}:${category}`);
    rows.push({ dimension: d, category, children: Number(children) });
  });
  if (!rows.length && !problems.length) problems.push({ row: 0, message: 'Enter at least one row' });
  return { rows, problems };
}
