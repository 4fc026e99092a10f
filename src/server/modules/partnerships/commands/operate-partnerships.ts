import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../../db/database.js';
import { recordAccess } from '../../../audit/record-access.js';
import { isUuid } from '../../../request.js';

/**
 * Deployment-level partnership operations for operators (`jigsaw partnership ...`): listing
 * partnerships, adding one for new boroughs, and putting an organisation in a further partnership.
 * No partnership administrator can do these; each is in the partnership's settings history
 * (as an operator's change) and in the access log (no user).
 */

/** A partnership as the operator's list shows it. */
export interface PartnershipListing {
  id: string;
  code: string;
  name: string;
  areas: string[];
  organisations: number;
  frontDoor: string | null;
  alertEscalationMinutes: number;
  rules: number;
}

/** Every partnership, by code. */
export async function listPartnerships(db: Kysely<Database>): Promise<PartnershipListing[]> {
  const rows = await db.selectFrom('partnership as p')
    .leftJoin('partnership_front_door as f', 'f.partnership_id', 'p.id')
    .leftJoin('organisation as o', 'o.id', 'f.organisation_id')
    .select(['p.id', 'p.code', 'p.name', 'p.alert_escalation_minutes', 'o.name as front_door',
      sql<string[]>`coalesce((SELECT array_agg(a.borough ORDER BY a.borough) FROM partnership_area a WHERE a.partnership_id = p.id), '{}')`.as('areas'),
      sql<number>`(SELECT count(*) FROM organisation_partnership op WHERE op.partnership_id = p.id)::int`.as('organisations'),
      sql<number>`(SELECT count(*) FROM rule r WHERE r.partnership_id = p.id AND r.active)::int`.as('rules')])
    .orderBy('p.code').execute();
  return rows.map((r) => ({
    id: r.id, code: r.code, name: r.name, areas: r.areas, organisations: Number(r.organisations), frontDoor: r.front_door,
    alertEscalationMinutes: r.alert_escalation_minutes, rules: Number(r.rules),
  }));
}

/** What an operator's request got wrong, in words for the terminal. */
export class OperatorError extends Error {}

/** Checks a new partnership's code, name and boroughs before any database work; returns them trimmed. */
export function checkNewPartnership(input: { code: string; name: string; boroughs: string[] }): { code: string; name: string; boroughs: string[] } {
  const code = input.code.trim();
  const name = input.name.trim();
  const boroughs = [...new Set(input.boroughs.map((b) => b.trim()).filter(Boolean))];
  if (!/^[a-z0-9][a-z0-9-]{1,39}$/.test(code)) throw new OperatorError('--code must be 2 to 40 lowercase letters, digits or hyphens, starting with a letter or digit');
  if (name.length < 2 || name.length > 200) throw new OperatorError('--name must be 2 to 200 characters');
  if (boroughs.length === 0) throw new OperatorError('--borough is needed: the area (local authority) the partnership covers; repeat it for several');
  if (boroughs.some((b) => b.length > 200)) throw new OperatorError('--borough must be at most 200 characters');
  return { code, name, boroughs };
}

/**
 * Adds a partnership covering one or more boroughs no partnership covers yet. It starts with the
 * default rules, retention rules and significant event types (database triggers), no front door
 * and no baseline, which its administrator then sets.
 */
export async function addPartnership(db: Kysely<Database>, input: { code: string; name: string; boroughs: string[] }): Promise<{ id: string }> {
  const { code, name, boroughs } = checkNewPartnership(input);
  return db.transaction().execute(async (trx) => {
    if (await trx.selectFrom('partnership').select('id').where('code', '=', code).executeTakeFirst()) throw new OperatorError(`A partnership with code "${code}" exists already`);
    const covered = await trx.selectFrom('partnership_area as a').innerJoin('partnership as p', 'p.id', 'a.partnership_id')
      .select(['a.borough', 'p.code']).where('a.borough', 'in', boroughs).execute();
    if (covered.length) throw new OperatorError(covered.map((c) => `"${c.borough}" is covered by partnership ${c.code} already`).join('; '));
    const p = await trx.insertInto('partnership').values({ code, name }).returning('id').executeTakeFirstOrThrow();
    await trx.insertInto('partnership_area').values(boroughs.map((borough) => ({ borough, partnership_id: p.id }))).execute();
    await trx.insertInto('partnership_change').values([
      { partnership_id: p.id, setting: 'created', after: sql`${JSON.stringify({ code, name })}::jsonb`, changed_by_operator: true },
      ...boroughs.map((borough) => ({ partnership_id: p.id, setting: 'area' as const, after: sql`${JSON.stringify({ borough })}::jsonb`, changed_by_operator: true })),
    ]).execute();
    await recordAccess(trx, { actor: null, action: 'partnership.configure', route: 'jigsaw partnership add', outcome: 'allowed', detail: { partnershipId: p.id, code, boroughs } });
    return { id: p.id };
  });
}

/** Puts an organisation in a further partnership (a police unit or NHS trust covering several boroughs). */
export async function joinPartnership(db: Kysely<Database>, input: { organisationId: string; partnershipCode: string }): Promise<{ joined: boolean; organisation: string; partnership: string }> {
  const orgId = input.organisationId.trim();
  if (!isUuid(orgId)) throw new OperatorError('--organisation must be an organisation id (a UUID)');
  return db.transaction().execute(async (trx) => {
    const org = await trx.selectFrom('organisation').select(['id', 'name']).where('id', '=', orgId).executeTakeFirst();
    if (!org) throw new OperatorError(`No organisation has id ${orgId}`);
    const p = await trx.selectFrom('partnership').select(['id', 'name']).where('code', '=', input.partnershipCode.trim()).executeTakeFirst();
    if (!p) throw new OperatorError(`No partnership has code "${input.partnershipCode.trim()}" (jigsaw partnership list shows them)`);
    const added = await trx.insertInto('organisation_partnership').values({ organisation_id: org.id, partnership_id: p.id })
      .onConflict((oc) => oc.doNothing()).returning('organisation_id').execute();
    if (added.length) {
      await trx.insertInto('partnership_change').values({ partnership_id: p.id, setting: 'membership', after: sql`${JSON.stringify({ organisationId: org.id })}::jsonb`, changed_by_operator: true }).execute();
      await recordAccess(trx, { actor: null, action: 'partnership.configure', route: 'jigsaw partnership join', outcome: 'allowed', detail: { partnershipId: p.id, organisationId: org.id } });
    }
    return { joined: added.length > 0, organisation: org.name, partnership: p.name };
  });
}
