import { describe, expect, it } from 'vitest';
import { auditRowsFor, involve, lastAuditId, makeOrg, makePerson, makeTeam, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';
import { importText, policeRecord, toJsonl } from '../../../../test/intake-helpers.js';
import { accessHistory } from '../transparency/transparency.queries.js';
import { ACCESS_LOG_PAGE_SIZE } from './admin.routes.js';
import { personReference } from '../../../domain/person-reference.js';

describe(`who has seen a record on ${TEST_ENGINE}`, () => {
  const t = useTestApp();
  const get = (cookie: string, query: Record<string, string>) =>
    t.app.inject({ method: 'GET', url: `/admin/access-log?${new URLSearchParams(query).toString()}`, headers: { cookie } });
  const rowsShown = (body: string) => (body.split('<tbody class="govuk-table__body">')[1]?.split('</tbody>')[0] ?? '').split('<tr class="govuk-table__row">').length - 1;

  /** Log rows about one child: reads by one agency (some last year, one as a list), then 520 refusals to another. */
  async function world() {
    const reader = await makeOrg(t.db, 'school');
    const prober = await makeOrg(t.db, 'police');
    const oversight = await makeOrg(t.db, 'childrens_social_care');
    const readerUser = await makeUser(t.db, { organisationId: reader.id });
    const proberUser = await makeUser(t.db, { organisationId: prober.id });
    const dpo = await makeUser(t.db, { organisationId: oversight.id, roles: ['data_protection_officer'] });
    const child = await makePerson(t.db);
    const row = (user: { id: string }, orgId: string, outcome: 'allowed' | 'denied', extra: Record<string, unknown> = {}) => ({
      user_id: user.id, organisation_id: orgId, roles: ['practitioner'], action: 'chronology.read', person_id: child.id,
      route: 'GET /people/:personId', outcome, request_id: null, detail: null, ...extra,
    });
    const reads = [
      ...Array.from({ length: 5 }, () => row(readerUser, reader.id, 'allowed', { at: new Date('2025-01-15T10:00:00Z') })),
      ...Array.from({ length: 55 }, () => row(readerUser, reader.id, 'allowed')),
      row(readerUser, reader.id, 'allowed', { person_id: null, action: 'home.read', route: 'GET /', detail: JSON.stringify({ personIds: [child.id] }) }),
    ];
    await t.db.insertInto('access_log').values(reads as never).execute();
    await t.db.insertInto('access_log').values(Array.from({ length: 520 }, () => row(proberUser, prober.id, 'denied', { detail: JSON.stringify({ reason: 'relationship' }) })) as never).execute();
    return { reader, prober, readerUser, proberUser, dpo, child };
  }

  it('gives the true count, pages through every row, and filters by outcome, organisation, user and date in SQL', async () => {
    const w = await world();
    const me = await signIn(t.app, w.dpo.email);

    const first = await get(me.cookie, { person: w.child.id });
    expect(first.statusCode).toBe(200);
    expect(first.body).toContain(`581 accesses recorded: showing 1 to ${ACCESS_LOG_PAGE_SIZE}`);
    expect(first.body).toContain('Page 1 of 12');
    expect(rowsShown(first.body)).toBe(ACCESS_LOG_PAGE_SIZE);

    // 520 refusals no longer push the reads off: filtered, every read is there, over two pages.
    const reads = { person: w.child.id, outcome: 'allowed', organisation: w.reader.id };
    const page1 = await get(me.cookie, reads);
    expect(page1.body).toContain('61 accesses recorded: showing 1 to 50');
    expect(rowsShown(page1.body)).toBe(50);
    expect(page1.body).not.toContain('govuk-tag--red');
    expect(page1.body).toContain('rel="next"');
    expect(page1.body).toContain('home.read'); // the list that showed the child (detail.personIds), newest first
    const page2 = await get(me.cookie, { ...reads, page: '2' });
    expect(page2.body).toContain('61 accesses recorded: showing 51 to 61');
    expect(rowsShown(page2.body)).toBe(11);
    expect(page2.body).toContain('rel="prev"');
    expect(page2.body).not.toContain('rel="next"');

    const refused = await get(me.cookie, { person: w.child.id, outcome: 'denied' });
    expect(refused.body).toContain('520 accesses recorded');
    const byUser = await get(me.cookie, { person: w.child.id, user: w.readerUser.id });
    expect(byUser.body).toContain('61 accesses recorded');
    expect(byUser.body).toContain(`<option value="${w.proberUser.id}"`);
    const lastYear = await get(me.cookie, { person: w.child.id, from: '2025-01-01', to: '2025-01-31' });
    expect(lastYear.body).toContain('5 accesses recorded: showing 1 to 5');
    expect(rowsShown(lastYear.body)).toBe(5);
    const oneDay = await get(me.cookie, { person: w.child.id, from: '2025-01-15', to: '2025-01-15', outcome: 'allowed' });
    expect(oneDay.body).toContain('5 accesses recorded');
    const none = await get(me.cookie, { person: w.child.id, from: '2025-01-16', to: '2025-01-31' });
    expect(none.body).toContain('0 accesses recorded');

    // The whole log (with the DPO's own reads of it since) is counted, not capped.
    const all = await get(me.cookie, { person: w.child.id, page: '12' });
    const total = Number(/(\d+) accesses recorded/.exec(all.body)?.[1]);
    expect(total).toBeGreaterThan(581);
    expect(rowsShown(all.body)).toBe(total - 11 * ACCESS_LOG_PAGE_SIZE);
  });

  it('explains each bad filter, by field', async () => {
    const w = await world();
    const me = await signIn(t.app, w.dpo.email);
    const cases: [Record<string, string>, string][] = [
      [{ from: '2025-02-30' }, 'The &quot;from&quot; date must be a real date, like 2026-11-01'],
      [{ to: 'yesterday' }, 'The &quot;to&quot; date must be a real date, like 2026-11-30'],
      [{ from: '2025-03-01', to: '2025-02-01' }, 'The &quot;to&quot; date must be the same as or after the &quot;from&quot; date'],
      [{ outcome: 'maybe' }, 'Choose allowed, refused or any outcome'],
      [{ organisation: 'police' }, 'Choose an organisation from the list'],
      [{ user: 'bob' }, 'Choose a user from the list'],
      [{ page: '0' }, 'The page number must be a whole number, 1 or more'],
    ];
    for (const [query, message] of cases) {
      const res = await get(me.cookie, { person: w.child.id, ...query });
      expect(res.statusCode, JSON.stringify(query)).toBe(400);
      expect(res.body).toContain(message);
    }
  });

  it('is refused, with a denied row, to a practitioner and to a team manager who may not see the child', async () => {
    const w = await world();
    const team = await makeTeam(t.db, w.reader.id);
    const manager = await makeUser(t.db, { organisationId: w.reader.id, roles: ['team_manager'], teamId: team.id });
    const since = await lastAuditId(t.db);
    const p = await signIn(t.app, w.readerUser.email);
    expect((await get(p.cookie, { person: w.child.id })).statusCode).toBe(404);
    const m = await signIn(t.app, manager.email);
    expect((await get(m.cookie, { person: w.child.id })).statusCode).toBe(404);
    const rows = await auditRowsFor(t.db, { since });
    expect(rows.filter((r) => r.outcome === 'denied' && (r.user_id === w.readerUser.id || r.user_id === manager.id)).map((r) => [r.user_id, r.action, (r.detail as { reason: string }).reason])).toEqual([
      [w.readerUser.id, 'access_log.read', 'role'], [manager.id, 'access_log.read', 'record'],
    ]);
    // Once the manager's team member works with the child, the manager sees its log.
    await involve(t.db, { personId: w.child.id, organisationId: w.reader.id, userId: (await makeUser(t.db, { organisationId: w.reader.id, teamId: team.id })).id });
    expect((await get(m.cookie, { person: w.child.id })).statusCode).toBe(200);
  });

  it('puts a batch report download on the "who has seen" page of each child it lists', async () => {
    const police = await makeOrg(t.db, 'police');
    const manager = await makeUser(t.db, { organisationId: police.id, roles: ['team_manager'] });
    const dpo = await makeUser(t.db, { organisationId: police.id, roles: ['data_protection_officer'] });
    const report = await importText(t.db, police.id, 'jsonl', 'two.jsonl', toJsonl([policeRecord(police.id, `L4-A-${Date.now()}`), policeRecord(police.id, `L4-B-${Date.now()}`)]));
    const people = (await t.db.selectFrom('intake_row').select('person_id').where('batch_id', '=', report.batchId).orderBy('seq').execute()).map((r) => r.person_id).filter((x): x is string => Boolean(x));
    expect(people).toHaveLength(2);
    const [listed, unlisted] = people as [string, string];
    // The manager works with one of the two children: the download gives that child's reference only.
    await involve(t.db, { personId: listed, organisationId: police.id, userId: manager.id });
    const m = await signIn(t.app, manager.email);
    const csv = await t.app.inject({ method: 'GET', url: `/intake/batches/${report.batchId}/report.csv`, headers: { cookie: m.cookie } });
    expect(csv.statusCode).toBe(200);
    expect(csv.body).toContain(listed);
    expect(csv.body).not.toContain(unlisted);
    const downloaded = (history: Awaited<ReturnType<typeof accessHistory>>) => history.some((h) => h.route === 'GET /intake/batches/:batchId/report.csv' && h.outcome === 'allowed');
    expect(downloaded(await accessHistory(t.db, listed))).toBe(true);
    expect(downloaded(await accessHistory(t.db, unlisted))).toBe(false);
    const d = await signIn(t.app, dpo.email);
    const page = await get(d.cookie, { person: listed, user: manager.id });
    expect(page.body).toContain('GET /intake/batches/:batchId/report.csv');
  });
});

describe(`finding a person for their access history on ${TEST_ENGINE}`, () => {
  const t = useTestApp();
  const get = (cookie: string, query: Record<string, string>) =>
    t.app.inject({ method: 'GET', url: `/admin/access-log?${new URLSearchParams(query).toString()}`, headers: { cookie } });
  const livesIn = (personId: string, borough: string) =>
    t.db.insertInto('person_address').values({ person_id: personId, line1: '1 Test Road', town: 'Test', postcode: 'ZZ1 1ZZ', borough, valid_from: '2020-01-01', valid_to: null }).execute();

  it('lets the data protection officer find a child of their partnership by name and open the history by reference, logging both', async () => {
    const org = await makeOrg(t.db, 'childrens_social_care');
    const dpo = await makeUser(t.db, { organisationId: org.id, roles: ['data_protection_officer'] });
    const child = await makePerson(t.db, { given: 'Quillon', family: 'Abernathy-Rook', dob: '2011-02-03' });
    await livesIn(child.id, 'Testborough');
    const elsewhere = await makePerson(t.db, { given: 'Quillon', family: 'Abernathy-Rook', dob: '2011-02-03' });
    await livesIn(elsewhere.id, 'Nowhere-on-the-map');
    const me = await signIn(t.app, dpo.email);

    const since = await lastAuditId(t.db);
    const found = await get(me.cookie, { name: 'Quilon Abernathy' });
    expect(found.statusCode).toBe(200);
    const reference = personReference(child.id);
    expect(found.body).toContain('1 person found');
    expect(found.body).toContain(`href="/admin/access-log?person=${reference}"`);
    expect(found.body).not.toContain(personReference(elsewhere.id));
    // The DPO sees name, date of birth and reference: nothing of the record.
    expect(found.body).not.toContain('1 Test Road');
    const searchRows = (await auditRowsFor(t.db, { since })).filter((r) => r.user_id === dpo.id);
    expect(searchRows.map((r) => [r.action, r.outcome, (r.detail as { personIds: string[] }).personIds])).toEqual([['person.search', 'allowed', [child.id]]]);

    const history = await get(me.cookie, { person: reference.toLowerCase().replace(/-/g, ' ') });
    expect(history.statusCode).toBe(200);
    expect(history.body).toContain(`Who has seen the record of Quillon Abernathy-Rook (${reference})`);
    const read = (await auditRowsFor(t.db, { since })).filter((r) => r.user_id === dpo.id && r.action === 'access_log.read');
    expect(read.map((r) => [r.person_id, r.outcome])).toEqual([[child.id, 'allowed']]);
  });

  it('finds nobody outside what the reader may look up, and explains a reference that is not one', async () => {
    const org = await makeOrg(t.db, 'childrens_social_care');
    const team = await makeTeam(t.db, org.id);
    const manager = await makeUser(t.db, { organisationId: org.id, roles: ['team_manager'], teamId: team.id });
    const dpo = await makeUser(t.db, { organisationId: org.id, roles: ['data_protection_officer'] });
    const unseen = await makePerson(t.db, { given: 'Marisol', family: 'Threlkeld' });
    await livesIn(unseen.id, 'Testborough');
    const m = await signIn(t.app, manager.email);
    // A team manager looks up only the children they may see.
    const none = await get(m.cookie, { name: 'Marisol Threlkeld' });
    expect(none.statusCode).toBe(200);
    expect(none.body).toContain('No one you may look up matches that name');
    const byReference = await get(m.cookie, { person: personReference(unseen.id) });
    expect(byReference.statusCode).toBe(400);
    expect(byReference.body).toContain('No one you may look up has that reference');
    const d = await signIn(t.app, dpo.email);
    const bad = await get(d.cookie, { person: 'JG-NOT-REAL' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Enter a person reference like JG-7K3Q-2M9X');
    // A practitioner is refused the page itself.
    const practitioner = await makeUser(t.db, { organisationId: org.id });
    const p = await signIn(t.app, practitioner.email);
    expect((await get(p.cookie, { name: 'Marisol Threlkeld' })).statusCode).toBe(404);
  });
});
