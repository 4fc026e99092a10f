/**
 * What the place, group and context case pages share: who records them, the children a user may
 * open (the only children a form links and a page names), a child found by their short reference,
 * optional dates read from GOV.UK date inputs, and the open context cases of a place or group.
 */
import type { FastifyRequest } from 'fastify';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import { idRangeOfReference } from '../../../domain/person-reference.js';
import { CASE_HOLDING_ROLES } from '../../access.js';
import type { Actor, Role } from '../../actor.js';
import { formatDate } from '../../format.js';
import { parseDateParts } from '../../forms.js';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { isUuid, routeOf, userOf } from '../../request.js';
import { childRecordSql } from '../chronology/chronology.policy.js';
import { visiblePersonIds } from '../people/people.policy.js';

export type User = Extract<Actor, { kind: 'user' }>;
export type FormError = { href: string; text: string; field: string };
export const fieldErrors = (errors: FormError[]) => Object.fromEntries(errors.map((e) => [e.field, { text: e.text }]));

/** Who reads and records places, groups and context cases: those who hold cases, and analysts (as for incidents and places). */
export const CONTEXT_ROLES: readonly Role[] = [...CASE_HOLDING_ROLES, 'analyst'];

/** The ids among these the actor may open. */
export async function openableIds(db: Kysely<Database>, actor: User, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.selectFrom('person').select('person.id').where('person.id', 'in', ids)
    .where('person.id', 'in', visiblePersonIds(db, actor)).execute();
  return new Set(rows.map((x) => x.id));
}

/**
 * The child a form names by their short reference (JG-7K3Q-2M9X, on the child's page) or record id,
 * only among the children the actor may open: one, or null (unknown, not theirs, or ambiguous).
 */
export async function childByReference(db: Kysely<Database>, actor: User, text: string): Promise<string | null> {
  const value = text.trim();
  if (!value || value.length > 64) return null;
  let q = db.selectFrom('person').select('person.id').where('person.id', 'in', visiblePersonIds(db, actor));
  if (isUuid(value)) q = q.where('person.id', '=', value.toLowerCase());
  else {
    const range = idRangeOfReference(value);
    if (!range) return null;
    q = q.where('person.id', '>=', range.from).where('person.id', '<=', range.to);
  }
  const rows = await q.limit(2).execute();
  if (rows.length !== 1) return null;
  // A merged record is one child: links are written on the surviving record.
  const anchor = await sql<{ anchor: string }>`SELECT anchor FROM ${childRecordSql([rows[0]!.id])} c`.execute(db);
  return anchor.rows[0]?.anchor ?? rows[0]!.id;
}

/** The surviving record of each given record (itself when not merged), so a merged child is shown once. */
export async function childRecordsOf(db: Kysely<Database>, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await sql<{ seed: string; anchor: string }>`SELECT seed, anchor FROM ${childRecordSql([...new Set(ids)])} c`.execute(db);
  return new Map(rows.rows.map((r) => [r.seed, r.anchor]));
}

/**
 * An optional date from `name-day`, `name-month`, `name-year`: null when all are empty; otherwise
 * the date, or an error naming the field (`label` starts the message: "The date the link started").
 */
export function optionalDate(values: Record<string, string | undefined>, name: string, label: string, errors: FormError[], opts: { notFuture?: boolean } = {}): string | null {
  const [d, m, y] = [values[`${name}-day`] ?? '', values[`${name}-month`] ?? '', values[`${name}-year`] ?? ''];
  if (!d.trim() && !m.trim() && !y.trim()) return null;
  const parsed = parseDateParts(d, m, y, { requireDay: true });
  if (!parsed.ok) {
    errors.push({ field: name, href: `#${name}-${parsed.field}`, text: `${label} ${parsed.error}` });
    return null;
  }
  if (opts.notFuture && parsed.date > new Date().toISOString().slice(0, 10)) {
    errors.push({ field: name, href: `#${name}-day`, text: `${label} must be today or in the past` });
    return null;
  }
  return parsed.date;
}

/** The open context cases of a place or a peer group, for its page. */
export async function openContextCasesOf(db: Kysely<Database>, on: { placeId: string } | { groupId: string }) {
  let q = db.selectFrom('context_case as c').innerJoin('app_user as u', 'u.id', 'c.lead_user_id').innerJoin('organisation as o', 'o.id', 'c.organisation_id')
    .select(['c.id', 'c.opened_at', 'u.name as lead', 'o.name as organisation']).where('c.status', '=', 'open');
  q = 'placeId' in on ? q.where('c.place_id', '=', on.placeId) : q.where('c.group_id', '=', on.groupId);
  const rows = await q.orderBy('c.opened_at', 'desc').execute();
  return rows.map((r) => ({ id: r.id, href: `/context-cases/${r.id}`, opened: formatDate(r.opened_at), lead: r.lead, organisation: r.organisation }));
}

/** The organisations of the actor's partnership, to own a plan's action. */
export async function partnershipOrganisations(db: Kysely<Database>, actor: User) {
  return db.selectFrom('organisation_partnership as op').innerJoin('organisation as o', 'o.id', 'op.organisation_id')
    .select(['o.id', 'o.name']).where('op.partnership_id', '=', actor.partnershipId).orderBy('o.name').execute();
}

/** Opens a context case on a place or group of the actor's partnership (or returns the one already open), led by the actor. */
export async function openContextCase(ctx: AppContext, request: FastifyRequest, on: { placeId: string } | { groupId: string }): Promise<string> {
  const actor = userOf(request);
  const openCase = async (db: Kysely<Database>) => {
    const q = db.selectFrom('context_case').select('id').where('status', '=', 'open');
    return ('placeId' in on ? q.where('place_id', '=', on.placeId) : q.where('group_id', '=', on.groupId)).executeTakeFirst();
  };
  const opening = ctx.db.transaction().execute(async (trx) => {
    const open = await openCase(trx);
    if (open) return open.id;
    const row = await trx.insertInto('context_case').values({
      partnership_id: actor.partnershipId, place_id: 'placeId' in on ? on.placeId : null, group_id: 'groupId' in on ? on.groupId : null,
      opened_by_user_id: actor.userId, lead_user_id: actor.userId, organisation_id: actor.organisationId, closed_at: null, closed_by_user_id: null, closing_note: null,
    }).returning('id').executeTakeFirstOrThrow();
    await recordAccess(trx, { actor, action: 'context_case.record', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { contextCaseId: row.id, opened: true, ...on } });
    return row.id;
  });
  // Two people opening one at once: the second is given the case the first opened (one open case each).
  return opening.catch(async (err: unknown) => {
    const open = (err as { code?: string }).code === '23505' ? await openCase(ctx.db) : undefined;
    if (!open) throw err;
    return open.id;
  });
}
