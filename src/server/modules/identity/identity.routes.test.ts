import { describe, expect, it } from 'vitest';
import { auditRowsFor, involve, lastAuditId, makeOrg, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';
import { incomingPerson, oneDigitAway } from '../../../../test/identity-helpers.js';
import { mergePersons } from './identity.merges.js';
import { resolvePerson } from './resolve-person.js';

describe(`identity review pages on ${TEST_ENGINE}`, () => {
  const t = useTestApp();

  /** An organisation whose second record of a child lands in review. */
  async function world() {
    const org = await makeOrg(t.db, 'police');
    const other = await makeOrg(t.db, 'school');
    const first = incomingPerson(other.id, { postcode: null, addressLine: null, givenNames: 'Tobias' });
    const held = await t.db.transaction().execute((trx) => resolvePerson(trx, first));
    const doubtful = incomingPerson(org.id, {
      givenNames: 'Tobias', familyName: first.familyName, postcode: null, addressLine: null,
      dateOfBirth: oneDigitAway(first.dateOfBirth!),
    });
    const res = await t.db.transaction().execute((trx) => resolvePerson(trx, doubtful));
    const manager = await makeUser(t.db, { organisationId: org.id, roles: ['team_manager'] });
    const practitioner = await makeUser(t.db, { organisationId: org.id, roles: ['practitioner'] });
    const outsider = await makeUser(t.db, { organisationId: other.id, roles: ['team_manager'] });
    return { org, other, held, res, manager, practitioner, outsider, doubtful };
  }

  it('asks for sign-in', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/identity/review' });
    expect(res.statusCode).toBe(401);
  });

  it('refuses the queue to roles that do not review, with a denied row', async () => {
    const w = await world();
    const { cookie } = await signIn(t.app, w.practitioner.email);
    const since = await lastAuditId(t.db);
    const res = await t.app.inject({ method: 'GET', url: '/identity/review', headers: { cookie } });
    expect(res.statusCode).toBe(404);
    const rows = await auditRowsFor(t.db, { userId: w.practitioner.id, since });
    expect(rows.map((r) => [r.action, r.outcome])).toEqual([['identity.review.list', 'denied']]);
  });

  it('refuses an item sent by another organisation, with a denied row', async () => {
    const w = await world();
    expect(w.res.outcome).toBe('review');
    const { cookie } = await signIn(t.app, w.outsider.email);
    const since = await lastAuditId(t.db);
    const res = await t.app.inject({ method: 'GET', url: `/identity/review/${w.res.reviewItemId}`, headers: { cookie } });
    expect(res.statusCode).toBe(404);
    const rows = await auditRowsFor(t.db, { userId: w.outsider.id, since });
    expect(rows.map((r) => [r.action, r.outcome, r.person_id])).toEqual([['identity.review.read', 'denied', null]]);
  });

  it('shows the queue and the side-by-side comparison, audited per person; a decision needs an answer', async () => {
    const w = await world();
    const { cookie, csrf } = await signIn(t.app, w.manager.email);
    const list = await t.app.inject({ method: 'GET', url: '/identity/review', headers: { cookie } });
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain(`/identity/review/${w.res.reviewItemId}`);
    const since = await lastAuditId(t.db);
    const page = await t.app.inject({ method: 'GET', url: `/identity/review/${w.res.reviewItemId}`, headers: { cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Is this the same child?');
    expect(page.body).toContain(w.doubtful.familyName!.toLowerCase());
    expect(page.body).toContain('Dates of birth differ by one digit');
    expect(page.body).toContain(`name="_csrf" value="${csrf}"`);
    const rows = await auditRowsFor(t.db, { userId: w.manager.id, since });
    expect(rows.map((r) => [r.action, r.outcome, r.person_id]).sort()).toEqual(
      [['identity.review.read', 'allowed', w.res.personId], ['identity.review.read', 'allowed', w.held.personId]].sort(),
    );
    const empty = await t.app.inject({
      method: 'POST', url: `/identity/review/${w.res.reviewItemId}`, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: csrf }).toString(),
    });
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('Select whether these records are the same person');
    const unsure = await t.app.inject({
      method: 'POST', url: `/identity/review/${w.res.reviewItemId}`, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: csrf, decision: 'unsure' }).toString(),
    });
    expect(unsure.statusCode).toBe(400);
    expect(unsure.body).toContain('Say what you need to know');
  });

  it('"same person" merges the records, audited; the child’s page shows both agency records and can undo the join', async () => {
    const w = await world();
    const { cookie, csrf } = await signIn(t.app, w.manager.email);
    const since = await lastAuditId(t.db);
    const res = await t.app.inject({
      method: 'POST', url: `/identity/review/${w.res.reviewItemId}`, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: csrf, decision: 'same', note: 'Checked with the school' }).toString(),
    });
    expect(res.statusCode).toBe(303);
    const decision = await t.db.selectFrom('identity_decision').selectAll().where('review_item_id', '=', w.res.reviewItemId!).executeTakeFirstOrThrow();
    expect(decision).toMatchObject({ decision: 'same', note: 'Checked with the school', decided_by_user_id: w.manager.id });
    const rows = await auditRowsFor(t.db, { userId: w.manager.id, since });
    expect(rows.map((r) => [r.action, r.outcome, r.person_id]).sort()).toEqual(
      [['identity.review.decide', 'allowed', w.res.personId], ['identity.review.decide', 'allowed', w.held.personId]].sort(),
    );
    // The manager works with the child: the page lists both agencies' records, joined.
    await involve(t.db, { personId: w.held.personId, organisationId: w.org.id, userId: w.manager.id });
    const page = await t.app.inject({ method: 'GET', url: `/people/${w.res.personId}`, headers: { cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Agency records that make up this person');
    expect(page.body).toContain(w.doubtful.sourceRecordId);
    expect(page.body).toContain('Kept apart, sent for review');
    expect(page.body).toContain('Undo this join');
    const undo = await t.app.inject({
      method: 'POST', url: `/identity/merges/${decision.merge_id}/unmerge`, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: csrf, personId: w.held.personId, reason: 'Different children after all' }).toString(),
    });
    expect(undo.statusCode).toBe(303);
    const unmerged = await t.db.selectFrom('person_unmerge').selectAll().where('merge_id', '=', decision.merge_id!).executeTakeFirstOrThrow();
    expect(unmerged).toMatchObject({ reason: 'Different children after all', decided_by_user_id: w.manager.id });
    // Once apart again, the manager's involvement no longer reaches the other record.
    const other = await t.app.inject({ method: 'GET', url: `/people/${w.res.personId}`, headers: { cookie } });
    expect(other.statusCode).toBe(404);
  });

  it('"not the same person" keeps them apart for good', async () => {
    const w = await world();
    const { cookie, csrf } = await signIn(t.app, w.manager.email);
    const res = await t.app.inject({
      method: 'POST', url: `/identity/review/${w.res.reviewItemId}`, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: csrf, decision: 'different' }).toString(),
    });
    expect(res.statusCode).toBe(303);
    await expect(t.db.transaction().execute((trx) => mergePersons(trx, { survivorPersonId: w.held.personId, mergedPersonId: w.res.personId, reason: 'auto', userId: null })))
      .rejects.toMatchObject({ code: 'judged_different' });
    // The same agency record sent again keeps its own person.
    const again = await t.db.transaction().execute((trx) => resolvePerson(trx, { ...w.doubtful, addressLine: 'changed' }));
    expect(again).toMatchObject({ outcome: 'existing_source_record', personId: w.res.personId });
    const queue = await t.app.inject({ method: 'GET', url: '/identity/review', headers: { cookie } });
    expect(queue.body).not.toContain(w.res.reviewItemId!);
  });
});
