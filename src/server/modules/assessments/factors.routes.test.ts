import { describe, expect, it } from 'vitest';
import { auditRowsFor, involve, lastAuditId, makeOrg, makePerson, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';
import { writeEntry } from '../../../../test/entries.js';

describe(`factor vocabulary on ${TEST_ENGINE}`, () => {
  const t = useTestApp();

  const post = (s: { cookie: string; csrf: string }, code: string, fields: Record<string, string>) => t.app.inject({
    method: 'POST', url: `/factors/${code}`,
    headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ _csrf: s.csrf, ...fields }).toString(),
  });

  it('lists factors with their CIN census mapping to anyone signed in', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/factors' })).statusCode).toBe(401);
    const org = await makeOrg(t.db);
    const worker = await makeUser(t.db, { organisationId: org.id });
    const s = await signIn(t.app, worker.email);
    const page = await t.app.inject({ method: 'GET', url: '/factors', headers: { cookie: s.cookie } });
    expect(page.body).toContain('Domestic abuse in the home');
    expect(page.body).toMatch(/<abbr title="Domestic violence: concerns about the child being the subject of domestic violence">3A<\/abbr>/);
    const one = await t.app.inject({ method: 'GET', url: '/factors/criminal_exploitation', headers: { cookie: s.cookie } });
    expect(one.body).toContain('24A: Child criminal exploitation');
    expect(one.body).not.toContain('Publish version');
  });

  it('versions a revised definition; an entry keeps the meaning it was recorded with', async () => {
    const org = await makeOrg(t.db);
    const worker = await makeUser(t.db, { organisationId: org.id });
    const admin = await makeUser(t.db, { organisationId: org.id, roles: ['partnership_admin'] });
    const child = await makePerson(t.db);
    await involve(t.db, { personId: child.id, organisationId: org.id, userId: worker.id });
    const code = 'positive_peer_relationships';
    const v1 = await t.db.selectFrom('factor_version').selectAll().where('code', '=', code).orderBy('version', 'desc').limit(1).executeTakeFirstOrThrow();
    const insert = async (summary: string, recordedAt?: Date) => {
      const e = await writeEntry(t.db, {
        personId: child.id, organisationId: org.id, eventTypeCode: 'outreach_contact', vocabularyVersion: '1', occurredAt: '2026-01-05T10:00:00Z', occurredPrecision: 'date',
        recordedVia: 'form', sourceSystem: 'jigsaw', summary, factorCodes: [code], ...(recordedAt ? { recordedAt } : {}),
      });
      return e.id;
    };
    const before = await insert('Recorded before the revision', new Date(Date.now() - 60_000));

    const w = await signIn(t.app, worker.email);
    const denyFrom = await lastAuditId(t.db);
    expect((await post(w, code, { label: v1.label, definition: 'x', evidence: 'y', cinFactors: '', changeReason: 'z' })).statusCode).toBe(404);
    expect((await auditRowsFor(t.db, { since: denyFrom, userId: worker.id })).map((r) => [r.action, r.outcome])).toEqual([['factor.revise', 'denied']]);

    const a = await signIn(t.app, admin.email);
    const bad = await post(a, code, { label: v1.label, definition: v1.definition, evidence: v1.evidence, cinFactors: '99Z', changeReason: '' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Unknown CIN census factor codes: 99Z');
    expect(bad.body).toContain('Enter why the definition is changing');
    const revised = `${v1.definition} Revised ${Date.now()}.`;
    const from = await lastAuditId(t.db);
    expect((await post(a, code, { label: v1.label, definition: revised, evidence: v1.evidence, cinFactors: '', changeReason: 'Clearer wording' })).statusCode).toBe(303);
    expect((await auditRowsFor(t.db, { since: from, userId: admin.id })).map((r) => [r.action, r.outcome, (r.detail as { version: number }).version])).toEqual([['factor.revise', 'allowed', v1.version + 1]]);
    const after = await insert('Recorded after the revision');

    const page = await t.app.inject({ method: 'GET', url: `/people/${child.id}`, headers: { cookie: w.cookie } });
    const at = page.body.indexOf('id="risk-heading"');
    const panel = page.body.slice(at, page.body.indexOf('</section>', at));
    const line = (id: string) => panel.slice(panel.indexOf(`#event-${id}`), panel.indexOf('</li>', panel.indexOf(`#event-${id}`)));
    expect(line(before)).toContain(`Recorded under definition version ${v1.version}: “${v1.definition.replaceAll("'", '&#39;')}”`);
    expect(line(after)).not.toContain('Recorded under definition version');
    const history = await t.app.inject({ method: 'GET', url: `/factors/${code}`, headers: { cookie: a.cookie } });
    expect(history.body).toContain(`Version ${v1.version + 1} (current)`);
    expect(history.body).toContain('Clearer wording');
  });
});
