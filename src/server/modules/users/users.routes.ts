import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';
import { CASE_HOLDING_ROLES, refuseRecord, type RouteAccess } from '../../access.js';
import { recordAccess, recordAccessMany } from '../../audit/record-access.js';
import { ROLES, type Role } from '../../actor.js';
import type { AppContext } from '../../context.js';
import { isUuid, routeOf, userOf } from '../../request.js';
import { createInvitation, INVITATION_HOURS } from './invitations.js';
import { reviewedGrants, roleConflict } from './roles.policy.js';

const many = z.union([z.string().max(60), z.array(z.string().max(60)).max(10)]).optional().transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]));

type Err = { href: string; text: string };
type Admin = ReturnType<typeof userOf>;

/** The roles chosen on a form, or the problems with them (none chosen, an unknown one, a forbidden combination). */
function chosenRoles(input: string[], errors: Err[]): Role[] {
  const roles = [...new Set(input.filter((x): x is Role => (ROLES as readonly string[]).includes(x)))];
  if (roles.length === 0 || roles.length !== new Set(input).size) {
    errors.push({ href: '#roles', text: 'Choose at least one role' });
    return roles;
  }
  const conflict = roleConflict(roles);
  if (conflict) errors.push({ href: '#roles', text: conflict });
  return roles;
}

/**
 * User management for the partnership administrator, who manages accounts but never reads
 * children's records and never knows anyone's password: a new user is sent a single-use link to
 * set their own. Granting a role that reads records, or an oversight role, is logged for the DPO.
 */
export async function userRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  // The partnership administrator's pages; one of their records (by its id) is refused through refuseRecord.
  const admin: RouteAccess = { kind: 'roles', roles: ['partnership_admin'], action: 'users.manage' };
  const adminRecord: RouteAccess = { kind: 'record', roles: ['partnership_admin'], action: 'users.manage' };

  async function render(request: FastifyRequest, reply: FastifyReply, actor: Admin, errors: Err[] = [], values: Record<string, unknown> = {}) {
    const [users, organisations, teams] = await Promise.all([
      ctx.db.selectFrom('app_user as u').innerJoin('organisation as o', 'o.id', 'u.organisation_id').leftJoin('team as t', 't.id', 'u.team_id')
        .select(['u.id', 'u.name', 'u.email', 'u.roles', 'u.active', 'o.name as organisation_name', 't.name as team_name',
          sql<boolean>`u.password_hash IS NOT NULL`.as('has_password')])
        .orderBy('o.name').orderBy('u.name').limit(1000).execute(),
      ctx.db.selectFrom('organisation').select(['id', 'name']).orderBy('name').execute(),
      ctx.db.selectFrom('team as t').innerJoin('organisation as o', 'o.id', 't.organisation_id').select(['t.id', sql<string>`o.name || ': ' || t.name`.as('name')]).orderBy('name').execute(),
    ]);
    reply.status(errors.length ? 400 : 200);
    return reply.view('users/views/users.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'admin',
      users, organisations, teams, roles: ROLES, errors, values, err: Object.fromEntries(errors.map((e) => [e.href.slice(1), { text: e.text }])),
      emailConfigured: Boolean(ctx.config.SMTP_URL), invitationHours: INVITATION_HOURS,
    });
  }

  /** Writes the DPO-visible grant rows for roles newly given to a user. */
  async function logGrants(trx: typeof ctx.db, request: FastifyRequest, actor: Admin, target: { id: string; organisationId: string }, granted: Role[], via: 'created' | 'changed') {
    if (granted.length === 0) return;
    await recordAccessMany(trx, [{
      actor, action: 'user.role_grant', route: routeOf(request), outcome: 'allowed', requestId: request.id,
      detail: { userId: target.id, userOrganisationId: target.organisationId, granted, via },
    }]);
  }

  r.get('/admin/users', {
    schema: { querystring: z.object({ invited: z.enum(['1']).optional() }) },
    config: { access: admin, nav: { text: 'Users', key: 'users', order: 70, group: 'Partnership administration', hint: 'Invite users and give them roles' } },
  }, async (request, reply) => render(request, reply, userOf(request), [], { invited: request.query.invited === '1' }));

  r.post('/admin/users', {
    schema: {
      // No password: the administrator never sets or learns one. A `password` field sent anyway is refused.
      body: z.strictObject({
        _csrf: z.string().optional(), name: z.string().max(200).default(''), email: z.string().max(320).default(''),
        organisation: z.string().max(64).default(''), team: z.string().max(64).default(''), roles: many,
        jobTitle: z.string().max(200).default(''),
      }),
    },
    config: { access: admin },
  }, async (request, reply) => {
    const actor = userOf(request);
    const b = request.body;
    const errors: Err[] = [];
    const email = b.email.trim().toLowerCase();
    if (!b.name.trim()) errors.push({ href: '#name', text: 'Enter the person’s name' });
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) errors.push({ href: '#email', text: 'Enter an email address in the correct format, like name@example.gov.uk' });
    else if (await ctx.db.selectFrom('app_user').select('id').where(sql<string>`lower(email)`, '=', email).executeTakeFirst()) {
      errors.push({ href: '#email', text: 'A user with this email address already exists' });
    }
    const org = isUuid(b.organisation) ? await ctx.db.selectFrom('organisation').select('id').where('id', '=', b.organisation).executeTakeFirst() : undefined;
    if (!org) errors.push({ href: '#organisation', text: 'Choose the organisation' });
    const team = b.team && isUuid(b.team) ? await ctx.db.selectFrom('team').select(['id', 'organisation_id']).where('id', '=', b.team).executeTakeFirst() : undefined;
    if (b.team && (!team || team.organisation_id !== org?.id)) errors.push({ href: '#team', text: 'Choose a team in the chosen organisation, or no team' });
    const roles = chosenRoles(b.roles, errors);
    if (errors.length) return render(request, reply, actor, errors, b);
    await ctx.db.transaction().execute(async (trx) => {
      const created = await trx.insertInto('app_user').values({
        name: b.name.trim(), email, organisation_id: org!.id, team_id: team?.id ?? null, roles, job_title: b.jobTitle.trim() || null,
        password_hash: null,
      }).returning('id').executeTakeFirstOrThrow();
      const invitationId = await createInvitation(trx, { userId: created.id, invitedBy: actor.userId });
      await recordAccess(trx, { actor, action: 'users.manage', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { created: created.id, invitationId } });
      await logGrants(trx, request, actor, { id: created.id, organisationId: org!.id }, reviewedGrants([], roles), 'created');
    });
    return reply.redirect('/admin/users?invited=1', 303);
  });

  /** A user the administrator may change: any but themselves. */
  async function target(request: FastifyRequest, requested: string) {
    const actor = userOf(request);
    const id = isUuid(requested) && requested !== actor.userId ? requested : null;
    const row = id
      ? await ctx.db.selectFrom('app_user as u').innerJoin('organisation as o', 'o.id', 'u.organisation_id')
        .select(['u.id', 'u.name', 'u.email', 'u.roles', 'u.active', 'u.organisation_id', 'u.partnership_id', 'u.senior_manager', 'o.name as organisation_name',
          sql<boolean>`u.password_hash IS NOT NULL`.as('has_password')])
        .where('u.id', '=', id).executeTakeFirst()
      : undefined;
    if (!row) return refuseRecord(ctx, request, { detail: { userId: id } });
    return { ...row, roles: row.roles as Role[] };
  }

  const renderEdit = (request: FastifyRequest, reply: FastifyReply, u: Awaited<ReturnType<typeof target>>, errors: Err[] = [], chosen?: string[]) => {
    reply.status(errors.length ? 400 : 200);
    return reply.view('users/views/user.njk', {
      user: userOf(request), csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'admin', target: u, roles: ROLES,
      chosen: chosen ?? u.roles, errors, err: Object.fromEntries(errors.map((e) => [e.href.slice(1), { text: e.text }])),
      // Whether the user is a senior manager is the administrator's own partnership's decision.
      seniorManagerForm: u.partnership_id === userOf(request).partnershipId,
    });
  };

  r.get('/admin/users/:id', {
    schema: { params: z.object({ id: z.string().max(64) }) },
    config: { access: adminRecord },
  }, async (request, reply) => renderEdit(request, reply, await target(request, request.params.id)));

  r.post('/admin/users/:id/roles', {
    schema: { params: z.object({ id: z.string().max(64) }), body: z.object({ _csrf: z.string().optional(), roles: many }) },
    config: { access: adminRecord },
  }, async (request, reply) => {
    const actor = userOf(request);
    const u = await target(request, request.params.id);
    const errors: Err[] = [];
    const roles = chosenRoles(request.body.roles, errors);
    if (errors.length) return renderEdit(request, reply, u, errors, request.body.roles);
    await ctx.db.transaction().execute(async (trx) => {
      await trx.updateTable('app_user').set({ roles }).where('id', '=', u.id).execute();
      await recordAccess(trx, { actor, action: 'users.manage', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { userId: u.id, rolesBefore: u.roles, rolesAfter: roles } });
      await logGrants(trx, request, actor, { id: u.id, organisationId: u.organisation_id }, reviewedGrants(u.roles, roles), 'changed');
    });
    return reply.redirect('/admin/users', 303);
  });

  // A senior manager (head of service) signs off relocation risk assessments: marked by the administrator
  // of the user's own partnership; a user of another partnership is refused as not found, with a denied row.
  r.post('/admin/users/:id/senior-manager', {
    schema: { params: z.object({ id: z.string().max(64) }), body: z.object({ _csrf: z.string().optional(), seniorManager: z.enum(['yes', 'no']).optional() }) },
    config: { access: adminRecord },
  }, async (request, reply) => {
    const actor = userOf(request);
    const u = await target(request, request.params.id);
    if (u.partnership_id !== actor.partnershipId) return refuseRecord(ctx, request, { detail: { userId: u.id, why: 'other_partnership' } });
    const wanted = request.body.seniorManager;
    if (wanted === undefined) return renderEdit(request, reply, u, [{ href: '#seniorManager', text: 'Select whether this person is a senior manager who may sign off relocations' }]);
    const senior = wanted === 'yes';
    if (senior && !u.roles.some((r) => CASE_HOLDING_ROLES.includes(r))) {
      return renderEdit(request, reply, u, [{ href: '#seniorManager', text: 'Only someone with a role that sees children’s records can be a senior manager who signs off relocations' }]);
    }
    await ctx.db.transaction().execute(async (trx) => {
      await trx.updateTable('app_user').set({ senior_manager: senior }).where('id', '=', u.id).execute();
      await recordAccess(trx, {
        actor, action: 'users.manage', route: routeOf(request), outcome: 'allowed', requestId: request.id,
        detail: { userId: u.id, seniorManagerBefore: u.senior_manager, seniorManagerAfter: senior },
      });
    });
    return reply.redirect(`/admin/users/${u.id}`, 303);
  });

  r.post('/admin/users/:id/invitation', {
    schema: { params: z.object({ id: z.string().max(64) }), body: z.object({ _csrf: z.string().optional() }) },
    config: { access: adminRecord },
  }, async (request, reply) => {
    const actor = userOf(request);
    const u = await target(request, request.params.id);
    // Only someone who has not yet set a password is sent a new link: an administrator cannot take over a working account.
    if (u.has_password || !u.active) return refuseRecord(ctx, request, { detail: { userId: u.id, why: u.active ? 'password_already_set' : 'deactivated' } });
    await ctx.db.transaction().execute(async (trx) => {
      const invitationId = await createInvitation(trx, { userId: u.id, invitedBy: actor.userId });
      await recordAccess(trx, { actor, action: 'users.manage', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { userId: u.id, invitationId } });
    });
    return reply.redirect('/admin/users?invited=1', 303);
  });

  r.post('/admin/users/:id/deactivate', {
    schema: { params: z.object({ id: z.string().max(64) }), body: z.object({ _csrf: z.string().optional() }) },
    config: { access: adminRecord },
  }, async (request, reply) => {
    const actor = userOf(request);
    // An administrator cannot deactivate themselves: their own account is not one of the records here.
    const u = await target(request, request.params.id);
    await ctx.db.transaction().execute(async (trx) => {
      await trx.updateTable('app_user').set({ active: false }).where('id', '=', u.id).execute();
      // A deactivated user is signed out everywhere at once, and their unused invitation stops working.
      await trx.deleteFrom('app_session').where('user_id', '=', u.id).execute();
      await trx.updateTable('user_invitation').set({ revoked_at: sql<Date>`now()` }).where('user_id', '=', u.id).where('used_at', 'is', null).where('revoked_at', 'is', null).execute();
      await recordAccess(trx, { actor, action: 'users.manage', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { deactivated: u.id } });
    });
    return reply.redirect('/admin/users', 303);
  });

  // The data protection officer's view of every role that reads records or oversees access, as it was granted.
  r.get('/admin/role-grants', {
    config: {
      access: { kind: 'roles', roles: ['data_protection_officer'], action: 'user.role_grants.read' },
      nav: { text: 'Role grants', key: 'role-grants', order: 85, group: 'Information governance', hint: 'Roles given to users, to review' },
    },
  }, async (request, reply) => {
    const actor = userOf(request);
    const rows = await ctx.db.selectFrom('access_log as l')
      .leftJoin('app_user as by', 'by.id', 'l.user_id')
      .leftJoin('app_user as u', (j) => j.on(sql`u.id::text`, '=', sql`l.detail->>'userId'`))
      .leftJoin('organisation as o', 'o.id', 'u.organisation_id')
      .select(['l.id', 'l.at', 'by.name as granted_by', 'u.id as user_id', 'u.name as user_name', 'u.email as user_email', 'u.active', 'o.name as organisation_name',
        sql<string[]>`ARRAY(SELECT jsonb_array_elements_text(l.detail->'granted'))`.as('granted'), sql<string>`l.detail->>'via'`.as('via')])
      .where('l.action', '=', 'user.role_grant').where('l.outcome', '=', 'allowed')
      .orderBy('l.id', 'desc').limit(500).execute();
    await recordAccess(ctx.db, { actor, action: 'user.role_grants.read', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { shown: rows.length } });
    return reply.view('users/views/role-grants.njk', { user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'role-grants', rows });
  });
}
