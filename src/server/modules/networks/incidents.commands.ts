/**
 * Incidents and the critical-moment response.
 *
 * Several agencies record one happening (police and A&E both record one stabbing): their entries are
 * linked into one incident, automatically where a person, the kind and the time agree (within
 * INCIDENT_LINK_HOURS), and by hand otherwise. A serious incident (homicide, a death, a stabbing, a
 * shooting, a serious assault) that happened in the last 30 days gives each child of its affected
 * cohort a welfare check for their lead professional (else their partnership's front door), delivered
 * as an alert. Runs from the outbox (`chronology.entries_recorded.incidents`), reading entries as the
 * partnership (purpose `critical_moment`); idempotent: an entry is in one incident, a child has one
 * check per incident, a recipient one alert per check.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import { COHORT_CAP, INCIDENT_KINDS, INCIDENT_LINK_HOURS, incidentKindOf, type IncidentKind } from '../../../domain/networks/kinds.js';
import type { Actor } from '../../actor.js';
import { recordAccess } from '../../audit/record-access.js';
import { writeSubjectAlerts, type SubjectAlert } from '../alerts/subject-alerts.js';
import { entriesById, mergeGroupSql, type EntryReader } from '../chronology/chronology.policy.js';
import { cohortOf } from './networks.queries.js';

const AS_PARTNERSHIP: EntryReader = { kind: 'partnership', purpose: 'critical_moment' };
/** Incidents older than this when recorded (history loaded late) are linked but start no response. */
const RESPONSE_WINDOW_DAYS = 30;

/** Links each given entry that is part of an incident into one (a new one when none agrees); returns the incidents touched. */
export async function linkEntries(db: Kysely<Database>, eventIds: readonly string[]): Promise<string[]> {
  if (eventIds.length === 0) return [];
  const entries = await sql<{ id: string; event_type_code: string; summary: string | null; occurred_at: Date }>`
    SELECT ve.id, ve.event_type_code, ve.summary, ve.occurred_at FROM ${entriesById(AS_PARTNERSHIP)} ve
    WHERE ve.id = ANY(${sql.val([...eventIds])}::uuid[]) AND ve.current
      AND NOT EXISTS (SELECT 1 FROM incident_entry ie WHERE ie.event_id = ve.id)
    ORDER BY ve.occurred_at, ve.id`.execute(db);
  const touched = new Set<string>();
  for (const e of entries.rows) {
    const kind = incidentKindOf(e.event_type_code, e.summary);
    if (!kind) continue;
    const incidentId = await db.transaction().execute(async (trx) => {
      const people = (await trx.selectFrom('event_person').select('person_id').where('event_id', '=', e.id).execute()).map((p) => p.person_id);
      if (people.length === 0) return null;
      // Serialise linking of one happening: two records arriving together must not open two incidents.
      await sql`SELECT pg_advisory_xact_lock(hashtext(${`incident:${kind}`}))`.execute(trx);
      const existing = await sql<{ id: string }>`
        SELECT i.id FROM incident i
        JOIN incident_entry ie ON ie.incident_id = i.id
        JOIN event_person ep ON ep.event_id = ie.event_id
        WHERE i.kind = ${kind} AND ep.person_id IN (SELECT person_id FROM ${mergeGroupSql(people)} g)
          AND i.occurred_at BETWEEN ${e.occurred_at}::timestamptz - make_interval(hours => ${INCIDENT_LINK_HOURS})
                                AND ${e.occurred_at}::timestamptz + make_interval(hours => ${INCIDENT_LINK_HOURS})
        ORDER BY i.occurred_at LIMIT 1`.execute(trx);
      const id = existing.rows[0]?.id ?? (await trx.insertInto('incident')
        .values({ kind, serious: INCIDENT_KINDS[kind].serious, occurred_at: e.occurred_at })
        .returning('id').executeTakeFirstOrThrow()).id;
      await trx.insertInto('incident_entry').values({ incident_id: id, event_id: e.id, linked_by: 'automatic', linked_by_user_id: null })
        .onConflict((oc) => oc.column('event_id').doNothing()).execute();
      return id;
    });
    if (incidentId) touched.add(incidentId);
  }
  return [...touched];
}

/** Links an entry into an incident by hand (a record the automatic link missed). Returns false when it is in another incident already. */
export async function linkEntryByHand(trx: Kysely<Database>, actor: Extract<Actor, { kind: 'user' }>, incidentId: string, eventId: string, route: string): Promise<boolean> {
  const row = await trx.insertInto('incident_entry').values({ incident_id: incidentId, event_id: eventId, linked_by: 'manual', linked_by_user_id: actor.userId })
    .onConflict((oc) => oc.column('event_id').doNothing()).returning('event_id').executeTakeFirst();
  if (!row) return false;
  await recordAccess(trx, { actor, action: 'incident.link', route, outcome: 'allowed', detail: { incidentId, eventId } });
  return true;
}

/** The lead professionals of a child (any record), active users only. */
async function leadProfessionals(db: Kysely<Database>, personId: string): Promise<string[]> {
  const rows = await sql<{ user_id: string }>`
    SELECT DISTINCT i.user_id FROM involvement i JOIN app_user u ON u.id = i.user_id AND u.active
    WHERE i.person_id IN (SELECT person_id FROM ${mergeGroupSql([personId])} g) AND i.role = 'lead_professional'
      AND i.user_id IS NOT NULL AND (i.ended_on IS NULL OR i.ended_on >= current_date)
    ORDER BY i.user_id`.execute(db);
  return rows.rows.map((r) => r.user_id);
}

/** The front door of the child's partnership (by current address) and its team managers (its team's, else the organisation's). */
async function frontDoor(db: Kysely<Database>, personId: string): Promise<{ organisationId: string; managers: string[] } | null> {
  const door = await sql<{ organisation_id: string; team_id: string | null }>`
    SELECT f.organisation_id, f.team_id FROM person_partnership pp JOIN partnership_front_door f ON f.partnership_id = pp.partnership_id
    WHERE pp.person_id IN (SELECT person_id FROM ${mergeGroupSql([personId])} g) LIMIT 1`.execute(db);
  const d = door.rows[0];
  if (!d) return null;
  const managers = await sql<{ id: string }>`
    SELECT id FROM app_user WHERE active AND organisation_id = ${d.organisation_id}::uuid AND 'team_manager' = ANY(roles)
      AND (${d.team_id}::uuid IS NULL OR team_id = ${d.team_id}::uuid OR NOT EXISTS (
        SELECT 1 FROM app_user x WHERE x.active AND x.team_id = ${d.team_id}::uuid AND 'team_manager' = ANY(x.roles)))
    ORDER BY id`.execute(db);
  return { organisationId: d.organisation_id, managers: managers.rows.map((m) => m.id) };
}

/**
 * The critical-moment response to a serious incident: a welfare check for each child of its cohort
 * (computed as the partnership, over everything), except a child who died in it, each alerted to
 * their lead professional or the front door's managers. Returns the checks made now.
 */
export async function respondToIncident(db: Kysely<Database>, incidentId: string, now = new Date(), cap = COHORT_CAP): Promise<string[]> {
  const incident = await db.selectFrom('incident').select(['kind', 'serious', 'occurred_at']).where('id', '=', incidentId).executeTakeFirst();
  if (!incident?.serious || incident.occurred_at.getTime() < now.getTime() - RESPONSE_WINDOW_DAYS * 86_400_000) return [];
  // At most `cap` children, the closest first: a homicide in a large school must not become a thousand checks.
  const cohort = await cohortOf(db, AS_PARTNERSHIP, incidentId, cap);
  // The child who died is not checked on: the victims of a homicide or a death.
  const died = incident.kind === 'homicide' || incident.kind === 'death'
    ? new Set((await sql<{ person_id: string }>`
        SELECT ep.person_id FROM incident_entry ie JOIN event_person ep ON ep.event_id = ie.event_id
        WHERE ie.incident_id = ${incidentId}::uuid AND ep.role IN ('victim', 'subject')
          AND EXISTS (SELECT 1 FROM event e WHERE e.id = ie.event_id AND e.event_type_code IN ('homicide', 'death_of_young_person'))`.execute(db)).rows.map((r) => r.person_id))
    : new Set<string>();
  const made: string[] = [];
  for (const personId of cohort.keys()) {
    if (died.has(personId)) continue;
    const leads = await leadProfessionals(db, personId);
    const door = leads.length ? null : await frontDoor(db, personId);
    await db.transaction().execute(async (trx) => {
      const check = await trx.insertInto('welfare_check').values({
        incident_id: incidentId, person_id: personId, assignee_user_id: leads[0] ?? null, front_door_organisation_id: door?.organisationId ?? null,
      }).onConflict((oc) => oc.columns(['incident_id', 'person_id']).doNothing()).returning('id').executeTakeFirst();
      if (!check) return;
      made.push(check.id);
      const alerts: SubjectAlert[] = leads.length
        ? leads.map((u) => ({ recipientUserId: u, personId, kind: 'welfare_check', reasons: ['lead_professional'], welfareCheckId: check.id }))
        : (door?.managers ?? []).map((u) => ({ recipientUserId: u, personId, kind: 'welfare_check', reasons: ['front_door'], welfareCheckId: check.id }));
      await writeSubjectAlerts(trx, alerts, 'outbox:incidents');
    });
  }
  return made;
}

/** The outbox's work for new entries: link them into incidents, and respond to the serious ones. */
export async function incidentsFromEntries(db: Kysely<Database>, eventIds: readonly string[], now = new Date()): Promise<void> {
  for (const incidentId of await linkEntries(db, eventIds)) await respondToIncident(db, incidentId, now);
}

export type { IncidentKind };
