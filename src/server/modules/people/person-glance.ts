import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import type { Actor } from '../../actor.js';
import type { PresentedEntry } from '../chronology/chronology.presenter.js';

/** How many of the latest significant entries the top of the person page shows. */
export const LATEST_SIGNIFICANT = 5;

/** What the top of the person page needs beyond the panels: the reader's open alerts about the child, and what counts as significant. */
export interface PersonGlance {
  openAlerts: number;
  significantTypes: Set<string>;
  /** When the reader's emergency access to the child ends, if they are using it (as breakGlassUntil reads it). */
  emergencyUntil: Date | null;
}

/**
 * One statement: the reader's unacknowledged alerts about this child, the event types the reader's
 * partnership counts as significant (those that alert whoever works with a child), and the end of
 * the reader's emergency access to the child if they are using it (the page's banner).
 */
export async function loadGlance(db: Kysely<Database>, actor: Actor, personId: string): Promise<PersonGlance> {
  if (actor.kind !== 'user') return { openAlerts: 0, significantTypes: new Set(), emergencyUntil: null };
  const row = await db.selectNoFrom([
    sql<string>`(SELECT count(*) FROM alert WHERE recipient_user_id = ${actor.userId} AND person_id = ${personId} AND acknowledged_at IS NULL)`.as('alerts'),
    sql<string[]>`(SELECT coalesce(array_agg(event_type_code), '{}') FROM significant_event_type WHERE partnership_id = ${actor.partnershipId})`.as('significant'),
    sql<Date | null>`(SELECT max(expires_at) FROM break_glass WHERE user_id = ${actor.userId} AND person_id = ${personId} AND expires_at > now())`.as('emergency_until'),
  ]).executeTakeFirstOrThrow();
  return { openAlerts: Number(row.alerts), significantTypes: new Set(row.significant), emergencyUntil: row.emergency_until ? new Date(row.emergency_until) : null };
}

/**
 * The latest significant entries among those the page already read (the newest page of the
 * chronology, through the visibility scope): only entries the reader sees whole, so a withheld
 * entry's type never decides what is shown.
 */
export function latestSignificant(entries: readonly PresentedEntry[], significantTypes: ReadonlySet<string>): PresentedEntry[] {
  return entries.filter((e) => !e.withheld && e.summary !== null && significantTypes.has(e.eventType.code)).slice(0, LATEST_SIGNIFICANT);
}
