import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import { getPersonSummary } from '../people/people.queries.js';
import type { Actor } from '../../actor.js';
import { entryScope } from '../chronology/chronology.policy.js';
import { considerationsHeld, type ConsiderationHeld } from '../considerations/held.js';
import { retentionRulesFor } from '../retention/retention.queries.js';

/** A plain summary a practitioner can share with a child and family. Restricted entries are left out. */
export interface WhatWeHold {
  personId: string;
  displayName: string;
  agencies: { name: string; kind: string; entries: number; first: Date; last: Date; categories: string[] }[];
  workers: { organisation: string; role: string; since: string }[];
  restrictedLeftOut: number;
  /** Entries not shared with the practitioner's organisation (left out, and not for the family). */
  notSharedLeftOut: number;
  retention: { description: string }[];
  /** Times the partnership's agreed patterns prompted someone to consider help, and what they decided. */
  considerations: ConsiderationHeld[];
  /** Missing episodes (of entries shared in this summary) and their return home interviews. */
  missing: { episodes: number; first: Date | null; last: Date | null; returned: number; interviewsOffered: number; interviewsCompleted: number; interviewsDeclined: number };
}

/**
 * Builds "what we hold and why" for one person, as the practitioner asking may see the chronology:
 * restricted entries are left out (they are not for the family), and so is anything withheld from
 * the practitioner, which they are told about only as a count.
 */
export async function whatWeHold(db: Kysely<Database>, actor: Actor, personId: string): Promise<WhatWeHold | null> {
  const summary = await getPersonSummary(db, personId);
  if (!summary) return null;
  const entries = () => db.selectFrom(entryScope(actor, { ids: [personId] }).as('v')).where('v.current', '=', true);
  const [byAgency, leftOut, missing] = await Promise.all([
    entries()
      .where('v.access', '=', 'full')
      .where('v.sensitivity', '=', 'standard')
      .groupBy(['v.organisation_name', 'v.organisation_kind'])
      .select((eb) => [
        'v.organisation_name as name', 'v.organisation_kind as kind', eb.fn.countAll<number>().as('entries'),
        eb.fn.min('v.occurred_at').as('first'), eb.fn.max('v.occurred_at').as('last'),
        sql<string[]>`array_agg(DISTINCT v.category ORDER BY v.category)`.as('categories'),
      ])
      .orderBy('v.organisation_name')
      .execute(),
    entries()
      .select([
        sql<number>`count(*) FILTER (WHERE v.sensitivity = 'restricted' AND v.access <> 'not_shared')`.as('restricted'),
        sql<number>`count(*) FILTER (WHERE v.access = 'not_shared')`.as('not_shared'),
      ])
      .executeTakeFirstOrThrow(),
    // Missing episodes as the summary shows entries: those whose entry is in it (not restricted, not withheld).
    entries()
      .where('v.access', '=', 'full')
      .where('v.sensitivity', '=', 'standard')
      .innerJoin('missing_episode as m', 'm.event_id', 'v.id')
      .leftJoin('return_interview as r', 'r.episode_id', 'm.id')
      .select((eb) => [
        eb.fn.countAll<number>().as('episodes'), eb.fn.min('m.reported_missing_at').as('first'), eb.fn.max('m.reported_missing_at').as('last'),
        sql<number>`count(*) FILTER (WHERE m.returned_at IS NOT NULL)`.as('returned'),
        sql<number>`count(*) FILTER (WHERE r.offered_at IS NOT NULL)`.as('offered'),
        sql<number>`count(*) FILTER (WHERE r.completed_at IS NOT NULL)`.as('completed'),
        sql<number>`count(*) FILTER (WHERE r.outcome = 'declined')`.as('declined'),
      ])
      .executeTakeFirstOrThrow(),
  ]);
  // The retention rules of the child's partnership (the default set when the child is in no partnership's area).
  const retention = (await retentionRulesFor(db, personId)).sort((a, b) => a.description.localeCompare(b.description));
  const today = new Date().toISOString().slice(0, 10);
  return {
    personId,
    displayName: summary.displayName,
    agencies: byAgency.map((a) => ({ name: a.name, kind: a.kind, entries: Number(a.entries), first: a.first as Date, last: a.last as Date, categories: a.categories })),
    workers: summary.involvements.filter((i) => i.endedOn === null || i.endedOn >= today).map((i) => ({ organisation: i.organisationName, role: i.role, since: i.startedOn })),
    restrictedLeftOut: Number(leftOut.restricted),
    notSharedLeftOut: Number(leftOut.not_shared),
    retention,
    considerations: await considerationsHeld(db, personId),
    missing: {
      episodes: Number(missing.episodes), first: (missing.first as Date | null) ?? null, last: (missing.last as Date | null) ?? null, returned: Number(missing.returned),
      interviewsOffered: Number(missing.offered), interviewsCompleted: Number(missing.completed), interviewsDeclined: Number(missing.declined),
    },
  };
}
