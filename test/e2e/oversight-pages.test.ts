/**
 * The oversight pages in a real browser (Debian's Chromium), each checked with axe-core against WCAG
 * 2.0/2.1/2.2 A and AA: the dashboards, a tile with its breakdowns, the children behind a number, the
 * audits (started, graded) and the learning reviews. Every form is a plain form post, so the pages
 * work without JavaScript.
 */
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { accessibilityLog, ensureAssets, useBrowser } from './browser.js';
import { makeEvent, makeOrg, makePerson, makeTeam, makeUser, useTestApp } from '../helpers.js';

describe('oversight pages in Chromium (PGlite)', () => {
  const t = useTestApp();
  const ui = useBrowser(() => t.app);
  let base: string;
  const users: Record<string, string> = {};

  beforeAll(async () => {
    ensureAssets();
    const borough = `Oversightfield ${Date.now() % 100000}`;
    const org = await makeOrg(t.db, 'childrens_social_care', borough);
    const team = await makeTeam(t.db, org.id);
    const manager = await makeUser(t.db, { organisationId: org.id, teamId: team.id, roles: ['team_manager'] });
    const lead = await makeUser(t.db, { organisationId: org.id, roles: ['partnership_lead'] });
    const qa = await makeUser(t.db, { organisationId: org.id, roles: ['quality_assurance_lead'] });
    Object.assign(users, { manager: manager.email, lead: lead.email, qa: qa.email });
    for (let i = 0; i < 6; i += 1) {
      const child = await makePerson(t.db, { given: `Wren${i}`, dob: `${new Date().getUTCFullYear() - 14}-02-02` });
      await t.db.insertInto('person_address').values({ person_id: child.id, line1: `${i} Synthetic Mews`, borough, valid_from: '2020-01-01' }).execute();
      await t.db.insertInto('involvement').values({ person_id: child.id, organisation_id: org.id, team_id: team.id, role: 'allocated_worker', started_on: '2025-01-01' }).execute();
      await makeEvent(t.db, { personId: child.id, organisationId: org.id, type: 'criminal_exploitation_concern', occurredAt: new Date(Date.now() - (i + 3) * 86_400_000).toISOString() });
    }
    base = await ui.start();
  }, 300_000);

  const signedIn = ui.signedIn;

  it('shows the dashboards, a tile, the children behind a number, audits and reviews, and every page is accessible', async () => {
    const { found, check } = accessibilityLog();
    const lead = await signedIn(users.lead!);
    await lead.goto(`${base}/oversight`);
    await check(lead, 'dashboards');
    await lead.getByLabel('As of (YYYY-MM-DD)').fill('2026-02-31');
    await lead.getByRole('button', { name: 'Show the dashboards' }).click();
    await lead.locator('.govuk-error-summary').waitFor();
    await check(lead, 'dashboards with an error');
    await lead.goto(`${base}/oversight`);
    await lead.getByRole('link', { name: 'Children with extra-familial risk' }).click();
    await lead.getByRole('heading', { name: 'Disproportionality' }).waitFor();
    await check(lead, 'cohort tile with trend and breakdowns');

    const manager = await signedIn(users.manager!);
    await manager.goto(`${base}/oversight/tiles/cohort/children`);
    expect(await manager.locator('a[href^="/people/"]').count()).toBe(6);
    await check(manager, 'children behind the number');

    const qa = await signedIn(users.qa!);
    await qa.goto(`${base}/audits`);
    await qa.getByRole('button', { name: 'Start the audit' }).click();
    await qa.locator('.govuk-error-summary').waitFor();
    await check(qa, 'audit form with errors');
    await qa.getByLabel('Title').fill('Exploitation audit');
    await qa.getByLabel('Theme').selectOption('exploitation');
    await qa.getByLabel('Questions, one a line').fill('Was the risk seen early?\nWas the child heard?');
    await qa.getByLabel('At random, from the children behind a dashboard measure').check();
    await qa.getByLabel('The measure, for a cohort from the dashboards').fill('cohort');
    await qa.getByLabel('How many children').fill('3');
    await qa.getByRole('button', { name: 'Start the audit' }).click();
    await qa.getByRole('heading', { name: 'Exploitation audit' }).waitFor();
    await check(qa, 'audit');
    const auditUrl = qa.url();

    await manager.goto(auditUrl);
    await manager.getByRole('button', { name: 'Save the grades for A1' }).waitFor();
    await check(manager, 'audit with grading forms');
    await manager.locator('select[name="own-1"]').first().selectOption('good');
    await manager.getByRole('button', { name: 'Save the grades for A1' }).click();
    await manager.getByRole('button', { name: 'Save the grades for A1' }).waitFor();

    await qa.goto(`${base}/reviews`);
    await check(qa, 'reviews');
    await qa.getByLabel('Kind of review').selectOption('rapid_review');
    await qa.getByLabel('Title').fill('Rapid review after a stabbing');
    await qa.getByLabel('Published on (YYYY-MM-DD)').fill('2026-01-15');
    await qa.getByLabel('Findings').fill('Agencies did not share what they knew');
    await qa.getByRole('button', { name: 'Record the review' }).click();
    await qa.getByRole('heading', { name: 'Rapid review after a stabbing' }).waitFor();
    await qa.getByLabel('Recommendation').fill('Share police information with schools the next school day');
    await qa.getByLabel('Theme').selectOption('information_sharing');
    await qa.getByLabel('Owner').selectOption({ index: 1 });
    await qa.getByLabel('Due on (YYYY-MM-DD)').fill('2027-01-31');
    await qa.getByRole('button', { name: 'Add the recommendation' }).click();
    await qa.getByText('Share police information with schools the next school day').waitFor();
    await check(qa, 'review with a recommendation');
    expect(found).toEqual([]);
  });
});
