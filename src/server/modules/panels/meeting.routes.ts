/**
 * A meeting's pages: the agenda (in its fixed order) with the invitations, adding and leaving out
 * agencies and sending the invitations (the coordinator); an agency's update per child (its
 * invitees, while the meeting's access lasts); the briefing pack (coordinator and invitees, each
 * reading what they may); and the meeting record (the coordinator). Anyone else, or a meeting of
 * another partnership, is refused as not found.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CASE_HOLDING_ROLES, refuseRecord } from '../../access.js';
import { recordAccess, recordAccessMany } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { isUuid, routeOf, userOf } from '../../request.js';
import { RELATIONSHIP_KINDS } from '../../../domain/networks/kinds.js';
import { entryLabel } from '../chronology/chronology.presenter.js';
import { edgesAmong, type LinkAmong } from '../networks/networks.queries.js';
import { displayNames } from '../people/people.queries.js';
import { addInvitation, excludeInvitation, sendInvitations, EXCLUDE_REASON_MIN } from './commands/invitations.js';
import { recordMeeting } from './commands/record-meeting.js';
import { submitUpdate } from './commands/submit-update.js';
import { briefingPack } from './pack.js';
import { findMeeting, meetingSide, type MeetingHeader, type MeetingSide } from './panels.policy.js';
import { ACTION_STATUSES } from '../plans/plans.commands.js';
import { agendaOf, BASIS_LABELS, incompleteActions, invitationsOf, plansOf, linksAndPlaces, PANEL_KINDS, significantEntriesSince, SOURCE_LABELS, updatesOf, visibleOf } from './panels.queries.js';

const COORDINATOR = ['panel_coordinator'] as const;
const params = z.object({ meetingId: z.string().max(64) });
const childParams = z.object({ meetingId: z.string().max(64), personId: z.string().max(64) });
const text = (max: number) => z.string().max(max).default('');
const many = z.union([z.string().max(64), z.array(z.string().max(64)).max(2000)]).optional();
type FormError = { field: string; href: string; text: string };
/** How each kind of link between two children on the agenda reads. */
const LINK_TEXT: Record<LinkAmong['kind'], string> = {
  ...RELATIONSHIP_KINDS, named_together: 'Named together in an entry', same_place: 'At the same place within a week', shared_place: 'Share a place', same_group: 'In the same peer group',
};
const SECTION_LABELS: Record<string, string> = { review: 'For review', new_referral: 'New referral' };
const ATTENDANCE = ['attended', 'apologies', 'absent'] as const;

export async function meetingRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const meta = (request: FastifyRequest) => ({ route: routeOf(request), requestId: request.id });

  /** The meeting and the actor's side of it; anyone without one is refused as not found. */
  async function load(request: FastifyRequest, meetingId: string, need: 'any' | 'coordinator' | 'invitee' = 'any'): Promise<{ meeting: MeetingHeader; side: MeetingSide }> {
    const meeting = await findMeeting(ctx.db, meetingId);
    if (!meeting) return refuseRecord(ctx, request, { detail: { meetingId: isUuid(meetingId) ? meetingId : null } });
    const side = await meetingSide(ctx.db, userOf(request), meeting);
    if (!side || (need !== 'any' && side.kind !== need)) return refuseRecord(ctx, request, { detail: { meetingId: meeting.id } });
    return { meeting, side };
  }

  async function renderMeeting(request: FastifyRequest, reply: FastifyReply, meetingId: string, values: Record<string, string> = {}, errors: FormError[] = []) {
    const actor = userOf(request);
    const { meeting, side } = await load(request, meetingId);
    const [agenda, invitations, updates] = await Promise.all([agendaOf(ctx.db, meeting.id), invitationsOf(ctx.db, meeting.id), updatesOf(ctx.db, meeting.id)]);
    const ids = agenda.map((a) => a.person_id);
    const [names, visible, previous, incomplete] = await Promise.all([
      displayNames(ctx.db, ids), visibleOf(ctx.db, actor, ids),
      // Decisions the panel made last time about the children back for review.
      ids.length ? ctx.db.selectFrom('panel_agenda_item as ai').innerJoin('panel_meeting as m', 'm.id', 'ai.meeting_id')
        .select(['ai.person_id', 'ai.decision', 'm.held_at']).where('m.panel_type_id', '=', meeting.panel_type_id).where('m.id', '<>', meeting.id)
        .where('m.held_at', '<', meeting.held_at).where('m.status', '=', 'held').where('ai.person_id', 'in', ids).where('ai.decision', 'is not', null)
        .orderBy('m.held_at', 'desc').execute() : Promise.resolve([]),
      incompleteActions(ctx.db, ids, meeting.held_at),
    ]);
    const shown = ids.filter((id) => visible.has(id));
    const [{ places, themes }, links] = await Promise.all([linksAndPlaces(ctx.db, actor, shown), edgesAmong(ctx.db, actor, shown)]);
    const name = (id: string) => names.get(id) ?? 'Name not recorded';
    const orgs = side.kind === 'coordinator'
      ? await ctx.db.selectFrom('organisation_partnership as op').innerJoin('organisation as o', 'o.id', 'op.organisation_id').select(['o.id', 'o.name'])
        .where('op.partnership_id', '=', meeting.partnership_id).where('o.id', 'not in', invitations.length ? invitations.map((i) => i.organisation_id) : ['00000000-0000-0000-0000-000000000000'])
        .orderBy('o.name').execute()
      : [];
    await recordAccess(ctx.db, { actor, action: 'panel.meeting.read', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { meetingId: meeting.id, personIds: ids } });
    const child = (a: (typeof agenda)[number]) => ({
      ...a, name: name(a.person_id), visible: visible.has(a.person_id), sourceLabel: a.source ? SOURCE_LABELS[a.source] : null,
      lastDecision: previous.find((p) => p.person_id === a.person_id) ?? null,
      updates: invitations.filter((i) => !i.excluded_reason).map((i) => ({ organisation_name: i.organisation_name, update: updates.find((u) => u.person_id === a.person_id && u.organisation_id === i.organisation_id) ?? null })),
      mine: side.kind === 'invitee' ? updates.find((u) => u.person_id === a.person_id && u.organisation_id === side.organisationId) ?? null : null,
    });
    reply.status(errors.length ? 400 : 200);
    return reply.view('panels/views/meeting.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'panels', meeting, side: side.kind, kindLabel: PANEL_KINDS[meeting.panel_kind],
      reviews: agenda.filter((a) => a.section === 'review').map(child),
      incomplete: ['not_possible', 'not_done', 'overdue'].map((status) => ({
        label: status === 'overdue' ? 'Still open past their due date' : ACTION_STATUSES[status as 'not_possible' | 'not_done'],
        actions: incomplete.filter((a) => (status === 'overdue' ? a.status === 'not_started' || a.status === 'in_progress' : a.status === status))
          .map((a) => ({ ...a, name: name(a.person_id) })),
      })).filter((g) => g.actions.length),
      carried: agenda.filter((a) => a.section === 'review').map(child).filter((c) => c.lastDecision), referrals: agenda.filter((a) => a.section === 'new_referral').map(child),
      links: links.map((l) => ({
        a: name(l.a), b: name(l.b), how: l.placeName ? `${LINK_TEXT[l.kind]}: ${l.placeName}` : LINK_TEXT[l.kind], evidence: l.evidence, reliability: l.reliability,
      })),
      places: places.map((p) => ({ place: p.place, children: p.people.length })),
      themes: themes.map((th) => ({ theme: th.theme, children: th.people.length })),
      invitations: invitations.map((i) => ({ ...i, basisLabel: BASIS_LABELS[i.basis], invitees: Number(i.invitees) })),
      organisations: [{ value: '', text: 'Choose an agency' }, ...orgs.map((o) => ({ value: o.id, text: o.name }))],
      unsent: invitations.some((i) => !i.excluded_reason && !i.sent_at),
      values, errors, fieldErrors: Object.fromEntries(errors.map((e) => [e.field, { text: e.text }])), reasonMin: EXCLUDE_REASON_MIN,
    });
  }

  r.get('/panels/meetings/:meetingId', {
    schema: { params }, config: { access: { kind: 'record', roles: CASE_HOLDING_ROLES, action: 'panel.meeting.read' } },
  }, async (request, reply) => renderMeeting(request, reply, request.params.meetingId));

  r.post('/panels/meetings/:meetingId/invitations', {
    schema: { params, body: z.object({ _csrf: z.string().optional(), organisationId: text(64) }) },
    config: { access: { kind: 'record', roles: COORDINATOR, action: 'panel.invite' } },
  }, async (request, reply) => {
    const { meeting } = await load(request, request.params.meetingId, 'coordinator');
    const result = isUuid(request.body.organisationId)
      ? await ctx.db.transaction().execute((trx) => addInvitation(trx, userOf(request), meeting, request.body.organisationId, meta(request)))
      : { ok: false as const, problems: [{ field: 'organisationId', message: 'Choose an agency of the partnership' }] };
    if (!result.ok) return renderMeeting(request, reply, meeting.id, request.body, result.problems.map((p) => ({ field: p.field, href: '#organisationId', text: p.message })));
    return reply.redirect(`/panels/meetings/${meeting.id}#invitations`, 303);
  });

  r.post('/panels/meetings/:meetingId/invitations/:invitationId/exclude', {
    schema: { params: z.object({ meetingId: z.string().max(64), invitationId: z.string().max(64) }), body: z.object({ _csrf: z.string().optional(), reason: text(3000) }) },
    config: { access: { kind: 'record', roles: COORDINATOR, action: 'panel.invite' } },
  }, async (request, reply) => {
    const { meeting } = await load(request, request.params.meetingId, 'coordinator');
    const id = request.params.invitationId;
    const result = isUuid(id) ? await ctx.db.transaction().execute((trx) => excludeInvitation(trx, userOf(request), meeting, id, request.body.reason, meta(request))) : null;
    if (!result) return refuseRecord(ctx, request, { detail: { meetingId: meeting.id, invitationId: isUuid(id) ? id : null } });
    if (!result.ok) return renderMeeting(request, reply, meeting.id, { ...request.body, invitationId: id }, result.problems.map((p) => ({ field: `reason-${id}`, href: `#reason-${id}`, text: p.message })));
    return reply.redirect(`/panels/meetings/${meeting.id}#invitations`, 303);
  });

  r.post('/panels/meetings/:meetingId/send', {
    schema: { params, body: z.object({ _csrf: z.string().optional() }) },
    config: { access: { kind: 'record', roles: COORDINATOR, action: 'panel.invite' } },
  }, async (request, reply) => {
    const { meeting } = await load(request, request.params.meetingId, 'coordinator');
    await ctx.db.transaction().execute((trx) => sendInvitations(trx, userOf(request), meeting, meta(request)));
    return reply.redirect(`/panels/meetings/${meeting.id}#invitations`, 303);
  });

  // An agency's update about one child: its invitees, while the meeting's access lasts.
  async function loadChild(request: FastifyRequest, meetingId: string, personId: string) {
    const { meeting, side } = await load(request, meetingId, 'invitee');
    const item = isUuid(personId) ? await ctx.db.selectFrom('panel_agenda_item').select('person_id').where('meeting_id', '=', meeting.id).where('person_id', '=', personId).executeTakeFirst() : undefined;
    if (!item || side.kind !== 'invitee') return refuseRecord(ctx, request, { personId: isUuid(personId) ? personId : null, detail: { meetingId: meeting.id } });
    return { meeting, side, personId: item.person_id };
  }

  async function renderUpdate(request: FastifyRequest, reply: FastifyReply, ids: { meetingId: string; personId: string }, values: Record<string, string | string[]>, errors: FormError[]) {
    const actor = userOf(request);
    const { meeting, side, personId } = await loadChild(request, ids.meetingId, ids.personId);
    const [significant, names, existing] = await Promise.all([
      significantEntriesSince(ctx.db, actor, meeting, personId), displayNames(ctx.db, [personId]),
      side.kind === 'invitee' ? ctx.db.selectFrom('panel_update').selectAll().where('meeting_id', '=', meeting.id).where('person_id', '=', personId).where('organisation_id', '=', side.organisationId).executeTakeFirst() : undefined,
    ]);
    const acknowledged = new Set(Array.isArray(values.acknowledged) ? values.acknowledged : values.acknowledged ? [values.acknowledged] : []);
    const v = Object.keys(values).length ? values : existing ? {
      facts: existing.facts, opinion: existing.opinion ?? '', notShared: existing.not_shared ?? '', notSharedReason: existing.not_shared_reason ?? '',
      noSignificantIncident: existing.no_significant_incident ? 'yes' : '',
    } : {};
    await recordAccess(ctx.db, { actor, action: 'panel.meeting.read', personId, route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { meetingId: meeting.id, significant: significant.map((e) => e.id) } });
    reply.status(errors.length ? 400 : 200);
    return reply.view('panels/views/update.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'panels', meeting, personId, childName: names.get(personId) ?? 'Name not recorded',
      significant: significant.map((e) => ({ value: e.id, html: undefined, text: `${entryLabel(e)}: ${e.summary ?? ''} (${e.organisation_name}, ${e.occurred_at.toISOString().slice(0, 10)})`, checked: acknowledged.has(e.id) })),
      values: v, submitted: existing?.submitted_at ?? null, errors, fieldErrors: Object.fromEntries(errors.map((e) => [e.field, { text: e.text }])),
    });
  }

  const updateBody = z.object({
    _csrf: z.string().optional(), facts: text(21000), opinion: text(21000), notShared: text(11000), notSharedReason: text(11000),
    noSignificantIncident: text(10), acknowledged: many,
  });
  r.get('/panels/meetings/:meetingId/children/:personId/update', {
    schema: { params: childParams }, config: { access: { kind: 'record', roles: CASE_HOLDING_ROLES, action: 'panel.update.submit' } },
  }, async (request, reply) => renderUpdate(request, reply, request.params, {}, []));
  r.post('/panels/meetings/:meetingId/children/:personId/update', {
    schema: { params: childParams, body: updateBody }, config: { access: { kind: 'record', roles: CASE_HOLDING_ROLES, action: 'panel.update.submit' } },
  }, async (request, reply) => {
    const { meeting, side, personId } = await loadChild(request, request.params.meetingId, request.params.personId);
    const v = request.body;
    const acknowledged = Array.isArray(v.acknowledged) ? v.acknowledged : v.acknowledged ? [v.acknowledged] : [];
    const result = await ctx.db.transaction().execute((trx) => submitUpdate(trx, userOf(request), meeting, side.kind === 'invitee' ? side.organisationId : '', personId, {
      facts: v.facts, opinion: v.opinion, notShared: v.notShared, notSharedReason: v.notSharedReason, noSignificantIncident: v.noSignificantIncident === 'yes', acknowledged,
    }, meta(request)));
    if (!result.ok) return renderUpdate(request, reply, request.params, { ...v, acknowledged }, result.problems.map((p) => ({ field: p.field, href: `#${p.field}`, text: p.message })));
    return reply.redirect(`/panels/meetings/${meeting.id}`, 303);
  });

  r.get('/panels/meetings/:meetingId/pack', {
    schema: { params }, config: { access: { kind: 'record', roles: CASE_HOLDING_ROLES, action: 'panel.pack.read' } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const { meeting } = await load(request, request.params.meetingId);
    const pack = await briefingPack(ctx.db, actor, meeting);
    await recordAccessMany(ctx.db, pack.children.map((c) => ({
      actor, action: 'panel.pack.read' as const, personId: c.person_id, route: routeOf(request), outcome: 'allowed' as const, requestId: request.id,
      detail: { meetingId: meeting.id, shown: c.visible, entries: c.entries.length },
    })));
    return reply.view('panels/views/pack.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'panels', meeting, kindLabel: PANEL_KINDS[meeting.panel_kind], pack,
      sectionLabels: SECTION_LABELS, sourceLabels: SOURCE_LABELS,
    });
  });

  /** The people a meeting's actions may be given to: those its invitations reached. */
  const ownersOf = (meetingId: string) => ctx.db.selectFrom('panel_invitee as pi').innerJoin('panel_invitation as i', 'i.id', 'pi.invitation_id')
    .innerJoin('app_user as u', 'u.id', 'pi.user_id').innerJoin('organisation as o', 'o.id', 'u.organisation_id')
    .select(['u.id', 'u.name', 'o.name as organisation_name']).where('i.meeting_id', '=', meetingId).where('i.excluded_reason', 'is', null)
    .orderBy('o.name').orderBy('u.name').execute();

  async function renderRecord(request: FastifyRequest, reply: FastifyReply, meetingId: string, values: Record<string, string>, errors: FormError[]) {
    const actor = userOf(request);
    const { meeting } = await load(request, meetingId, 'coordinator');
    const [agenda, invitations, owners] = await Promise.all([agendaOf(ctx.db, meeting.id), invitationsOf(ctx.db, meeting.id), ownersOf(meeting.id)]);
    const [names, { plans }] = await Promise.all([displayNames(ctx.db, agenda.map((a) => a.person_id)), plansOf(ctx.db, agenda.map((a) => a.person_id))]);
    // The panel's cadence suggests each child's next review.
    const cadence = (await ctx.db.selectFrom('panel_type').select('cadence_days').where('id', '=', meeting.panel_type_id).executeTakeFirstOrThrow()).cadence_days;
    await recordAccess(ctx.db, { actor, action: 'panel.meeting.read', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { meetingId: meeting.id, personIds: agenda.map((a) => a.person_id) } });
    reply.status(errors.length ? 400 : 200);
    return reply.view('panels/views/record.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'panels', meeting,
      invitations: invitations.filter((i) => !i.excluded_reason).map((i) => ({
        ...i,
        items: ATTENDANCE.map((a) => ({ value: a, text: { attended: 'Attended', apologies: 'Sent apologies', absent: 'Did not attend' }[a], checked: (values[`attendance-${i.id}`] ?? i.attendance ?? '') === a })),
        name: values[`name-${i.id}`] ?? i.attendee_name ?? '', role: values[`role-${i.id}`] ?? i.attendee_role ?? '',
      })),
      agenda: agenda.map((a) => ({
        ...a, name: names.get(a.person_id) ?? 'Name not recorded', decisionValue: values[`decision-${a.id}`] ?? a.decision ?? '',
        reviewValue: values[`review-${a.id}`] ?? a.next_review_on ?? new Date(meeting.held_at.getTime() + cadence * 86_400_000).toISOString().slice(0, 10),
        hasPlan: plans.some((p) => p.person_id === a.person_id), actionValue: values[`action-${a.id}`] ?? '', dueValue: values[`actionDue-${a.id}`] ?? '',
        kinds: ['supportive', 'disruptive'].map((k) => ({ value: k, text: k === 'supportive' ? 'Supportive' : 'Disruptive', checked: (values[`actionKind-${a.id}`] ?? 'supportive') === k })),
        owners: [{ value: '', text: 'Choose an owner' }, ...owners.map((o) => ({ value: o.id, text: `${o.name}, ${o.organisation_name}`, selected: values[`actionOwner-${a.id}`] === o.id }))],
      })),
      errors, fieldErrors: Object.fromEntries(errors.map((e) => [e.field, { text: e.text }])),
    });
  }
  r.get('/panels/meetings/:meetingId/record', {
    schema: { params }, config: { access: { kind: 'record', roles: COORDINATOR, action: 'panel.record' } },
  }, async (request, reply) => renderRecord(request, reply, request.params.meetingId, {}, []));
  r.post('/panels/meetings/:meetingId/record', {
    schema: { params, body: z.record(z.string().max(100), z.string().max(11000)) },
    config: { access: { kind: 'record', roles: COORDINATOR, action: 'panel.record' } },
  }, async (request, reply) => {
    const { meeting } = await load(request, request.params.meetingId, 'coordinator');
    const v = request.body;
    const [agenda, invitations] = await Promise.all([agendaOf(ctx.db, meeting.id), invitationsOf(ctx.db, meeting.id)]);
    const attendance = invitations.filter((i) => !i.excluded_reason).flatMap((i) => {
      const a = v[`attendance-${i.id}`];
      return a && (ATTENDANCE as readonly string[]).includes(a) ? [{ invitationId: i.id, attendance: a as (typeof ATTENDANCE)[number], name: v[`name-${i.id}`] ?? '', role: v[`role-${i.id}`] ?? '' }] : [];
    });
    const decisions = agenda.map((a) => ({ itemId: a.id, decision: v[`decision-${a.id}`] ?? '', nextReviewOn: (v[`review-${a.id}`] ?? '').trim() || null }));
    const { plans } = await plansOf(ctx.db, agenda.map((a) => a.person_id));
    const actions = agenda.flatMap((a) => {
      const plan = plans.find((p) => p.person_id === a.person_id);
      const description = (v[`action-${a.id}`] ?? '').trim();
      return plan && description ? [{ itemId: a.id, personId: a.person_id, planId: plan.id, kind: v[`actionKind-${a.id}`] ?? '', description, ownerUserId: v[`actionOwner-${a.id}`] ?? '', dueOn: (v[`actionDue-${a.id}`] ?? '').trim() }] : [];
    });
    const result = await ctx.db.transaction().execute((trx) => recordMeeting(trx, userOf(request), meeting, { attendance, decisions, actions }, meta(request)));
    if (!result.ok) return renderRecord(request, reply, meeting.id, v, result.problems.map((p) => ({ field: p.field, href: `#${p.field}`, text: p.message })));
    return reply.redirect(`/panels/meetings/${meeting.id}`, 303);
  });
}
