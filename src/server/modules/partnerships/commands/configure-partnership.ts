import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../../db/database.js';
import type { Actor } from '../../../actor.js';
import { recordAccess } from '../../../audit/record-access.js';
import type { TransferSettings } from '../partnerships.queries.js';

type Admin = Actor & { kind: 'user' };
type Meta = { route: string; requestId: string };

/**
 * Changes to a partnership's configuration. Each takes the partnership from the administrator
 * (actor.partnershipId), never from the request; the caller has checked that every id it passes
 * belongs to that partnership. Each writes, in one transaction: the change, a row in the
 * partnership's settings history (partnership_change) and an access-log row.
 */

/** Sets the front door: a member organisation, and optionally one of its teams. */
export async function setFrontDoor(db: Kysely<Database>, actor: Admin, door: { organisationId: string; teamId: string | null }, meta: Meta): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('partnership_front_door').select(['organisation_id', 'team_id'])
      .where('partnership_id', '=', actor.partnershipId).forUpdate().executeTakeFirst();
    await trx.insertInto('partnership_front_door').values({
      partnership_id: actor.partnershipId, organisation_id: door.organisationId, team_id: door.teamId, updated_by_user_id: actor.userId, updated_at: new Date(),
    }).onConflict((oc) => oc.column('partnership_id').doUpdateSet({
      organisation_id: door.organisationId, team_id: door.teamId, updated_by_user_id: actor.userId, updated_at: new Date(),
    })).execute();
    const after = { organisationId: door.organisationId, teamId: door.teamId };
    const was = before ? { organisationId: before.organisation_id, teamId: before.team_id } : null;
    await history(trx, actor, 'front_door', was, after);
    await recordAccess(trx, { actor, action: 'partnership.configure', route: meta.route, outcome: 'allowed', requestId: meta.requestId, detail: { partnershipId: actor.partnershipId, setting: 'front_door', before: was, after } });
  });
}

/** Replaces the partnership's significant event types with the given vocabulary codes. */
export async function setSignificantEventTypes(db: Kysely<Database>, actor: Admin, codes: string[], meta: Meta): Promise<{ added: string[]; removed: string[] }> {
  return db.transaction().execute(async (trx) => {
    // One change at a time per partnership, so two administrators saving at once cannot interleave.
    await trx.selectFrom('partnership').select('id').where('id', '=', actor.partnershipId).forUpdate().executeTakeFirstOrThrow();
    const current = (await trx.selectFrom('significant_event_type').select('event_type_code').where('partnership_id', '=', actor.partnershipId).execute()).map((r) => r.event_type_code);
    const wanted = [...new Set(codes)].sort();
    const added = wanted.filter((c) => !current.includes(c));
    const removed = current.filter((c) => !wanted.includes(c)).sort();
    if (removed.length) await trx.deleteFrom('significant_event_type').where('partnership_id', '=', actor.partnershipId).where('event_type_code', 'in', removed).execute();
    if (added.length) await trx.insertInto('significant_event_type').values(added.map((c) => ({ partnership_id: actor.partnershipId, event_type_code: c }))).execute();
    if (added.length || removed.length) await history(trx, actor, 'significant_events', { removed }, { added });
    await recordAccess(trx, { actor, action: 'partnership.configure', route: meta.route, outcome: 'allowed', requestId: meta.requestId, detail: { partnershipId: actor.partnershipId, setting: 'significant_events', added, removed } });
    return { added, removed };
  });
}

/** Sets how long an unacknowledged alert about a high-risk child waits before it escalates (the caller checks the range; so does the database). */
export async function setAlertEscalation(db: Kysely<Database>, actor: Admin, minutes: number, meta: Meta): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('partnership').select('alert_escalation_minutes').where('id', '=', actor.partnershipId).forUpdate().executeTakeFirstOrThrow();
    await trx.updateTable('partnership').set({ alert_escalation_minutes: minutes }).where('id', '=', actor.partnershipId).execute();
    await history(trx, actor, 'alert_escalation', { minutes: before.alert_escalation_minutes }, { minutes });
    await recordAccess(trx, { actor, action: 'partnership.configure', route: meta.route, outcome: 'allowed', requestId: meta.requestId, detail: { partnershipId: actor.partnershipId, setting: 'alert_escalation', before: before.alert_escalation_minutes, after: minutes } });
  });
}

/** The transfer settings and their history names. */
const TRANSFER_SETTINGS = [
  { key: 'escalationWorkingDaysOnPlan', column: 'transfer_escalation_working_days_on_plan', setting: 'transfer_escalation_on_plan' },
  { key: 'escalationWorkingDays', column: 'transfer_escalation_working_days', setting: 'transfer_escalation' },
  { key: 'watchDays', column: 'transfer_watch_days', setting: 'transfer_watch' },
] as const;

/**
 * Sets the transfer settings (the caller checks the ranges; so does the database): how many working
 * days a transfer may wait at this partnership's front door before it escalates, for a child on a
 * child protection plan and for any other child, and how many days this partnership's workers and
 * panel watch a child after a transfer away is accepted. One history row per value changed.
 */
export async function setTransferSettings(db: Kysely<Database>, actor: Admin, values: TransferSettings, meta: Meta): Promise<string[]> {
  return db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('partnership').select(TRANSFER_SETTINGS.map((s) => s.column)).where('id', '=', actor.partnershipId).forUpdate().executeTakeFirstOrThrow();
    const changed = TRANSFER_SETTINGS.filter((s) => before[s.column] !== values[s.key]);
    if (changed.length) {
      await trx.updateTable('partnership').set(Object.fromEntries(changed.map((s) => [s.column, values[s.key]]))).where('id', '=', actor.partnershipId).execute();
      for (const s of changed) await history(trx, actor, s.setting, { value: before[s.column] }, { value: values[s.key] });
    }
    await recordAccess(trx, {
      actor, action: 'partnership.configure', route: meta.route, outcome: 'allowed', requestId: meta.requestId,
      detail: { partnershipId: actor.partnershipId, setting: 'transfers', changed: changed.map((s) => ({ setting: s.setting, before: before[s.column], after: values[s.key] })) },
    });
    return changed.map((s) => s.setting);
  });
}

type Setting = 'front_door' | 'significant_events' | 'alert_escalation' | (typeof TRANSFER_SETTINGS)[number]['setting'];

async function history(trx: Kysely<Database>, actor: Admin, setting: Setting, before: unknown, after: unknown): Promise<void> {
  await trx.insertInto('partnership_change').values({
    partnership_id: actor.partnershipId, setting, before: sql`${JSON.stringify(before)}::jsonb`, after: sql`${JSON.stringify(after)}::jsonb`, changed_by_user_id: actor.userId,
  }).execute();
}
