import { describe, expect, it } from 'vitest';
import { involve, makeOrg, makePerson, makeUser, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';
import { createApiKey } from '../api/api-key.js';

describe(`restricted entries and protected addresses on ${TEST_ENGINE}`, () => {
  const t = useTestApp();

  it('shows a restricted entry only to its organisation and the people it names; others see whom to ask', async () => {
    const police = await makeOrg(t.db, 'police');
    const social = await makeOrg(t.db, 'childrens_social_care');
    const named = await makeUser(t.db, { organisationId: social.id });
    const child = await makePerson(t.db);
    await involve(t.db, { personId: child.id, organisationId: police.id });
    await involve(t.db, { personId: child.id, organisationId: social.id });
    const policeKey = (await createApiKey(t.db, police.id, 'RMS')).key;
    const socialKey = (await createApiKey(t.db, social.id, 'CMS')).key;
    const missingContact = await t.app.inject({
      method: 'POST', url: `/api/v1/people/${child.id}/events`, headers: { authorization: `Bearer ${policeKey}` },
      payload: { eventTypeCode: 'arrest', occurredAt: '2026-05-01', occurredPrecision: 'date', summary: 'Arrest linked to an active investigation', sourceSystem: 'RMS', sensitivity: 'restricted' },
    });
    expect(missingContact.statusCode).toBe(400);
    expect(missingContact.json().error.details[0]).toMatchObject({ field: 'restriction.contact' });
    const ok = await t.app.inject({
      method: 'POST', url: `/api/v1/people/${child.id}/events`, headers: { authorization: `Bearer ${policeKey}` },
      payload: {
        eventTypeCode: 'arrest', occurredAt: '2026-05-01', occurredPrecision: 'date', summary: 'Arrest linked to an active investigation', sourceSystem: 'RMS',
        sensitivity: 'restricted', restriction: { contact: 'DS Example, Exploitation Unit', grantUserIds: [named.id] },
      },
    });
    expect(ok.statusCode).toBe(201);
    const seenBySocialSystem = (await t.app.inject({ method: 'GET', url: `/api/v1/people/${child.id}/chronology`, headers: { authorization: `Bearer ${socialKey}` } })).json();
    expect(seenBySocialSystem.entries[0]).toMatchObject({ restricted: true, summary: null, provenance: null, restrictedContact: 'DS Example, Exploitation Unit', eventType: { code: 'restricted' } });
    const seenByPolice = (await t.app.inject({ method: 'GET', url: `/api/v1/people/${child.id}/chronology`, headers: { authorization: `Bearer ${policeKey}` } })).json();
    expect(seenByPolice.entries[0]).toMatchObject({ restricted: true, summary: 'Arrest linked to an active investigation' });
    // The named user sees it in full; a colleague in the same organisation, named by no grant, does not.
    const { entryScope } = await import('../chronology/chronology.policy.js');
    const accessOf = async (userId: string) => (await t.db.selectFrom(entryScope({ kind: 'user', userId, name: '', email: '', organisationId: social.id, organisationName: '', teamId: null, roles: ['practitioner'], partnershipId: '00000000-0000-4000-8000-000000000000' }, { ids: [child.id] }).as('v'))
      .select(['v.access', 'v.summary']).execute());
    expect(await accessOf(named.id)).toEqual([{ access: 'full', summary: 'Arrest linked to an active investigation' }]);
    expect(await accessOf('00000000-0000-4000-8000-000000000009')).toEqual([{ access: 'restricted', summary: null }]);
  });

  it('withholds a protected address from those who do not need it', async () => {
    const housing = await makeOrg(t.db, 'housing');
    const school = await makeOrg(t.db, 'school');
    const child = await makePerson(t.db);
    await involve(t.db, { personId: child.id, organisationId: housing.id });
    await involve(t.db, { personId: child.id, organisationId: school.id });
    await t.db.insertInto('person_address').values({ person_id: child.id, line1: '1 Safe Place', town: 'Elsewhere', postcode: 'ZZ9 9ZZ', borough: 'Otherborough', protected: true, recorded_by_organisation_id: housing.id, valid_from: '2026-01-01' }).execute();
    const housingKey = (await createApiKey(t.db, housing.id, 'H')).key;
    const schoolKey = (await createApiKey(t.db, school.id, 'S')).key;
    const byHousing = (await t.app.inject({ method: 'GET', url: `/api/v1/people/${child.id}`, headers: { authorization: `Bearer ${housingKey}` } })).json();
    expect(byHousing.addresses[0]).toMatchObject({ line1: '1 Safe Place', protected: true });
    const bySchool = await t.app.inject({ method: 'GET', url: `/api/v1/people/${child.id}`, headers: { authorization: `Bearer ${schoolKey}` } });
    expect(bySchool.json().addresses[0]).toMatchObject({ line1: null, postcode: null, borough: null, protected: true, askOrganisation: housing.name });
    expect(bySchool.body).not.toContain('Safe Place');
    expect(bySchool.body).not.toContain('ZZ9');
  });
});
