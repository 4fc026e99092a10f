import { describe, expect, it } from 'vitest';
import { auditRowsFor, involve, lastAuditId, makeEvent, makeOrg, makePerson, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';

const form = (fields: Record<string, string | string[]>) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const x of Array.isArray(v) ? v : [v]) p.append(k, x);
  return p.toString();
};

describe(`record an event (form) on ${TEST_ENGINE}`, () => {
  const t = useTestApp();

  async function world() {
    const org = await makeOrg(t.db, 'youth_justice');
    const worker = await makeUser(t.db, { organisationId: org.id });
    const stranger = await makeUser(t.db, { organisationId: org.id });
    const child = await makePerson(t.db, { given: 'Tobiah', family: 'Marchetti' });
    await involve(t.db, { personId: child.id, organisationId: org.id, userId: worker.id });
    return { org, worker, stranger, child };
  }
  const headers = (cookie: string) => ({ cookie, 'content-type': 'application/x-www-form-urlencoded' });
  const valid = { eventTypeCode: 'weapon_incident', 'occurred-day': '12', 'occurred-month': '3', 'occurred-year': '2026', occurredTime: '16:45', summary: 'Found carrying a knife outside the youth club', reliability: 'confirmed', sensitivity: 'standard' };

  it('shows the form to an involved practitioner and 404 to anyone else', async () => {
    const w = await world();
    const me = await signIn(t.app, w.worker.email);
    const ok = await t.app.inject({ method: 'GET', url: `/people/${w.child.id}/events/new`, headers: { cookie: me.cookie } });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('Record an event');
    const them = await signIn(t.app, w.stranger.email);
    const no = await t.app.inject({ method: 'GET', url: `/people/${w.child.id}/events/new`, headers: { cookie: them.cookie } });
    expect(no.statusCode).toBe(404);
    const anon = await t.app.inject({ method: 'GET', url: `/people/${w.child.id}/events/new` });
    expect(anon.statusCode).toBe(401);
  });

  it('records a valid event, which then appears in the chronology with its provenance', async () => {
    const w = await world();
    const me = await signIn(t.app, w.worker.email);
    const before = await lastAuditId(t.db);
    const res = await t.app.inject({ method: 'POST', url: `/people/${w.child.id}/events`, headers: headers(me.cookie), payload: form({ ...valid, _csrf: me.csrf, factorCodes: ['carrying_weapon'] }) });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toMatch(new RegExp(`^/people/${w.child.id}\\?recorded=[0-9a-f-]{36}#event-`));
    const event = await t.db.selectFrom('event').selectAll().where('summary', '=', valid.summary).executeTakeFirstOrThrow();
    expect(event).toMatchObject({ organisation_id: w.org.id, recorded_by_user_id: w.worker.id, recorded_via: 'form', occurred_precision: 'time', reliability: 'confirmed', factor_codes: ['carrying_weapon'] });
    expect(event.occurred_at.toISOString()).toBe('2026-03-12T16:45:00.000Z');
    const page = await t.app.inject({ method: 'GET', url: res.headers.location as string, headers: { cookie: me.cookie } });
    expect(page.body).toContain(valid.summary);
    expect(page.body).toContain('Event recorded');
    const rows = await auditRowsFor(t.db, { since: before });
    expect(rows.map((r) => [r.action, r.outcome, r.person_id])).toEqual([
      ['event.record', 'allowed', w.child.id],
      ['chronology.read', 'allowed', w.child.id],
    ]);
  });

  it('refuses a form without the session CSRF token', async () => {
    const w = await world();
    const me = await signIn(t.app, w.worker.email);
    const res = await t.app.inject({ method: 'POST', url: `/people/${w.child.id}/events`, headers: headers(me.cookie), payload: form({ ...valid, _csrf: 'forged' }) });
    expect(res.statusCode).toBe(403);
    const count = await t.db.selectFrom('event').select('id').where('summary', '=', valid.summary).where('organisation_id', '=', w.org.id).execute();
    expect(count).toHaveLength(0);
  });

  it('explains each problem with the form and keeps what was typed', async () => {
    const w = await world();
    const me = await signIn(t.app, w.worker.email);
    const res = await t.app.inject({
      method: 'POST', url: `/people/${w.child.id}/events`, headers: headers(me.cookie),
      payload: form({ _csrf: me.csrf, eventTypeCode: '', 'occurred-day': '31', 'occurred-month': '2', 'occurred-year': '2026', summary: '', place: 'Kept place text', reliability: 'reported', sensitivity: 'standard' }),
    });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('There is a problem');
    expect(res.body).toContain('Select what happened');
    expect(res.body).toContain('The date it happened must be a real date');
    expect(res.body).toContain('Enter a summary of what happened');
    expect(res.body).toContain('Kept place text');
    expect(res.body).toContain('<title>Error: ');
    const future = await t.app.inject({ method: 'POST', url: `/people/${w.child.id}/events`, headers: headers(me.cookie), payload: form({ ...valid, 'occurred-year': '2099', _csrf: me.csrf }) });
    expect(future.statusCode).toBe(400);
    expect(future.body).toContain('must be today or in the past');
  });

  it('refuses to record against a child the user does not work with (404, denied row, nothing written)', async () => {
    const w = await world();
    const them = await signIn(t.app, w.stranger.email);
    const before = await lastAuditId(t.db);
    const res = await t.app.inject({ method: 'POST', url: `/people/${w.child.id}/events`, headers: headers(them.cookie), payload: form({ ...valid, summary: 'Should not land', _csrf: them.csrf }) });
    expect(res.statusCode).toBe(404);
    expect(await t.db.selectFrom('event').select('id').where('summary', '=', 'Should not land').execute()).toHaveLength(0);
    const rows = await auditRowsFor(t.db, { since: before });
    expect(rows.map((r) => [r.action, r.outcome, r.user_id])).toEqual([['event.record', 'denied', w.stranger.id]]);
  });

  it('corrects an entry: a new entry supersedes it and both stay visible', async () => {
    const w = await world();
    const original = await makeEvent(t.db, { personId: w.child.id, organisationId: w.org.id, type: 'arrest', summary: 'Arrested on the wrong date' });
    const me = await signIn(t.app, w.worker.email);
    const formPage = await t.app.inject({ method: 'GET', url: `/people/${w.child.id}/events/new?supersedes=${original.id}`, headers: { cookie: me.cookie } });
    expect(formPage.body).toContain('Correct an entry');
    expect(formPage.body).toContain('Arrested on the wrong date');
    const noReason = await t.app.inject({ method: 'POST', url: `/people/${w.child.id}/events`, headers: headers(me.cookie), payload: form({ ...valid, eventTypeCode: 'arrest', summary: 'Arrested', supersedes: original.id, _csrf: me.csrf }) });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.body).toContain('Enter why this entry is being corrected');
    const res = await t.app.inject({
      method: 'POST', url: `/people/${w.child.id}/events`, headers: headers(me.cookie),
      payload: form({ ...valid, eventTypeCode: 'arrest', summary: 'Arrested (date corrected)', supersedes: original.id, correctionReason: 'Date was keyed wrongly', _csrf: me.csrf }),
    });
    expect(res.statusCode).toBe(303);
    const page = await t.app.inject({ method: 'GET', url: `/people/${w.child.id}`, headers: { cookie: me.cookie } });
    expect(page.body).toContain('Arrested (date corrected)');
    expect(page.body).toContain('Date was keyed wrongly');
    expect(page.body).toContain('Earlier version');
    expect(page.body).toContain('Arrested on the wrong date');
    const stored = await t.db.selectFrom('event').select('summary').where('id', '=', original.id).executeTakeFirstOrThrow();
    expect(stored.summary).toBe('Arrested on the wrong date');
  });
});
