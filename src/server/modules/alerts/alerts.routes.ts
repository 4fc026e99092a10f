import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../../db/database.js';
import { refuseRecord } from '../../access.js';
import type { Role } from '../../actor.js';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { formatDate, formatDateTime, formatEventDate } from '../../format.js';
import { isUuid, routeOf, userOf } from '../../request.js';
import { entryLabel } from '../chronology/chronology.presenter.js';
import { entryScope } from '../chronology/chronology.policy.js';
import { visiblePersonIds } from '../people/people.policy.js';
import { displayNames } from '../people/people.queries.js';
import type { AlertReason } from './alerts.processor.js';

const PAGE_SIZE = 50;

/** Who may name watchers for a child they can see. */
export const WATCHER_ROLES: readonly Role[] = ['team_manager', 'designated_safeguarding_lead', 'panel_coordinator'];

const REASON_TEXT: Record<AlertReason, string> = {
  involvement: 'You work with this child',
  lead_professional: 'You are the lead professional',
  team_involvement: 'Your team holds this child\'s case',
  manager_high_risk: 'You manage a worker of this child, whose risk is high',
  watcher: 'You are watching this child',
  school_dsl: 'You are the designated safeguarding lead of the child\'s school',
  escalation: 'Not acknowledged in time by the person it was sent to',
  action_owner: 'You own this action',
  owner_manager: 'You manage the owner of this action',
  referrer: 'You referred this child for help',
  front_door: 'Your team is the front door for this child, who has no lead professional',
};

/** The number of alerts the user has not acknowledged (shown in the navigation on every page). */
export async function unreadAlerts(db: Kysely<Database>, userId: string): Promise<number> {
  const row = await db.selectFrom('alert').select((eb) => eb.fn.countAll<string>().as('n'))
    .where('recipient_user_id', '=', userId).where('acknowledged_at', 'is', null).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** What an alert about a plan action or an offer says, and where it leads (nothing about the child unless the recipient may see them). */
function otherSubject(r: { kind: string; person_id: string; welfare_check_id: string | null; plan_id: string | null; action_description: string | null; action_due_on: string | null; offer_service: string | null; offer_response: string | null }, mayOpen: boolean) {
  if (r.kind === 'action_due' || r.kind === 'action_overdue') {
    return {
      title: r.kind === 'action_due' ? 'An action you own is due soon' : 'An action owned by someone you manage is overdue',
      text: mayOpen && r.action_description && r.action_due_on ? `${r.action_description} (due ${formatDate(r.action_due_on)})` : null,
      href: mayOpen && r.plan_id ? `/people/${r.person_id}/plan` : null,
    };
  }
  if (r.kind === 'welfare_check' && r.welfare_check_id) {
    // The check's page is the recipient's to open (they are its assignee); it names the child only to those who may see them.
    return { title: 'A welfare check is asked after a serious incident', text: null, href: `/welfare-checks/${r.welfare_check_id}` };
  }
  if (r.kind === 'offer_outcome') {
    const response = { accepted: 'accepted', declined: 'declined', not_taken_up: 'not taken up' }[r.offer_response ?? ''] ?? 'answered';
    return { title: 'The outcome of an offer of help you referred', text: mayOpen && r.offer_service ? `${r.offer_service}: ${response}` : null, href: mayOpen ? `/people/${r.person_id}/offers` : null };
  }
  return null;
}

/** One page of a user's alerts, each showing only what its recipient may see of the entry. */
async function alertsPage(db: Kysely<Database>, actor: ReturnType<typeof userOf>, opts: { show: 'unread' | 'all'; page: number }) {
  const rows = await db.selectFrom('alert as a')
    .leftJoin('alert as f', 'f.id', 'a.escalated_from')
    .leftJoin('app_user as fu', 'fu.id', 'f.recipient_user_id')
    .leftJoin('plan_action as pa', 'pa.id', 'a.plan_action_id')
    .leftJoin('offer_of_help as oh', 'oh.id', 'a.offer_id')
    .select(['pa.description as action_description', 'pa.due_on as action_due_on', 'pa.plan_id', 'oh.service_name as offer_service', 'oh.response as offer_response'])
    .select(['a.id', 'a.person_id', 'a.event_id', 'a.welfare_check_id', 'a.kind', 'a.reasons', 'a.created_at', 'a.respond_by', 'a.acknowledged_at', 'fu.name as escalated_from_name'])
    .where('a.recipient_user_id', '=', actor.userId)
    .$if(opts.show === 'unread', (q) => q.where('a.acknowledged_at', 'is', null))
    .orderBy('a.created_at', 'desc').orderBy('a.id')
    .limit(PAGE_SIZE + 1).offset((opts.page - 1) * PAGE_SIZE)
    .execute();
  const more = rows.length > PAGE_SIZE;
  const shown = rows.slice(0, PAGE_SIZE);
  const people = [...new Set(shown.map((r) => r.person_id))];
  const eventIds = [...new Set(shown.map((r) => r.event_id).filter((e): e is string => e !== null))];
  const entries = eventIds.length === 0 ? [] : await db.selectFrom(entryScope(actor, { ids: people, entries: eventIds }).as('v'))
    .select(['v.id', 'v.access', 'v.type_label', 'v.summary', 'v.occurred_at', 'v.occurred_precision', 'v.organisation_name', 'v.restricted_contact'])
    .execute();
  const entryById = new Map(entries.map((e) => [e.id, e]));
  const names = await displayNames(db, people);
  const openable = new Set(people.length === 0 ? [] : (await db.selectFrom('person').select('person.id')
    .where('person.id', 'in', people).where('person.id', 'in', visiblePersonIds(db, actor)).execute()).map((p) => p.id));
  return {
    more,
    ids: people,
    alerts: shown.map((r) => {
      const e = r.event_id ? entryById.get(r.event_id) : undefined;
      return {
        id: r.id,
        kind: r.kind,
        child: names.get(r.person_id) ?? 'A child',
        childHref: openable.has(r.person_id) ? `/people/${r.person_id}` : null,
        when: formatDateTime(r.created_at),
        respondBy: r.respond_by ? formatDateTime(r.respond_by) : null,
        acknowledged: r.acknowledged_at ? formatDateTime(r.acknowledged_at) : null,
        reasons: r.reasons.map((x) => REASON_TEXT[x as AlertReason] ?? x),
        escalatedFrom: r.escalated_from_name,
        // Alerts about a plan action or an offer of help name it only for a recipient who may open the child's record.
        subject: otherSubject(r, openable.has(r.person_id)),
        entry: e ? {
          label: entryLabel(e),
          withheld: e.access !== 'full',
          summary: e.access === 'full' ? e.summary : null,
          occurred: formatEventDate(e.occurred_at, e.occurred_precision),
          organisation: e.organisation_name,
          contact: e.access === 'restricted' ? e.restricted_contact : null,
        } : null,
      };
    }),
  };
}

/** Alerts: the in-app list with its unread count in the navigation, acknowledgement, and watchers of a child. */
export async function alertRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  // Every page a signed-in user opens shows how many alerts await them, beside "Alerts" in the navigation.
  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.method !== 'GET' || reply.sent || request.actor?.kind !== 'user') return;
    const withLocals = reply as FastifyReply & { locals?: Record<string, unknown> };
    withLocals.locals = { ...withLocals.locals, alertsUnread: await unreadAlerts(ctx.db, request.actor.userId) };
  });

  r.get('/alerts', {
    schema: { querystring: z.object({ show: z.enum(['unread', 'all']).default('unread'), page: z.coerce.number().int().min(1).max(10_000).default(1) }) },
    config: { access: { kind: 'signed_in' }, nav: { text: 'Alerts', key: 'alerts', order: 15, bar: true } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const { show, page } = request.query;
    const result = await alertsPage(ctx.db, actor, { show, page });
    await recordAccess(ctx.db, {
      actor, action: 'alert.list', route: routeOf(request), outcome: 'allowed', requestId: request.id,
      detail: { shown: result.alerts.map((a) => a.id), people: result.ids, show, page },
    });
    return reply.view('alerts/views/alerts.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'alerts',
      alerts: result.alerts, show, page, more: result.more,
    });
  });

  r.post('/alerts/:alertId/acknowledge', {
    schema: { params: z.object({ alertId: z.string().max(64) }), body: z.object({ _csrf: z.string().optional(), show: z.enum(['unread', 'all']).optional() }) },
    config: { access: { kind: 'record', action: 'alert.acknowledge' } },
  }, async (request, reply) => {
    const actor = userOf(request);
    const { alertId } = request.params;
    const alert = isUuid(alertId)
      ? await ctx.db.selectFrom('alert').select(['id', 'person_id', 'recipient_user_id', 'acknowledged_at']).where('id', '=', alertId).executeTakeFirst()
      : undefined;
    if (!alert || alert.recipient_user_id !== actor.userId) return refuseRecord(ctx, request, { personId: alert?.person_id ?? null });
    await ctx.db.transaction().execute(async (trx) => {
      await trx.updateTable('alert').set({ acknowledged_at: sql<Date>`now()` }).where('id', '=', alert.id).where('acknowledged_at', 'is', null).execute();
      await recordAccess(trx, { actor, action: 'alert.acknowledge', personId: alert.person_id, route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { alert: alert.id } });
    });
    return reply.redirect(`/alerts${request.body.show === 'all' ? '?show=all' : ''}`, 303);
  });

  // Watchers: people or teams who receive a child's alerts without working with the child (a panel,
  // a borough that has handed the child over), named by a manager, DSL or panel coordinator who can see the child.
  const watcherAccess = { kind: 'person' as const, action: 'watcher.manage' as const, roles: WATCHER_ROLES };

  async function watcherPage(request: FastifyRequest, reply: FastifyReply, personId: string, errors: { href: string; text: string }[], values: Record<string, string>) {
    const actor = userOf(request);
    const watchers = await ctx.db.selectFrom('watcher as w')
      .leftJoin('app_user as u', 'u.id', 'w.user_id').leftJoin('team as t', 't.id', 'w.team_id')
      .leftJoin('organisation as o', (j) => j.on(sql<boolean>`o.id = coalesce(u.organisation_id, t.organisation_id)`))
      .leftJoin('app_user as by', 'by.id', 'w.created_by_user_id')
      .select(['w.id', 'w.reason', 'w.started_at', 'w.ends_at', 'u.name as user_name', 't.name as team_name', 'o.name as organisation_name', 'by.name as by_name'])
      .where('w.person_id', '=', personId).orderBy('w.started_at', 'desc').execute();
    const [teams, users] = await Promise.all([
      ctx.db.selectFrom('team').select(['id', 'name']).where('organisation_id', '=', actor.organisationId).orderBy('name').execute(),
      ctx.db.selectFrom('app_user').select(['id', 'name']).where('organisation_id', '=', actor.organisationId).where('active', '=', true).orderBy('name').execute(),
    ]);
    const names = await displayNames(ctx.db, [personId]);
    await recordAccess(ctx.db, { actor, action: 'watcher.manage', personId, route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { read: true } });
    const now = Date.now();
    reply.status(errors.length ? 400 : 200);
    return reply.view('alerts/views/watchers.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'find', personId, childName: names.get(personId) ?? 'This child',
      watchers: watchers.map((w) => ({
        id: w.id, who: w.user_name ?? `${w.team_name ?? 'A team'} (team)`, organisation: w.organisation_name, reason: w.reason, by: w.by_name,
        from: formatDateTime(w.started_at), until: w.ends_at ? formatDateTime(w.ends_at) : 'until ended', active: !w.ends_at || w.ends_at.getTime() > now,
      })),
      teams, users, errors, values,
    });
  }

  r.get('/people/:personId/watchers', {
    schema: { params: z.object({ personId: z.string().max(64) }) },
    config: { access: watcherAccess },
  }, async (request, reply) => watcherPage(request, reply, request.params.personId, [], {}));

  r.post('/people/:personId/watchers', {
    schema: {
      params: z.object({ personId: z.string().max(64) }),
      body: z.object({ _csrf: z.string().optional(), watcher: z.string().max(80).default(''), reason: z.string().max(2000).default(''), days: z.string().max(10).default('') }),
    },
    config: { access: watcherAccess },
  }, async (request, reply) => {
    const actor = userOf(request);
    const { personId } = request.params;
    const { watcher, reason, days } = request.body;
    const errors: { href: string; text: string }[] = [];
    const [kind, id] = watcher.split(':');
    let target: { user_id: string | null; team_id: string | null } | null = null;
    if (kind === 'user' && id && isUuid(id)) {
      const u = await ctx.db.selectFrom('app_user').select('id').where('id', '=', id).where('organisation_id', '=', actor.organisationId).where('active', '=', true).executeTakeFirst();
      if (u) target = { user_id: u.id, team_id: null };
    } else if (kind === 'team' && id && isUuid(id)) {
      const t = await ctx.db.selectFrom('team').select('id').where('id', '=', id).where('organisation_id', '=', actor.organisationId).executeTakeFirst();
      if (t) target = { user_id: null, team_id: t.id };
    }
    if (!target) errors.push({ href: '#watcher', text: 'Choose a person or a team of your organisation to watch this child' });
    const why = reason.trim();
    if (why.length < 10) errors.push({ href: '#reason', text: 'Say why they should receive this child\'s alerts, in at least 10 characters' });
    const n = days.trim() === '' ? null : Number(days.trim());
    if (n !== null && (!Number.isInteger(n) || n < 1 || n > 730)) errors.push({ href: '#days', text: 'Enter a number of days from 1 to 730, or leave it empty to watch until someone ends it' });
    if (errors.length || !target) return watcherPage(request, reply, personId, errors, { watcher, reason, days });
    await ctx.db.transaction().execute(async (trx) => {
      const w = await trx.insertInto('watcher').values({
        person_id: personId, ...target, reason: why, created_by_user_id: actor.userId,
        ends_at: n === null ? null : new Date(Date.now() + n * 86_400_000),
      }).returning('id').executeTakeFirstOrThrow();
      await recordAccess(trx, { actor, action: 'watcher.manage', personId, route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { watcher: w.id, added: target } });
    });
    return reply.redirect(`/people/${personId}/watchers`, 303);
  });

  r.post('/people/:personId/watchers/:watcherId/end', {
    schema: { params: z.object({ personId: z.string().max(64), watcherId: z.string().max(64) }), body: z.object({ _csrf: z.string().optional() }) },
    config: { access: watcherAccess },
  }, async (request, reply) => {
    const actor = userOf(request);
    const { personId, watcherId } = request.params;
    const ended = isUuid(watcherId) ? await ctx.db.transaction().execute(async (trx) => {
      const res = await trx.updateTable('watcher').set({ ends_at: sql<Date>`now()` })
        .where('id', '=', watcherId).where('person_id', '=', personId)
        .where((eb) => eb.or([eb('ends_at', 'is', null), eb('ends_at', '>', sql<Date>`now()`)])).executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) return false;
      await recordAccess(trx, { actor, action: 'watcher.manage', personId, route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { watcher: watcherId, ended: true } });
      return true;
    }) : false;
    if (!ended) return refuseRecord(ctx, request, { personId });
    return reply.redirect(`/people/${personId}/watchers`, 303);
  });
}
