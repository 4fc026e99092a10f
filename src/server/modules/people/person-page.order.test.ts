import { describe, expect, it } from 'vitest';
import { personReference } from '../../../domain/person-reference.js';
import { writeEntry } from '../../../../test/entries.js';
import { involve, makeEvent, makeOrg, makePerson, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';

/** The person page leads with what a practitioner opening a child needs; the long evidence comes after the chronology. */
describe(`the person page's order on ${TEST_ENGINE}`, () => {
  const t = useTestApp();

  it('shows who works with the child, the level, plan actions, alerts and the latest significant entries before the timeline, and folds the factor evidence', async () => {
    const org = await makeOrg(t.db, 'childrens_social_care');
    const police = await makeOrg(t.db, 'police');
    const worker = await makeUser(t.db, { organisationId: org.id });
    const child = await makePerson(t.db, { given: 'Ottoline', family: 'Varga' });
    await involve(t.db, { personId: child.id, organisationId: org.id, userId: worker.id });
    const missing = await makeEvent(t.db, { personId: child.id, organisationId: org.id, type: 'missing_episode', summary: 'Missing overnight from home', occurredAt: '2026-10-01T22:00:00Z' });
    await makeEvent(t.db, { personId: child.id, organisationId: org.id, type: 'attendance_concern', summary: 'Attendance below ninety per cent', occurredAt: '2026-10-05T09:00:00Z' });
    await writeEntry(t.db, {
      personId: child.id, organisationId: police.id, eventTypeCode: 'arrest', occurredAt: '2026-10-06T10:00:00Z', summary: 'Arrest detail withheld',
      sensitivity: 'restricted', restriction: { contact: 'DS Example', reason: null },
    });
    await t.db.insertInto('alert').values({ recipient_user_id: worker.id, person_id: child.id, event_id: missing.id, kind: 'significant_entry', reasons: ['involvement'] }).execute();
    const { cookie } = await signIn(t.app, worker.email);

    const res = await t.app.inject({ method: 'GET', url: `/people/${child.id}`, headers: { cookie } });
    expect(res.statusCode).toBe(200);
    const body = res.body;
    expect(body).toContain(`Person reference ${personReference(child.id)}`);
    const at = (text: string) => {
      const i = body.indexOf(text);
      expect(i, text).toBeGreaterThan(-1);
      return i;
    };
    const order = ['Working with this child', 'Risk level', 'Plan actions', 'Your alerts', 'Latest significant entries', 'id="timeline"', 'id="chronology"', 'Details and family'];
    const positions = order.map(at);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(body).toContain('1 alert about Ottoline Varga to read');
    // The significant entry the reader sees whole is listed; the ordinary one and the withheld one are not.
    const significant = body.slice(at('Latest significant entries'), at('id="timeline"'));
    expect(significant).toContain('Missing overnight from home');
    expect(significant).not.toContain('Attendance below ninety per cent');
    expect(significant).not.toContain('Arrest');
    // The factor evidence comes after the chronology, folded.
    const risk = body.slice(at('Details and family'));
    expect(risk).toMatch(/<details class="govuk-details">\s*<summary class="govuk-details__summary"><span class="govuk-details__summary-text">The entries that show each factor/);
  });

  it('refuses the page, with its denied row, to a practitioner who does not work with the child', async () => {
    const org = await makeOrg(t.db, 'childrens_social_care');
    const stranger = await makeUser(t.db, { organisationId: org.id });
    const child = await makePerson(t.db);
    const { cookie } = await signIn(t.app, stranger.email);
    const res = await t.app.inject({ method: 'GET', url: `/people/${child.id}`, headers: { cookie } });
    expect(res.statusCode).toBe(404);
    const denied = await t.db.selectFrom('access_log').select(['action', 'outcome']).where('user_id', '=', stranger.id).where('person_id', '=', child.id).execute();
    expect(denied).toEqual([{ action: 'chronology.read', outcome: 'denied' }]);
  });
});
