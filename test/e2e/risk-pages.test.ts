/**
 * The assessment, consideration, rules, factors and fairness pages in a real browser (Debian's
 * Chromium), each checked with axe-core against WCAG 2.0/2.1/2.2 A and AA: serious and critical
 * violations fail the test. Forms are driven through their controls, errors included.
 */
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { accessibilityLog, ensureAssets, useBrowser } from './browser.js';
import { makeOrg, makePerson, makeTeam, makeUser, useTestApp } from '../helpers.js';
import { recordAs } from '../considerations-helpers.js';



describe('risk, consideration and fairness pages in Chromium (PGlite)', () => {
  const t = useTestApp();
  const ui = useBrowser(() => t.app);
  let base: string;
  const users: Record<string, string> = {};
  let childId = '';

  beforeAll(async () => {
    ensureAssets();
    const org = await makeOrg(t.db, 'childrens_social_care', 'Pagefield');
    const team = await makeTeam(t.db, org.id);
    const worker = await makeUser(t.db, { organisationId: org.id, teamId: team.id });
    const manager = await makeUser(t.db, { organisationId: org.id, teamId: team.id, roles: ['team_manager'] });
    const admin = await makeUser(t.db, { organisationId: org.id, roles: ['partnership_admin'] });
    Object.assign(users, { worker: worker.email, manager: manager.email, admin: admin.email });
    const child = await makePerson(t.db, { given: 'Oriel', family: 'Pennant-Ashe' });
    childId = child.id;
    await t.db.insertInto('involvement').values([
      { person_id: child.id, organisation_id: org.id, team_id: team.id, role: 'case_holder', started_on: '2025-01-01' },
      { person_id: child.id, organisation_id: org.id, user_id: worker.id, role: 'lead_professional', started_on: '2025-01-01' },
    ]).execute();
    await recordAs(t.db, { id: worker.id, organisationId: org.id }, child.id, 'suspension', new Date(Date.now() - 20 * 86_400_000));
    await recordAs(t.db, { id: worker.id, organisationId: org.id }, child.id, 'witness_to_serious_violence', new Date(Date.now() - 5 * 86_400_000));
    base = await ui.start();
  }, 300_000);

  /** Signs in through the real forms (with the second factor where the role needs one), then carries the session into the browser. */
  async function signedIn(email: string): Promise<Page> {
    const page = await ui.signedIn(email);
    await page.locator('h1', { hasText: 'Home' }).waitFor();
    return page;
  }

  it('takes an assessment from the person page through errors to sign-off, and every page is accessible', async () => {
    const { found, check } = accessibilityLog();
    const page = await signedIn(users.worker!);
    await page.goto(`${base}/people/${childId}`);
    await check(page, 'person page with the risk panel');
    await page.getByRole('button', { name: 'Start a new assessment' }).click();
    await page.locator('h1', { hasText: 'Risk and vulnerability assessment' }).waitFor();
    await check(page, 'assessment form');
    await page.getByRole('button', { name: 'Submit for sign-off' }).click();
    await page.locator('.govuk-error-summary').waitFor();
    expect(await page.locator('.govuk-error-summary').textContent()).toContain('Select the level of risk');
    await check(page, 'assessment form with errors');
    await page.getByLabel('Professional analysis').fill('Exploitation risk is rising outside the home');
    await page.getByLabel('High', { exact: true }).check();
    await page.getByLabel('Why this level').fill('Witnessed a serious assault; recent suspension');
    const review = new Date(Date.now() + 60 * 86_400_000);
    await page.getByLabel('Day').fill(String(review.getUTCDate()));
    await page.getByLabel('Month').fill(String(review.getUTCMonth() + 1));
    await page.getByLabel('Year').fill(String(review.getUTCFullYear()));
    await page.getByRole('button', { name: 'Submit for sign-off' }).click();
    await page.locator('.govuk-notification-banner').waitFor();
    await check(page, 'assessment page');
    await page.goto(`${base}/considerations`);
    await check(page, 'considerations inbox');
    await page.locator('table a.govuk-link').first().click();
    await page.locator('h2', { hasText: 'The events that matched' }).waitFor();
    await check(page, 'consideration page');
    await page.getByRole('button', { name: 'Record decision' }).click();
    await page.locator('.govuk-error-summary').waitFor();
    await check(page, 'consideration page with errors');
    await page.getByLabel('Already in hand').check();
    await page.getByRole('button', { name: 'Record decision' }).click();
    await page.locator('.govuk-notification-banner').waitFor();

    const m = await signedIn(users.manager!);
    expect(await m.locator('caption', { hasText: 'Waiting for your sign-off' }).count()).toBe(1);
    await check(m, 'home page with assessments waiting for sign-off');
    await m.locator('table', { has: m.locator('caption', { hasText: 'Waiting for your sign-off' }) }).locator('a.govuk-link', { hasText: 'Oriel' }).click();
    await m.getByLabel('Sign off the assessment').check();
    await m.getByRole('button', { name: 'Record decision' }).click();
    await m.locator('.govuk-warning-text').waitFor();
    await check(m, 'signed-off assessment');

    const a = await signedIn(users.admin!);
    for (const [path, where] of [['/fairness', 'fairness page'], ['/rules', 'rules page'], ['/rules/edit?code=exclusion_then_missing', 'rule form'], ['/factors', 'factors page'], ['/factors/domestic_abuse', 'factor page']] as const) {
      await a.goto(`${base}${path}`);
      await check(a, where);
    }
    expect(found).toEqual([]);
  }, 240_000);
});
