import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';
import { refuseRecord, type RouteAccess } from '../../access.js';
import { recordAccess } from '../../audit/record-access.js';
import { ROLES, type Role } from '../../actor.js';
import type { AppContext } from '../../context.js';
import { checkNewPassword } from '../auth/password-policy.js';
import { hashPassword } from '../auth/password.js';
import { isUuid, routeOf, userOf } from '../../request.js';

const many = z.union([z.string().max(60), z.array(z.string().max(60)).max(10)]).optional().transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]));

/** User management for the partnership administrator, who manages accounts but never reads children's records. */
export async function userRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  // The partnership administrator's pages; one of their records (by its id) is refused through refuseRecord.
  const admin: RouteAccess = { kind: 'roles', roles: ['partnership_admin'], action: 'users.manage' };
  const adminRecord: RouteAccess = { kind: 'record', roles: ['partnership_admin'], action: 'users.manage' };

  async function render(request: FastifyRequest, reply: FastifyReply, actor: ReturnType<typeof userOf>, errors: { href: string; text: string }[] = [], values: Record<string, unknown> = {}) {
    const [users, organisations, teams] = await Promise.all([
      ctx.db.selectFrom('app_user as u').innerJoin('organisation as o', 'o.id', 'u.organisation_id').leftJoin('team as t', 't.id', 'u.team_id')
        .select(['u.id', 'u.name', 'u.email', 'u.roles', 'u.active', 'o.name as organisation_name', 't.name as team_name'])
        .orderBy('o.name').orderBy('u.name').limit(1000).execute(),
      ctx.db.selectFrom('organisation').select(['id', 'name']).orderBy('name').execute(),
      ctx.db.selectFrom('team as t').innerJoin('organisation as o', 'o.id', 't.organisation_id').select(['t.id', sql<string>`o.name || ': ' || t.name`.as('name')]).orderBy('name').execute(),
    ]);
    reply.status(errors.length ? 400 : 200);
    return reply.view('users/views/users.njk', {
      user: actor, csrfToken: request.csrfToken, cspNonce: request.cspNonce, nav: 'admin',
      users, organisations, teams, roles: ROLES, errors, values, err: Object.fromEntries(errors.map((e) => [e.href.slice(1), { text: e.text }])),
    });
  }

  r.get('/admin/users', {
    config: { access: admin, nav: { text: 'Users', key: 'users', order: 70 } },
  }, async (request, reply) => render(request, reply, userOf(request)));

  r.post('/admin/users', {
    schema: {
      body: z.object({
        _csrf: z.string().optional(), name: z.string().max(200).default(''), email: z.string().max(320).default(''),
        organisation: z.string().max(64).default(''), team: z.string().max(64).default(''), roles: many,
        jobTitle: z.string().max(200).default(''), password: z.string().max(256).default(''),
      }),
    },
    config: { access: admin },
  }, async (request, reply) => {
    const actor = userOf(request);
    const b = request.body;
    const errors: { href: string; text: string }[] = [];
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
    const roles = b.roles.filter((x): x is Role => (ROLES as readonly string[]).includes(x));
    if (roles.length === 0 || roles.length !== b.roles.length) errors.push({ href: '#roles', text: 'Choose at least one role' });
    for (const problem of checkNewPassword(b.password, { email, name: b.name })) errors.push({ href: '#password', text: problem });
    if (errors.length) return render(request, reply, actor, errors, { ...b, password: '' });
    const created = await ctx.db.insertInto('app_user').values({
      name: b.name.trim(), email, organisation_id: org!.id, team_id: team?.id ?? null, roles, job_title: b.jobTitle.trim() || null,
      password_hash: await hashPassword(b.password),
    }).returning('id').executeTakeFirstOrThrow();
    await recordAccess(ctx.db, { actor, action: 'users.manage', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { created: created.id } });
    return reply.redirect('/admin/users', 303);
  });

  r.post('/admin/users/:id/deactivate', {
    schema: { params: z.object({ id: z.string().max(64) }), body: z.object({ _csrf: z.string().optional() }) },
    config: { access: adminRecord },
  }, async (request, reply) => {
    const actor = userOf(request);
    // An administrator cannot deactivate themselves: their own account is not one of the records here.
    const target = isUuid(request.params.id) && request.params.id !== actor.userId ? request.params.id : null;
    const res = target ? await ctx.db.updateTable('app_user').set({ active: false }).where('id', '=', target).executeTakeFirst() : null;
    if (!res || Number(res.numUpdatedRows) === 0) return refuseRecord(ctx, request, { detail: { userId: target } });
    // A deactivated user is signed out everywhere at once.
    await ctx.db.deleteFrom('app_session').where('user_id', '=', request.params.id).execute();
    await recordAccess(ctx.db, { actor, action: 'users.manage', route: routeOf(request), outcome: 'allowed', requestId: request.id, detail: { deactivated: request.params.id } });
    return reply.redirect('/admin/users', 303);
  });
}
