import { describe, expect, it } from 'vitest';
import { makeNhsNumber } from '../../../domain/identifiers.js';
import { auditRowsFor, involve, lastAuditId, makeOrg, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';
import { uniqueSurname } from '../../../../test/identity-helpers.js';
import { importText, toJsonl } from '../../../../test/intake-helpers.js';
import type { MatchRecord } from '../../../domain/matching/types.js';
import { exportOrganisationRecords } from '../export/commands/export-records.js';
import { loadMatchRecords } from './identity.candidates.js';

/**
 * Three agencies send the same child (one NHS number) with a different spelling, address and ethnicity
 * (the police's "not recorded"): the shown details follow the precedence rule, earlier values are kept
 * with their sources, the page shows them to those who may open the child, and each agency's export
 * still carries its own record.
 */
describe(`shown details from every agency on ${TEST_ENGINE}`, () => {
  const t = useTestApp();

  // Each world is another child: its own date of birth (the match profile holds every agency's address,
  // so two worlds' children, alike but for a similar surname, must differ in something else).
  async function world(dateOfBirth = '2011-05-14') {
    const [police, school, csc] = [await makeOrg(t.db, 'police'), await makeOrg(t.db, 'school'), await makeOrg(t.db, 'childrens_social_care')];
    const family = uniqueSurname();
    const nhs = makeNhsNumber((max) => Math.floor(Math.random() * max));
    const send = async (org: { id: string }, sourceSystem: string, recordId: string, person: Record<string, unknown>) => {
      const report = await importText(t.db, org.id, 'jsonl', 'agency.jsonl', toJsonl([{
        organisation: org.id, sourceSystem, recordId: `E-${recordId}`,
        person: { recordId, familyName: family, dateOfBirth, sex: 'male', identifiers: [{ scheme: 'nhs_number', value: nhs }], ...person },
        event: { code: 'outreach_contact', occurredAt: '2026-01-02', summary: 'Seen by the agency' },
      }]));
      expect(report.rejected).toBe(0);
      return (await t.db.selectFrom('intake_record').select('person_id').where('organisation_id', '=', org.id).where('source_record_id', '=', `E-${recordId}`).executeTakeFirstOrThrow()).person_id;
    };
    const personId = await send(police, 'NicheRMS', 'NOM-1', { givenNames: 'Ashtun', address: { line: '1 Old Street', postcode: 'SE1 1AA', borough: 'Testborough' } });
    expect(await send(school, 'SchoolMIS', 'UPL-1', { givenNames: 'Ashton', ethnicity: 'MWBA', address: { line: '12 Example Road', postcode: 'SE15 4AB', borough: 'Testborough' } })).toBe(personId);
    expect(await send(csc, 'LiquidLogic', 'CSC-1', { givenNames: 'Ashtyn', ethnicity: 'MWBC', address: { line: '7 New Road', postcode: 'SE22 8XY', borough: 'Testborough' } })).toBe(personId);
    return { police, school, csc, personId, family, send };
  }

  const shown = async (personId: string) => {
    const person = await t.db.selectFrom('person').select(['date_of_birth', 'dob_accuracy', 'ethnicity']).where('id', '=', personId).executeTakeFirstOrThrow();
    const names = await t.db.selectFrom('person_name').select(['kind', 'given_names']).where('person_id', '=', personId).orderBy('given_names').execute();
    const addresses = await t.db.selectFrom('person_address').select(['postcode', 'valid_to', 'protected']).where('person_id', '=', personId).orderBy('postcode').execute();
    return { person, names: names.map((n) => [n.given_names, n.kind]), current: addresses.filter((a) => a.valid_to === null).map((a) => a.postcode), all: addresses.map((a) => a.postcode) };
  };

  it('follows the rules: children’s services’ name and ethnicity, the newest address; the others kept', async () => {
    const w = await world();
    const s = await shown(w.personId);
    expect(s.person.ethnicity).toBe('MWBC');
    expect(s.names).toEqual([['Ashton', 'alias'], ['Ashtun', 'alias'], ['Ashtyn', 'legal']]);
    expect(s.current).toEqual(['SE22 8XY']);
    expect(s.all).toEqual(['SE1 1AA', 'SE15 4AB', 'SE22 8XY']);
    // The match profile is the person as held (the winning name first).
    const profile = (await t.db.selectFrom('person_match_profile').select('record').where('person_id', '=', w.personId).executeTakeFirstOrThrow()).record as { givenNames: string; postcode: string };
    expect([profile.givenNames, profile.postcode]).toEqual(['Ashtyn', 'SE22 8XY']);
    // It holds the other agencies' addresses too (compared as well), as loadMatchRecords reads them.
    const stored = profile as unknown as MatchRecord;
    expect(stored.otherAddresses).toEqual([{ postcode: 'SE1 1AA', addressLine: '1 Old Street' }, { postcode: 'SE15 4AB', addressLine: '12 Example Road' }]);
    const read = (await loadMatchRecords(t.db, [w.personId])).get(w.personId)!;
    expect([read.dateOfBirth, read.postcode, read.addressLine, read.otherDatesOfBirth, read.otherAddresses])
      .toEqual([stored.dateOfBirth, stored.postcode, stored.addressLine, stored.otherDatesOfBirth, stored.otherAddresses]);

    // History: each change, with the agency it came from, oldest first.
    const history = await t.db.selectFrom('person_detail_history as h').innerJoin('organisation as o', 'o.id', 'h.organisation_id')
      .select(['h.field', 'h.value', 'o.id as org']).where('h.person_id', '=', w.personId).orderBy('h.changed_at').execute();
    const of = (field: string) => history.filter((h) => h.field === field).map((h) => [h.org, h.value]);
    expect(of('name')).toEqual([
      [w.police.id, { givenNames: 'Ashtun', familyName: w.family }], [w.school.id, { givenNames: 'Ashton', familyName: w.family }], [w.csc.id, { givenNames: 'Ashtyn', familyName: w.family }],
    ]);
    expect(of('ethnicity')).toEqual([[w.school.id, 'MWBA'], [w.csc.id, 'MWBC']]);
    expect(of('address').map(([org]) => org)).toEqual([w.police.id, w.school.id, w.csc.id]);
    // The same date of birth from each: its value never changed, but where it comes from did (the more authoritative source).
    const dob = { date: '2011-05-14', precision: 'day' };
    expect(of('date_of_birth')).toEqual([[w.police.id, dob], [w.school.id, dob], [w.csc.id, dob]]);

    // A less authoritative agency's record leaves the name, date of birth and ethnicity shown as they were,
    // from the same source: no history row for them (a value compares as stored, whatever its keys' order).
    expect(await w.send(w.police, 'NicheRMS', 'NOM-2', { givenNames: 'Ashtun', address: { line: '7 New Road', postcode: 'SE22 8XY', borough: 'Testborough' } })).toBe(w.personId);
    const later = await t.db.selectFrom('person_detail_history').select('field').where('person_id', '=', w.personId).execute();
    const count = (rows: { field: string }[], field: string) => rows.filter((h) => h.field === field).length;
    expect(['name', 'date_of_birth', 'ethnicity'].map((f) => count(later, f))).toEqual(['name', 'date_of_birth', 'ethnicity'].map((f) => count(history, f)));

    // A known ethnicity is not replaced by "not recorded"; a month only does not replace the full date.
    await w.send(w.csc, 'LiquidLogic', 'CSC-1', { givenNames: 'Ashtyn', ethnicity: null, dateOfBirth: '2011-05', address: { line: '7 New Road', postcode: 'SE22 8XY', borough: 'Testborough' } });
    const again = await shown(w.personId);
    expect(again.person).toMatchObject({ ethnicity: 'MWBA', date_of_birth: '2011-05-14', dob_accuracy: 'exact' });

    // Each agency's export still carries its own record of the child.
    for (const [org, given, ethnicity, postcode] of [[w.police, 'Ashtun', undefined, 'SE1 1AA'], [w.school, 'Ashton', 'MWBA', 'SE15 4AB']] as const) {
      const lines: Record<string, unknown>[] = [];
      await exportOrganisationRecords(t.db, { organisationId: org.id, actor: null, route: 'TEST export', write: (r) => { lines.push(r as Record<string, unknown>); } });
      const person = lines[0]!.person as Record<string, unknown>;
      expect(person).toMatchObject({ givenNames: given, familyName: w.family, address: { postcode } });
      expect(person.ethnicity).toBe(ethnicity);
    }
    const csc: Record<string, unknown>[] = [];
    await exportOrganisationRecords(t.db, { organisationId: w.csc.id, actor: null, route: 'TEST export', write: (r) => { csc.push(r as Record<string, unknown>); } });
    expect((csc[0]!.person as Record<string, unknown>).dateOfBirth).toBe('2011-05');
  });

  it('a child known only by the month or year of birth is held and shown so', async () => {
    const gp = await makeOrg(t.db, 'gp');
    const report = await importText(t.db, gp.id, 'jsonl', 'gp.jsonl', toJsonl([{
      organisation: gp.id, sourceSystem: 'EMIS', recordId: 'GP-1', person: { recordId: 'PAT-1', givenNames: 'Mila', familyName: uniqueSurname(), dateOfBirth: '2011-05' },
      event: { code: 'outreach_contact', occurredAt: '2026-01-02', summary: 'Seen at the surgery' },
    }]));
    expect(report.rejected).toBe(0);
    const { person_id: personId } = await t.db.selectFrom('intake_record').select('person_id').where('organisation_id', '=', gp.id).executeTakeFirstOrThrow();
    expect((await shown(personId)).person).toMatchObject({ date_of_birth: '2011-05-01', dob_accuracy: 'month' });
    const reader = await makeUser(t.db, { organisationId: gp.id, roles: ['practitioner'] });
    await involve(t.db, { personId, organisationId: gp.id, userId: reader.id });
    const { cookie } = await signIn(t.app, reader.email);
    const page = await t.app.inject({ method: 'GET', url: `/people/${personId}`, headers: { cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('born May 2011');
    expect(page.body).not.toContain('1 May 2011');
  });

  it('a protected address stays current and withheld; the page shows each detail’s source and earlier values to those who may open the child', async () => {
    const w = await world('2012-08-21');
    await t.db.updateTable('person_address').set({ protected: true }).where('person_id', '=', w.personId).where('valid_to', 'is', null).execute();
    // A newer record with another address does not replace a protected one.
    await w.send(w.school, 'SchoolMIS', 'UPL-1', { givenNames: 'Ashton', ethnicity: 'MWBA', address: { line: '99 Later Lane', postcode: 'SE5 7QQ', borough: 'Testborough' } });
    expect((await shown(w.personId)).current).toEqual(['SE22 8XY']);

    const reader = await makeUser(t.db, { organisationId: w.school.id, roles: ['practitioner'] });
    await involve(t.db, { personId: w.personId, organisationId: w.school.id, userId: reader.id });
    const { cookie } = await signIn(t.app, reader.email);
    const since = await lastAuditId(t.db);
    const page = await t.app.inject({ method: 'GET', url: `/people/${w.personId}/details`, headers: { cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Details and where they come from');
    expect(page.body).toContain(`Ashtyn ${w.family}`);
    expect(page.body).toContain(w.csc.name);
    expect(page.body).toMatch(/Earlier values \(2\)/);
    expect(page.body).toContain(`Ashtun ${w.family}: from ${w.police.name}`);
    expect(page.body).toContain('White and Black Caribbean');
    // The protected address is withheld from the school's reader (children's services recorded it), its earlier ones are not.
    expect(page.body).toContain(`Protected. Ask ${w.csc.name} if you need it.`);
    expect(page.body).not.toContain('7 New Road');
    expect(page.body).toContain('12 Example Road');
    const rows = await auditRowsFor(t.db, { userId: reader.id, since });
    expect(rows.map((r) => [r.action, r.outcome, r.person_id])).toEqual([['person.read', 'allowed', w.personId]]);

    // Someone who may not open the child: 404 and a denied row.
    const outsider = await makeUser(t.db, { organisationId: w.police.id, roles: ['practitioner'] });
    const other = await signIn(t.app, outsider.email);
    const before = await lastAuditId(t.db);
    const refused = await t.app.inject({ method: 'GET', url: `/people/${w.personId}/details`, headers: { cookie: other.cookie } });
    expect(refused.statusCode).toBe(404);
    expect((await auditRowsFor(t.db, { userId: outsider.id, since: before })).map((r) => [r.action, r.outcome])).toEqual([['person.read', 'denied']]);
  });
});
