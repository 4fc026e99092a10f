import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { Database } from '../../../db/database.js';
import type { Actor } from '../../actor.js';
import { childRecordSql, entryScope } from '../chronology/chronology.policy.js';
import { entryLabel } from '../chronology/chronology.presenter.js';
import { visiblePersonIds } from './people.policy.js';

/** A person's name as recorded, of one kind. */
export interface PersonName {
  kind: string;
  givenNames: string | null;
  familyName: string | null;
  validFrom: string | null;
  validTo: string | null;
}

/** Everything the person page shows above the chronology. */
export interface PersonSummary {
  id: string;
  displayName: string;
  names: PersonName[];
  dateOfBirth: string | null;
  dobAccuracy: string;
  sex: string;
  ethnicity: string | null;
  identifiers: { scheme: string; value: string }[];
  addresses: { line1: string | null; town: string | null; postcode: string | null; borough: string | null; validFrom: string | null; validTo: string | null; protected: boolean; recordedByOrganisationId: string | null; recordedByOrganisationName: string | null }[];
  relationships: { kind: string; personId: string; name: string }[];
  involvements: { organisationId: string; organisationName: string; organisationKind: string; teamName: string | null; userId: string | null; userName: string | null; role: string; startedOn: string; endedOn: string | null }[];
}

const NAME_RANK: Record<string, number> = { legal: 0, known_as: 1, previous: 2, alias: 3, nickname: 4, online_handle: 5 };

/** The name to show: the current legal name, else the best other current name. */
export function chooseDisplayName(names: PersonName[]): string {
  const sorted = [...names].sort((a, b) => (a.validTo ? 1 : 0) - (b.validTo ? 1 : 0) || (NAME_RANK[a.kind] ?? 9) - (NAME_RANK[b.kind] ?? 9));
  const best = sorted[0];
  if (!best) return 'Name not recorded';
  return [best.givenNames, best.familyName].filter(Boolean).join(' ');
}

/** The SQL expression indexed for fuzzy name search (must match the migration's index exactly). */
const nameExpr = sql<string>`lower(coalesce(person_name.given_names, '') || ' ' || coalesce(person_name.family_name, ''))`;

/** Display names for many people at once. */
export async function displayNames(db: Kysely<Database>, personIds: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (personIds.length === 0) return out;
  const rows = await db
    .selectFrom('person_name')
    .select(['person_id', 'kind', 'given_names', 'family_name', 'valid_from', 'valid_to'])
    .where('person_id', 'in', personIds)
    .execute();
  const byPerson = new Map<string, PersonName[]>();
  for (const r of rows) {
    const list = byPerson.get(r.person_id) ?? [];
    list.push({ kind: r.kind, givenNames: r.given_names, familyName: r.family_name, validFrom: r.valid_from, validTo: r.valid_to });
    byPerson.set(r.person_id, list);
  }
  for (const id of personIds) out.set(id, chooseDisplayName(byPerson.get(id) ?? []));
  return out;
}

/** Loads the person page summary. The caller has already authorised the read. */
export async function getPersonSummary(db: Kysely<Database>, personId: string): Promise<PersonSummary | null> {
  const person = await db.selectFrom('person').selectAll().where('id', '=', personId).executeTakeFirst();
  if (!person) return null;
  const [names, identifiers, addresses, relationships, involvements] = await Promise.all([
    db.selectFrom('person_name').select(['kind', 'given_names', 'family_name', 'valid_from', 'valid_to']).where('person_id', '=', personId).execute(),
    db.selectFrom('person_identifier').select(['scheme', 'value']).where('person_id', '=', personId).orderBy('scheme').execute(),
    db.selectFrom('person_address as a').leftJoin('organisation as ao', 'ao.id', 'a.recorded_by_organisation_id')
      .select(['a.line1', 'a.town', 'a.postcode', 'a.borough', 'a.valid_from', 'a.valid_to', 'a.protected', 'a.recorded_by_organisation_id', 'ao.name as recorded_by_name']).where('a.person_id', '=', personId)
      .orderBy(sql`a.valid_to IS NULL`, 'desc').orderBy('a.valid_from', 'desc').execute(),
    // Family as recorded, for everyone who may see the person. A relationship taken from an entry, or
    // recorded as restricted, is shown on the network page, which decides who may see it.
    db.selectFrom('person_relationship').select(['kind', 'related_person_id']).where('person_id', '=', personId)
      .where('source_event_id', 'is', null).where('sensitivity', '=', 'standard').execute(),
    db.selectFrom('involvement as i')
      .innerJoin('organisation as o', 'o.id', 'i.organisation_id')
      .leftJoin('team as t', 't.id', 'i.team_id')
      .leftJoin('app_user as u', 'u.id', 'i.user_id')
      .select(['i.organisation_id', 'o.name as organisation_name', 'o.kind as organisation_kind', 't.name as team_name', 'i.user_id', 'u.name as user_name', 'i.role', 'i.started_on', 'i.ended_on'])
      .where('i.person_id', '=', personId)
      .orderBy('i.ended_on', 'desc').orderBy('i.started_on', 'desc')
      .execute(),
  ]);
  const mappedNames = names.map((n) => ({ kind: n.kind, givenNames: n.given_names, familyName: n.family_name, validFrom: n.valid_from, validTo: n.valid_to }));
  const relatedNames = await displayNames(db, relationships.map((r) => r.related_person_id));
  return {
    id: person.id,
    displayName: chooseDisplayName(mappedNames),
    names: mappedNames,
    dateOfBirth: person.date_of_birth,
    dobAccuracy: person.dob_accuracy,
    sex: person.sex,
    ethnicity: person.ethnicity,
    identifiers: identifiers.map((i) => ({ scheme: i.scheme, value: i.value })),
    addresses: addresses.map((a) => ({
      line1: a.line1, town: a.town, postcode: a.postcode, borough: a.borough, validFrom: a.valid_from, validTo: a.valid_to,
      protected: a.protected, recordedByOrganisationId: a.recorded_by_organisation_id, recordedByOrganisationName: a.recorded_by_name,
    })),
    relationships: relationships.map((r) => ({ kind: r.kind, personId: r.related_person_id, name: relatedNames.get(r.related_person_id) ?? '' })),
    involvements: involvements.map((i) => ({
      organisationId: i.organisation_id, organisationName: i.organisation_name, organisationKind: i.organisation_kind,
      teamName: i.team_name, userId: i.user_id, userName: i.user_name, role: i.role, startedOn: i.started_on, endedOn: i.ended_on,
    })),
  };
}

/** Criteria for finding a person; at least one is given. */
export interface SearchCriteria {
  name?: string;
  dateOfBirth?: string;
  identifier?: string;
}

/** One search hit. */
export interface SearchHit {
  id: string;
  displayName: string;
  matchedName: string;
  dateOfBirth: string | null;
  sex: string;
  score: number;
}

/** Finds people the actor may see (or those `within` another scope), by fuzzy name (pg_trgm), date of birth and identifier. */
export async function searchPeople(
  db: Kysely<Database>, actor: Actor, criteria: SearchCriteria, limit = 50,
  within: SelectQueryBuilder<Database, any, { person_id: string }> = visiblePersonIds(db, actor),
): Promise<SearchHit[]> {
  const name = criteria.name?.trim().toLowerCase();
  const score = name
    ? sql<number>`greatest(similarity(${nameExpr}, ${name}), word_similarity(${name}, ${nameExpr}))`
    : sql<number>`1`;
  let q = db
    .selectFrom('person')
    .innerJoin('person_name', 'person_name.person_id', 'person.id')
    .where('person.id', 'in', within)
    .select([
      'person.id', 'person.date_of_birth', 'person.sex',
      sql<string>`trim(coalesce(person_name.given_names, '') || ' ' || coalesce(person_name.family_name, ''))`.as('matched_name'),
      score.as('score'),
    ]);
  // % and <% use the trigram index; word similarity lets part of a name ("Tay") find "Taylor".
  if (name) q = q.where(sql<boolean>`(${nameExpr} % ${name} OR ${name} <% ${nameExpr})`);
  if (criteria.dateOfBirth) q = q.where('person.date_of_birth', '=', criteria.dateOfBirth);
  if (criteria.identifier) {
    const value = criteria.identifier.replace(/\s+/g, '').toUpperCase();
    q = q.where('person.id', 'in', db.selectFrom('person_identifier').select('person_id').where(sql`upper(replace(value, ' ', ''))`, '=', value));
  }
  const rows = await q.orderBy('score', 'desc').limit(limit * 4).execute();
  // One hit per child: the best-matching of their names, on any of their records (merged records
  // are one child, found under the surviving record).
  const records = rows.length
    ? await db.selectFrom(childRecordSql([...new Set(rows.map((r) => r.id))]).as('c')).select(['c.seed', 'c.anchor']).execute()
    : [];
  const childOf = new Map(records.map((r) => [r.seed, r.anchor]));
  const best = new Map<string, (typeof rows)[number]>();
  for (const row of rows) {
    const r = { ...row, id: childOf.get(row.id) ?? row.id };
    const seen = best.get(r.id);
    if (!seen || Number(r.score) > Number(seen.score)) best.set(r.id, r);
  }
  const hits = [...best.values()].sort((a, b) => Number(b.score) - Number(a.score)).slice(0, limit);
  const names = await displayNames(db, hits.map((h) => h.id));
  return hits.map((h) => ({
    id: h.id, displayName: names.get(h.id) ?? h.matched_name, matchedName: h.matched_name,
    dateOfBirth: h.date_of_birth, sex: h.sex, score: Number(h.score),
  }));
}

/** A child on the home page, with their most recent event. */
export interface MyChild {
  id: string;
  displayName: string;
  dateOfBirth: string | null;
  myRole: string | null;
  latest: { occurredAt: Date; precision: string; label: string; organisationName: string; restricted: boolean } | null;
}

/**
 * The children the actor may see (personally, through their team or organisation), newest activity
 * first. Merged records are one child, listed once under the surviving record; the latest entry is
 * shown as the actor may see it (its type, or that it is withheld).
 */
export async function myChildren(db: Kysely<Database>, actor: Actor & { kind: 'user' }, limit = 100): Promise<MyChild[]> {
  const visible = await db
    .selectFrom('person')
    .select('person.id')
    .where('person.id', 'in', visiblePersonIds(db, actor))
    .execute();
  if (visible.length === 0) return [];
  const records = await db.selectFrom(childRecordSql(visible.map((p) => p.id)).as('c')).select(['c.seed', 'c.anchor']).execute();
  const childOf = new Map(records.map((r) => [r.seed, r.anchor]));
  const children = await db
    .selectFrom('person')
    .select(['person.id', 'person.date_of_birth'])
    .where('person.id', 'in', [...new Set(records.map((r) => r.anchor))])
    .orderBy('person.id')
    .limit(limit)
    .execute();
  const ids = children.map((p) => p.id);
  const [names, roles, latest] = await Promise.all([
    displayNames(db, ids),
    db.selectFrom('involvement').select(['person_id', 'role']).where('user_id', '=', actor.userId).where('person_id', 'in', visible.map((p) => p.id))
      .where('ended_on', 'is', null).execute(),
    db
      .selectFrom((eb) =>
        eb
          .selectFrom(entryScope(actor, { ids }).as('v'))
          .where('v.current', '=', true)
          .select([
            'v.person_id', 'v.occurred_at', 'v.occurred_precision', 'v.access', 'v.type_label', 'v.organisation_name',
            sql<number>`row_number() over (partition by v.person_id order by v.occurred_at desc, v.sort_recorded_at desc)`.as('rn'),
          ])
          .as('x'),
      )
      .selectAll()
      .where('x.rn', '=', 1)
      .execute(),
  ]);
  // A role on any record of the child is the actor's role with the child.
  const roleOf = new Map(roles.map((r) => [childOf.get(r.person_id) ?? r.person_id, r.role]));
  const latestOf = new Map(latest.map((l) => [l.person_id, l]));
  return children
    .map((p) => {
      const l = latestOf.get(p.id);
      return {
        id: p.id,
        displayName: names.get(p.id) ?? '',
        dateOfBirth: p.date_of_birth,
        myRole: roleOf.get(p.id) ?? null,
        latest: l
          ? { occurredAt: l.occurred_at, precision: l.occurred_precision, label: entryLabel(l), organisationName: l.organisation_name, restricted: l.access !== 'full' }
          : null,
      };
    })
    .sort((a, b) => (b.latest?.occurredAt.getTime() ?? 0) - (a.latest?.occurredAt.getTime() ?? 0));
}

/**
 * The people a short reference (person-reference.ts) stands for, among those `within` a scope: the
 * reference decodes to a range of record ids, read through the primary key. Usually one; in a very
 * large deployment possibly more, each given with its name so a person can tell them apart.
 */
export async function peopleByReference(
  db: Kysely<Database>, range: { from: string; to: string }, within: SelectQueryBuilder<Database, any, { person_id: string }>,
): Promise<{ id: string; displayName: string; dateOfBirth: string | null }[]> {
  const rows = await db.selectFrom('person').select(['person.id', 'person.date_of_birth'])
    .where('person.id', '>=', range.from).where('person.id', '<=', range.to).where('person.id', 'in', within)
    .orderBy('person.id').limit(20).execute();
  const names = await displayNames(db, rows.map((r) => r.id));
  return rows.map((r) => ({ id: r.id, displayName: names.get(r.id) ?? 'Name not recorded', dateOfBirth: r.date_of_birth }));
}
