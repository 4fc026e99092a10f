/**
 * Panel pages: the panels page (the meetings a user is invited to; for the partnership's panel
 * coordinators, the panel types with their standing members, scheduling a meeting and the meetings),
 * a practitioner's referral from the child's record, and the panel figures. A meeting's own pages
 * are in meeting.routes.ts.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CASE_HOLDING_ROLES, refuseRecord } from '../../access.js';
import type { Role } from '../../actor.js';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { parseDateParts } from '../../forms.js';
import { isUuid, routeOf, userOf } from '../../request.js';
import { displayNames } from '../people/people.queries.js';
import { createMeeting } from './commands/create-meeting.js';
import { meetingRoutes } from './meeting.routes.js';
import { panelFigures } from './panels.figures.js';
import { PANEL_KINDS } from './panels.queries.js';

export const COORDINATOR: readonly Role[] = ['panel_coordinator'];
const FIGURES_ROLES: readonly Role[] = ['panel_coordinator', 'analyst'];
const text = (max: number) => z.string().max(max).default('');
type FormError = { field: string; href: string; text: string };

export async function panelRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  async function renderPanels(request: FastifyRequest, reply: FastifyReply, values: Record<string, string> = {}, errors: FormError[] = []) {
    const actor = userOf(request);
    const coordinator = actor.roles.includes('panel_coordinator');
    const invited = await ctx.db.selectFrom('panel_invitee as pi').innerJoin('panel_invitation as i', 'i.id', 'pi.invitation_id')
      .innerJoin('panel_meeting as m', 'm.id', 'i.meeting_id').innerJoin('panel_type as t', 't.id', 'm.panel_type_id')
      .select(['m.id', 't.name as panel_name', 'm.held_at', 'm.status', 'm.access_until', 'pi.emailed_at'])
      .where('pi.user_id', '=', actor.userId).where('i.excluded_reason', 'is', null).where('m.status', '<>', 'cancelled')
      .where('m.access_until', '>', new Date()).orderBy('m.held_at').execute();
    let types: { id: string; name: string; kind: string; cadence_days: number; access_days_before: number; members: { organisation_name: string; role: string; user_name: string | null }[] }[] = [];
    let meetings: { id: string; panel_name: string; held_at: Date; status: string; children: number }[] = [];
    let organisations: { id: string; name: string }[] = [];
    let waiting = 0;
    if (coordinator) {
      const [t, members, m, orgs, w] = await Promise.all([
        ctx.db.selectFrom('panel_type').selectAll().where('partnership_id', '=', actor.partnershipId).orderBy('name').execute(),
        ctx.db.selectFrom('panel_member as pm').innerJoin('panel_type as t', 't.id', 'pm.panel_type_id').innerJoin('organisation as o', 'o.id', 'pm.organisation_id')
          .leftJoin('app_user as u', 'u.id', 'pm.user_id')
          .select(['pm.panel_type_id', 'o.name as organisation_name', 'pm.role', 'u.name as user_name']).where('t.partnership_id', '=', actor.partnershipId).orderBy('o.name').execute(),
        ctx.db.selectFrom('panel_meeting as m').innerJoin('panel_type as t', 't.id', 'm.panel_type_id')
          .select(['m.id', 't.name as panel_name', 'm.held_at', 'm.status',
            (eb) => eb.selectFrom('panel_agenda_item as ai').select((e) => e.fn.countAll<number>().as('n')).whereRef('ai.meeting_id', '=', 'm.id').as('children')])
          .where('t.partnership_id', '=', actor.partnershipId).orderBy('m.held_at', 'desc').limit(50).execute(),
        ctx.db.selectFrom('organisation_partnership as op').innerJoin('organisation as o', 'o.id', 'op.organisation_id').select(['o.id', 'o.name'])
          .where('op.partnership_id', '=', actor.partnershipId).where('o.kind', '<>', 'school').orderBy('o.name').execute(),
        ctx.db.selectFrom('panel_referral').select((eb) => eb.fn.countAll<number>().as('n')).where('partnership_id', '=', actor.partnershipId).where('meeting_id', 'is', null).executeTakeFirst(),
      ]);
      types = t.map((x) => ({ ...x, members: members.filter((mm) => mm.panel_type_id === x.id) }));
      meetings = m.map((x) => ({ ...x, children: Number(x.children) }));
      organisations = orgs;
      waiting = Number(w?.n ?? 0);
    }
    await recordAccess(ctx.db, { actor, action: 'panel.list', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { meetings: [...invited.map((i) => i.id), ...meetings.map((m) => m.id)] } });
    reply.status(errors.length ? 400 : 200);
    return reply.view('panels/views/panels.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'panels', coordinator, invited, types, meetings, waiting,
      kinds: Object.entries(PANEL_KINDS).map(([value, t]) => ({ value, text: t, selected: values.kind === value })),
      typeItems: [{ value: '', text: 'Choose a panel' }, ...types.map((t) => ({ value: t.id, text: t.name, selected: values.panelTypeId === t.id }))],
      organisations: [{ value: '', text: 'Choose an agency' }, ...organisations.map((o) => ({ value: o.id, text: o.name }))],
      values, errors, fieldErrors: Object.fromEntries(errors.map((e) => [e.field, { text: e.text }])),
    });
  }

  r.get('/panels', {
    config: { access: { kind: 'roles', roles: CASE_HOLDING_ROLES, action: 'panel.list' }, nav: { text: 'Panels', key: 'panels', order: 47, group: 'Panels, plans and transfers', hint: 'Meetings, agendas, invitations and briefing packs',
      // A coordinator's work: referrals not yet on a meeting's agenda.
      waiting: { label: 'referrals waiting for an agenda', count: async (db, actor) => (actor.roles.includes('panel_coordinator')
        ? Number((await db.selectFrom('panel_referral').select((eb) => eb.fn.countAll().as('n')).where('partnership_id', '=', actor.partnershipId).where('meeting_id', 'is', null).executeTakeFirst())?.n ?? 0)
        : 0) } } },
  }, async (request, reply) => renderPanels(request, reply));

  r.post('/panels/types', {
    schema: { body: z.object({ _csrf: z.string().optional(), name: text(300), kind: text(64), cadenceDays: text(10), accessDaysBefore: text(10) }) },
    config: { access: { kind: 'roles', roles: COORDINATOR, action: 'panel.configure' } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const v = request.body;
    const errors: FormError[] = [];
    const name = v.name.trim();
    if (name.length < 2 || name.length > 200) errors.push({ field: 'name', href: '#name', text: 'Enter the panel\'s name' });
    if (!(v.kind in PANEL_KINDS)) errors.push({ field: 'kind', href: '#kind', text: 'Choose the kind of panel' });
    const cadence = Number(v.cadenceDays);
    if (!Number.isInteger(cadence) || cadence < 1 || cadence > 366) errors.push({ field: 'cadenceDays', href: '#cadenceDays', text: 'Enter how often it meets, in days (1 to 366)' });
    const before = v.accessDaysBefore.trim() === '' ? 10 : Number(v.accessDaysBefore);
    if (!Number.isInteger(before) || before < 0 || before > 60) errors.push({ field: 'accessDaysBefore', href: '#accessDaysBefore', text: 'Enter a number of days from 0 to 60' });
    if (!errors.length) {
      const clash = await ctx.db.selectFrom('panel_type').select('id').where('partnership_id', '=', actor.partnershipId).where('name', '=', name).executeTakeFirst();
      if (clash) errors.push({ field: 'name', href: '#name', text: 'Your partnership already has a panel with this name' });
    }
    if (errors.length) return renderPanels(request, reply, v, errors);
    await ctx.db.transaction().execute(async (trx) => {
      const t = await trx.insertInto('panel_type').values({ partnership_id: actor.partnershipId, kind: v.kind as never, name, cadence_days: cadence, access_days_before: before }).returning('id').executeTakeFirstOrThrow();
      await recordAccess(trx, { actor, action: 'panel.configure', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { panelTypeId: t.id, name } });
    });
    return reply.redirect('/panels', 303);
  });

  r.post('/panels/types/:typeId/members', {
    schema: { params: z.object({ typeId: z.string().max(64) }), body: z.object({ _csrf: z.string().optional(), organisationId: text(64), role: text(300), email: text(300) }) },
    config: { access: { kind: 'record', roles: COORDINATOR, action: 'panel.configure' } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const id = request.params.typeId;
    const type = isUuid(id) ? await ctx.db.selectFrom('panel_type').select('id').where('id', '=', id).where('partnership_id', '=', actor.partnershipId).executeTakeFirst() : undefined;
    if (!type) return refuseRecord(ctx, request, { detail: { panelTypeId: isUuid(id) ? id : null } });
    const v = request.body;
    const errors: FormError[] = [];
    const org = isUuid(v.organisationId) ? await ctx.db.selectFrom('organisation_partnership').select('organisation_id')
      .where('organisation_id', '=', v.organisationId).where('partnership_id', '=', actor.partnershipId).executeTakeFirst() : undefined;
    if (!org) errors.push({ field: 'organisationId', href: `#organisationId-${type.id}`, text: 'Choose an agency of your partnership' });
    const role = v.role.trim();
    if (role.length < 2 || role.length > 200) errors.push({ field: 'role', href: `#role-${type.id}`, text: 'Enter the member\'s role at the panel' });
    let userId: string | null = null;
    if (v.email.trim() && org) {
      const u = await ctx.db.selectFrom('app_user').select('id').where('email', '=', v.email.trim().toLowerCase()).where('organisation_id', '=', org.organisation_id).where('active', '=', true).executeTakeFirst();
      if (!u) errors.push({ field: 'email', href: `#email-${type.id}`, text: 'Enter the email of an active user of that agency, or leave it empty' });
      else userId = u.id;
    }
    if (errors.length) return renderPanels(request, reply, v, errors);
    await ctx.db.transaction().execute(async (trx) => {
      await trx.insertInto('panel_member').values({ panel_type_id: type.id, organisation_id: org!.organisation_id, role, user_id: userId })
        .onConflict((oc) => oc.columns(['panel_type_id', 'organisation_id', 'role']).doUpdateSet({ user_id: userId })).execute();
      await recordAccess(trx, { actor, action: 'panel.configure', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { panelTypeId: type.id, member: org!.organisation_id, role } });
    });
    return reply.redirect('/panels', 303);
  });

  r.post('/panels/meetings', {
    schema: { body: z.object({ _csrf: z.string().optional(), panelTypeId: text(64), 'heldAt-day': text(10), 'heldAt-month': text(10), 'heldAt-year': text(10), 'heldAt-time': text(10) }) },
    config: { access: { kind: 'roles', roles: COORDINATOR, action: 'panel.meeting.create' } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const v = request.body;
    const errors: FormError[] = [];
    const d = parseDateParts(v['heldAt-day'], v['heldAt-month'], v['heldAt-year'], { requireDay: true });
    const m = /^(\d{1,2})[:.](\d{2})$/.exec(v['heldAt-time'].trim() || '10:00');
    if (!d.ok) errors.push({ field: 'heldAt', href: `#heldAt-${d.field}`, text: `The meeting date ${d.error}` });
    else if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) errors.push({ field: 'heldAt', href: '#heldAt-time', text: 'Enter the time as hours and minutes, like 10:00' });
    if (!isUuid(v.panelTypeId)) errors.push({ field: 'panelTypeId', href: '#panelTypeId', text: 'Choose a panel' });
    if (errors.length || !d.ok || !m) return renderPanels(request, reply, v, errors);
    const heldAt = new Date(`${d.date}T${m[1]!.padStart(2, '0')}:${m[2]}:00.000Z`);
    const result = await ctx.db.transaction().execute((trx) => createMeeting(trx, actor, { panelTypeId: v.panelTypeId, heldAt }, { route: routeOf(request), requestId: request.id }));
    if (!result.ok) return renderPanels(request, reply, v, result.problems.map((p) => ({ field: p.field, href: `#${p.field}`, text: p.message })));
    return reply.redirect(`/panels/meetings/${result.meetingId}`, 303);
  });

  // A practitioner's referral of a child they work with to the partnership's panels.
  const referParams = z.object({ personId: z.string().max(64) });
  async function renderReferral(request: FastifyRequest, reply: FastifyReply, personId: string, values: Record<string, string>, errors: FormError[]) {
    const actor = userOf(request);
    const names = await displayNames(ctx.db, [personId]);
    await recordAccess(ctx.db, { actor, action: 'panel.refer', personId, route: routeOf(request), outcome: 'allowed', requestId: request.id });
    reply.status(errors.length ? 400 : 200);
    return reply.view('panels/views/referral.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'panels', personId, childName: names.get(personId) ?? 'Name not recorded',
      values, errors, fieldErrors: Object.fromEntries(errors.map((e) => [e.field, { text: e.text }])),
    });
  }
  r.get('/people/:personId/panel-referrals/new', {
    schema: { params: referParams }, config: { access: { kind: 'person', action: 'panel.refer' } },
  }, async (request, reply) => renderReferral(request, reply, request.params.personId, {}, []));
  r.post('/people/:personId/panel-referrals/new', {
    schema: { params: referParams, body: z.object({ _csrf: z.string().optional(), reason: text(6000) }) },
    config: { access: { kind: 'person', action: 'panel.refer' } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const reason = request.body.reason.trim();
    if (reason.length < 10 || reason.length > 5000) return renderReferral(request, reply, request.params.personId, request.body, [{ field: 'reason', href: '#reason', text: 'Say why this child should be discussed at a panel (at least 10 characters)' }]);
    await ctx.db.transaction().execute(async (trx) => {
      const ref = await trx.insertInto('panel_referral').values({
        person_id: request.params.personId, partnership_id: actor.partnershipId, source: 'practitioner', reason, referred_by_user_id: actor.userId, organisation_id: actor.organisationId,
      }).returning('id').executeTakeFirstOrThrow();
      await recordAccess(trx, { actor, action: 'panel.refer', personId: request.params.personId, route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { referralId: ref.id } });
    });
    return reply.redirect(`/people/${request.params.personId}`, 303);
  });

  r.get('/panels/figures', {
    schema: { querystring: z.object({ asOf: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional() }) },
    config: { access: { kind: 'roles', roles: FIGURES_ROLES, action: 'panel.figures.read' }, nav: { text: 'Panel figures', key: 'panel-figures', order: 48, group: 'Oversight and figures', hint: 'Attendance by agency, decisions and actions' } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const asOf = request.query.asOf ? new Date(`${request.query.asOf}T23:59:59Z`) : new Date();
    const figures = await panelFigures(ctx.db, actor.partnershipId, asOf);
    await recordAccess(ctx.db, { actor, action: 'panel.figures.read', route: routeOf(request), outcome: 'allowed', requestId: request.id });
    const pct = (n: number, d: number) => (d ? `${Math.round((100 * n) / d)}%` : 'None due');
    return reply.view('panels/views/figures.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'panel-figures', figures,
      repeatRate: figures.repeatRate === null ? 'No children heard' : `${Math.round(figures.repeatRate * 100)}%`,
      agencies: figures.agencies.map((a) => ({ ...a, attendance: pct(a.attended, a.invited), onTime: pct(a.on_time, a.due), actionsOnTime: pct(a.actions_on_time, a.actions_due) })),
    });
  });

  await meetingRoutes(app, ctx);
}
