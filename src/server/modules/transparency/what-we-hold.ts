import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import { getPersonSummary } from '../people/people.queries.js';
import { samePersonIds } from '../identity/identity.merges.js';
import { considerationsHeld, type ConsiderationHeld } from '../considerations/held.js';

/** A plain summary a practitioner can share with a child and family. Restricted entries are left out. */
export interface WhatWeHold {
  personId: string;
  displayName: string;
  agencies: { name: string; kind: string; entries: number; first: Date; last: Date; categories: string[] }[];
  workers: { organisation: string; role: string; since: string }[];
  restrictedLeftOut: number;
  retention: { description: string }[];
  /** Times the partnership's agreed patterns prompted someone to consider help, and what they decided. */
  considerations: ConsiderationHeld[];
}

/** Builds "what we hold and why" for one person. */
export async function whatWeHold(db: Kysely<Database>, personId: string): Promise<WhatWeHold | null> {
  const summary = await getPersonSummary(db, personId);
  if (!summary) return null;
  const byAgency = await db
    .selectFrom('event as e')
    .innerJoin('organisation as o', 'o.id', 'e.organisation_id')
    .innerJoin('event_type as t', 't.code', 'e.event_type_code')
    .where('e.id', 'in', db.selectFrom('event_person').select('event_id').where('person_id', 'in', samePersonIds(db, personId)))
    .where('e.sensitivity', '=', 'standard')
    .where(sql<boolean>`NOT EXISTS (SELECT 1 FROM event s WHERE s.supersedes = e.id)`)
    .groupBy(['o.name', 'o.kind'])
    .select((eb) => [
      'o.name', 'o.kind', eb.fn.countAll<number>().as('entries'), eb.fn.min('e.occurred_at').as('first'), eb.fn.max('e.occurred_at').as('last'),
      sql<string[]>`array_agg(DISTINCT t.category ORDER BY t.category)`.as('categories'),
    ])
    .orderBy('o.name')
    .execute();
  const restricted = await db
    .selectFrom('event as e')
    .where('e.id', 'in', db.selectFrom('event_person').select('event_id').where('person_id', 'in', samePersonIds(db, personId)))
    .where('e.sensitivity', '=', 'restricted')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  const retention = await db.selectFrom('retention_rule').select('description').where('active', '=', true).orderBy('description').execute();
  const today = new Date().toISOString().slice(0, 10);
  return {
    personId,
    displayName: summary.displayName,
    agencies: byAgency.map((a) => ({ name: a.name, kind: a.kind, entries: Number(a.entries), first: a.first as Date, last: a.last as Date, categories: a.categories })),
    workers: summary.involvements.filter((i) => i.endedOn === null || i.endedOn >= today).map((i) => ({ organisation: i.organisationName, role: i.role, since: i.startedOn })),
    restrictedLeftOut: Number(restricted.n),
    retention,
    considerations: await considerationsHeld(db, personId),
  };
}
