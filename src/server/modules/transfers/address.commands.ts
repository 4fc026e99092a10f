/**
 * Recording a child's move to a new address on a page: the addresses in force end the day before the
 * move and the new one starts that day, in one transaction with an access-log row. If the new address
 * is in another partnership's area, the database trigger on person_address queues the transfer.
 */
import { sql, type Transaction } from 'kysely';
import type { Database } from '../../../db/database.js';
import type { Actor } from '../../actor.js';
import { recordAccess } from '../../audit/record-access.js';
import type { CommandResult, FieldProblem } from '../allocation/allocation.commands.js';

export interface MoveInput { line1: string; postcode: string; borough: string; movedOn: string | null }

export async function recordMoveOfAddress(trx: Transaction<Database>, actor: Actor & { kind: 'user' }, personId: string, input: MoveInput, meta: { route: string; requestId: string }): Promise<CommandResult<{ addressId: string }>> {
  const problems: FieldProblem[] = [];
  const line1 = input.line1.trim();
  const postcode = input.postcode.trim().toUpperCase();
  const borough = input.borough.trim();
  if (!line1) problems.push({ field: 'line1', message: 'Enter the first line of the new address' });
  else if (line1.length > 200) problems.push({ field: 'line1', message: 'The first line of the address must be 200 characters or fewer' });
  if (postcode.length > 10) problems.push({ field: 'postcode', message: 'Enter a real postcode' });
  if (borough.length < 2 || borough.length > 100) problems.push({ field: 'borough', message: 'Enter the borough of the new address' });
  if (!input.movedOn) problems.push({ field: 'movedOn', message: 'Enter the date of the move as a real date' });
  else if (input.movedOn > new Date().toISOString().slice(0, 10)) problems.push({ field: 'movedOn', message: 'The date of the move must be today or in the past' });
  if (problems.length || !input.movedOn) return { ok: false, problems };
  await sql`SELECT id FROM person WHERE id = ${personId} FOR UPDATE`.execute(trx);
  await trx.updateTable('person_address').set({ valid_to: sql<string>`${input.movedOn}::date - 1` })
    .where('person_id', '=', personId)
    .where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>=', input.movedOn!)]))
    .where((eb) => eb.or([eb('valid_from', 'is', null), eb('valid_from', '<', input.movedOn!)]))
    .execute();
  const row = await trx.insertInto('person_address').values({
    person_id: personId, line1, postcode: postcode || null, borough, town: null, valid_from: input.movedOn, valid_to: null, recorded_by_organisation_id: actor.organisationId,
  }).returning('id').executeTakeFirstOrThrow();
  await recordAccess(trx, { actor, action: 'address.record', personId, route: meta.route, outcome: 'allowed', requestId: meta.requestId, detail: { addressId: row.id, movedOn: input.movedOn } });
  return { ok: true, value: { addressId: row.id } };
}
