import type { Actor, Role } from '../../actor.js';

/**
 * Who may import: an organisation's systems (by API key), and its designated safeguarding leads and
 * team managers, who answer for what their organisation shares. Practitioners record through forms;
 * administrators and analysts do not send records. The same roles read their organisation's batch
 * reports and keep its code table.
 */
export const INTAKE_ROLES: readonly Role[] = ['designated_safeguarding_lead', 'team_manager'];

/** Whether the actor may import records for their organisation. */
export function canImport(actor: Actor): boolean {
  return actor.kind === 'system' || actor.roles.some((r) => INTAKE_ROLES.includes(r));
}

/**
 * Whether the actor may read a batch's report: only its own organisation's, and only those who may
 * import. A system reads only the batches its own key sent (another key of the same organisation,
 * another system, is answered "not found"); the organisation's people read all its batches.
 */
export function canReadBatch(actor: Actor, batch: { organisation_id: string; api_key_id: string | null }): boolean {
  if (!canImport(actor) || batch.organisation_id !== actor.organisationId) return false;
  return actor.kind !== 'system' || batch.api_key_id === actor.apiKeyId;
}

/** Whether the actor may change their organisation's code table (people only: a system cannot redefine codes). */
export function canManageMappings(actor: Actor): boolean {
  return actor.kind === 'user' && canImport(actor);
}
