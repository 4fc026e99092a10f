import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { involve, makeEvent, makeOrg, makePerson, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';
import { indexPeople } from '../identity/match-index.js';
import { dueForReview } from './retention.queries.js';

describe(`retention on ${TEST_ENGINE}`, () => {
  const t = useTestApp();
  const post = (cookie: string, url: string, fields: Record<string, string>) =>
    t.app.inject({ method: 'POST', url, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString() });

  it('lists records due under the rules, records decisions, and deletes only under a decision, leaving tombstones', async () => {
    const org = await makeOrg(t.db);
    const dpo = await makeUser(t.db, { organisationId: org.id, roles: ['data_protection_officer'] });
    const worker = await makeUser(t.db, { organisationId: org.id });
    const old = await makePerson(t.db, { given: 'Retained', family: 'Longago', dob: '2001-01-01' });
    const other = await makePerson(t.db, { given: 'Sharer', family: 'Present', dob: '2012-01-01' });
    const current = await makePerson(t.db, { given: 'Current', family: 'Case', dob: '2012-01-01' });
    await involve(t.db, { personId: old.id, organisationId: org.id, startedOn: '2012-01-01', endedOn: '2015-03-31' });
    await involve(t.db, { personId: current.id, organisationId: org.id, userId: worker.id });
    const onlyOld = await makeEvent(t.db, { personId: old.id, organisationId: org.id, summary: 'Only about the old record' });
    const shared = await makeEvent(t.db, { personId: other.id, organisationId: org.id, summary: 'Shared entry' });
    await t.db.insertInto('event_person').values({ event_id: shared.id, person_id: old.id, role: 'witness' }).execute();
    await indexPeople(t.db, [old.id, other.id]);
    const matchKeys = (personId: string) => t.db.selectFrom('person_match_key').select('key').where('person_id', '=', personId).execute();
    expect((await matchKeys(old.id)).length).toBeGreaterThan(0);

    const today = new Date().toISOString().slice(0, 10);
    const due = (await dueForReview(t.db, today, 100_000)).map((x) => x.personId);
    expect(due).toContain(old.id);
    expect(due).not.toContain(current.id);

    const me = await signIn(t.app, dpo.email);
    const page = await t.app.inject({ method: 'GET', url: '/admin/retention', headers: { cookie: me.cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Retained Longago');
    const unconfirmed = await post(me.cookie, `/admin/retention/${old.id}/decision`, { _csrf: me.csrf, decision: 'delete', reason: 'No involvement for over six years' });
    expect(unconfirmed.statusCode).toBe(400);
    expect(unconfirmed.body).toContain('Confirm that the record should be deleted');

    // Still append-only outside a decision.
    await expect(sql`DELETE FROM event WHERE id = ${onlyOld.id}`.execute(t.db)).rejects.toThrow(/append-only/);

    const done = await post(me.cookie, `/admin/retention/${old.id}/decision`, { _csrf: me.csrf, decision: 'delete', reason: 'No involvement for over six years', confirm: 'yes' });
    expect(done.statusCode).toBe(303);
    expect(await t.db.selectFrom('event').select('id').where('id', '=', onlyOld.id).execute()).toHaveLength(0);
    expect(await t.db.selectFrom('event').select('id').where('id', '=', shared.id).execute()).toHaveLength(1);
    expect(await t.db.selectFrom('person_name').select('id').where('person_id', '=', old.id).execute()).toHaveLength(0);
    // The blocking keys (derived from the date of birth and names) go with the record; other people's stay.
    expect(await matchKeys(old.id)).toHaveLength(0);
    expect((await matchKeys(other.id)).length).toBeGreaterThan(0);
    const profiles = await t.db.selectFrom('person_match_profile').select('person_id').where('person_id', 'in', [old.id, other.id]).execute();
    expect(profiles.map((p) => p.person_id)).toEqual([other.id]);
    const shell = await t.db.selectFrom('person').selectAll().where('id', '=', old.id).executeTakeFirstOrThrow();
    expect(shell.erased_at).not.toBeNull();
    expect(shell.date_of_birth).toBeNull();
    const decision = await t.db.selectFrom('retention_decision').selectAll().where('person_id', '=', old.id).executeTakeFirstOrThrow();
    const tombstones = await t.db.selectFrom('deletion_tombstone').select(['table_name', 'record_id']).where('retention_decision_id', '=', decision.id).execute();
    expect(tombstones).toEqual(expect.arrayContaining([{ table_name: 'event', record_id: onlyOld.id }, { table_name: 'event_person', record_id: shared.id }]));
    expect((await dueForReview(t.db, today, 100_000)).map((x) => x.personId)).not.toContain(old.id);

    const worker2 = await signIn(t.app, worker.email);
    expect((await t.app.inject({ method: 'GET', url: '/admin/retention', headers: { cookie: worker2.cookie } })).statusCode).toBe(404);
    expect((await post(worker2.cookie, `/admin/retention/${current.id}/decision`, { _csrf: worker2.csrf, decision: 'delete', reason: 'trying to delete', confirm: 'yes' })).statusCode).toBe(404);
  });

  it('keeps a record with a retain decision off the list until its next review date', async () => {
    const org = await makeOrg(t.db);
    const dpo = await makeUser(t.db, { organisationId: org.id, roles: ['data_protection_officer'] });
    const old = await makePerson(t.db, { dob: '1999-06-01' });
    const me = await signIn(t.app, dpo.email);
    const res = await post(me.cookie, `/admin/retention/${old.id}/decision`, {
      _csrf: me.csrf, decision: 'retain', reason: 'Linked to an ongoing review', 'next-day': '1', 'next-month': '1', 'next-year': String(new Date().getUTCFullYear() + 1),
    });
    expect(res.statusCode).toBe(303);
    const today = new Date().toISOString().slice(0, 10);
    expect((await dueForReview(t.db, today, 100_000)).map((x) => x.personId)).not.toContain(old.id);
  });

  it('refuses to delete a record whose agency identity records deletion does not yet cover, and keeps everything', async () => {
    const org = await makeOrg(t.db);
    const dpo = await makeUser(t.db, { organisationId: org.id, roles: ['data_protection_officer'] });
    const old = await makePerson(t.db, { dob: '1998-02-02' });
    await t.db.insertInto('source_record').values({ organisation_id: org.id, source_system: 'CMS', source_record_id: `R-${old.id}`, person_id: old.id, outcome: 'new' } as never).execute();
    const me = await signIn(t.app, dpo.email);
    const res = await post(me.cookie, `/admin/retention/${old.id}/decision`, { _csrf: me.csrf, decision: 'delete', reason: 'Over the retention period', confirm: 'yes' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('agency identity records, which deletion does not yet cover');
    expect(await t.db.selectFrom('person_name').select('id').where('person_id', '=', old.id).execute()).toHaveLength(1);
    expect(await t.db.selectFrom('retention_decision').select('id').where('person_id', '=', old.id).execute()).toHaveLength(0);
  });
});
