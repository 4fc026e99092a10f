/**
 * The panel pages in a real browser (Debian's Chromium), forms posted as without JavaScript, each checked with axe-core
 * against WCAG 2.0/2.1/2.2 A and AA: serious and critical violations fail the test. The coordinator
 * makes a panel and schedules a meeting through the forms (errors included) and sends the invitations;
 * an invitee sends an update (refused first until the significant entry is acknowledged) and reads the
 * pack; the coordinator records the meeting and reads the figures.
 */
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { accessibilityLog, ensureAssets, useBrowser } from './browser.js';
import { writeEntry } from '../entries.js';
import { involve, makeOrg, makePerson, makeUser, useTestApp } from '../helpers.js';



describe('panel pages in Chromium (PGlite)', () => {
  const t = useTestApp();
  const ui = useBrowser(() => t.app);
  let base: string;
  const users: Record<string, string> = {};
  let childId = '';

  beforeAll(async () => {
    ensureAssets();
    const borough = 'Panelfield';
    const csc = await makeOrg(t.db, 'childrens_social_care', borough);
    const school = await makeOrg(t.db, 'school', borough);
    const coordinator = await makeUser(t.db, { organisationId: csc.id, roles: ['panel_coordinator'] });
    const worker = await makeUser(t.db, { organisationId: csc.id });
    const dsl = await makeUser(t.db, { organisationId: school.id, roles: ['designated_safeguarding_lead'] });
    Object.assign(users, { coordinator: coordinator.email, worker: worker.email, dsl: dsl.email });
    const child = await makePerson(t.db, { given: 'Wren', family: 'Pagefield' });
    childId = child.id;
    await t.db.insertInto('person_address').values({ person_id: child.id, line1: '2 Synthetic Row', borough, valid_from: '2020-01-01' }).execute();
    await involve(t.db, { personId: child.id, organisationId: csc.id, userId: worker.id });
    await involve(t.db, { personId: child.id, organisationId: school.id });
    await writeEntry(t.db, { personId: child.id, organisationId: school.id, eventTypeCode: 'suspension', occurredAt: new Date(Date.now() - 5 * 86_400_000).toISOString(), summary: 'Synthetic: suspended for two days' });
    await t.db.insertInto('panel_referral').values({ person_id: child.id, partnership_id: (await t.db.selectFrom('app_user').select('partnership_id').where('id', '=', coordinator.id).executeTakeFirstOrThrow()).partnership_id, source: 'practitioner', reason: 'Synthetic: seen with older young people' }).execute();
    base = await ui.start();
  }, 300_000);

  const signedIn = ui.signedIn;

  it('runs a meeting through its pages, and every page is accessible', async () => {
    const { found, check } = accessibilityLog();

    const c = await signedIn(users.coordinator!);
    await c.goto(`${base}/panels`);
    await c.getByRole('button', { name: 'Add the panel' }).click();
    await c.locator('.govuk-error-summary').waitFor();
    await check(c, 'panels page with errors');
    await c.getByLabel('Name', { exact: true }).fill('Panelfield MACE');
    await c.getByLabel('Kind of panel').selectOption('mace');
    await c.getByLabel('How often it meets, in days').fill('28');
    await c.getByRole('button', { name: 'Add the panel' }).click();
    await c.getByLabel('Panel', { exact: true }).selectOption({ label: 'Panelfield MACE' });
    const held = new Date(Date.now() + 3 * 86_400_000);
    await c.getByLabel('Day', { exact: true }).fill(String(held.getUTCDate()));
    await c.getByLabel('Month', { exact: true }).fill(String(held.getUTCMonth() + 1));
    await c.getByLabel('Year', { exact: true }).fill(String(held.getUTCFullYear()));
    await c.getByRole('button', { name: 'Schedule the meeting' }).click();
    await c.locator('h2', { hasText: 'Agenda' }).waitFor();
    await check(c, 'meeting page');
    const meetingUrl = c.url();
    await c.getByRole('button', { name: 'Send the invitations' }).click();
    await c.locator('h2', { hasText: 'Agenda' }).waitFor();

    const s = await signedIn(users.dsl!);
    await s.goto(`${base}/panels`);
    await check(s, 'panels page of an invitee');
    await s.goto(`${meetingUrl}/children/${childId}/update`);
    await check(s, 'update form');
    await s.getByLabel('Facts your agency holds').fill('Synthetic: attendance fell to 70%');
    await s.getByRole('button', { name: 'Send the update' }).click();
    await s.locator('.govuk-error-summary').waitFor();
    await check(s, 'update form with errors');
    await s.getByLabel(/suspended for two days/).check();
    await s.getByRole('button', { name: 'Send the update' }).click();
    await s.locator('h2', { hasText: 'Agenda' }).waitFor();
    await s.goto(`${meetingUrl}/pack`);
    expect(await s.locator('td', { hasText: 'Synthetic: suspended for two days' }).count()).toBe(1);
    await check(s, 'briefing pack');

    await c.goto(`${meetingUrl}/record`);
    await check(c, 'meeting record');
    await c.getByRole('button', { name: 'Save the meeting record' }).click();
    await c.locator('.govuk-error-summary').waitFor();
    await check(c, 'meeting record with errors');
    await c.goto(`${base}/panels/figures`);
    await check(c, 'panel figures');

    const w = await signedIn(users.worker!);
    await w.goto(`${base}/people/${childId}/panel-referrals/new`);
    await check(w, 'referral form');
    expect(found).toEqual([]);
  }, 240_000);
});
