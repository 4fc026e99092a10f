import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { refuseRecord, type RouteAccess } from '../../access.js';
import type { Actor, Role } from '../../actor.js';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { isUuid, routeOf, userOf } from '../../request.js';
import { setAlertEscalation, setFrontDoor, setSignificantEventTypes, setTransferSettings } from './commands/configure-partnership.js';
import {
  DEFAULT_SIGNIFICANT_EVENT_TYPES, ESCALATION_MINUTES, eventTypesByCategory, loadSettings, memberTeams, recentChanges, TRANSFER_LIMITS, type PartnershipSettings,
} from './partnerships.queries.js';

/** Only the partnership administrator configures a partnership, and only their own (app_user.partnership_id). */
export const PARTNERSHIP_ADMIN_ROLES: readonly Role[] = ['partnership_admin'];

type Admin = Actor & { kind: 'user' };
type FormError = { href: string; text: string };

const csrf = z.string().max(200).optional();

/**
 * The partnership settings pages: the administrator's own partnership (its areas, member
 * organisations, front door, significant event types, alert escalation time and transfer settings). Every route
 * takes the partnership from the signed-in administrator, never from the request; an id of an
 * organisation or team outside it is refused as not found, with a denied row.
 */
export async function partnershipRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const read: RouteAccess = { kind: 'roles', roles: PARTNERSHIP_ADMIN_ROLES, action: 'partnership.read' };
  // The front door form names organisations and teams by id: the route admits the administrator, and this module
  // refuses ids outside their partnership through refuseRecord (404 and a denied row, as for an id that does not exist).
  const configure: RouteAccess = { kind: 'roles', roles: PARTNERSHIP_ADMIN_ROLES, action: 'partnership.configure' };

  async function settingsOf(actor: Admin): Promise<PartnershipSettings> {
    const s = await loadSettings(ctx.db, actor.partnershipId);
    if (!s) throw new Error('The signed-in user\'s partnership does not exist'); // app_user.partnership_id is NOT NULL and references it
    return s;
  }

  function view(request: FastifyRequest, reply: FastifyReply, template: string, actor: Admin, data: Record<string, unknown>, errors: FormError[] = []) {
    reply.status(errors.length ? 400 : 200);
    return reply.view(`partnerships/views/${template}`, {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'partnership', errors,
      err: Object.fromEntries(errors.map((e) => [e.href.slice(1), { text: e.text }])), ...data,
    });
  }

  r.get('/partnership', {
    config: { access: read, nav: { text: 'Partnership settings', key: 'partnership', order: 65, group: 'Partnership administration', hint: 'Areas, members, front door, significant events and escalation' } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const settings = await settingsOf(actor);
    const [types, changes] = await Promise.all([eventTypesByCategory(ctx.db), recentChanges(ctx.db, settings.id)]);
    const labels = new Map(types.flatMap((c) => c.types.map((t) => [t.code, t.label] as const)));
    await recordAccess(ctx.db, { actor, action: 'partnership.read', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { partnershipId: settings.id } });
    return view(request, reply, 'settings.njk', actor, {
      p: settings, significantLabels: settings.significantEventTypes.map((c) => labels.get(c) ?? c).sort(),
      changes: changes.map((c) => ({ ...c, text: describeChange(c.setting, c.before, c.after, labels, settings) })),
    });
  });

  async function frontDoorPage(request: FastifyRequest, reply: FastifyReply, actor: Admin, values: { organisation?: string; team?: string }, errors: FormError[] = []) {
    const settings = await settingsOf(actor);
    const teams = await memberTeams(ctx.db, settings.id);
    const orgName = new Map(settings.organisations.map((o) => [o.id, o.name]));
    const chosenOrg = values.organisation ?? settings.frontDoor?.organisationId ?? '';
    const chosenTeam = values.team ?? settings.frontDoor?.teamId ?? '';
    return view(request, reply, 'front-door.njk', actor, {
      p: settings,
      organisationItems: [{ value: '', text: 'Choose an organisation' }, ...settings.organisations.map((o) => ({ value: o.id, text: `${o.name} (${o.borough})`, selected: o.id === chosenOrg }))],
      teamItems: [{ value: '', text: 'The whole organisation', selected: !chosenTeam }, ...teams.map((t) => ({ value: t.id, text: `${orgName.get(t.organisationId) ?? ''}: ${t.name}`, selected: t.id === chosenTeam }))],
    }, errors);
  }

  r.get('/partnership/front-door', { config: { access: configure } }, async (request, reply) => frontDoorPage(request, reply, userOf(request), {}));

  r.post('/partnership/front-door', {
    schema: { body: z.object({ _csrf: csrf, organisation: z.string().max(100).default(''), team: z.string().max(100).default('') }) },
    config: { access: configure },
  }, async (request, reply) => {
    const actor = userOf(request);
    const organisation = request.body.organisation.trim();
    const team = request.body.team.trim();
    if (!organisation) return frontDoorPage(request, reply, actor, { organisation, team }, [{ href: '#organisation', text: 'Choose the organisation whose front door receives considerations for children with no lead professional' }]);
    // Only the administrator's own partnership's organisations and teams: anything else is refused as not found.
    const member = isUuid(organisation) && await ctx.db.selectFrom('organisation_partnership').select('organisation_id')
      .where('partnership_id', '=', actor.partnershipId).where('organisation_id', '=', organisation).executeTakeFirst();
    if (!member) return refuseRecord(ctx, request, { detail: { partnershipId: actor.partnershipId, organisationId: organisation.slice(0, 100) } });
    let teamId: string | null = null;
    if (team) {
      const t = isUuid(team) ? await ctx.db.selectFrom('team as t').innerJoin('organisation_partnership as op', 'op.organisation_id', 't.organisation_id')
        .select(['t.id', 't.organisation_id']).where('t.id', '=', team).where('op.partnership_id', '=', actor.partnershipId).executeTakeFirst() : undefined;
      if (!t) return refuseRecord(ctx, request, { detail: { partnershipId: actor.partnershipId, teamId: team.slice(0, 100) } });
      if (t.organisation_id !== organisation) {
        return frontDoorPage(request, reply, actor, { organisation, team }, [{ href: '#team', text: 'Choose a team of the chosen organisation, or the whole organisation' }]);
      }
      teamId = t.id;
    }
    await setFrontDoor(ctx.db, actor, { organisationId: organisation, teamId }, { route: routeOf(request), requestId: request.id });
    return reply.redirect('/partnership#front-door', 303);
  });

  async function significantPage(request: FastifyRequest, reply: FastifyReply, actor: Admin, chosen: string[] | null, errors: FormError[] = []) {
    const settings = await settingsOf(actor);
    const selected = new Set(chosen ?? settings.significantEventTypes);
    const categories = (await eventTypesByCategory(ctx.db)).map((c) => ({
      ...c,
      items: c.types.map((t) => ({
        value: t.code, text: t.label, checked: selected.has(t.code),
        hint: DEFAULT_SIGNIFICANT_EVENT_TYPES.includes(t.code) ? { text: 'Significant by default' } : undefined,
      })),
    }));
    return view(request, reply, 'significant-events.njk', actor, { p: settings, categories }, errors);
  }

  r.get('/partnership/significant-events', { config: { access: configure } }, async (request, reply) => significantPage(request, reply, userOf(request), null));

  r.post('/partnership/significant-events', {
    schema: { body: z.object({ _csrf: csrf, eventTypes: z.union([z.string().max(100), z.array(z.string().max(100)).max(1000)]).optional(), defaults: z.string().max(10).optional() }) },
    config: { access: configure },
  }, async (request, reply) => {
    const actor = userOf(request);
    const raw = request.body.eventTypes;
    let codes = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
    const known = new Set((await ctx.db.selectFrom('event_type').select('code').execute()).map((t) => t.code));
    if (request.body.defaults === 'yes') codes = DEFAULT_SIGNIFICANT_EVENT_TYPES.filter((c) => known.has(c));
    const unknown = codes.filter((c) => !known.has(c));
    if (unknown.length) {
      return significantPage(request, reply, actor, codes.filter((c) => known.has(c)), [{ href: '#eventTypes', text: 'Choose event types from the list: some of those sent are not in the vocabulary' }]);
    }
    await setSignificantEventTypes(ctx.db, actor, codes, { route: routeOf(request), requestId: request.id });
    return reply.redirect('/partnership#significant-events', 303);
  });

  async function escalationPage(request: FastifyRequest, reply: FastifyReply, actor: Admin, value: string | null, errors: FormError[] = []) {
    const settings = await settingsOf(actor);
    return view(request, reply, 'alert-escalation.njk', actor, { p: settings, value: value ?? String(settings.alertEscalationMinutes), limits: ESCALATION_MINUTES }, errors);
  }

  r.get('/partnership/alert-escalation', { config: { access: configure } }, async (request, reply) => escalationPage(request, reply, userOf(request), null));

  r.post('/partnership/alert-escalation', {
    schema: { body: z.object({ _csrf: csrf, minutes: z.string().max(20).default('') }) },
    config: { access: configure },
  }, async (request, reply) => {
    const actor = userOf(request);
    const text = request.body.minutes.trim();
    const minutes = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!Number.isInteger(minutes) || minutes < ESCALATION_MINUTES.min || minutes > ESCALATION_MINUTES.max) {
      return escalationPage(request, reply, actor, text, [{
        href: '#minutes', text: text ? `Enter a whole number of minutes from ${ESCALATION_MINUTES.min} to ${ESCALATION_MINUTES.max} (7 days)` : 'Enter how many minutes an alert may wait before it escalates',
      }]);
    }
    await setAlertEscalation(ctx.db, actor, minutes, { route: routeOf(request), requestId: request.id });
    return reply.redirect('/partnership#alert-escalation', 303);
  });

  type TransferValues = { onPlan: string; other: string; watch: string };
  async function transfersPage(request: FastifyRequest, reply: FastifyReply, actor: Admin, values: TransferValues | null, errors: FormError[] = []) {
    const settings = await settingsOf(actor);
    const t = settings.transfers;
    return view(request, reply, 'transfers.njk', actor, {
      p: settings, limits: TRANSFER_LIMITS,
      values: values ?? { onPlan: String(t.escalationWorkingDaysOnPlan), other: String(t.escalationWorkingDays), watch: String(t.watchDays) },
    }, errors);
  }

  r.get('/partnership/transfers', { config: { access: configure } }, async (request, reply) => transfersPage(request, reply, userOf(request), null));

  r.post('/partnership/transfers', {
    schema: { body: z.object({ _csrf: csrf, onPlan: z.string().max(20).default(''), other: z.string().max(20).default(''), watch: z.string().max(20).default('') }) },
    config: { access: configure },
  }, async (request, reply) => {
    const actor = userOf(request);
    const values = { onPlan: request.body.onPlan.trim(), other: request.body.other.trim(), watch: request.body.watch.trim() };
    const errors: FormError[] = [];
    const whole = (text: string, range: { min: number; max: number }, href: string, what: string, unit: string) => {
      const n = /^\d{1,6}$/.test(text) ? Number(text) : NaN;
      if (Number.isInteger(n) && n >= range.min && n <= range.max) return n;
      errors.push({ href, text: text ? `Enter a whole number of ${unit} from ${range.min} to ${range.max}` : `Enter ${what}` });
      return 0;
    };
    const d = TRANSFER_LIMITS.escalationWorkingDays;
    const parsed = {
      escalationWorkingDaysOnPlan: whole(values.onPlan, d, '#onPlan', 'how many working days a transfer of a child on a plan may wait', 'working days'),
      escalationWorkingDays: whole(values.other, d, '#other', 'how many working days a transfer of any other child may wait', 'working days'),
      watchDays: whole(values.watch, TRANSFER_LIMITS.watchDays, '#watch', 'how many days the sending borough keeps watching the child', 'days'),
    };
    if (errors.length) return transfersPage(request, reply, actor, values, errors);
    await setTransferSettings(ctx.db, actor, parsed, { route: routeOf(request), requestId: request.id });
    return reply.redirect('/partnership#transfers', 303);
  });
}

/** A change in the settings history, in words. */
function describeChange(setting: string, before: unknown, after: unknown, labels: Map<string, string>, s: PartnershipSettings): string {
  const b = (before ?? {}) as Record<string, unknown>;
  const a = (after ?? {}) as Record<string, unknown>;
  const org = (id: unknown) => s.organisations.find((o) => o.id === id)?.name ?? 'an organisation no longer in the partnership';
  const names = (codes: unknown) => (Array.isArray(codes) ? codes.map((c) => labels.get(String(c)) ?? String(c)).join(', ') : '');
  switch (setting) {
    case 'front_door':
      return `Front door set to ${org(a.organisationId)}${a.teamId ? ' (one team)' : ''}${b.organisationId ? `, was ${org(b.organisationId)}` : ''}`;
    case 'significant_events':
      return [names(a.added) && `Significant: ${names(a.added)}`, names(b.removed) && `No longer significant: ${names(b.removed)}`].filter(Boolean).join('. ');
    case 'alert_escalation':
      return `Alert escalation time set to ${String(a.minutes)} minutes, was ${String(b.minutes)}`;
    case 'transfer_escalation_on_plan':
      return `A transfer of a child on a child protection plan escalates after ${String(a.value)} working days, was ${String(b.value)}`;
    case 'transfer_escalation':
      return `A transfer of any other child escalates after ${String(a.value)} working days, was ${String(b.value)}`;
    case 'transfer_watch':
      return `After a transfer away, this partnership’s workers and teams watch the child for ${String(a.value)} days, was ${String(b.value)}`;
    case 'membership':
      return `Organisation joined: ${org(a.organisationId)}`;
    case 'area':
      return `Area added: ${String(a.borough ?? '')}`;
    case 'created':
      return 'Partnership created';
    default:
      return setting;
  }
}
