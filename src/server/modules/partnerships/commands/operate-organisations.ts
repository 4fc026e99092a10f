import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../../db/database.js';
import { AGENCY_KINDS, type AgencyKind } from '../../../../domain/vocabulary.js';
import type { Actor } from '../../../actor.js';
import { recordAccess } from '../../../audit/record-access.js';
import { isUuid } from '../../../request.js';
import { OperatorError } from './operate-partnerships.js';

/**
 * Organisations of a deployment, for onboarding a real partnership: listed, added (an operator on the
 * command line, or a partnership administrator for their own partnership) and changed, each with the
 * code partners know it by. An organisation added joins the partnership of its borough (a database
 * trigger), or the administrator's own. Every change is in the partnership's settings history and the
 * access log.
 */

/** An organisation as the lists show it. */
export interface OrganisationListing {
  id: string;
  code: string | null;
  name: string;
  kind: string;
  borough: string;
  partnerships: string[];
}

/** What an organisation is given when added or changed. */
export interface OrganisationInput {
  code: string;
  name: string;
  kind: string;
  borough: string;
}

const CODE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/;

/** Checks an organisation's fields, naming each problem (a field → why). */
export function organisationProblems(input: Partial<OrganisationInput>): Record<string, string> {
  const problems: Record<string, string> = {};
  const code = input.code?.trim();
  if (input.code !== undefined && !code) problems.code = 'Enter the organisation\'s code (its ODS code, URN, or force or authority code)';
  else if (code !== undefined && !CODE.test(code)) problems.code = 'The code must be 1 to 40 letters, digits, dots, dashes or underscores, starting with a letter or digit';
  if (input.name !== undefined && !input.name.trim()) problems.name = 'Enter the organisation\'s name';
  else if (input.name !== undefined && input.name.trim().length > 200) problems.name = 'The name must be 200 characters or fewer';
  if (input.kind !== undefined && !AGENCY_KINDS.includes(input.kind as AgencyKind)) problems.kind = `The kind must be one of: ${AGENCY_KINDS.join(', ')}`;
  if (input.borough !== undefined && !input.borough.trim()) problems.borough = 'Enter the borough the organisation is in';
  else if (input.borough !== undefined && input.borough.trim().length > 100) problems.borough = 'The borough must be 100 characters or fewer';
  return problems;
}

function check(input: Partial<OrganisationInput>): void {
  const problems = Object.values(organisationProblems(input));
  if (problems.length) throw new OperatorError(problems.join('; '));
}

async function codeTaken(db: Kysely<Database>, code: string, except?: string): Promise<boolean> {
  let q = db.selectFrom('organisation').select('id').where(sql<string>`upper(code)`, '=', code.toUpperCase());
  if (except) q = q.where('id', '<>', except);
  return (await q.executeTakeFirst()) !== undefined;
}

/** Every organisation (or those of one partnership), by name. */
export async function listOrganisations(db: Kysely<Database>, partnershipId?: string): Promise<OrganisationListing[]> {
  let q = db.selectFrom('organisation as o')
    .select(['o.id', 'o.code', 'o.name', 'o.kind', 'o.borough',
      sql<string[]>`coalesce((SELECT array_agg(p.code ORDER BY p.code) FROM organisation_partnership op JOIN partnership p ON p.id = op.partnership_id WHERE op.organisation_id = o.id), '{}')`.as('partnerships')])
    .orderBy('o.name').orderBy('o.id');
  if (partnershipId) q = q.where('o.id', 'in', db.selectFrom('organisation_partnership').select('organisation_id').where('partnership_id', '=', partnershipId));
  return q.execute();
}

/**
 * Adds an organisation. `partnershipId` puts it in that partnership too (an administrator adds to
 * their own); `id` keeps the id it had elsewhere (restoring an export into a new deployment).
 */
export async function addOrganisation(
  db: Kysely<Database>, input: OrganisationInput, by: { actor: Actor | null; route: string; partnershipId?: string; id?: string },
): Promise<OrganisationListing> {
  check(input);
  if (by.id !== undefined && !isUuid(by.id)) throw new OperatorError('--id must be a UUID');
  return db.transaction().execute(async (trx) => {
    if (await codeTaken(trx, input.code.trim())) throw new OperatorError(`Another organisation has the code "${input.code.trim()}"`);
    if (by.id && await trx.selectFrom('organisation').select('id').where('id', '=', by.id).executeTakeFirst()) throw new OperatorError(`An organisation has the id ${by.id} already`);
    const row = await trx.insertInto('organisation').values({
      ...(by.id ? { id: by.id } : {}), code: input.code.trim(), name: input.name.trim(), kind: input.kind, borough: input.borough.trim(),
    }).returning('id').executeTakeFirstOrThrow();
    if (by.partnershipId) {
      await trx.insertInto('organisation_partnership').values({ organisation_id: row.id, partnership_id: by.partnershipId }).onConflict((oc) => oc.doNothing()).execute();
    }
    const partnerships = await trx.selectFrom('organisation_partnership').select('partnership_id').where('organisation_id', '=', row.id).execute();
    for (const p of partnerships) {
      await trx.insertInto('partnership_change').values({
        partnership_id: p.partnership_id, setting: 'membership', after: sql`${JSON.stringify({ organisationId: row.id, code: input.code.trim(), name: input.name.trim() })}::jsonb`,
        changed_by_user_id: by.actor?.kind === 'user' ? by.actor.userId : null, changed_by_operator: by.actor === null,
      }).execute();
    }
    await recordAccess(trx, { actor: by.actor, action: 'partnership.configure', route: by.route, outcome: 'allowed', detail: { organisationId: row.id, added: true } });
    return (await listOrganisations(trx)).find((o) => o.id === row.id)!;
  });
}

/** Finds an organisation by its id or its code. */
export async function findOrganisation(db: Kysely<Database>, idOrCode: string): Promise<{ id: string; name: string } | undefined> {
  const key = idOrCode.trim();
  return isUuid(key)
    ? db.selectFrom('organisation').select(['id', 'name']).where('id', '=', key).executeTakeFirst()
    : db.selectFrom('organisation').select(['id', 'name']).where(sql<string>`upper(code)`, '=', key.toUpperCase()).executeTakeFirst();
}

/** Changes an organisation's code, name, kind or borough (only what is given); before and after go in the history of each of its partnerships. */
export async function changeOrganisation(
  db: Kysely<Database>, organisationId: string, changes: Partial<OrganisationInput>, by: { actor: Actor | null; route: string },
): Promise<OrganisationListing> {
  check(changes);
  return db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('organisation').select(['id', 'code', 'name', 'kind', 'borough']).where('id', '=', organisationId).forUpdate().executeTakeFirst();
    if (!before) throw new OperatorError(`No organisation has id ${organisationId}`);
    const code = changes.code?.trim();
    if (code && await codeTaken(trx, code, organisationId)) throw new OperatorError(`Another organisation has the code "${code}"`);
    const set = {
      ...(code !== undefined ? { code } : {}), ...(changes.name !== undefined ? { name: changes.name.trim() } : {}),
      ...(changes.kind !== undefined ? { kind: changes.kind } : {}), ...(changes.borough !== undefined ? { borough: changes.borough.trim() } : {}),
    };
    if (Object.keys(set).length) {
      await trx.updateTable('organisation').set(set).where('id', '=', organisationId).execute();
      const partnerships = await trx.selectFrom('organisation_partnership').select('partnership_id').where('organisation_id', '=', organisationId).execute();
      for (const p of partnerships) {
        await trx.insertInto('partnership_change').values({
          partnership_id: p.partnership_id, setting: 'membership', before: sql`${JSON.stringify(before)}::jsonb`, after: sql`${JSON.stringify({ ...before, ...set })}::jsonb`,
          changed_by_user_id: by.actor?.kind === 'user' ? by.actor.userId : null, changed_by_operator: by.actor === null,
        }).execute();
      }
      await recordAccess(trx, { actor: by.actor, action: 'partnership.configure', route: by.route, outcome: 'allowed', detail: { organisationId, changed: Object.keys(set) } });
    }
    return (await listOrganisations(trx)).find((o) => o.id === organisationId)!;
  });
}
