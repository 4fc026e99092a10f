import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { insertRows } from '../../db/insert-rows.js';
import type { Action } from '../actions.js';
import type { Actor } from '../actor.js';

/** One access-log row to write. */
export interface AccessRecord {
  actor: Actor | null;
  /** One action of the union that policies decide on (src/server/actions.ts). */
  action: Action;
  personId?: string | null;
  route: string;
  outcome: 'allowed' | 'denied';
  requestId?: string;
  detail?: Record<string, unknown>;
}

/** Writes one row to the append-only access log (inside the caller's transaction when given one). */
export async function recordAccess(db: Kysely<Database>, record: AccessRecord): Promise<void> {
  await recordAccessMany(db, [record]);
}

/** Writes several access-log rows in one statement (in the order given: the chain follows it). */
export async function recordAccessMany(db: Kysely<Database>, records: AccessRecord[]): Promise<void> {
  if (records.length === 0) return;
  await insertRows(db, 'access_log', records.map((r) => ({
    user_id: r.actor?.kind === 'user' ? r.actor.userId : null,
    api_key_id: r.actor?.kind === 'system' ? r.actor.apiKeyId : null,
    organisation_id: r.actor?.organisationId ?? null,
    roles: r.actor?.kind === 'user' ? r.actor.roles : ['system'],
    action: r.action,
    person_id: r.personId ?? null,
    route: r.route,
    outcome: r.outcome,
    request_id: r.requestId ?? null,
    detail: r.detail ? JSON.stringify(r.detail) : null,
  })));
}
