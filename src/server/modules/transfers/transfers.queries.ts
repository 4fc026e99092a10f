/**
 * Who may see a transfer, and what it shows. A transfer is seen by the team managers of the
 * receiving partnership's front door organisation (they decide it: the transfer names the child to
 * them, as a referral would), and by anyone who may see the child in an organisation of the sending
 * or the receiving partnership. Its summary is read for the reader: history through entryScope.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import { RISK_LEVEL_LABELS, type RiskLevel } from '../../../domain/factors/risk-levels.js';
import type { Actor } from '../../actor.js';
import { isUuid } from '../../request.js';
import { latestSignedOff } from '../assessments/assessments.queries.js';
import { entryScope, mergeGroupSql } from '../chronology/chronology.policy.js';
import { entryLabel } from '../chronology/chronology.presenter.js';
import { authorizePerson, visiblePersonIds } from '../people/people.policy.js';
import { isReceivingManager } from './transfers.commands.js';

export type TransferSide = 'receiving_manager' | 'receiving' | 'sending';


export async function findTransfer(db: Kysely<Database>, id: string) {
  if (!isUuid(id)) return undefined;
  return db.selectFrom('transfer as t')
    .innerJoin('partnership as fp', 'fp.id', 't.from_partnership_id')
    .innerJoin('partnership as tp', 'tp.id', 't.to_partnership_id')
    .leftJoin('app_user as d', 'd.id', 't.decided_by_user_id')
    .selectAll('t').select(['fp.name as from_name', 'tp.name as to_name', 'd.name as decided_by_name'])
    .where('t.id', '=', id).executeTakeFirst();
}

async function isWatching(db: Kysely<Database>, userId: string, teamId: string | null, personId: string): Promise<boolean> {
  const row = await db.selectFrom('watcher').select('id')
    .where('person_id', 'in', sql<string>`(SELECT person_id FROM ${mergeGroupSql([personId])} g)`)
    .where((eb) => eb.or([eb('user_id', '=', userId), ...(teamId ? [eb('team_id', '=', teamId)] : [])]))
    .where('started_at', '<=', sql<Date>`now()`).where((eb) => eb.or([eb('ends_at', 'is', null), eb('ends_at', '>', sql<Date>`now()`)]))
    .limit(1).executeTakeFirst();
  return row !== undefined;
}

/** The reader's side of a transfer, or null when they may not see it. */
export async function sideOf(db: Kysely<Database>, actor: Actor, t: { person_id: string; from_partnership_id: string; to_partnership_id: string }): Promise<TransferSide | null> {
  if (await isReceivingManager(db, actor, t.to_partnership_id)) return 'receiving_manager';
  // A sending worker (or team) still watching the child after the transfer sees the transfer page, not the record.
  if (actor.kind === 'user' && await isWatching(db, actor.userId, actor.teamId, t.person_id)) return 'sending';
  if (!(await authorizePerson(db, actor, 'person.read', t.person_id))) return null;
  const member = await db.selectFrom('organisation_partnership').select('partnership_id')
    .where('organisation_id', '=', actor.organisationId).where('partnership_id', 'in', [t.from_partnership_id, t.to_partnership_id]).execute();
  const ids = new Set(member.map((m) => m.partnership_id));
  if (ids.has(t.to_partnership_id)) return 'receiving';
  if (ids.has(t.from_partnership_id)) return 'sending';
  return null;
}

/** Transfers waiting at the actor's front door (they are a team manager of its organisation). */
export async function waitingAtMyFrontDoor(db: Kysely<Database>, actor: Actor) {
  if (actor.kind !== 'user' || !actor.roles.includes('team_manager')) return [];
  return db.selectFrom('transfer as t')
    .innerJoin('partnership_front_door as f', 'f.partnership_id', 't.to_partnership_id')
    .innerJoin('partnership as fp', 'fp.id', 't.from_partnership_id')
    .select(['t.id', 't.person_id', 't.status', 't.on_plan', 't.opened_at', 't.escalate_at', 't.escalated_at', 'fp.name as from_name'])
    .where('f.organisation_id', '=', actor.organisationId).where('t.status', 'in', ['pre_move', 'waiting'])
    .orderBy('t.opened_at').limit(200).execute();
}

/** Transfers of children the actor may see, from a partnership their organisation is in. */
export async function sentByMyPartnership(db: Kysely<Database>, actor: Actor) {
  return db.selectFrom('transfer as t')
    .innerJoin('organisation_partnership as op', (j) => j.onRef('op.partnership_id', '=', 't.from_partnership_id').on('op.organisation_id', '=', actor.organisationId))
    .innerJoin('partnership as tp', 'tp.id', 't.to_partnership_id')
    .select(['t.id', 't.person_id', 't.status', 't.opened_at', 't.decided_at', 'tp.name as to_name'])
    .where('t.person_id', 'in', visiblePersonIds(db, actor))
    .orderBy('t.opened_at', 'desc').limit(200).execute();
}

/** The actor's unacknowledged transfer notices. */
export async function myNotices(db: Kysely<Database>, userId: string) {
  return db.selectFrom('transfer_notice as n').innerJoin('transfer as t', 't.id', 'n.transfer_id')
    .select(['n.id', 'n.kind', 'n.created_at', 't.id as transfer_id', 't.person_id'])
    .where('n.recipient_user_id', '=', userId).where('n.acknowledged_at', 'is', null)
    // An escalation or a planned move needs nothing more once the transfer is decided; a decline stays until read.
    .where((eb) => eb.or([eb('n.kind', '=', 'declined'), eb('t.status', 'in', ['pre_move', 'waiting'])]))
    .orderBy('n.created_at', 'desc').limit(100).execute();
}

export interface TransferSummary {
  history: { total: number; byCategory: { category: string; count: number }[]; first: EntryLine | null; latest: EntryLine | null };
  assessment: { level: string | null; reviewOn: string | null; signedOffAt: Date } | null;
  /** Assessments made since the transfer opened that lowered the level, with the stated reason. */
  lowered: { organisation: string; from: string; to: string; reason: string }[];
  planActions: [];
  panel: [];
}

interface EntryLine { label: string; organisation: string; occurredAt: Date; precision: string }

/** What the transfer carries, as this reader may see it. */
export async function transferSummary(db: Kysely<Database>, actor: Actor, t: { person_id: string; opened_at: Date }): Promise<TransferSummary> {
  const scope = () => db.selectFrom(entryScope(actor, { ids: [t.person_id] }).as('v')).where('v.current', '=', true);
  const [byCategory, first, latest, assessment, lowered] = await Promise.all([
    scope().select(['v.category', sql<string>`count(*)`.as('n')]).groupBy('v.category').orderBy('v.category').execute(),
    scope().select(['v.access', 'v.type_label', 'v.organisation_name', 'v.occurred_at', 'v.occurred_precision']).orderBy('v.occurred_at').orderBy('v.sort_recorded_at').limit(1).executeTakeFirst(),
    scope().select(['v.access', 'v.type_label', 'v.organisation_name', 'v.occurred_at', 'v.occurred_precision']).orderBy('v.occurred_at', 'desc').orderBy('v.sort_recorded_at', 'desc').limit(1).executeTakeFirst(),
    latestSignedOff(db, t.person_id),
    sql<{ organisation: string; previous_level: string; level: string; lowering_reason: string }>`
      SELECT o.name AS organisation, v.previous_level, v.level, v.lowering_reason
      FROM assessment a JOIN organisation o ON o.id = a.organisation_id
      JOIN LATERAL (SELECT * FROM assessment_version x WHERE x.assessment_id = a.id ORDER BY x.version DESC LIMIT 1) v ON true
      WHERE a.person_id IN (SELECT person_id FROM ${mergeGroupSql([t.person_id])} g) AND a.created_at >= ${t.opened_at}
        AND v.lowering_reason IS NOT NULL AND v.level IS NOT NULL AND v.previous_level IS NOT NULL
      ORDER BY a.created_at`.execute(db),
  ]);
  const line = (e: typeof first): EntryLine | null => e ? { label: entryLabel(e), organisation: e.organisation_name, occurredAt: e.occurred_at, precision: e.occurred_precision } : null;
  const label = (l: string) => RISK_LEVEL_LABELS[l as RiskLevel] ?? l;
  return {
    history: {
      total: byCategory.reduce((s, c) => s + Number(c.n), 0),
      byCategory: byCategory.map((c) => ({ category: c.category, count: Number(c.n) })),
      first: line(first), latest: line(latest),
    },
    assessment: assessment ? { level: assessment.content.level ? label(assessment.content.level) : null, reviewOn: assessment.content.reviewOn, signedOffAt: assessment.signedOffAt } : null,
    lowered: lowered.rows.map((r) => ({ organisation: r.organisation, from: label(r.previous_level), to: label(r.level), reason: r.lowering_reason })),
    planActions: [],
    panel: [],
  };
}
