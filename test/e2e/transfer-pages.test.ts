/**
 * The transfer and relocation pages, the partnership's transfer settings and the senior manager field
 * in a real browser (Debian's Chromium), each checked with axe-core against WCAG 2.0/2.1/2.2 A and AA:
 * serious and critical violations fail the test. Forms are driven through their controls, errors included.
 */
import { sql } from 'kysely';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { accessibilityLog, ensureAssets, useBrowser } from './browser.js';
import { drainOutbox } from '../drain-outbox.js';
import { makeOrg, makePerson, makeTeam, makeUser, useTestApp } from '../helpers.js';



describe('transfer, relocation and transfer settings pages in Chromium (PGlite)', () => {
  const t = useTestApp();
  const ui = useBrowser(() => t.app);
  let base: string;
  const users: Record<string, string> = {};
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    ensureAssets();
    const [A, B] = ['Movefield', 'Arrivedale'];
    const cscA = await makeOrg(t.db, 'childrens_social_care', A);
    const teamA = await makeTeam(t.db, cscA.id);
    const worker = await makeUser(t.db, { organisationId: cscA.id, teamId: teamA.id });
    const head = await makeUser(t.db, { organisationId: cscA.id, teamId: teamA.id, roles: ['team_manager'] });
    const admin = await makeUser(t.db, { organisationId: cscA.id, roles: ['partnership_admin'] });
    const cscB = await makeOrg(t.db, 'childrens_social_care', B);
    const managerB = await makeUser(t.db, { organisationId: cscB.id, roles: ['team_manager'] });
    await makeUser(t.db, { organisationId: cscB.id });
    const pB = (await t.db.selectFrom('partnership_area').select('partnership_id').where('borough', '=', B).executeTakeFirstOrThrow()).partnership_id;
    await t.db.insertInto('partnership_front_door').values({ partnership_id: pB, organisation_id: cscB.id }).execute();
    Object.assign(users, { worker: worker.email, admin: admin.email, managerB: managerB.email });
    ids.head = head.id;
    // One child stays in A (a relocation is assessed for them); another has moved to B (a transfer waits at B's front door).
    const staying = await makePerson(t.db, { given: 'Tamsin', family: 'Holloway-Reed' });
    const moved = await makePerson(t.db, { given: 'Corin', family: 'Vale-Ashby' });
    ids.staying = staying.id;
    for (const child of [staying, moved]) {
      await t.db.insertInto('person_address').values({ person_id: child.id, line1: '3 Synthetic Walk', borough: A, valid_from: '2020-01-01', valid_to: child === moved ? sql<string>`current_date - 1` : null }).execute();
      await t.db.insertInto('involvement').values({ person_id: child.id, organisation_id: cscA.id, user_id: worker.id, role: 'lead_professional', started_on: '2025-01-01' }).execute();
    }
    await t.db.insertInto('person_address').values({ person_id: moved.id, line1: '4 Synthetic Rise', borough: B, valid_from: sql<string>`current_date` }).execute();
    await drainOutbox(t.db);
    ids.transfer = (await t.db.selectFrom('transfer').select('id').where('person_id', '=', moved.id).executeTakeFirstOrThrow()).id;
    base = await ui.start();
  }, 300_000);

  const signedIn = ui.signedIn;

  it('sets the transfer settings and a senior manager, assesses a relocation, and decides a transfer, and every page is accessible', async () => {
    const { found, check } = accessibilityLog();

    const a = await signedIn(users.admin!);
    await a.goto(`${base}/partnership`);
    await check(a, 'partnership settings with transfers');
    await a.getByRole('link', { name: /escalation time for a child on a plan/ }).click();
    await a.getByLabel(/child on a child protection plan/).fill('0');
    await a.getByRole('button', { name: 'Save transfer settings' }).click();
    await a.locator('.govuk-error-summary').waitFor();
    await check(a, 'transfer settings with errors');
    await a.getByLabel(/child on a child protection plan/).fill('12');
    await a.getByRole('button', { name: 'Save transfer settings' }).click();
    await a.locator('h2#transfers').waitFor();
    await a.goto(`${base}/admin/users/${ids.head}`);
    await a.getByRole('button', { name: 'Save senior manager' }).waitFor();
    await check(a, 'user page with the senior manager field');
    await a.getByLabel('Yes, a senior manager who may sign off relocations').check();
    await a.getByRole('button', { name: 'Save senior manager' }).click();
    await expect.poll(async () => (await t.db.selectFrom('app_user').select('senior_manager').where('id', '=', ids.head!).executeTakeFirstOrThrow()).senior_manager).toBe(true);

    const w = await signedIn(users.worker!);
    await w.goto(`${base}/people/${ids.staying}/relocations/new`);
    await w.getByRole('button', { name: 'Save the assessment' }).click();
    await w.locator('.govuk-error-summary').waitFor();
    await check(w, 'relocation assessment form with errors');
    await w.getByLabel('Borough the child would move to').fill('Arrivedale');
    await w.getByLabel('Risks in the new area (known places and groups)').fill('A group known to the police meets at the park near the new address');
    await w.getByLabel('Ties to the old area (friends, school, youth centre, relatives)').fill('Her youth club and her aunt');
    await w.getByLabel('The professional network that would be lost').fill('Her youth worker');
    await w.getByLabel('The family\'s practical and financial position').fill('Rent arrears; a housing offer in the new area');
    await w.getByLabel('The child\'s and the family\'s views').fill('She wants to stay at her school');
    await w.getByRole('button', { name: 'Save the assessment' }).click();
    await w.getByRole('button', { name: 'Record the move as planned' }).waitFor();
    await check(w, 'relocation page');

    const b = await signedIn(users.managerB!);
    await b.goto(`${base}/transfers`);
    await check(b, 'transfers list (receiving front door, with notices)');
    await b.goto(`${base}/transfers/${ids.transfer}`);
    await b.getByLabel('Why are you declining the transfer?').fill('Too short');
    await b.getByRole('button', { name: 'Decline the transfer' }).click();
    await b.locator('.govuk-error-summary').waitFor();
    await check(b, 'transfer page with errors');
    expect(found).toEqual([]);
  }, 240_000);
});
