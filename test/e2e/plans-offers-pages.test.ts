/**
 * The plan, offers of help and service directory pages in a real browser (Debian's Chromium), each
 * checked with axe-core against WCAG 2.0/2.1/2.2 A and AA: serious and critical violations fail the
 * test. Forms are driven through their controls, errors included; every form is a plain form post.
 */
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { accessibilityLog, ensureAssets, useBrowser } from './browser.js';
import { makeOrg, makePerson, makeTeam, makeUser, useTestApp } from '../helpers.js';



const DIRECTORY = JSON.stringify({ contents: [{ id: 'e2e-mentoring', name: 'Pagefield Mentoring', status: 'active', minimum_age: 10, maximum_age: 18, organization: { name: 'Synthetic Youth Trust' }, service_areas: [{ name: 'Northbridge' }] }] });

describe('plan, offers and service directory pages in Chromium (PGlite)', () => {
  const t = useTestApp();
  const ui = useBrowser(() => t.app);
  let base: string;
  const users: Record<string, string> = {};
  let childId = '';

  beforeAll(async () => {
    ensureAssets();
    const org = await makeOrg(t.db, 'childrens_social_care', 'Planfield');
    const team = await makeTeam(t.db, org.id);
    const worker = await makeUser(t.db, { organisationId: org.id, teamId: team.id });
    const analyst = await makeUser(t.db, { organisationId: org.id, roles: ['analyst'] });
    const admin = await makeUser(t.db, { organisationId: org.id, roles: ['partnership_admin'] });
    Object.assign(users, { worker: worker.email, analyst: analyst.email, admin: admin.email });
    const child = await makePerson(t.db, { given: 'Linnet', family: 'Ashdown-Ray', dob: `${new Date().getUTCFullYear() - 13}-02-02` });
    childId = child.id;
    await t.db.insertInto('involvement').values({ person_id: child.id, organisation_id: org.id, user_id: worker.id, role: 'lead_professional', started_on: '2025-01-01' }).execute();
    base = await ui.start();
  }, 300_000);

  const signedIn = ui.signedIn;

  it('makes a plan, adds an action, records an offer and searches the directory, and every page is accessible', async () => {
    const { found, check } = accessibilityLog();

    const a = await signedIn(users.admin!);
    await a.goto(`${base}/services/import`);
    await a.getByLabel('Services (JSON)').fill(DIRECTORY);
    await a.getByRole('button', { name: 'Import' }).click();
    await a.locator('.govuk-panel').waitFor();

    const page = await signedIn(users.worker!);
    await page.goto(`${base}/people/${childId}`);
    await check(page, 'person page with plan and offers');
    await page.getByRole('link', { name: /Make a plan/ }).click();
    await page.getByRole('button', { name: 'Make the plan' }).click();
    await page.locator('.govuk-error-summary').waitFor();
    await check(page, 'plan form with errors');
    await page.getByLabel('What we are worried about').fill('Linnet is seen late at night with older young people');
    await page.getByLabel('What we want to see').fill('Linnet is home safe in the evenings');
    await page.getByRole('button', { name: 'Make the plan' }).click();
    await page.locator('h1', { hasText: 'Risk management plan' }).waitFor();
    await page.getByRole('link', { name: 'Add an action' }).click();
    await check(page, 'action form');
    await page.getByLabel('Supportive').check();
    await page.getByLabel('Who will do what').fill('Take Linnet to the youth club on Tuesdays');
    await page.getByLabel('Owner').selectOption({ index: 1 });
    const due = new Date(Date.now() + 10 * 86_400_000);
    await page.getByLabel('Day').fill(String(due.getUTCDate()));
    await page.getByLabel('Month').fill(String(due.getUTCMonth() + 1));
    await page.getByLabel('Year').fill(String(due.getUTCFullYear()));
    await page.getByRole('button', { name: 'Add the action' }).click();
    await page.locator('td a', { hasText: 'Take Linnet to the youth club' }).click();
    await check(page, 'action page');
    await page.getByLabel('Not done').check();
    await page.getByRole('button', { name: 'Save the status' }).click();
    await page.locator('.govuk-error-summary').waitFor();
    await page.goto(`${base}/people/${childId}/plan`);
    await check(page, 'plan page');

    await page.goto(`${base}/people/${childId}/offers/new`);
    await check(page, 'offer form');
    await page.getByLabel('Service', { exact: true }).selectOption({ label: 'Pagefield Mentoring (Synthetic Youth Trust)' });
    const today = new Date();
    await page.getByLabel('Day').fill(String(today.getUTCDate()));
    await page.getByLabel('Month').fill(String(today.getUTCMonth() + 1));
    await page.getByLabel('Year').fill(String(today.getUTCFullYear()));
    await page.getByLabel('Phone').check();
    await page.getByRole('button', { name: 'Record the offer' }).click();
    await page.locator('h1', { hasText: 'Offers of help' }).waitFor();
    await check(page, 'offers page');
    await page.goto(`${base}/services?age=13&postcode=NB2+4QD`);
    expect(await page.locator('td a', { hasText: 'Pagefield Mentoring' }).count()).toBe(1);
    await check(page, 'services search');

    const an = await signedIn(users.analyst!);
    await an.goto(`${base}/offers/acceptance`);
    await check(an, 'acceptance page');
    expect(found).toEqual([]);
  }, 240_000);
});
