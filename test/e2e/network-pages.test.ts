/**
 * The contextual safeguarding pages in a real browser (Debian's Chromium), each checked with axe-core
 * against WCAG 2.0/2.1/2.2 A and AA: a child's network (its tables, and the graph drawn over them when
 * scripts run; the same page without scripts), recording a relationship with errors, an incident's
 * cohort, a welfare check completed through its form, and a place.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { appendEntries } from '../../src/server/modules/chronology/commands/append-entry.js';
import { drainOutbox } from '../drain-outbox.js';
import { accessibilityLog, ensureAssets, useBrowser } from './browser.js';
import { makeOrg, makePerson, makeUser, useTestApp } from '../helpers.js';

describe('network, cohort, welfare check and place pages in Chromium (PGlite)', () => {
  const t = useTestApp();
  const ui = useBrowser(() => t.app);
  let base: string;
  let worker = '';
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    ensureAssets();
    if (!existsSync(new URL('../../public/build/network.js', import.meta.url))) execFileSync(process.execPath, ['scripts/build-assets.mjs'], { stdio: 'inherit' });
    const tag = randomUUID().slice(0, 6);
    const org = await makeOrg(t.db, 'childrens_social_care', `Webmoor ${tag}`);
    const police = await makeOrg(t.db, 'police', `Webmoor ${tag}`);
    worker = (await makeUser(t.db, { organisationId: org.id })).email;
    const workerId = (await t.db.selectFrom('app_user').select('id').where('email', '=', worker).executeTakeFirstOrThrow()).id;
    const child = await makePerson(t.db, { given: 'Wren', family: 'Halloway', dob: `${new Date().getUTCFullYear() - 15}-03-03` });
    const friend = await makePerson(t.db, { given: 'Ezra', family: 'Moncrieff', dob: `${new Date().getUTCFullYear() - 15}-05-05` });
    await t.db.insertInto('involvement').values({ person_id: child.id, organisation_id: org.id, user_id: workerId, role: 'lead_professional', started_on: '2025-01-01' }).execute();
    const place = await t.db.insertInto('place').values({ kind: 'youth_centre', name: 'Webmoor Youth Hub', postcode: 'WB1 1AA', ward: 'Central', borough: `Webmoor ${tag}` }).returning('id').executeTakeFirstOrThrow();
    await t.db.insertInto('person_place').values([
      { person_id: child.id, place_id: place.id, kind: 'attends', recorded_by_organisation_id: org.id },
      { person_id: friend.id, place_id: place.id, kind: 'attends', recorded_by_organisation_id: org.id },
    ]).execute();
    await t.db.insertInto('person_relationship').values({ person_id: child.id, related_person_id: friend.id, kind: 'friend', recorded_by_organisation_id: org.id, grading: '2B', valid_from: null, valid_to: null, source_event_id: null, recorded_by_user_id: null, note: null }).execute();
    const type = await t.db.selectFrom('event_type').select(['code', 'vocabulary_version']).where('code', '=', 'homicide').executeTakeFirstOrThrow();
    const [homicide] = await t.db.transaction().execute((trx) => appendEntries(trx, [{
      organisationId: police.id, eventTypeCode: type.code, vocabularyVersion: type.vocabulary_version, occurredAt: new Date(Date.now() - 7_200_000), occurredPrecision: 'time',
      recordedByUserId: null, apiKeyId: null, recordedVia: 'api', sourceSystem: 'E2E', sourceRecordId: tag, summary: 'Synthetic: fatal assault near the hub',
      narrative: null, place: null, factorCodes: [], sensitivity: 'standard', reliability: 'confirmed', supersedes: null, correctionReason: null,
      people: [{ personId: friend.id, role: 'victim' }], audit: null,
    }]));
    await t.db.insertInto('event_place').values({ event_id: homicide!.id, place_id: place.id }).execute();
    await drainOutbox(t.db);
    const incident = await t.db.selectFrom('incident_entry').select('incident_id').where('event_id', '=', homicide!.id).executeTakeFirstOrThrow();
    const check = await t.db.selectFrom('welfare_check').select('id').where('person_id', '=', child.id).executeTakeFirstOrThrow();
    const group = await t.db.insertInto('peer_group').values({ name: 'Hub Lane group', borough: `Webmoor ${tag}`, description: 'Synthetic: young people often seen together at the hub', recorded_by_organisation_id: org.id }).returning('id').executeTakeFirstOrThrow();
    await t.db.insertInto('peer_group_member').values([
      { group_id: group.id, person_id: child.id, recorded_by_organisation_id: org.id, grading: '2C', valid_from: '2025-06-01' },
      { group_id: group.id, person_id: friend.id, recorded_by_organisation_id: org.id, valid_from: '2025-06-01', valid_to: '2025-12-01' },
    ]).execute();
    Object.assign(ids, { child: child.id, place: place.id, incident: incident.incident_id, check: check.id, group: group.id });
    base = await ui.start();
  }, 300_000);

  const signedIn = ui.signedIn;

  it('shows the network as tables with a graph over them, the cohort, a welfare check and a place, and every page is accessible', async () => {
    const { found, check } = accessibilityLog();
    const page = await signedIn(worker);
    await page.goto(`${base}/people/${ids.child}/network?steps=2`);
    expect(await page.locator('td', { hasText: 'Ezra Moncrieff' }).count()).toBeGreaterThan(0);
    await page.locator('#network-graph canvas').first().waitFor();
    await check(page, 'network page with its graph');
    await page.getByRole('button', { name: 'Record the relationship' }).click();
    await page.locator('.govuk-error-summary').waitFor();
    expect(await page.locator('.govuk-error-summary').textContent()).toContain('Choose how they are related');
    await check(page, 'network page with form errors');

    await page.goto(`${base}/incidents/${ids.incident}`);
    expect(await page.locator('#checks-done').textContent()).toContain('Welfare checks done: 0 of 1');
    await check(page, 'incident cohort page');
    await page.getByRole('link', { name: /Open/ }).first().click();
    await page.locator('h1', { hasText: 'Welfare check' }).waitFor();
    await check(page, 'welfare check page');
    await page.getByLabel('How the child is, and what was done').fill('Seen at school with the designated safeguarding lead; upset, offered support.');
    await page.getByRole('button', { name: 'Record the check as done' }).click();
    await page.locator('.govuk-tag', { hasText: 'Done' }).waitFor();
    await check(page, 'welfare check done');

    await page.goto(`${base}/places/${ids.place}`);
    await check(page, 'place page');

    await page.goto(`${base}/groups/${ids.group}`);
    expect(await page.locator('tbody tr', { hasText: 'Wren Halloway' }).count()).toBe(1);
    expect(await page.locator('#others').textContent()).toContain('1 other member is recorded');
    await check(page, 'group page');

    // Without scripts the network page is whole: the tables carry every link.
    const context = await ui.browser().newContext({ javaScriptEnabled: false });
    const cookies = await page.context().cookies();
    await context.addCookies(cookies);
    const plain = await context.newPage();
    await plain.goto(`${base}/people/${ids.child}/network`);
    expect(await plain.locator('td', { hasText: 'Ezra Moncrieff' }).count()).toBeGreaterThan(0);
    expect(await plain.locator('#network-graph').isHidden()).toBe(true);
    await context.close();
    expect(found).toEqual([]);
  }, 240_000);
});
