import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { recordAccess } from '../../audit/record-access.js';
import type { AppContext } from '../../context.js';
import { acceptInvitation, findUsableInvitation, type UsableInvitation } from '../users/invitations.js';
import { hashPassword } from './password.js';
import { checkNewPassword } from './password-policy.js';
import { countUnauthenticatedRefusal } from './unauthenticated-refusals.js';

type Err = { href: string; text: string };

/**
 * The page a new user reaches from their invitation email, to choose their own password. The token
 * is the secret: it travels in the query string and the form body (neither is ever logged), is
 * looked up by its SHA-256, and is spent by the first password set with it. Opening the link
 * changes nothing, so a mail scanner that follows it does not use it up.
 */
export async function invitationRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  const render = (request: FastifyRequest, reply: FastifyReply, view: { state: 'form' | 'done' | 'unusable'; invitation?: UsableInvitation; token?: string; errors?: Err[] }, status = 200) => {
    reply.status(status);
    return reply.view('auth/views/invitation.njk', {
      user: null, cspNonce: request.cspNonce, state: view.state, errors: view.errors ?? [], token: view.token ?? '',
      email: view.invitation?.user.email ?? '', expiresAt: view.invitation?.expiresAt,
    });
  };

  /**
   * A link that cannot be used: the same page whatever the reason. The refusal is counted for the
   * address like every unauthenticated refusal (the first in a window logged, the rest summarised),
   * and an address that keeps trying is answered 429 until its window ends.
   */
  const unusable = async (request: FastifyRequest, reply: FastifyReply, route: string) => {
    const counted = await countUnauthenticatedRefusal(ctx.db, { ip: request.ip, route, requestId: request.id }, 'unusable_invitation', { step: 'invitation' });
    if (counted.limited) reply.header('retry-after', String(counted.retryAfterSeconds));
    return render(request, reply, { state: 'unusable' }, counted.limited ? 429 : 404);
  };

  r.get('/invitation', {
    config: { access: { kind: 'public' } },
    schema: { querystring: z.object({ token: z.string().max(200).default('') }) },
  }, async (request, reply) => {
    const invitation = await findUsableInvitation(ctx.db, request.query.token);
    // Missing, used, replaced and expired links look the same.
    if (!invitation) return unusable(request, reply, 'GET /invitation');
    return render(request, reply, { state: 'form', invitation, token: request.query.token });
  });

  r.post('/invitation', {
    config: { access: { kind: 'public' } },
    schema: {
      body: z.object({
        token: z.string().max(200).default(''),
        newPassword: z.string().max(1000).default(''),
        confirmPassword: z.string().max(1000).default(''),
      }),
    },
  }, async (request, reply) => {
    const { token, newPassword, confirmPassword } = request.body;
    const invitation = await findUsableInvitation(ctx.db, token);
    if (!invitation) return unusable(request, reply, 'POST /invitation');
    const errors: Err[] = [];
    if (!newPassword) errors.push({ href: '#newPassword', text: 'Enter a new password' });
    else {
      for (const text of checkNewPassword(newPassword, { email: invitation.user.email, name: invitation.user.name })) errors.push({ href: '#newPassword', text });
      if (newPassword !== confirmPassword) errors.push({ href: '#confirmPassword', text: 'The passwords you entered do not match' });
    }
    if (errors.length) return render(request, reply, { state: 'form', invitation, token, errors }, 400);
    const hash = await hashPassword(newPassword);
    const accepted = await ctx.db.transaction().execute(async (trx) => {
      if (!(await acceptInvitation(trx, { invitationId: invitation.id, userId: invitation.user.userId, passwordHash: hash }))) return false;
      // Whoever held a session for this account before it had a password of its own is signed out.
      await trx.deleteFrom('app_session').where('user_id', '=', invitation.user.userId).execute();
      await recordAccess(trx, {
        actor: invitation.user, action: 'user.invitation.accept', route: 'POST /invitation', outcome: 'allowed', requestId: request.id,
        detail: { invitationId: invitation.id },
      });
      return true;
    });
    // Spent by a request that raced this one.
    if (!accepted) return unusable(request, reply, 'POST /invitation');
    return render(request, reply, { state: 'done' });
  });
}
