/**
 * Who may do what with panels, decided in SQL.
 *
 * Being invited to discuss a child gives time-limited access to that child's record: the people an
 * invitation reached (panel_invitee), while the invitation is not withdrawn, may see every child on
 * the meeting's agenda from the meeting's `access_from` (the panel type's days before the meeting)
 * until its `access_until` (two days after it). The partnership's panel coordinators hold the same
 * access to their own partnership's meetings. This is one more relationship in the people scope
 * (people.policy's visiblePersonIds), so every reader of a child's record (the person page, the
 * chronology, the pack) honours it, and what is seen of each entry is still the chronology's scope.
 */
import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { Database } from '../../../db/database.js';
import type { Actor } from '../../actor.js';
import { isUuid } from '../../request.js';

/** Days after a meeting that its invitees may still read the agenda's records (to finish the record and actions). */
export const ACCESS_DAYS_AFTER = 2;

/** The children a user may see because they are invited to (or coordinate) a meeting about them, now. */
export function panelGrantedPersonIds(db: Kysely<Database>, actor: Extract<Actor, { kind: 'user' }>): SelectQueryBuilder<Database, any, { person_id: string }> {
  return db.selectFrom('panel_agenda_item as pai')
    .innerJoin('panel_meeting as pm', 'pm.id', 'pai.meeting_id')
    .select('pai.person_id as person_id')
    .where('pm.status', '<>', 'cancelled')
    .where('pm.access_from', '<=', sql<Date>`now()`)
    .where('pm.access_until', '>', sql<Date>`now()`)
    .where((eb) => {
      const grants = [eb.exists(eb.selectFrom('panel_invitee as pi').innerJoin('panel_invitation as pinv', 'pinv.id', 'pi.invitation_id')
        .select(sql`1`.as('one'))
        .whereRef('pinv.meeting_id', '=', 'pm.id')
        .where('pinv.excluded_reason', 'is', null)
        .where('pi.user_id', '=', actor.userId))];
      if (actor.roles.includes('panel_coordinator')) {
        grants.push(eb('pm.panel_type_id', 'in', eb.selectFrom('panel_type').select('panel_type.id').where('panel_type.partnership_id', '=', actor.partnershipId)));
      }
      return eb.or(grants);
    });
}

/** A meeting as its policy needs it. */
export interface MeetingHeader {
  id: string;
  panel_type_id: string;
  panel_name: string;
  panel_kind: string;
  partnership_id: string;
  held_at: Date;
  access_from: Date;
  access_until: Date;
  status: 'scheduled' | 'held' | 'cancelled';
  invitations_sent_at: Date | null;
  recorded_at: Date | null;
}

/** How the actor stands to a meeting: its partnership's coordinator, an invitee (of an agency) while access lasts, or nobody. */
export type MeetingSide = { kind: 'coordinator' } | { kind: 'invitee'; organisationId: string; invitationId: string };

export async function findMeeting(db: Kysely<Database>, meetingId: string): Promise<MeetingHeader | undefined> {
  if (!isUuid(meetingId)) return undefined;
  return db.selectFrom('panel_meeting as m').innerJoin('panel_type as t', 't.id', 'm.panel_type_id')
    .select(['m.id', 'm.panel_type_id', 't.name as panel_name', 't.kind as panel_kind', 't.partnership_id', 'm.held_at', 'm.access_from', 'm.access_until',
      'm.status', 'm.invitations_sent_at', 'm.recorded_at'])
    .where('m.id', '=', meetingId).executeTakeFirst();
}

/**
 * The actor's side of a meeting. A coordinator of the meeting's partnership runs it at any time; an
 * invitee takes part only while the meeting's access lasts (and their agency was not left out).
 */
export async function meetingSide(db: Kysely<Database>, actor: Actor, meeting: MeetingHeader, now: Date = new Date()): Promise<MeetingSide | null> {
  if (actor.kind !== 'user') return null;
  if (actor.roles.includes('panel_coordinator') && actor.partnershipId === meeting.partnership_id) return { kind: 'coordinator' };
  if (meeting.status === 'cancelled' || meeting.access_from > now || meeting.access_until <= now) return null;
  const invited = await db.selectFrom('panel_invitee as pi').innerJoin('panel_invitation as inv', 'inv.id', 'pi.invitation_id')
    .select(['inv.id', 'inv.organisation_id'])
    .where('inv.meeting_id', '=', meeting.id).where('inv.excluded_reason', 'is', null).where('pi.user_id', '=', actor.userId)
    .executeTakeFirst();
  return invited ? { kind: 'invitee', organisationId: invited.organisation_id, invitationId: invited.id } : null;
}
