/**
 * Recording a place and running a context case in a real browser (Debian's Chromium), each page
 * checked with axe-core against WCAG 2.0/2.1/2.2 A and AA: the place form with its errors, the place's
 * page, the context case with an assessment, an action added and done, a child linked, and the lists.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { personReference } from '../../src/domain/person-reference.js';
import { accessibilityLog, ensureAssets, useBrowser } from './browser.js';
import { involve, makeOrg, makePerson, makeUser, useTestApp } from '../helpers.js';

describe('place and context case pages in Chromium (PGlite)', () => {
  const t = useTestApp();
  const ui = useBrowser(() => t.app);
  let base: string;
  let worker = '';
  let child = '';

  beforeAll(async () => {
    ensureAssets();
    const tag = randomUUID().slice(0, 6);
    const org = await makeOrg(t.db, 'childrens_social_care', `Casemoor ${tag}`);
    await makeOrg(t.db, 'police', `Casemoor ${tag}`);
    const user = await makeUser(t.db, { organisationId: org.id });
    worker = user.email;
    child = (await makePerson(t.db, { given: 'Rowan', family: 'Tillery' })).id;
    await involve(t.db, { personId: child, organisationId: org.id, userId: user.id });
    base = await ui.start();
  }, 300_000);

  it('records a place, opens a context case and works it through its forms, and every page is accessible', async () => {
    const { found, check } = accessibilityLog();
    const page = await ui.signedIn(worker);
    await page.goto(`${base}/places/new`);
    await check(page, 'record a place');
    await page.getByRole('button', { name: 'Record the place' }).click();
    await page.locator('.govuk-error-summary').waitFor();
    expect(await page.locator('.govuk-error-summary').textContent()).toContain('Choose what kind of place it is');
    await check(page, 'record a place with errors');
    await page.getByLabel('Park').check();
    await page.getByLabel('Name', { exact: true }).fill('Casemoor Rec');
    await page.getByRole('button', { name: 'Record the place' }).click();
    await page.locator('h1', { hasText: 'Casemoor Rec' }).waitFor();
    await check(page, 'place page with its forms');
    await page.getByRole('button', { name: 'Open a context case' }).click();
    await page.locator('.govuk-caption-l', { hasText: 'Context case' }).waitFor();
    await check(page, 'context case, new');

    await page.getByRole('link', { name: 'Write the assessment' }).click();
    await check(page, 'assessment form');
    await page.getByLabel('What is happening in this context').fill('Synthetic: young people gather by the pavilion after dark');
    await page.getByRole('button', { name: 'Save the assessment' }).click();
    await page.locator('text=Version 1').waitFor();

    await page.locator('summary', { hasText: 'Add an action' }).click();
    await page.getByLabel('Kind of action').selectOption('detached_youth_work');
    await page.getByLabel('What will be done').fill('Two detached youth workers on Friday evenings');
    await page.getByRole('button', { name: 'Add the action' }).click();
    await page.locator('.govuk-error-summary').waitFor();
    await check(page, 'context case with errors');
    await page.getByLabel('Agency that owns it').selectOption({ index: 1 });
    await page.getByLabel('Day').fill('1');
    await page.getByLabel('Month').fill('3');
    await page.getByLabel('Year').fill('2027');
    await page.getByRole('button', { name: 'Add the action' }).click();
    await page.locator('td', { hasText: 'Two detached youth workers' }).first().waitFor();

    await page.locator('summary', { hasText: 'Link a child' }).click();
    await page.getByLabel('The child\'s reference').fill(personReference(child));
    await page.getByLabel('How this context affects the child').fill('Goes to the park most evenings');
    await page.getByRole('button', { name: 'Link the child' }).click();
    await page.locator('a', { hasText: 'Rowan Tillery' }).waitFor();
    await page.getByLabel(/What was done/).fill('Youth workers met eight young people');
    await page.getByRole('button', { name: /Mark as done/ }).click();
    await page.locator('td', { hasText: 'Youth workers met eight young people' }).waitFor();
    await check(page, 'context case worked');

    await page.goto(`${base}/context-cases`);
    expect(await page.locator('a', { hasText: 'Casemoor Rec' }).count()).toBe(1);
    await check(page, 'context cases list');
    await page.goto(`${base}/places`);
    await check(page, 'places list');
    expect(found).toEqual([]);
  }, 240_000);
});
