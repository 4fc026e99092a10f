import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { personReference } from '../../../domain/person-reference.js';
import { involve, makeOrg, makePerson, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';

// A context case over HTTP: a practitioner opens one from a park's page, writes the assessment (then a
// second version), adds a plan action owned by the police, links a child she works with and completes
// the action, then closes the case. A colleague of the partnership who may not open that child cannot
// link them and does not see their name on the case (only a count); another partnership's user finds
// the case missing.

describe(`context cases on ${TEST_ENGINE}`, () => {
  const t = useTestApp();
  const tag = randomUUID().slice(0, 6);
  const borough = `Contextham ${tag}`;

  const form = (cookie: string, url: string, fields: Record<string, string>) => t.app.inject({
    method: 'POST', url, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString(),
  });
  const page = (cookie: string, url: string) => t.app.inject({ method: 'GET', url, headers: { cookie } });

  it('opens a case on a place, assesses it, plans and completes an action, links a child shown only to those who may open them, and closes it', async () => {
    const csc = await makeOrg(t.db, 'childrens_social_care', borough);
    const police = await makeOrg(t.db, 'police', borough);
    const worker = await makeUser(t.db, { organisationId: csc.id });
    const colleague = await makeUser(t.db, { organisationId: police.id });
    const kai = (await makePerson(t.db, { given: 'Kai', family: `Context${tag}` })).id;
    await involve(t.db, { personId: kai, organisationId: csc.id, userId: worker.id });
    const w = await signIn(t.app, worker.email);
    const c = await signIn(t.app, colleague.email);

    const made = await form(w.cookie, '/places', { _csrf: w.csrf, kind: 'park', name: `Contextham Rec ${tag}`, borough });
    const placeId = String(made.headers.location).replace('/places/', '');
    const opened = await form(w.cookie, `/places/${placeId}/context-cases`, { _csrf: w.csrf });
    expect(opened.statusCode).toBe(303);
    const caseUrl = String(opened.headers.location);
    const caseId = caseUrl.replace('/context-cases/', '');
    // Opening again goes to the case already open.
    expect((await form(w.cookie, `/places/${placeId}/context-cases`, { _csrf: w.csrf })).headers.location).toBe(caseUrl);
    expect((await page(w.cookie, `/places/${placeId}`)).body).toContain(`href="${caseUrl}"`);
    expect((await page(w.cookie, '/context-cases')).body).toContain(`Contextham Rec ${tag}`);

    // The assessment: specific errors, then two versions.
    const empty = await form(w.cookie, `${caseUrl}/assessment`, { _csrf: w.csrf, happening: 'short' });
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('Say what is happening in this context, in at least 10 characters');
    expect((await form(w.cookie, `${caseUrl}/assessment`, { _csrf: w.csrf, happening: 'Synthetic: older young people gather by the pavilion after dark', strengths: 'Park warden knows the young people', harms: '' })).statusCode).toBe(303);
    expect((await form(w.cookie, `${caseUrl}/assessment`, { _csrf: w.csrf, happening: 'Synthetic: gathering moved to the skate park at weekends', strengths: '', harms: 'Reports of knives being carried' })).statusCode).toBe(303);
    expect((await t.db.selectFrom('context_case_assessment').select('version').where('case_id', '=', caseId).orderBy('version').execute()).map((a) => a.version)).toEqual([1, 2]);

    // A plan action: the agency is required; then added, owned by the police.
    const noOwner = await form(w.cookie, `${caseUrl}/actions`, { _csrf: w.csrf, actionKind: 'police_patrols', description: 'Evening patrols Friday and Saturday', 'due-day': '1', 'due-month': '3', 'due-year': '2027' });
    expect(noOwner.statusCode).toBe(400);
    expect(noOwner.body).toContain('Choose the agency that owns the action');
    expect((await form(w.cookie, `${caseUrl}/actions`, {
      _csrf: w.csrf, actionKind: 'police_patrols', description: 'Evening patrols Friday and Saturday', ownerOrganisationId: police.id, 'due-day': '1', 'due-month': '3', 'due-year': '2027',
    })).statusCode).toBe(303);
    const action = await t.db.selectFrom('context_case_action').select(['id', 'status', 'owner_organisation_id']).where('case_id', '=', caseId).executeTakeFirstOrThrow();
    expect(action).toMatchObject({ status: 'open', owner_organisation_id: police.id });

    // Linking children: the colleague may not open Kai, so cannot link him; the worker can.
    const notHers = await form(c.cookie, `${caseUrl}/children`, { _csrf: c.csrf, child: personReference(kai), reason: 'Seen at the pavilion' });
    expect(notHers.statusCode).toBe(400);
    expect(notHers.body).toContain('Enter the reference of a child you work with');
    expect(notHers.body).not.toContain(`Kai Context${tag}`);
    expect((await form(w.cookie, `${caseUrl}/children`, { _csrf: w.csrf, child: personReference(kai), reason: 'Goes to the park most evenings' })).statusCode).toBe(303);

    // The colleague completes the police action.
    expect((await form(c.cookie, `${caseUrl}/actions/${action.id}/complete`, { _csrf: c.csrf, note: '' })).statusCode).toBe(400);
    expect((await form(c.cookie, `${caseUrl}/actions/${action.id}/complete`, { _csrf: c.csrf, note: 'Patrols in place for six weeks' })).statusCode).toBe(303);

    // The worker sees everything, Kai named; the colleague sees the case with Kai counted, not named.
    const mine = await page(w.cookie, caseUrl);
    expect(mine.statusCode).toBe(200);
    expect(mine.body).toContain('Version 2');
    expect(mine.body).toContain('Reports of knives being carried');
    expect(mine.body).toContain('Police patrols');
    expect(mine.body).toContain('Patrols in place for six weeks');
    expect(mine.body).toContain(`Kai Context${tag}`);
    expect(mine.body).toContain('Goes to the park most evenings');
    const theirs = await page(c.cookie, caseUrl);
    expect(theirs.statusCode).toBe(200);
    expect(theirs.body).not.toContain(`Kai Context${tag}`);
    expect(theirs.body).not.toContain('Goes to the park most evenings');
    expect(theirs.body).toContain('1 other child is linked to this case');
    const reads = await t.db.selectFrom('access_log').select(['user_id', 'detail']).where('action', '=', 'context_case.read')
      .where('user_id', 'in', [worker.id, colleague.id]).execute();
    const named = (userId: string) => reads.filter((r) => r.user_id === userId).flatMap((r) => (r.detail as { personIds: string[] }).personIds);
    expect(named(worker.id)).toContain(kai);
    expect(reads.some((r) => r.user_id === colleague.id)).toBe(true);
    expect(named(colleague.id)).toEqual([]);
    expect(await t.db.selectFrom('access_log').select('person_id').where('user_id', '=', worker.id).where('action', '=', 'context_case.record').where('person_id', 'is not', null).execute())
      .toEqual([{ person_id: kai }]);

    // Another partnership's user: the case is missing, to read and to write.
    const stranger = await makeUser(t.db, { organisationId: (await makeOrg(t.db, 'police', `Elsewhere ${tag}`)).id });
    const s = await signIn(t.app, stranger.email);
    expect((await page(s.cookie, caseUrl)).statusCode).toBe(404);
    expect((await form(s.cookie, `${caseUrl}/actions/${action.id}/complete`, { _csrf: s.csrf, note: 'Not mine' })).statusCode).toBe(404);
    expect((await page(s.cookie, '/context-cases')).body).not.toContain(caseId);

    // Closing needs a reason; a closed case takes no more changes.
    expect((await form(w.cookie, `${caseUrl}/close`, { _csrf: w.csrf, closingNote: '' })).statusCode).toBe(400);
    expect((await form(w.cookie, `${caseUrl}/close`, { _csrf: w.csrf, closingNote: 'Gathering has stopped; patrols and youth work ended' })).statusCode).toBe(303);
    expect((await t.db.selectFrom('context_case').select('status').where('id', '=', caseId).executeTakeFirstOrThrow()).status).toBe('closed');
    expect((await form(w.cookie, `${caseUrl}/assessment`, { _csrf: w.csrf, happening: 'Trying to change a closed case' })).statusCode).toBe(404);
    expect((await page(w.cookie, '/context-cases?status=closed')).body).toContain(`Contextham Rec ${tag}`);
  });

  it('opens a case on a peer group from the group\'s page', async () => {
    const csc = await makeOrg(t.db, 'childrens_social_care', borough);
    const worker = await makeUser(t.db, { organisationId: csc.id, roles: ['team_manager'] });
    const w = await signIn(t.app, worker.email);
    const group = await form(w.cookie, '/groups', { _csrf: w.csrf, name: `Station group ${tag}` });
    const groupUrl = String(group.headers.location);
    expect((await page(w.cookie, groupUrl)).body).toContain('Open a context case');
    const opened = await form(w.cookie, `${groupUrl}/context-cases`, { _csrf: w.csrf });
    expect(opened.statusCode).toBe(303);
    const view = await page(w.cookie, String(opened.headers.location));
    expect(view.body).toContain(`Station group ${tag}`);
    expect(view.body).toContain('Context case, peer group');
    expect((await page(w.cookie, groupUrl)).body).toContain(`href="${String(opened.headers.location)}"`);
  });
});
