import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { auditRowsFor, lastAuditId, makeOrg, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';
import { startSmtpCapture, type SmtpCapture } from '../../../../test/smtp-capture.js';
import { loadConfig } from '../../config.js';
import { closeMailTransports } from '../../email/mailer.js';
import { runOutboxOnce, type OutboxLog } from '../../outbox/outbox.js';
import { REFUSAL_LIMIT } from '../auth/unauthenticated-refusals.js';
import { hashInvitationToken, INVITATION_EMAIL_KIND, INVITATION_HOURS, invitationEmailProcessor } from './invitations.js';

const BASE = 'https://jigsaw.example.test';
const NEW_PASSWORD = 'quiet-meadow-copper-lantern';

describe(`inviting a new user by email (no administrator-set password) on ${TEST_ENGINE}`, () => {
  let smtp: SmtpCapture;
  beforeAll(async () => {
    smtp = await startSmtpCapture();
  });
  afterAll(async () => {
    closeMailTransports();
    await smtp.close();
  });
  const t = useTestApp();

  // Everything the outbox's processors log, to show no link or token is ever written to a log.
  const logged: unknown[] = [];
  const log: OutboxLog = { info: (o) => logged.push(o), warn: (o) => logged.push(o), error: (o) => logged.push(o) };
  const processor = () => invitationEmailProcessor(loadConfig({ NODE_ENV: 'test', SMTP_URL: smtp.url, PUBLIC_BASE_URL: BASE }));
  /** Runs the invitation emails that are due (at `now`, by default the database's clock). */
  const sendDue = (now?: Date) => runOutboxOnce(t.db, { processors: [processor()], log, ...(now ? { now } : {}) });

  const form = (s: { cookie: string; csrf: string }, url: string, fields: Record<string, string | string[]>) => {
    const p = new URLSearchParams({ _csrf: s.csrf });
    for (const [k, v] of Object.entries(fields)) for (const x of [v].flat()) p.append(k, x);
    return t.app.inject({ method: 'POST', url, headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: p.toString() });
  };
  const email = (label: string) => `${label}-${Date.now()}-${Math.random().toString(36).slice(2, 7)}@other.example.test`;
  const linkIn = (to: string) => {
    const mail = smtp.messages.find((m) => m.to.includes(to));
    const link = mail ? /https?:\/\/\S+\/invitation\?token=[A-Za-z0-9_-]+/.exec(mail.text)?.[0] : undefined;
    return link ? new URL(link) : undefined;
  };
  // Each test's invitee comes from an address of its own, as refusals are counted per address.
  let from = '';
  let addresses = Math.floor(Math.random() * 200);
  const nextAddress = () => {
    addresses += 1;
    from = `198.51.100.${(addresses % 250) + 1}`;
    return from;
  };
  const open = (link: URL) => t.app.inject({ method: 'GET', url: `${link.pathname}${link.search}`, remoteAddress: from });
  const accept = (link: URL, password: string, confirm = password) => t.app.inject({
    method: 'POST', url: '/invitation', remoteAddress: from, headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ token: link.searchParams.get('token')!, newPassword: password, confirmPassword: confirm }).toString(),
  });
  const refusalsFrom = async (ip: string) => (await t.db.selectFrom('unauthenticated_refusal').select('count').where('ip', '=', ip).executeTakeFirst())?.count ?? 0;

  /** The outbox row of the (latest) invitation email to an address. */
  const outboxRowFor = (address: string) => t.db.selectFrom('outbox as x')
    .innerJoin('user_invitation as i', (j) => j.on(sql`i.id::text`, '=', sql`x.payload->>'invitationId'`))
    .innerJoin('app_user as u', 'u.id', 'i.user_id')
    .select(['x.status', 'x.attempts', 'x.last_error', 'x.available_at'])
    .where('x.kind', '=', INVITATION_EMAIL_KIND).where('u.email', '=', address).orderBy('x.id', 'desc').executeTakeFirstOrThrow();

  async function adminSession() {
    const org = await makeOrg(t.db);
    const admin = await makeUser(t.db, { organisationId: org.id, roles: ['partnership_admin'] });
    return { org, admin, s: await signIn(t.app, admin.email) };
  }

  it('gives the administrator no way to set a password: the new account opens only through the emailed link, once', async () => {
    const { admin, s } = await adminSession();
    nextAddress();
    const other = await makeOrg(t.db, 'police');
    const address = email('attack');

    // The attack: create a practitioner in another organisation with a password of the administrator's choosing.
    const withPassword = await form(s, '/admin/users', { name: 'Ann Other', email: address, organisation: other.id, roles: 'practitioner', password: 'velvet-harbour-lantern-47' });
    expect(withPassword.statusCode).toBe(400);
    expect(await t.db.selectFrom('app_user').select('id').where('email', '=', address).execute()).toHaveLength(0);

    const created = await form(s, '/admin/users', { name: 'Ann Other', email: address, organisation: other.id, roles: 'practitioner' });
    expect(created.statusCode).toBe(303);
    const user = await t.db.selectFrom('app_user').select(['id', 'password_hash']).where('email', '=', address).executeTakeFirstOrThrow();
    expect(user.password_hash).toBeNull();
    // No password works for it, including the one the administrator wanted, and nothing that opens it exists yet.
    await expect(signIn(t.app, address, 'velvet-harbour-lantern-47')).rejects.toThrow(/sign-in failed with 401/);
    const before = await t.db.selectFrom('user_invitation').select(['token_hash', 'invited_by', 'sent_at']).where('user_id', '=', user.id).executeTakeFirstOrThrow();
    expect(before).toMatchObject({ token_hash: null, invited_by: admin.id, sent_at: null });

    // The outbox sends the email; the link arrives at the new user's address only.
    expect((await sendDue()).done).toBeGreaterThanOrEqual(1);
    const link = linkIn(address)!;
    expect(link.origin).toBe(BASE);
    const mail = smtp.messages.find((m) => m.to.includes(address))!;
    expect(mail.subject).toBe('Set your password for Jigsaw');
    expect(mail.text).toContain(`${INVITATION_HOURS} hours`);
    const token = link.searchParams.get('token')!;
    expect(token.length).toBeGreaterThanOrEqual(43);

    // Only the token's hash is stored: not in the invitation, the outbox, the access log or any log line.
    const stored = await t.db.selectFrom('user_invitation').select(['token_hash', 'sent_at', 'expires_at']).where('user_id', '=', user.id).executeTakeFirstOrThrow();
    expect(stored.token_hash).toBe(hashInvitationToken(token));
    expect(stored.sent_at).not.toBeNull();
    const outbox = await t.db.selectFrom('outbox').select(sql<string>`payload::text`.as('p')).where('kind', '=', INVITATION_EMAIL_KIND).execute();
    expect(outbox.map((o) => o.p).join(' ')).not.toContain(token);
    const audit = await t.db.selectFrom('access_log').select(sql<string>`coalesce(detail::text, '')`.as('d')).where('user_id', 'in', [admin.id, user.id]).execute();
    expect(audit.map((a) => a.d).join(' ')).not.toContain(token);
    expect(JSON.stringify(logged)).not.toContain(token);

    // The link shows the form; the password policy applies; a good password opens the account.
    const page = await open(link);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Choose your password');
    const weak = await accept(link, 'password1234');
    expect(weak.statusCode).toBe(400);
    expect(weak.body).toMatch(/too easy to guess/);
    const mismatch = await accept(link, NEW_PASSWORD, `${NEW_PASSWORD}x`);
    expect(mismatch.statusCode).toBe(400);
    expect(mismatch.body).toContain('The passwords you entered do not match');
    const since = await lastAuditId(t.db);
    const done = await accept(link, NEW_PASSWORD);
    expect(done.statusCode).toBe(200);
    expect(done.body).toContain('Your password is set');
    expect(await auditRowsFor(t.db, { userId: user.id, since })).toEqual([expect.objectContaining({ action: 'user.invitation.accept', outcome: 'allowed' })]);

    // A second factor: police users set up an authenticator at first sign-in (the helper does, as a person would).
    const signedIn = await signIn(t.app, address, NEW_PASSWORD);
    expect(signedIn.cookie).toMatch(/^jigsaw_session=/);

    // The link is spent: it neither shows the form nor sets a password again. The refusals are counted
    // for the address: the first is logged, the rest summarised (as every unauthenticated refusal).
    const deniedSince = await lastAuditId(t.db);
    const again = await open(link);
    expect(again.statusCode).toBe(404);
    expect(again.body).toContain('This link cannot be used');
    const reuse = await accept(link, 'another-long-river-stone');
    expect(reuse.statusCode).toBe(404);
    const denied = await t.db.selectFrom('access_log').select(['action', 'outcome', 'route', sql<string>`detail->>'reason'`.as('reason'), sql<string>`detail->>'address'`.as('address')])
      .where('id', '>', deniedSince).where('route', 'in', ['GET /invitation', 'POST /invitation']).execute();
    expect(denied).toEqual([{ action: 'request.refused', outcome: 'denied', route: 'GET /invitation', reason: 'unusable_invitation', address: from }]);
    expect(await refusalsFrom(from)).toBe(2);
    await expect(signIn(t.app, address, 'another-long-river-stone')).rejects.toThrow(/sign-in failed/);
  });

  it(`stops a link working ${INVITATION_HOURS} hours after it was sent; a new invitation replaces it`, async () => {
    const { org, s } = await adminSession();
    nextAddress();
    const address = email('late');
    expect((await form(s, '/admin/users', { name: 'Lee Late', email: address, organisation: org.id, roles: 'practitioner' })).statusCode).toBe(303);
    await sendDue();
    const first = linkIn(address)!;
    const user = await t.db.selectFrom('app_user').select('id').where('email', '=', address).executeTakeFirstOrThrow();

    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + (INVITATION_HOURS - 1) * 3_600_000);
      expect((await open(first)).statusCode).toBe(200);
      vi.setSystemTime(Date.now() + 2 * 3_600_000);
      expect((await open(first)).statusCode).toBe(404);
      expect((await accept(first, NEW_PASSWORD)).statusCode).toBe(404);
    } finally {
      vi.useRealTimers();
    }
    expect((await t.db.selectFrom('app_user').select('password_hash').where('id', '=', user.id).executeTakeFirstOrThrow()).password_hash).toBeNull();

    // The administrator sends a new invitation: the new link works, the old one never again.
    expect((await form(s, `/admin/users/${user.id}/invitation`, {})).statusCode).toBe(303);
    smtp.messages.splice(0, smtp.messages.length, ...smtp.messages.filter((m) => !m.to.includes(address)));
    await sendDue();
    const second = linkIn(address)!;
    expect(second.searchParams.get('token')).not.toBe(first.searchParams.get('token'));
    expect((await open(first)).statusCode).toBe(404);
    expect((await accept(second, NEW_PASSWORD)).statusCode).toBe(200);
    await signIn(t.app, address, NEW_PASSWORD);

    // Guessing links from one address is answered 429 once the address is past its limit.
    nextAddress();
    const guess = new URL(`${BASE}/invitation?token=${'A'.repeat(43)}`);
    const answers: number[] = [];
    for (let i = 0; i < REFUSAL_LIMIT + 1; i++) answers.push((await accept(guess, NEW_PASSWORD)).statusCode);
    expect(answers.slice(0, REFUSAL_LIMIT)).toEqual(Array(REFUSAL_LIMIT).fill(404));
    expect(answers[REFUSAL_LIMIT]).toBe(429);

    // Once the person has a password, no administrator can send a link that would reset it.
    const since = await lastAuditId(t.db);
    expect((await form(s, `/admin/users/${user.id}/invitation`, {})).statusCode).toBe(404);
    expect(await t.db.selectFrom('access_log').select(['action', 'outcome', 'detail']).where('id', '>', since).where('route', '=', 'POST /admin/users/:id/invitation').execute())
      .toEqual([expect.objectContaining({ action: 'users.manage', outcome: 'denied', detail: expect.objectContaining({ reason: 'record', why: 'password_already_set' }) })]);
  });

  it('keeps the email in the outbox while the mail server refuses it, and sends it on a later attempt', async () => {
    const { org, s } = await adminSession();
    nextAddress();
    const address = email('retry');
    expect((await form(s, '/admin/users', { name: 'Rae Try', email: address, organisation: org.id, roles: 'team_manager' })).statusCode).toBe(303);
    smtp.refuse = true;
    const refusedBefore = smtp.refused;
    try {
      expect((await sendDue()).failed).toBeGreaterThanOrEqual(1);
    } finally {
      smtp.refuse = false;
    }
    expect(smtp.refused).toBe(refusedBefore + 1);
    expect(linkIn(address)).toBeUndefined();
    const row = await outboxRowFor(address);
    expect(row).toMatchObject({ status: 'pending', attempts: 1 });
    expect(row.available_at.getTime()).toBeGreaterThan(Date.now());
    // The failure is logged by ids and codes only.
    expect(JSON.stringify(logged)).not.toContain(address);

    // Later, the server is back: the retry sends it, and its link works.
    await sendDue(new Date(Date.now() + 3_600_000));
    expect((await outboxRowFor(address)).status).toBe('done');
    expect((await accept(linkIn(address)!, NEW_PASSWORD)).statusCode).toBe(200);
  });

  it('waits, rather than losing the invitation, where no mail server is configured', async () => {
    const { org, s } = await adminSession();
    const page = await t.app.inject({ method: 'GET', url: '/admin/users', headers: { cookie: s.cookie } });
    expect(page.body).toContain('Email is not set up on this server');
    const address = email('nosmtp');
    expect((await form(s, '/admin/users', { name: 'Nel Smtp', email: address, organisation: org.id, roles: 'analyst' })).statusCode).toBe(303);
    const unconfigured = invitationEmailProcessor(loadConfig({ NODE_ENV: 'test' }));
    expect((await runOutboxOnce(t.db, { processors: [unconfigured], log })).failed).toBeGreaterThanOrEqual(1);
    const row = await outboxRowFor(address);
    expect(row).toMatchObject({ status: 'pending', attempts: 1 });
    expect(row.last_error).toMatch(/SMTP_URL is not set/);
    expect(linkIn(address)).toBeUndefined();
    // Once a server is configured, the retry sends it.
    await sendDue(new Date(Date.now() + 3_600_000));
    expect((await outboxRowFor(address)).status).toBe('done');
    expect(linkIn(address)).toBeDefined();
  });
});
