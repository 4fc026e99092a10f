import { describe, expect, it } from 'vitest';
import { makeNhsNumber } from '../../../domain/identifiers.js';
import { personReference } from '../../../domain/person-reference.js';
import { auditRowsFor, involve, lastAuditId, makeOrg, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';
import { uniqueSurname } from '../../../../test/identity-helpers.js';
import { importText, toJsonl } from '../../../../test/intake-helpers.js';
import { mergePersons, unmergePersons } from '../identity/identity.merges.js';

/**
 * Two agencies' records of one child were held as two people and then merged: the details page of either
 * record shows the history of both, each value with the agency record it came from, newest first; readers
 * see no more than the merge already lets them open, and each record whose history is read is logged.
 */
describe(`details and where they come from across merged records on ${TEST_ENGINE}`, () => {
  const t = useTestApp();

  // Each world is other children: their own dates of birth and addresses (the surnames are alike, and alike
  // names at one address link however the dates of birth differ).
  type Address = { line: string; postcode: string };
  async function world(dobA: string, dobB: string, [police1, school1, csc1]: [Address, Address, Address]) {
    const [police, school, csc] = [await makeOrg(t.db, 'police'), await makeOrg(t.db, 'school'), await makeOrg(t.db, 'childrens_social_care')];
    const [policeName, cscName] = [uniqueSurname(), uniqueSurname()];
    const nhs = makeNhsNumber((max) => Math.floor(Math.random() * max));
    const send = async (org: { id: string }, sourceSystem: string, recordId: string, person: Record<string, unknown>) => {
      const report = await importText(t.db, org.id, 'jsonl', 'agency.jsonl', toJsonl([{
        organisation: org.id, sourceSystem, recordId: `E-${recordId}`, person: { recordId, sex: 'female', ...person },
        event: { code: 'outreach_contact', occurredAt: '2026-01-02', summary: 'Seen by the agency' },
      }]));
      expect(report.rejected).toBe(0);
      return (await t.db.selectFrom('source_record').select('person_id').where('organisation_id', '=', org.id).where('source_record_id', '=', recordId).executeTakeFirstOrThrow()).person_id;
    };
    const maya = { givenNames: 'Maya', familyName: policeName, dateOfBirth: dobA, identifiers: [{ scheme: 'nhs_number', value: nhs }] };
    // The police's record, then the school's of the same child (one NHS number): the school's address is shown, the police's kept as history.
    const a = await send(police, 'NicheRMS', 'NOM-7', { ...maya, address: { ...police1, borough: 'Testborough' } });
    expect(await send(school, 'SchoolMIS', 'UPL-7', { ...maya, address: { ...school1, borough: 'Testborough' } })).toBe(a);
    // Children's services spelt and dated the child differently: held apart, until a person merges the two.
    const b = await send(csc, 'LiquidLogic', 'CSC-7', { givenNames: 'Maia', familyName: cscName, dateOfBirth: dobB, address: { ...csc1, borough: 'Testborough' } });
    expect(b).not.toBe(a);
    const reader = await makeUser(t.db, { organisationId: police.id, roles: ['practitioner'] });
    await involve(t.db, { personId: a, organisationId: police.id, userId: reader.id });
    return { police, school, csc, policeName, cscName, a, b, reader };
  }

  const page = (personId: string, cookie: string) => t.app.inject({ method: 'GET', url: `/people/${personId}/details`, headers: { cookie } });
  const merge = (w: { a: string; b: string }) => t.db.transaction().execute((trx) => mergePersons(trx, { survivorPersonId: w.a, mergedPersonId: w.b, reason: 'Same child', userId: null }));

  it('shows the history of every merged record on either record’s page, newest first, each value naming its agency record, and logs a read of each', async () => {
    const w = await world('2013-04-02', '2013-04-20', [
      { line: '3 First Street', postcode: 'SE1 1AA' }, { line: '12 School Road', postcode: 'SE4 4DD' }, { line: '8 Second Street', postcode: 'SE2 2BB' },
    ]);
    const { cookie } = await signIn(t.app, w.reader.email);
    // Before the merge, the children's services' record is another child to this reader.
    const apart = await page(w.a, cookie);
    expect(apart.statusCode).toBe(200);
    expect(apart.body).not.toContain(w.cscName);
    expect(apart.body).toContain('Earlier values (1)');
    expect(apart.body).toContain(`3 First Street, SE1 1AA (Testborough): from ${w.police.name} (NicheRMS record NOM-7)`);
    let before = await lastAuditId(t.db);
    expect((await page(w.b, cookie)).statusCode).toBe(404);
    expect((await auditRowsFor(t.db, { userId: w.reader.id, since: before })).map((r) => [r.action, r.outcome, r.person_id])).toEqual([['person.read', 'denied', w.b]]);

    await merge(w);
    before = await lastAuditId(t.db);
    const merged = await page(w.a, cookie);
    expect(merged.statusCode).toBe(200);
    expect(merged.body).toContain('This child is held as 2 person records read as one (merged)');
    // This record's own name is the one shown; the other record's is in the history, with its agency record and where it is held.
    expect(merged.body).toContain(`From ${w.school.name} (SchoolMIS record UPL-7)`);
    expect(merged.body).toContain(`Maia ${w.cscName}: from ${w.csc.name} (LiquidLogic record CSC-7)`);
    expect(merged.body).toContain(`held on merged record ${personReference(w.b)}`);
    // Addresses: this record's (the school's, shown), then every value in date order, newest first: the children's
    // services' record (received after the school's) and the police's.
    const address = merged.body.slice(merged.body.indexOf('id="detail-address"'));
    expect(address).toContain("Values on the child's 2 records (2)");
    expect(address.indexOf('12 School Road')).toBeGreaterThan(-1);
    expect(address.indexOf('12 School Road')).toBeLessThan(address.indexOf('8 Second Street'));
    expect(address.indexOf('8 Second Street')).toBeLessThan(address.indexOf('3 First Street'));
    expect(address).toContain(`8 Second Street, SE2 2BB (Testborough): from ${w.csc.name} (LiquidLogic record CSC-7)`);
    // A read of each record whose details were shown.
    const rows = await auditRowsFor(t.db, { userId: w.reader.id, since: before });
    expect(rows.map((r) => [r.action, r.outcome, r.person_id, r.detail])).toEqual([
      ['person.read', 'allowed', w.a, { view: 'details_and_sources' }],
      ['person.read', 'allowed', w.b, { view: 'details_and_sources', mergedWith: w.a }],
    ]);

    // The merged record's page (which the merge lets this reader open) shows the same history the other way round.
    const other = await page(w.b, cookie);
    expect(other.statusCode).toBe(200);
    expect(other.body).toContain(`From ${w.csc.name} (LiquidLogic record CSC-7)`);
    expect(other.body).toContain(`Maya ${w.policeName}: from ${w.school.name} (SchoolMIS record UPL-7)`);
    expect(other.body).toContain(`Maya ${w.policeName}: from ${w.police.name} (NicheRMS record NOM-7)`);
    expect(other.body).toContain(`held on merged record ${personReference(w.a)}`);
  });

  it('keeps a merged record’s protected address withheld, refuses readers of neither record, and forgets the other record once the merge is undone', async () => {
    const w = await world('2010-09-11', '2010-10-30', [
      { line: '5 Birch Lane', postcode: 'N1 1AA' }, { line: '40 Oak Road', postcode: 'N4 4DD' }, { line: '9 Cedar Close', postcode: 'N2 2BB' },
    ]);
    await t.db.updateTable('person_address').set({ protected: true }).where('person_id', '=', w.b).where('valid_to', 'is', null).execute();
    const mergeId = await merge(w);
    const { cookie } = await signIn(t.app, w.reader.email);
    const merged = await page(w.a, cookie);
    expect(merged.statusCode).toBe(200);
    expect(merged.body).toContain(`Protected. Ask ${w.csc.name} if you need it.`);
    expect(merged.body).not.toContain('9 Cedar Close');

    // Someone who may open neither record: 404 for both, as for a record that does not exist, and a denied row.
    const outsider = await makeUser(t.db, { organisationId: w.csc.id, roles: ['practitioner'] });
    const out = await signIn(t.app, outsider.email);
    let before = await lastAuditId(t.db);
    for (const id of [w.a, w.b, '00000000-0000-4000-8000-000000000000']) {
      const res = await page(id, out.cookie);
      expect(res.statusCode).toBe(404);
      expect(res.body).not.toContain(w.policeName);
      expect(res.body).not.toContain(w.cscName);
    }
    expect((await auditRowsFor(t.db, { userId: outsider.id, since: before })).map((r) => [r.action, r.outcome, r.person_id]))
      .toEqual([['person.read', 'denied', w.a], ['person.read', 'denied', w.b], ['person.read', 'denied', '00000000-0000-4000-8000-000000000000']]);

    // Undone: the reader's record no longer shows the other's history, and the other record is refused again.
    await t.db.transaction().execute((trx) => unmergePersons(trx, { mergeId, reason: 'Different children', userId: null }));
    before = await lastAuditId(t.db);
    const apart = await page(w.a, cookie);
    expect(apart.statusCode).toBe(200);
    expect(apart.body).not.toContain(w.cscName);
    expect(apart.body).not.toContain(w.csc.name);
    expect((await page(w.b, cookie)).statusCode).toBe(404);
    expect((await auditRowsFor(t.db, { userId: w.reader.id, since: before })).map((r) => [r.action, r.outcome, r.person_id])).toEqual([
      ['person.read', 'allowed', w.a], ['person.read', 'denied', w.b],
    ]);
  });
});
