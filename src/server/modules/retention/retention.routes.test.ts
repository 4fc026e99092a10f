import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { auditRowsFor, involve, lastAuditId, makeEvent, makeOrg, makePerson, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';
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
  it('refuses to delete a record not due for review without a legal basis, naming the agencies still working with the child; nothing is erased', async () => {
    const org = await makeOrg(t.db, 'police');
    const dpo = await makeUser(t.db, { organisationId: org.id, roles: ['data_protection_officer'] });
    const worker = await makeUser(t.db, { organisationId: org.id });
    const child = await makePerson(t.db, { given: 'Active', family: 'Casework', dob: '2014-04-04' });
    await involve(t.db, { personId: child.id, organisationId: org.id, userId: worker.id });
    const entry = await makeEvent(t.db, { personId: child.id, organisationId: org.id, summary: 'Missing overnight' });
    const me = await signIn(t.app, dpo.email);

    // The attack: a "delete" decision posted straight at a child with an open case.
    for (const fields of [{ decision: 'delete', legalBasis: '', reason: 'Erase this record now please', confirm: 'yes' }, { decision: 'delete', reason: 'Erase this record now please', confirm: 'yes', legalBasis: 'because' }]) {
      const res = await post(me.cookie, `/admin/retention/${child.id}/decision`, { _csrf: me.csrf, ...fields });
      expect(res.statusCode).toBe(400);
      expect(res.body).toContain('This record is not due for review under the retention rules.');
      expect(res.body).toContain(`1 active involvement: ${org.name} is still working with the child.`);
      expect(res.body).toContain('state the legal basis');
    }
    // The same through the request form.
    const viaForm = await post(me.cookie, '/admin/retention/deletion-requests', { _csrf: me.csrf, person: child.id, reason: 'Erase this record now please', confirm: 'yes' });
    expect(viaForm.statusCode).toBe(400);
    expect(viaForm.body).toContain('This record is not due for review under the retention rules.');

    expect(await t.db.selectFrom('person_name').select('id').where('person_id', '=', child.id).execute()).toHaveLength(1);
    expect(await t.db.selectFrom('event').select('id').where('id', '=', entry.id).execute()).toHaveLength(1);
    expect(await t.db.selectFrom('involvement').select('id').where('person_id', '=', child.id).execute()).toHaveLength(1);
    expect(await t.db.selectFrom('retention_decision').select('id').where('person_id', '=', child.id).execute()).toHaveLength(0);
    expect(await t.db.selectFrom('retention_deletion_request').select('id').where('person_id', '=', child.id).execute()).toHaveLength(0);
  });

  it('turns the deletion of a record not due into a request with its legal basis: the requester cannot approve it, a second DPO\'s approval deletes', async () => {
    const org = await makeOrg(t.db, 'police');
    const first = await makeUser(t.db, { organisationId: org.id, roles: ['data_protection_officer'] });
    const second = await makeUser(t.db, { organisationId: org.id, roles: ['data_protection_officer'] });
    const worker = await makeUser(t.db, { organisationId: org.id });
    const child = await makePerson(t.db, { given: 'Erasure', family: 'Requested', dob: '2013-03-03' });
    await involve(t.db, { personId: child.id, organisationId: org.id, userId: worker.id });
    const entry = await makeEvent(t.db, { personId: child.id, organisationId: org.id, summary: 'Recorded in error about the wrong child' });
    const legalBasis = 'Article 17(1)(d) UK GDPR: the record was created unlawfully about the wrong child; no Article 17(3) exemption applies';
    const a = await signIn(t.app, first.email);

    const asked = await post(a.cookie, '/admin/retention/deletion-requests', { _csrf: a.csrf, person: child.id, reason: 'Created about the wrong child by an import', legalBasis, confirm: 'yes' });
    expect(asked.statusCode).toBe(303);
    expect(asked.headers.location).toBe('/admin/retention?requested=1');
    const request = await t.db.selectFrom('retention_deletion_request').selectAll().where('person_id', '=', child.id).executeTakeFirstOrThrow();
    expect(request).toMatchObject({ requested_by: first.id, legal_basis: legalBasis, approved_by: null, decision_id: null });
    // Nothing is erased by the request.
    expect(await t.db.selectFrom('person_name').select('id').where('person_id', '=', child.id).execute()).toHaveLength(1);
    const again = await post(a.cookie, '/admin/retention/deletion-requests', { _csrf: a.csrf, person: child.id, reason: 'Created about the wrong child by an import', legalBasis, confirm: 'yes' });
    expect(again.statusCode).toBe(400);
    expect(again.body).toContain('already waiting for a second data protection officer');

    // The requester's page shows the request, its legal basis and the active involvement, without an approve button.
    const mine = await t.app.inject({ method: 'GET', url: '/admin/retention?requested=1', headers: { cookie: a.cookie } });
    expect(mine.body).toContain('Deletion requested. Nothing has been deleted');
    expect(mine.body).toContain(legalBasis);
    expect(mine.body).toContain(`1 active involvement: ${org.name}`);
    expect(mine.body).not.toContain(`/admin/retention/deletion-requests/${request.id}/approve`);

    // Self-approval: refused as "not found", with a denied row naming the child; nothing erased.
    const since = await lastAuditId(t.db);
    const self = await post(a.cookie, `/admin/retention/deletion-requests/${request.id}/approve`, { _csrf: a.csrf, confirm: 'yes' });
    expect(self.statusCode).toBe(404);
    const denied = await auditRowsFor(t.db, { since, userId: first.id });
    expect(denied.map((r) => [r.action, r.outcome, r.person_id, (r.detail as { reason?: string }).reason])).toEqual([['retention.decide', 'denied', child.id, 'record']]);
    expect(await t.db.selectFrom('person_name').select('id').where('person_id', '=', child.id).execute()).toHaveLength(1);
    // The database refuses it too.
    const elsewhere = await makePerson(t.db, { dob: '2013-05-05' });
    const someDecision = await t.db.insertInto('retention_decision').values({ person_id: elsewhere.id, decision: 'retain', reason: 'Unrelated decision for the check', next_review_on: '2099-01-01', decided_by: first.id }).returning('id').executeTakeFirstOrThrow();
    await expect(t.db.updateTable('retention_deletion_request').set({ approved_by: first.id, approved_at: new Date(), decision_id: someDecision.id }).where('id', '=', request.id).execute())
      .rejects.toThrow(/retention_deletion_request_not_self_approved/);

    // A practitioner cannot approve (route rule); an unknown request is refused the same way.
    const w = await signIn(t.app, worker.email);
    expect((await post(w.cookie, `/admin/retention/deletion-requests/${request.id}/approve`, { _csrf: w.csrf, confirm: 'yes' })).statusCode).toBe(404);
    const b = await signIn(t.app, second.email);
    expect((await post(b.cookie, '/admin/retention/deletion-requests/00000000-0000-4000-8000-000000000000/approve', { _csrf: b.csrf, confirm: 'yes' })).statusCode).toBe(404);

    // The second officer sees the request and approves it: now the record is erased.
    const theirs = await t.app.inject({ method: 'GET', url: '/admin/retention', headers: { cookie: b.cookie } });
    expect(theirs.body).toContain(`/admin/retention/deletion-requests/${request.id}/approve`);
    const unconfirmed = await post(b.cookie, `/admin/retention/deletion-requests/${request.id}/approve`, { _csrf: b.csrf });
    expect(unconfirmed.statusCode).toBe(400);
    expect(unconfirmed.body).toContain('Confirm that you approve the deletion');
    const approved = await post(b.cookie, `/admin/retention/deletion-requests/${request.id}/approve`, { _csrf: b.csrf, confirm: 'yes' });
    expect(approved.statusCode).toBe(303);
    expect(await t.db.selectFrom('event').select('id').where('id', '=', entry.id).execute()).toHaveLength(0);
    expect(await t.db.selectFrom('person_name').select('id').where('person_id', '=', child.id).execute()).toHaveLength(0);
    expect(await t.db.selectFrom('involvement').select('id').where('person_id', '=', child.id).execute()).toHaveLength(0);
    const done = await t.db.selectFrom('retention_deletion_request').selectAll().where('id', '=', request.id).executeTakeFirstOrThrow();
    expect(done.approved_by).toBe(second.id);
    const decision = await t.db.selectFrom('retention_decision').selectAll().where('id', '=', done.decision_id!).executeTakeFirstOrThrow();
    expect(decision).toMatchObject({ person_id: child.id, decision: 'delete', decided_by: second.id });
    expect(decision.reason).toContain(legalBasis);
    expect((await t.db.selectFrom('person').select('erased_by_decision').where('id', '=', child.id).executeTakeFirstOrThrow()).erased_by_decision).toBe(decision.id);
    // Approved once: a second approval finds nothing.
    expect((await post(b.cookie, `/admin/retention/deletion-requests/${request.id}/approve`, { _csrf: b.csrf, confirm: 'yes' })).statusCode).toBe(404);
  });
});
