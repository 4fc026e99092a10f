import type { Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import type { Actor } from '../../actor.js';
import { CONTINUITY_THRESHOLD, workingSummary, type WorkingSummary } from './allocation.queries.js';

/** The person page's "Working with this child" (one statement), with the continuity prompt a team manager sees. */
export async function loadWorkingPanel(db: Kysely<Database>, actor: Actor, personId: string): Promise<WorkingSummary & { continuityPrompt: boolean }> {
  const summary = await workingSummary(db, actor, personId);
  const manager = actor.kind === 'user' && actor.roles.includes('team_manager');
  return { ...summary, continuityPrompt: manager && summary.workers6 >= CONTINUITY_THRESHOLD };
}
