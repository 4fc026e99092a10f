/**
 * Recording places, peer groups and context cases in a real browser (Debian's Chromium), each page
 * checked with axe-core against WCAG 2.0/2.1/2.2 A and AA: a practitioner records a place (its form
 * first sent empty), links a child she works with, records a group with a member, opens a context case
 * on the place, writes and updates its assessment, adds a plan action, links a child and marks the
 * action done. An analyst reads the month's intelligence bulletin, on screen and as printed.
 */
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { personReference } from '../../src/domain/person-reference.js';
import { appendEntries } from '../../src/server/modules/chronology/commands/append-entry.js';
import { accessibilityLog, ensureAssets, useBrowser } from './browser.js';
import { makeOrg, makePerson, makeUser, useTestApp } from '../helpers.js';

describe('place, group, context case and bulletin pages in Chromium (PGlite)', () => {
  const t = useTestApp();
  const ui = useBrowser(() => t.app);
  let base: string;
  let worker = '';
  let analyst = '';
  let tag = '';
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    ensureAssets();
    tag = randomUUID().slice(0, 6);
    const borough = `Fenwick ${tag}`;
    const org = await makeOrg(t.db, 'childrens_social_care', borough);
    await makeOrg(t.db, 'police', borough);
    worker = (await makeUser(t.db, { organisationId: org.id })).email;
    analyst = (await makeUser(t.db, { organisationId: org.id, roles: ['analyst'] })).email;
    const workerId = (await t.db.selectFrom('app_user').select('id').where('email', '=', worker).executeTakeFirstOrThrow()).id;
    const year = new Date().getUTCFullYear();
    const children: string[] = [];
    for (const [given, family] of [['Orla', 'Penhaligon'], ['Tobias', 'Quennell'], ['Idris', 'Marchbank']] as const) {
      const child = await makePerson(t.db, { given, family, dob: `${year - 15}-04-04` });
      await t.db.insertInto('person_address').values({ person_id: child.id, line1: `${given} Synthetic Row`, borough, valid_from: '2020-01-01' }).execute();
      await t.db.insertInto('involvement').values({ person_id: child.id, organisation_id: org.id, user_id: workerId, role: 'lead_professional', started_on: '2025-01-01' }).execute();
      children.push(child.id);
    }
    // June 2025 at a skate park: six entries about the three children, for the bulletin.
    const park = await t.db.insertInto('place').values({ kind: 'park', name: `Fenwick Skate Park ${tag}`, ward: 'Millbank', borough }).returning('id').executeTakeFirstOrThrow();
    const type = await t.db.selectFrom('event_type').select(['code', 'vocabulary_version']).where('code', '=', 'criminal_exploitation_concern').executeTakeFirstOrThrow();
    for (let k = 0; k < 6; k += 1) {
      const [entry] = await t.db.transaction().execute((trx) => appendEntries(trx, [{
        organisationId: org.id, eventTypeCode: type.code, vocabularyVersion: type.vocabulary_version, occurredAt: `2025-06-${String(3 + 4 * k).padStart(2, '0')}T17:30:00Z`,
        occurredPrecision: 'time', recordedByUserId: null, apiKeyId: null, recordedVia: 'api', sourceSystem: 'E2E', sourceRecordId: `${tag}-${k}`,
        summary: 'Synthetic: seen with older youths at the skate park', narrative: null, place: null, factorCodes: [], sensitivity: 'standard', reliability: 'reported',
        supersedes: null, correctionReason: null, people: [{ personId: children[k % 3]!, role: 'subject' }], audit: null,
      }]));
      await t.db.insertInto('event_place').values({ event_id: entry!.id, place_id: park.id }).execute();
    }
    Object.assign(ids, { orla: children[0], tobias: children[1] });
    base = await ui.start();
  }, 300_000);

  const signedIn = ui.signedIn;

  it('records a place, a group and a context case through their forms, and every page is accessible; the bulletin prints without navigation', async () => {
    const { found, check } = accessibilityLog();
    const page = await signedIn(worker);

    // A place: the form sent empty, then filled.
    await page.goto(`${base}/places`);
    await page.getByRole('link', { name: 'Record a place' }).click();
    await page.locator('h1', { hasText: 'Record a place' }).waitFor();
    await check(page, 'new place form');
    await page.getByRole('button', { name: 'Record the place' }).click();
    await page.locator('.govuk-error-summary').waitFor();
    const summary = await page.locator('.govuk-error-summary').textContent();
    expect(summary).toContain('Choose what kind of place it is');
    expect(summary).toContain('Enter the name of the place');
    await check(page, 'new place form with errors');
    await page.getByLabel('Youth centre or youth provision').check();
    await page.getByLabel('Name', { exact: true }).fill(`Quayside Youth Hub ${tag}`);
    await page.getByLabel('Postcode (optional)').fill('fw1 2ab');
    await page.getByRole('button', { name: 'Record the place' }).click();
    await page.locator('h1', { hasText: `Quayside Youth Hub ${tag}` }).waitFor();
    await page.goto(`${base}/places?q=${encodeURIComponent(`Quayside Youth Hub ${tag}`)}`);
    await check(page, 'places list');
    await page.getByRole('link', { name: `Quayside Youth Hub ${tag}` }).click();
    await page.locator('h1', { hasText: `Quayside Youth Hub ${tag}` }).waitFor();
    await check(page, 'place page');
    await page.getByLabel("The child's reference").fill(personReference(ids.orla!));
    await page.getByLabel('How the child is linked').selectOption('attends');
    await page.getByRole('button', { name: 'Link the child' }).click();
    await page.locator('tbody tr', { hasText: 'Orla Penhaligon' }).waitFor();
    await check(page, 'place page with a child linked');
    const placeUrl = page.url();

    // A peer group and a member.
    await page.goto(`${base}/groups`);
    await check(page, 'groups list');
    await page.getByRole('link', { name: 'Record a peer group' }).click();
    await page.locator('h1', { hasText: 'Record a peer group' }).waitFor();
    await check(page, 'new group form');
    await page.getByLabel('Name', { exact: true }).fill(`Quayside crew ${tag}`);
    await page.getByLabel('Description (optional)').fill('Synthetic: young people often seen together at the quay');
    await page.getByRole('button', { name: 'Record the group' }).click();
    await page.locator('h1', { hasText: `Quayside crew ${tag}` }).waitFor();
    await page.getByLabel("The child's reference").fill(personReference(ids.orla!));
    await page.getByRole('button', { name: 'Add the member' }).click();
    await page.locator('tbody tr', { hasText: 'Orla Penhaligon' }).waitFor();
    expect(await page.locator('tbody tr', { hasText: 'Orla Penhaligon' }).textContent()).toContain('Still a member');
    await check(page, 'group page with a member');

    // A context case on the place: its assessment, a plan action, a child, the action done.
    await page.goto(placeUrl);
    await page.getByRole('button', { name: 'Open a context case' }).click();
    await page.locator('.govuk-caption-l', { hasText: 'Context case' }).waitFor();
    await check(page, 'new context case');
    await page.getByRole('link', { name: 'Write the assessment' }).click();
    await page.locator('h1', { hasText: 'Assessment of the context' }).waitFor();
    await check(page, 'assessment form');
    await page.getByLabel('What is happening in this context').fill('Synthetic: older youths wait outside the hub on Friday evenings.');
    await page.getByRole('button', { name: 'Save the assessment' }).click();
    await page.getByRole('link', { name: 'Update the assessment' }).click();
    await page.getByLabel('Strengths (optional)').fill('Synthetic: the hub manager knows the young people well.');
    await page.getByRole('button', { name: 'Save the assessment' }).click();
    await page.locator('#assessment ~ p', { hasText: 'Version 2' }).waitFor();

    const plan = page.getByRole('table', { name: 'Actions of the plan' });
    const affected = page.getByRole('table', { name: 'Children this context affects' });
    await page.locator('summary', { hasText: 'Add an action' }).click();
    await page.getByLabel('Kind of action').selectOption('detached_youth_work');
    await page.getByLabel('What will be done').fill('Synthetic: detached youth workers outside the hub on Fridays');
    await page.getByLabel('Agency that owns it').selectOption({ index: 1 });
    await page.getByLabel('Day', { exact: true }).fill('30');
    await page.getByLabel('Month', { exact: true }).fill('6');
    await page.getByLabel('Year', { exact: true }).fill(String(new Date().getUTCFullYear() + 1));
    await page.getByRole('button', { name: 'Add the action' }).click();
    await plan.locator('tbody tr', { hasText: 'Detached youth work' }).waitFor();

    await page.locator('summary', { hasText: 'Link a child' }).click();
    await page.getByLabel("The child's reference").fill(personReference(ids.tobias!));
    await page.getByLabel('How this context affects the child').fill('Synthetic: waits outside the hub with the older youths');
    await page.getByRole('button', { name: 'Link the child' }).click();
    await affected.locator('tbody tr', { hasText: 'Tobias Quennell' }).waitFor();
    await check(page, 'context case with an open action and a child');

    await plan.getByRole('textbox', { name: /^What was done/ }).fill('Synthetic: two sessions held; the young people engaged');
    await plan.getByRole('button', { name: /^Mark as done/ }).click();
    const action = plan.locator('tbody tr', { hasText: 'Detached youth work' });
    await action.filter({ hasText: 'Done' }).waitFor();
    expect(await action.textContent()).toContain('Synthetic: two sessions held');
    expect(await affected.locator('tbody tr', { hasText: 'Tobias Quennell' }).count()).toBe(1);
    await check(page, 'context case with the action done');
    await page.goto(`${base}/context-cases`);
    expect(await page.locator('tbody tr', { hasText: `Quayside Youth Hub ${tag}` }).count()).toBe(1);
    await check(page, 'context cases list');

    // The analyst's bulletin for June 2025, on screen and printed.
    const reader = await signedIn(analyst);
    await reader.goto(`${base}/bulletin?month=2025-06`);
    const park = reader.locator('#table-places tbody tr', { hasText: `Fenwick Skate Park ${tag}` });
    expect(await park.locator('td').first().textContent()).toBe('6');
    await check(reader, 'bulletin');
    expect(await reader.locator('.govuk-service-navigation').isVisible()).toBe(true);
    await reader.emulateMedia({ media: 'print' });
    expect(await reader.locator('.govuk-service-navigation').isHidden()).toBe(true);
    expect(await reader.locator('form[action="/bulletin"]').isHidden()).toBe(true);
    expect(await reader.locator('#table-places').isVisible()).toBe(true);
    await check(reader, 'bulletin as printed');
    expect(found).toEqual([]);
  }, 240_000);
});
