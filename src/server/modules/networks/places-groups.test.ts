import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { personReference } from '../../../domain/person-reference.js';
import { involve, makeOrg, makePerson, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';

// Recording places and peer groups over HTTP: a practitioner records a youth centre (a form with
// specific errors first), finds it in the partnership's list, links a child she works with to it (a
// child she may not open is refused), records a group, adds the child as a member and ends it. Another
// partnership's user finds the place and the group missing.

describe(`recording places, groups and memberships on ${TEST_ENGINE}`, () => {
  const t = useTestApp();
  const tag = randomUUID().slice(0, 6);
  const borough = `Placeford ${tag}`;

  const form = (cookie: string, url: string, fields: Record<string, string>) => t.app.inject({
    method: 'POST', url, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString(),
  });
  const page = (cookie: string, url: string) => t.app.inject({ method: 'GET', url, headers: { cookie } });

  it('records a place and a group, links a child the recorder may open, and hides both from another partnership', async () => {
    const csc = await makeOrg(t.db, 'childrens_social_care', borough);
    const worker = await makeUser(t.db, { organisationId: csc.id });
    const kai = (await makePerson(t.db, { given: 'Kai', family: `Place${tag}` })).id;
    const lee = (await makePerson(t.db, { given: 'Lee', family: `Place${tag}` })).id;
    await involve(t.db, { personId: kai, organisationId: csc.id, userId: worker.id });
    const w = await signIn(t.app, worker.email);

    // The form says what is wrong with each field.
    const bad = await form(w.cookie, '/places', { _csrf: w.csrf, kind: 'online', name: '', postcode: 'NOT A CODE' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('There is a problem');
    expect(bad.body).toContain('Enter the name of the place');
    expect(bad.body).toContain('Enter a real postcode, like BF1 2AB, or leave it empty');
    expect(bad.body).toContain('Enter the platform of the online space');
    expect(bad.body).toContain('Enter the handle, group name or channel of the online space');

    const made = await form(w.cookie, '/places', { _csrf: w.csrf, kind: 'youth_centre', name: `Placeford Hub ${tag}`, postcode: 'pf1 2ab', ward: 'Riverside', borough });
    expect(made.statusCode).toBe(303);
    const placeId = String(made.headers.location).replace('/places/', '');
    const place = await t.db.selectFrom('place').selectAll().where('id', '=', placeId).executeTakeFirstOrThrow();
    const partnership = (await t.db.selectFrom('app_user').select('partnership_id').where('id', '=', worker.id).executeTakeFirstOrThrow()).partnership_id;
    expect(place).toMatchObject({ kind: 'youth_centre', postcode: 'PF1 2AB', partnership_id: partnership, recorded_by_organisation_id: csc.id });
    const list = await page(w.cookie, `/places?q=${encodeURIComponent(`Hub ${tag}`)}`);
    expect(list.body).toContain(`href="/places/${placeId}"`);

    // Linking: a child she works with, by reference; a child she may not open is refused with the same words as an unknown one.
    const refused = await form(w.cookie, `/places/${placeId}/children`, { _csrf: w.csrf, child: personReference(lee), kind: 'attends', sensitivity: 'standard' });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('Enter the reference of a child you work with');
    expect(refused.body).not.toContain(`Lee Place${tag}`);
    const linked = await form(w.cookie, `/places/${placeId}/children`, {
      _csrf: w.csrf, child: personReference(kai), kind: 'attends', sensitivity: 'standard', grading: '2b', 'validFrom-day': '1', 'validFrom-month': '9', 'validFrom-year': '2025',
    });
    expect(linked.statusCode).toBe(303);
    expect(await t.db.selectFrom('person_place').select(['person_id', 'kind', 'grading', 'valid_from']).where('place_id', '=', placeId).execute())
      .toEqual([{ person_id: kai, kind: 'attends', grading: '2B', valid_from: '2025-09-01' }]);
    const placePage = await page(w.cookie, `/places/${placeId}`);
    expect(placePage.body).toContain(`Kai Place${tag}`);
    expect(placePage.body).toContain('Open a context case');
    expect(await t.db.selectFrom('access_log').select('person_id').where('user_id', '=', worker.id).where('action', '=', 'place.record').where('person_id', 'is not', null).execute())
      .toEqual([{ person_id: kai }]);

    // A group, a member, and the membership ended.
    const group = await form(w.cookie, '/groups', { _csrf: w.csrf, name: `Hub Lane group ${tag}`, borough, description: 'Synthetic: seen together at the hub' });
    expect(group.statusCode).toBe(303);
    const groupId = String(group.headers.location).replace('/groups/', '');
    expect((await form(w.cookie, `/groups/${groupId}/members`, { _csrf: w.csrf, child: personReference(lee), sensitivity: 'standard' })).statusCode).toBe(400);
    expect((await form(w.cookie, `/groups/${groupId}/members`, { _csrf: w.csrf, child: personReference(kai), sensitivity: 'standard', grading: '3C' })).statusCode).toBe(303);
    const twice = await form(w.cookie, `/groups/${groupId}/members`, { _csrf: w.csrf, child: personReference(kai), sensitivity: 'standard' });
    expect(twice.statusCode).toBe(400);
    expect(twice.body).toContain('This child is already a member of the group');
    const groupPage = await page(w.cookie, `/groups/${groupId}`);
    expect(groupPage.body).toContain(`Kai Place${tag}`);
    expect(groupPage.body).toContain('Still a member');
    expect((await page(w.cookie, '/groups')).body).toContain(`Hub Lane group ${tag}`);
    const member = await t.db.selectFrom('peer_group_member').select(['id', 'recorded_by_user_id', 'grading']).where('group_id', '=', groupId).executeTakeFirstOrThrow();
    expect(member).toMatchObject({ recorded_by_user_id: worker.id, grading: '3C' });
    expect((await form(w.cookie, `/groups/${groupId}/members/${member.id}/end`, { _csrf: w.csrf })).statusCode).toBe(303);
    const ended = await t.db.selectFrom('peer_group_member').select('valid_to').where('id', '=', member.id).executeTakeFirstOrThrow();
    expect(ended.valid_to).toBe(new Date().toISOString().slice(0, 10));

    // Another partnership: the place and group are missing, and are not in its lists.
    const elsewhere = await makeOrg(t.db, 'childrens_social_care', `Otherford ${tag}`);
    const stranger = await makeUser(t.db, { organisationId: elsewhere.id });
    const s = await signIn(t.app, stranger.email);
    expect((await page(s.cookie, `/places/${placeId}`)).statusCode).toBe(404);
    expect((await page(s.cookie, `/groups/${groupId}`)).statusCode).toBe(404);
    expect((await form(s.cookie, `/places/${placeId}/context-cases`, { _csrf: s.csrf })).statusCode).toBe(404);
    expect((await form(s.cookie, `/groups/${groupId}/members`, { _csrf: s.csrf, child: personReference(kai), sensitivity: 'standard' })).statusCode).toBe(404);
    expect((await page(s.cookie, `/places?q=${encodeURIComponent(tag)}`)).body).not.toContain(placeId);
    expect((await page(s.cookie, '/groups')).body).not.toContain(groupId);
  });
});
