/**
 * Changing who works with a child: allocate a worker (naming the lead professional is an allocation
 * with that role), end an involvement, record a trusted adult. Each command takes the caller's
 * transaction, locks the child's person records (every record merged with this one, in id order) so
 * two changes to one child are made one after the other, and writes, together: the involvement rows,
 * an involvement_change row for each change (who, when, the handover note) and an access-log row
 * for each change (an allocation grants access to the child, so it is on "who has seen this record").
 */
import { sql, type Transaction } from 'kysely';
import type { Database } from '../../../db/database.js';
import { recordAccess } from '../../audit/record-access.js';
import type { Actor } from '../../actor.js';
import { isUuid } from '../../request.js';
import { samePersonIds } from '../chronology/chronology.policy.js';
import { ALLOCATABLE_ROLES } from './allocation.policy.js';
import { ALLOCATION_ROLES, type AllocationRole } from './allocation.queries.js';

/** Handover notes: why a worker changed, what the next one needs to know. */
export const NOTE_MIN = 20;
export const NOTE_MAX = 4000;

/** A problem with one field, for the form's error summary or the API's details. */
export interface FieldProblem { field: string; message: string }

export type CommandResult<T> = { ok: true; value: T } | { ok: false; problems: FieldProblem[] };

interface Meta { route: string; requestId: string }

const by = (actor: Actor) => ({ by_user_id: actor.kind === 'user' ? actor.userId : null, api_key_id: actor.kind === 'system' ? actor.apiKeyId : null });

/** Locks the child's records for the rest of the transaction and returns their ids. */
async function lockChild(trx: Transaction<Database>, personId: string): Promise<string[]> {
  const rows = await sql<{ id: string }>`SELECT id FROM person WHERE id IN ${samePersonIds(null, personId)} ORDER BY id FOR UPDATE`.execute(trx);
  return rows.rows.map((r) => r.id);
}

/** The involvements of the child in force today, locked. */
async function activeInvolvements(trx: Transaction<Database>, ids: string[]) {
  return trx.selectFrom('involvement').selectAll()
    .where('person_id', 'in', ids).where('started_on', '<=', sql<string>`current_date`)
    .where((eb) => eb.or([eb('ended_on', 'is', null), eb('ended_on', '>=', sql<string>`current_date`)]))
    .orderBy('started_on').orderBy('id').forUpdate().execute();
}

/** Ends an involvement at once: its last day is yesterday (or the day before it started), so access stops now. */
async function endNow(trx: Transaction<Database>, involvementId: string): Promise<void> {
  await trx.updateTable('involvement').set({ ended_on: sql<string>`greatest(current_date - 1, started_on - 1)` }).where('id', '=', involvementId).execute();
}

/** Reads a handover note: trimmed, required or optional, 20 to 4000 characters. */
export function checkNote(raw: string | null | undefined, required: boolean, field = 'note'): { note: string | null; problem: FieldProblem | null } {
  const note = (raw ?? '').trim();
  if (!note) return { note: null, problem: required ? { field, message: `Enter a handover note of at least ${NOTE_MIN} characters` } : null };
  if (note.length < NOTE_MIN) return { note, problem: { field, message: `The handover note must be at least ${NOTE_MIN} characters` } };
  if (note.length > NOTE_MAX) return { note, problem: { field, message: `The handover note must be ${NOTE_MAX} characters or fewer` } };
  return { note, problem: null };
}

export interface AllocateInput {
  personId: string;
  userId: string;
  role: string;
  startedOn: string;
  /** An involvement of the actor's organisation with this child that the new worker takes over. */
  replacesInvolvementId: string | null;
  note: string | null;
}

export interface Allocated {
  involvementId: string;
  /** Involvements this ended: the one replaced, and a previous lead professional's lead role. */
  ended: string[];
}

/**
 * Allocates a worker of the actor's organisation to a child. The caller has decided that the actor
 * may allocate (mayAllocate). With the role lead_professional this names the child's lead
 * professional: there is at most one in force across agencies, so the previous lead's lead role
 * ends in the same transaction and they continue as an allocated worker of the child (their
 * organisation ends that as any other involvement). Replacing a worker, or a lead, needs a
 * handover note, kept on both changes.
 */
export async function allocate(trx: Transaction<Database>, actor: Actor, input: AllocateInput, meta: Meta): Promise<CommandResult<Allocated>> {
  const problems: FieldProblem[] = [];
  const today = new Date().toISOString().slice(0, 10);
  if (!(input.role in ALLOCATION_ROLES)) problems.push({ field: 'role', message: 'Choose the role the worker will have with the child' });
  if (!/^\d{4}-\d{2}-\d{2}$/.test(input.startedOn) || Number.isNaN(Date.parse(input.startedOn))) problems.push({ field: 'startedOn', message: 'Enter the date the work starts as a real date' });
  else if (input.startedOn > today) problems.push({ field: 'startedOn', message: 'The date the work starts must be today or in the past' });
  const worker = isUuid(input.userId)
    ? await trx.selectFrom('app_user').select(['id', 'roles', 'active', 'organisation_id']).where('id', '=', input.userId).executeTakeFirst()
    : undefined;
  if (!worker || worker.organisation_id !== actor.organisationId || !worker.active || !worker.roles.some((r) => (ALLOCATABLE_ROLES as readonly string[]).includes(r))) {
    problems.push({ field: 'userId', message: 'Choose a worker in your organisation who holds cases' });
  }
  const ids = await lockChild(trx, input.personId);
  const active = await activeInvolvements(trx, ids);
  const replaced = input.replacesInvolvementId ? active.find((i) => i.id === input.replacesInvolvementId && i.organisation_id === actor.organisationId) : undefined;
  if (input.replacesInvolvementId && !replaced) problems.push({ field: 'replaces', message: 'Choose a worker of your organisation who works with the child now, or no one' });
  const role = input.role as AllocationRole;
  const previousLeads = role === 'lead_professional' ? active.filter((i) => i.role === 'lead_professional') : [];
  if (worker && active.some((i) => i.user_id === worker.id && i.role === role && i.id !== replaced?.id)) {
    problems.push({ field: role === 'lead_professional' ? 'userId' : 'role', message: role === 'lead_professional' ? 'This worker is already the lead professional' : 'This worker already has this role with the child' });
  }
  const { note, problem } = checkNote(input.note, Boolean(replaced) || previousLeads.length > 0);
  if (problem) problems.push(problem.message.startsWith('Enter') && previousLeads.length > 0 && !replaced
    ? { field: 'note', message: `Enter a handover note of at least ${NOTE_MIN} characters: naming a new lead professional ends the current lead's role` }
    : problem);
  if (problems.length || !worker) return { ok: false, problems };

  const ended: string[] = [];
  // A personal allocation: the worker (and, as for any involvement, their team manager and their
  // organisation's safeguarding lead) sees the child; not every member of their team.
  const created = await trx.insertInto('involvement').values({
    person_id: input.personId, organisation_id: actor.organisationId, team_id: null, user_id: worker.id, role, started_on: input.startedOn,
  }).returning('id').executeTakeFirstOrThrow();
  const changes: { person_id: string; involvement_id: string; kind: 'allocated' | 'ended' | 'lead_named' | 'replaced'; related_involvement_id: string | null; note: string | null }[] = [];
  if (replaced) {
    await endNow(trx, replaced.id);
    ended.push(replaced.id);
    changes.push({ person_id: replaced.person_id, involvement_id: replaced.id, kind: 'replaced', related_involvement_id: created.id, note });
  }
  for (const lead of previousLeads) {
    if (lead.id === replaced?.id) continue;
    await endNow(trx, lead.id);
    ended.push(lead.id);
    changes.push({ person_id: lead.person_id, involvement_id: lead.id, kind: 'replaced', related_involvement_id: created.id, note });
    // The previous lead keeps working with the child, as an allocated worker, unless they already do in another role.
    const continues = lead.user_id !== null && lead.user_id !== worker.id
      && !active.some((i) => i.id !== lead.id && i.user_id === lead.user_id && i.organisation_id === lead.organisation_id && i.id !== replaced?.id);
    if (continues) {
      const next = await trx.insertInto('involvement').values({
        person_id: lead.person_id, organisation_id: lead.organisation_id, team_id: lead.team_id, user_id: lead.user_id, role: 'allocated_worker', started_on: sql<string>`current_date`,
      }).returning('id').executeTakeFirstOrThrow();
      changes.push({ person_id: lead.person_id, involvement_id: next.id, kind: 'allocated', related_involvement_id: lead.id, note });
    }
  }
  changes.push({
    person_id: input.personId, involvement_id: created.id, kind: role === 'lead_professional' ? 'lead_named' : 'allocated',
    related_involvement_id: replaced?.id ?? previousLeads[0]?.id ?? null, note,
  });
  await trx.insertInto('involvement_change').values(changes.map((c) => ({ ...c, organisation_id: actor.organisationId, ...by(actor) }))).execute();
  // An access grant: on the child's "who has seen this record", with the worker, the role and what it ended.
  await recordAccess(trx, {
    actor, action: role === 'lead_professional' ? 'involvement.lead' : 'involvement.allocate', personId: input.personId, route: meta.route, outcome: 'allowed', requestId: meta.requestId,
    detail: { involvementId: created.id, workerUserId: worker.id, role, startedOn: input.startedOn, replaces: replaced?.id ?? null, ended },
  });
  for (const id of ended) {
    const row = active.find((i) => i.id === id)!;
    await recordAccess(trx, {
      actor, action: 'involvement.end', personId: row.person_id, route: meta.route, outcome: 'allowed', requestId: meta.requestId,
      detail: { involvementId: id, workerUserId: row.user_id, role: row.role, replacedBy: created.id },
    });
  }
  return { ok: true, value: { involvementId: created.id, ended } };
}

/**
 * Ends an involvement of the actor's organisation with a child, at once, with a handover note. The
 * caller has found the involvement and decided that the actor may end it (mayEnd).
 */
export async function endInvolvement(trx: Transaction<Database>, actor: Actor, involvementId: string, rawNote: string | null | undefined, meta: Meta): Promise<CommandResult<{ personId: string }>> {
  const { note, problem } = checkNote(rawNote, true);
  if (problem || !note) return { ok: false, problems: [problem!] };
  const found = await trx.selectFrom('involvement').select(['person_id']).where('id', '=', involvementId).executeTakeFirstOrThrow();
  await lockChild(trx, found.person_id);
  const inv = await trx.selectFrom('involvement').selectAll().where('id', '=', involvementId).forUpdate().executeTakeFirstOrThrow();
  if (inv.ended_on !== null && inv.ended_on < new Date().toISOString().slice(0, 10)) {
    return { ok: false, problems: [{ field: 'note', message: 'This involvement has already ended' }] };
  }
  await endNow(trx, inv.id);
  await trx.insertInto('involvement_change').values({
    person_id: inv.person_id, involvement_id: inv.id, kind: 'ended', related_involvement_id: null, organisation_id: actor.organisationId, note, ...by(actor),
  }).execute();
  await recordAccess(trx, {
    actor, action: 'involvement.end', personId: inv.person_id, route: meta.route, outcome: 'allowed', requestId: meta.requestId,
    detail: { involvementId: inv.id, workerUserId: inv.user_id, role: inv.role },
  });
  return { ok: true, value: { personId: inv.person_id } };
}

/** Records a trusted adult the child names who is not a worker, in the caller's transaction. */
export async function recordTrustedAdult(
  trx: Transaction<Database>,
  actor: Actor & { kind: 'user' },
  input: { personId: string; name: string; relationship: string; startedOn: string },
  meta: Meta,
): Promise<string> {
  const row = await trx.insertInto('trusted_adult').values({
    person_id: input.personId, name: input.name, relationship: input.relationship, started_on: input.startedOn,
    organisation_id: actor.organisationId, recorded_by_user_id: actor.userId,
  }).returning('id').executeTakeFirstOrThrow();
  await recordAccess(trx, {
    actor, action: 'trusted_adult.record', personId: input.personId, route: meta.route, outcome: 'allowed', requestId: meta.requestId,
    detail: { trustedAdultId: row.id, startedOn: input.startedOn },
  });
  return row.id;
}
