import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { makeRule, uniqueBorough } from '../../../../test/considerations-helpers.js';
import { drainOutbox } from '../../../../test/drain-outbox.js';
import { auditRowsFor, involve, makeEvent, makeOrg, makePerson, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';
import type { Actor } from '../../actor.js';
import { decideConsideration } from '../considerations/commands/decide-consideration.js';
import { parseHsds } from './hsds.js';
import { postcodeDistrict } from './services.queries.js';

// The early help directory imported in Open Referral UK JSON and searched by a child's age and postcode;
// offers of help made through it, a consideration decided as an offer of help, the child's and
// family's answer with its barrier in their own words, the outcome told to whoever referred, and
// acceptance by barrier, mode, agency and ethnic group with small groups suppressed.

const DIRECTORY = {
  total_items: 3, total_pages: 1, page_number: 1, size: 3, first_page: true, last_page: true, empty: false,
  contents: [
    {
      id: 'svc-mentoring', name: 'Northbridge Youth Mentoring', description: 'One-to-one mentoring for young people', url: 'https://mentoring.example.test', email: 'mentoring@example.test',
      status: 'active', minimum_age: 10, maximum_age: 17, application_process: 'Referral by a professional on the partnership form',
      organization: { id: 'org-1', name: 'Synthetic Youth Trust' }, service_areas: [{ name: 'Northbridge' }], phones: [{ number: '0100 000 0001' }],
      attributes: [{ taxonomy_term: { code: 'exploitation', name: 'exploitation', vocabulary: 'jigsaw:need' } }, { value: '3', taxonomy_term: { code: 'waiting_weeks', vocabulary: 'jigsaw:waiting_weeks' } }],
    },
    { id: 'svc-under5', name: 'Little Steps Family Centre', status: 'active', minimum_age: 0, maximum_age: 4, organization: { name: 'Synthetic Family Hub' }, service_areas: [{ name: 'Northbridge' }] },
    { id: 'svc-eastmere', name: 'Eastmere Detached Youth Work', status: 'active', minimum_age: 11, maximum_age: 19, organization: { name: 'Synthetic Outreach' }, service_areas: [{ name: 'Eastmere' }] },
  ],
};

describe(`offers of help and the service directory on ${TEST_ENGINE}`, () => {
  const t = useTestApp();
  const form = (cookie: string, url: string, fields: Record<string, string>) => t.app.inject({
    method: 'POST', url, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString(),
  });
  const get = (cookie: string, url: string) => t.app.inject({ method: 'GET', url, headers: { cookie } });
  const lastId = async () => Number((await t.db.selectFrom('access_log').select(sql<string>`coalesce(max(id), 0)`.as('m')).executeTakeFirstOrThrow()).m);
  const denied = async (userId: string, since: number) => (await auditRowsFor(t.db, { userId, since })).filter((r) => r.outcome === 'denied').length;

  it('reads and writes Open Referral UK JSON and postcodes', () => {
    const { services, problems } = parseHsds(JSON.stringify(DIRECTORY));
    expect(problems).toEqual([]);
    expect(services[0]).toMatchObject({ externalId: 'svc-mentoring', providerName: 'Synthetic Youth Trust', minAge: 10, maxAge: 17, needs: ['exploitation'], areas: ['Northbridge'], waitingWeeks: 3, contactPhone: '0100 000 0001' });
    expect(parseHsds('{"id": "x"}').problems[0]!.message).toContain('name');
    expect(parseHsds('not json').problems).toHaveLength(1);
    expect([postcodeDistrict('nb4 7qd'), postcodeDistrict('NB47QD'), postcodeDistrict('EM1'), postcodeDistrict('12345')]).toEqual(['NB4', 'NB4', 'EM1', null]);
  });

  it('imports the directory, searches it by age and postcode, offers help through it, and tells the referrer the outcome', async () => {
    const borough = uniqueBorough();
    const csc = await makeOrg(t.db, 'childrens_social_care', borough);
    const yw = await makeOrg(t.db, 'youth_centre', borough);
    const admin = await makeUser(t.db, { organisationId: csc.id, roles: ['partnership_admin'] });
    const referrer = await makeUser(t.db, { organisationId: csc.id });
    const youthWorker = await makeUser(t.db, { organisationId: yw.id });
    const analyst = await makeUser(t.db, { organisationId: csc.id, roles: ['analyst'] });
    const outsider = await makeUser(t.db, { organisationId: (await makeOrg(t.db, 'early_help', uniqueBorough())).id });
    const child = await makePerson(t.db, { given: 'Wren', family: `Offered${randomUUID().slice(0, 6)}`, dob: `${new Date().getUTCFullYear() - 14}-01-15` });
    await involve(t.db, { personId: child.id, organisationId: csc.id, userId: referrer.id });
    await involve(t.db, { personId: child.id, organisationId: yw.id, userId: youthWorker.id });

    // Only the partnership's administrator imports; anyone else is told the page does not exist.
    const p = await signIn(t.app, referrer.email);
    let since = await lastId();
    expect((await form(p.cookie, '/services/import', { _csrf: p.csrf, json: JSON.stringify(DIRECTORY) })).statusCode).toBe(404);
    expect(await denied(referrer.id, since)).toBe(1);
    const a = await signIn(t.app, admin.email);
    const bad = await form(a.cookie, '/services/import', { _csrf: a.csrf, json: JSON.stringify({ contents: [{ id: 'no-name' }] }) });
    expect(bad.statusCode).toBe(400);
    expect(await t.db.selectFrom('service').select('id').where('external_id', '=', 'no-name').execute()).toEqual([]);
    const imported = await form(a.cookie, '/services/import', { _csrf: a.csrf, json: JSON.stringify(DIRECTORY) });
    expect(imported.statusCode).toBe(200);
    expect(imported.body).toContain('3 added, 0 updated');
    expect((await form(a.cookie, '/services/import', { _csrf: a.csrf, json: JSON.stringify(DIRECTORY) })).body).toContain('0 added, 3 updated');

    // Search: a 14-year-old in NB4 (Northbridge) is offered the mentoring, not the under-fives centre or Eastmere's service.
    const found = await get(p.cookie, '/services?age=14&postcode=NB4+7QD');
    expect(found.body).toContain('Northbridge Youth Mentoring');
    expect(found.body).not.toContain('Little Steps Family Centre');
    expect(found.body).not.toContain('Eastmere Detached Youth Work');
    expect((await get(p.cookie, '/services?postcode=ZZ9+9ZZ')).statusCode).toBe(400);
    const mentoring = await t.db.selectFrom('service').select(['id', 'partnership_id']).where('external_id', '=', 'svc-mentoring').where('name', '=', 'Northbridge Youth Mentoring')
      .where('partnership_id', '=', (await t.db.selectFrom('app_user').select('partnership_id').where('id', '=', admin.id).executeTakeFirstOrThrow()).partnership_id).executeTakeFirstOrThrow();
    // Another partnership's service is not found, with a denied row.
    since = await lastId();
    expect((await get((await signIn(t.app, outsider.email)).cookie, `/services/${mentoring.id}`)).statusCode).toBe(404);
    expect(await denied(outsider.id, since)).toBe(1);
    // Export round-trips through the same format.
    const exported = await get(p.cookie, '/services/export.json');
    expect(parseHsds(exported.body).services.find((s) => s.externalId === 'svc-mentoring')).toMatchObject({ name: 'Northbridge Youth Mentoring', waitingWeeks: 3, referralRoute: 'Referral by a professional on the partnership form' });

    // A consideration decided as an offer of help creates an offer to be made, referred by the decider.
    const { ruleVersionId } = await makeRule(t.db, csc.id, { definition: { kind: 'critical_moment', match: { eventTypes: ['arrest'] }, withinDays: 30 } });
    const consideration = await t.db.insertInto('consideration').values({
      person_id: child.id, rule_version_id: ruleVersionId, evidence_key: randomUUID(), matched_event_ids: [(await makeEvent(t.db, { personId: child.id, organisationId: csc.id, type: 'arrest' })).id],
      explanation: 'Synthetic explanation', recipient_kind: 'lead_professional', recipient_user_id: referrer.id, recipient_team_id: null, recipient_organisation_id: csc.id, created_via: 'event',
    }).returning('id').executeTakeFirstOrThrow();
    const referrerActor: Actor & { kind: 'user' } = {
      kind: 'user', userId: referrer.id, name: referrer.name, email: referrer.email, organisationId: csc.id, organisationName: csc.name, teamId: null, roles: ['practitioner'], partnershipId: mentoring.partnership_id,
    };
    await decideConsideration(t.db, referrerActor, consideration.id, { decision: 'offer_of_help', service: 'northbridge youth mentoring', reason: '' }, { route: 'TEST', requestId: 'test' });
    const offer = await t.db.selectFrom('offer_of_help').selectAll().where('consideration_id', '=', consideration.id).executeTakeFirstOrThrow();
    expect(offer).toMatchObject({ person_id: child.id, service_id: mentoring.id, referred_by_user_id: referrer.id, offered_on: null, response: null });

    // The youth worker (another agency, working with the child) makes the offer and records the answer.
    const y = await signIn(t.app, youthWorker.email);
    const today = new Date().toISOString().slice(0, 10);
    const madeFields = { 'offeredOn-day': today.slice(8), 'offeredOn-month': today.slice(5, 7), 'offeredOn-year': today.slice(0, 4), mode: 'phone', moment: 'The day after Wren came home from a missing episode' };
    expect((await form(y.cookie, `/people/${child.id}/offers/${offer.id}`, { _csrf: y.csrf, ...madeFields })).statusCode).toBe(303);
    const noWords = await form(y.cookie, `/people/${child.id}/offers/${offer.id}`, { _csrf: y.csrf, response: 'declined', barrier: 'acceptability', ownWords: '' });
    expect(noWords.statusCode).toBe(400);
    expect(noWords.body).toContain('in their own words');
    expect((await form(y.cookie, `/people/${child.id}/offers/${offer.id}`, {
      _csrf: y.csrf, response: 'declined', barrier: 'acceptability', ownWords: 'Wren said a phone call from a stranger felt like being checked up on',
    })).statusCode).toBe(303);
    await drainOutbox(t.db);
    await drainOutbox(t.db);
    const outcome = await t.db.selectFrom('alert').select(['recipient_user_id', 'kind']).where('offer_id', '=', offer.id).execute();
    expect(outcome).toEqual([{ recipient_user_id: referrer.id, kind: 'offer_outcome' }]);
    expect((await get(p.cookie, '/alerts')).body).toContain('Northbridge Youth Mentoring: declined');
    const offersPage = await get(p.cookie, `/people/${child.id}/offers`);
    expect(offersPage.body).toContain('felt like being checked up on');
    expect((await get(p.cookie, `/people/${child.id}`)).body).toContain(`/people/${child.id}/offers`);

    // A new offer recorded by hand, face to face, accepted.
    expect((await form(y.cookie, `/people/${child.id}/offers`, { _csrf: y.csrf, serviceId: mentoring.id, serviceName: '', ...madeFields, mode: 'face_to_face' })).statusCode).toBe(303);
    const second = await t.db.selectFrom('offer_of_help').select('id').where('person_id', '=', child.id).where('mode', '=', 'face_to_face').executeTakeFirstOrThrow();
    expect((await form(y.cookie, `/people/${child.id}/offers/${second.id}`, { _csrf: y.csrf, response: 'accepted' })).statusCode).toBe(303);
    expect((await get(p.cookie, `/services/${mentoring.id}`)).body).toMatch(/Offers accepted[\s\S]*fewer than 5/);

    // Someone with no relationship with the child is refused the offers, with denied rows.
    const x = await signIn(t.app, outsider.email);
    since = await lastId();
    expect((await get(x.cookie, `/people/${child.id}/offers`)).statusCode).toBe(404);
    expect((await form(x.cookie, `/people/${child.id}/offers/${second.id}`, { _csrf: x.csrf, response: 'accepted' })).statusCode).toBe(404);
    expect(await denied(outsider.id, since)).toBe(2);

    // Acceptance: eight more answered phone offers make the phone group large enough to show, with its interval.
    for (let i = 0; i < 8; i++) {
      await t.db.insertInto('offer_of_help').values({
        person_id: child.id, service_id: mentoring.id, service_name: 'Northbridge Youth Mentoring', organisation_id: yw.id, offered_by_user_id: youthWorker.id, referred_by_user_id: referrer.id,
        offered_on: today, mode: 'phone', response: i < 5 ? 'accepted' : 'not_taken_up', barrier: i < 5 ? null : 'accessibility', own_words: i < 5 ? null : 'Could not get there after school',
        responded_at: new Date(), responded_by_user_id: youthWorker.id, created_by_user_id: youthWorker.id,
      }).execute();
    }
    await t.db.insertInto('person_address').values({ person_id: child.id, line1: '1 Synthetic Row', borough, valid_from: '2020-01-01' }).execute();
    const an = await signIn(t.app, analyst.email);
    const figures = await get(an.cookie, '/offers/acceptance');
    expect(figures.statusCode).toBe(200);
    expect(figures.body).toMatch(/Phone<\/th>\s*<td[^>]*>9<\/td>\s*<td[^>]*>5<\/td>\s*<td[^>]*>56%<\/td>\s*<td[^>]*>27% to 81%/);
    expect(figures.body).toMatch(/Face to face<\/th>\s*<td[^>]*>fewer than 5<\/td>/);
    since = await lastId();
    expect((await get(p.cookie, '/offers/acceptance')).statusCode).toBe(404);
    expect(await denied(referrer.id, since)).toBe(1);

    // Erasing the child's record (retention) removes their offers and the alerts about them; the directory stays.
    await t.db.updateTable('person').set({ erased_at: new Date() }).where('id', '=', child.id).execute();
    expect(await t.db.selectFrom('offer_of_help').select('id').where('person_id', '=', child.id).execute()).toEqual([]);
    expect(await t.db.selectFrom('alert').select('id').where('offer_id', '=', offer.id).execute()).toEqual([]);
    expect(await t.db.selectFrom('service').select('id').where('id', '=', mentoring.id).execute()).toHaveLength(1);
  });
});
