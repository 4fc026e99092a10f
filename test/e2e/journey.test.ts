/**
 * The practitioner's journey in a real browser (Debian's Chromium, driven by playwright-core):
 * sign in, see "My children" on the home page, find a child by a misspelt name, read the person page (SVG timeline
 * and chronology), filter the chronology, and record an event through the form (first with
 * mistakes, then properly).
 *
 * Every page on the way is checked with axe-core against WCAG 2.0/2.1/2.2 A and AA; serious and
 * critical violations fail the test. A second browser context, which keeps the app's own
 * Content-Security-Policy in force, checks that the pages and their assets run without CSP
 * violations or script errors.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import axe from 'axe-core';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AXE_TAGS, CHROMIUM, CHROMIUM_ARGS } from './browser.js';
import { involve, makeEvent, makeOrg, makePerson, makeUser, TEST_PASSWORD, useTestApp } from '../helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const JOURNEY_TIMEOUT = 120_000;

const GIVEN = 'Zephyrin';
const FAMILY = 'Okonkwo-Lund';
const MISSPELT = 'Zefyrin Okonkwo';
const SEEDED = {
  missing: 'Reported missing overnight after leaving the residential home',
  suspension: 'Suspended for three days after a fight in the dinner hall',
  search: 'Stopped and searched near the bus station, nothing found',
};
const RECORDED = 'Seen carrying a blade outside the leisure centre';

interface AxeFinding {
  id: string;
  impact: string | null;
  help: string;
  helpUrl: string;
  nodes: { target: string; html: string; summary: string }[];
}

/** Runs axe-core in the page and returns the violations, flattened for reporting. */
async function axeViolations(page: Page): Promise<AxeFinding[]> {
  await page.addScriptTag({ content: axe.source });
  return page.evaluate(async (tags: string[]) => {
    const engine = (window as unknown as { axe: typeof axe }).axe;
    const result = await engine.run(document, { runOnly: { type: 'tag', values: tags } });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact ?? null,
      help: v.help,
      helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target.join(' '), html: n.html.slice(0, 200), summary: n.failureSummary ?? '' })),
    }));
  }, AXE_TAGS);
}

function describeFindings(where: string, findings: AxeFinding[]): string {
  const lines = findings.map((f) => {
    const nodes = f.nodes.map((n) => `      - ${n.target}\n        ${n.html}\n        ${n.summary.replace(/\n/g, ' | ')}`).join('\n');
    return `  [${f.impact}] ${f.id}: ${f.help} (${f.helpUrl})\n${nodes}`;
  });
  return `axe found serious or critical WCAG violations on ${where}:\n${lines.join('\n')}`;
}

/** Soft-asserts that the page has no serious or critical axe violations (the journey carries on, every page is reported). */
async function expectAccessible(page: Page, where: string): Promise<void> {
  const findings = (await axeViolations(page)).filter((f) => f.impact === 'serious' || f.impact === 'critical');
  expect.soft(findings, describeFindings(where, findings)).toEqual([]);
}

/** What went wrong in a page: console errors, uncaught script errors, and failed requests for our assets. */
interface PageProblems {
  consoleErrors: string[];
  pageErrors: string[];
  assetFailures: string[];
}

function watch(page: Page): PageProblems {
  const problems: PageProblems = { consoleErrors: [], pageErrors: [], assetFailures: [] };
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.consoleErrors.push(`${page.url()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.pageErrors.push(`${page.url()}: ${err.message}`));
  page.on('response', (res) => {
    if (new URL(res.url()).pathname.startsWith('/assets/') && res.status() >= 400) problems.assetFailures.push(`${res.status()} ${res.url()}`);
  });
  page.on('requestfailed', (req) => {
    // A request cut short by the next navigation (often the favicon) is the browser's doing, not a failure of the app.
    const reason = req.failure()?.errorText ?? '';
    if (reason !== 'net::ERR_ABORTED') problems.assetFailures.push(`failed ${req.url()}: ${reason}`);
  });
  return problems;
}

/** Waits for the load event, by which the deferred module script has run. */
async function settled(page: Page): Promise<void> {
  await page.waitForLoadState('load');
}

async function waitForChromium(): Promise<void> {
  const deadline = Date.now() + 10 * 60_000;
  while (!existsSync(CHROMIUM)) {
    if (Date.now() > deadline) throw new Error(`${CHROMIUM} did not appear within 10 minutes`);
    await new Promise((r) => setTimeout(r, 20_000));
  }
}

describe('the practitioner journey in Chromium (PGlite)', () => {
  const t = useTestApp();
  let browser: Browser;
  let base: string;
  let user: { email: string; name: string };
  let childId: string;

  beforeAll(async () => {
    if (!existsSync(`${ROOT}public/build/app.css`) || !existsSync(`${ROOT}public/build/app.js`)) {
      execFileSync(process.execPath, ['scripts/build-assets.mjs'], { cwd: ROOT, stdio: 'inherit' });
    }

    const org = await makeOrg(t.db, 'youth_justice');
    const worker = await makeUser(t.db, { organisationId: org.id, roles: ['practitioner'] });
    user = worker;
    const child = await makePerson(t.db, { given: GIVEN, family: FAMILY, dob: '2011-07-19' });
    childId = child.id;
    await involve(t.db, { personId: child.id, organisationId: org.id, userId: worker.id });
    await makeEvent(t.db, { personId: child.id, organisationId: org.id, type: 'missing_episode', occurredAt: '2026-02-14T22:30:00Z', summary: SEEDED.missing });
    await makeEvent(t.db, { personId: child.id, organisationId: org.id, type: 'suspension', occurredAt: '2026-04-02T09:00:00Z', summary: SEEDED.suspension });
    await makeEvent(t.db, { personId: child.id, organisationId: org.id, type: 'stop_and_search', occurredAt: '2026-06-21T17:15:00Z', summary: SEEDED.search });

    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const address = t.app.server.address() as AddressInfo;
    base = `http://127.0.0.1:${address.port}`;

    await waitForChromium();
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  }, 12 * 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  /** Signs in through the sign-in form that the server answers with (401) for a signed-out visit to /. */
  async function signInThroughTheForm(page: Page): Promise<void> {
    const res = await page.goto(`${base}/`);
    expect(res?.status()).toBe(401);
    await settled(page);
    expect(await page.title()).toBe('Sign in – Jigsaw');
    await expect(page.locator('h1').textContent()).resolves.toBe('Sign in to Jigsaw');
    await page.getByLabel('Email address').fill(user.email);
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('h2', { hasText: 'My children' }).waitFor();
    await settled(page);
  }

  it('signs in, finds a child by a misspelt name, filters the chronology and records an event', async () => {
    const context = await browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    const problems = watch(page);
    try {
      // 1. Signed out: / answers 401 with the sign-in form.
      const first = await page.goto(`${base}/`);
      expect(first?.status()).toBe(401);
      await settled(page);
      expect(await page.title()).toBe('Sign in – Jigsaw');
      await expectAccessible(page, 'the sign-in page');

      // 2. Sign in and land on the home page, whose "My children" lists the child.
      await page.getByLabel('Email address').fill(user.email);
      await page.getByLabel('Password').fill(TEST_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.locator('h2', { hasText: 'My children' }).waitFor();
      await settled(page);
      expect(new URL(page.url()).pathname).toBe('/');
      expect(await page.title()).toBe('Home – Jigsaw');
      const childLink = page.locator('table.govuk-table a.govuk-link', { hasText: GIVEN });
      expect(await childLink.count()).toBe(1);
      expect(await childLink.textContent()).toContain(FAMILY);
      expect(await childLink.getAttribute('href')).toBe(`/people/${childId}`);
      await expectAccessible(page, 'the home page');

      // 3. Find a person, with the name misspelt.
      await page.getByRole('link', { name: 'Find a person' }).click();
      await page.locator('h1', { hasText: 'Find a person' }).waitFor();
      await settled(page);
      expect(new URL(page.url()).pathname).toBe('/people');
      await expectAccessible(page, 'the find-a-person page');

      await page.getByLabel('Name', { exact: true }).fill(MISSPELT);
      await page.getByRole('button', { name: 'Search' }).click();
      await page.locator('#results').waitFor();
      await settled(page);
      expect(new URL(page.url()).searchParams.get('name')).toBe(MISSPELT);
      const result = page.locator('table.govuk-table a.govuk-link', { hasText: GIVEN });
      expect(await result.count()).toBe(1);
      expect(await result.getAttribute('href')).toBe(`/people/${childId}`);
      await expectAccessible(page, 'the search results page');

      // 4. The person page: SVG timeline and the full chronology.
      await result.click();
      await page.waitForURL(`${base}/people/${childId}`);
      await page.locator('h1', { hasText: GIVEN }).waitFor();
      await settled(page);
      const svg = page.locator('.app-timeline-svg svg[role="group"]');
      expect(await svg.count()).toBe(1);
      expect(await svg.locator('title').first().textContent()).toContain(`Timeline of events for ${GIVEN}`);
      const entries = page.locator('.moj-timeline .moj-timeline__item');
      expect(await entries.count()).toBe(3);
      const chronologyText = await page.locator('.moj-timeline').innerText();
      for (const summary of Object.values(SEEDED)) expect(chronologyText).toContain(summary);
      expect(await entries.locator('.moj-timeline__title').allInnerTexts()).toEqual(['Stop and search', 'Suspension', 'Missing episode']);
      await expectAccessible(page, 'the person page');

      // 5. Filter the chronology to one category: the list narrows.
      await page.locator('summary', { hasText: 'Filter the chronology' }).click();
      const education = page.locator('input[name="category"][value="education"]');
      await education.check();
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.waitForURL((url) => url.searchParams.getAll('category').includes('education'));
      await page.locator('h1', { hasText: GIVEN }).waitFor();
      await settled(page);
      expect(await page.locator('details.govuk-details[open]').count()).toBe(1);
      expect(await page.locator('input[name="category"][value="education"]').isChecked()).toBe(true);
      expect(await entries.count()).toBe(1);
      const filteredText = await page.locator('.moj-timeline').innerText();
      expect(filteredText).toContain(SEEDED.suspension);
      expect(filteredText).not.toContain(SEEDED.missing);
      expect(filteredText).not.toContain(SEEDED.search);
      expect(await page.locator('main').innerText()).toContain('1 entry match the filters');
      await expectAccessible(page, 'the filtered person page');

      // 6. Record an event: the form.
      await page.getByRole('button', { name: 'Record an event' }).click();
      await page.waitForURL(`${base}/people/${childId}/events/new`);
      await page.locator('h1', { hasText: 'Record an event' }).waitFor();
      await settled(page);
      expect(await page.title()).toContain('Record an event for');
      await expectAccessible(page, 'the record-an-event form');

      // 7. Submitted empty: the error summary appears and takes focus.
      await page.getByRole('button', { name: 'Record event', exact: true }).click();
      await page.waitForURL(`${base}/people/${childId}/events`);
      await page.locator('.govuk-error-summary').waitFor();
      await settled(page);
      expect(await page.title()).toMatch(/^Error: Record an event for /);
      const summaryText = await page.locator('.govuk-error-summary').innerText();
      expect(summaryText).toContain('There is a problem');
      expect(summaryText).toContain('Select what happened');
      expect(summaryText).toContain('Enter a summary of what happened');
      await page.waitForFunction(() => document.activeElement?.classList.contains('govuk-error-summary') === true, undefined, { timeout: 10_000 });
      // Each message links to its field.
      for (const href of await page.locator('.govuk-error-summary__list a').evaluateAll((as) => as.map((a) => a.getAttribute('href')))) {
        expect(href, `error summary link ${href} points at a field`).toMatch(/^#/);
        expect(await page.locator(href as string).count(), `error summary link ${href} has a target`).toBe(1);
      }
      await expectAccessible(page, 'the record-an-event form with errors');

      // 8. Filled in properly: recorded, with a success banner, and listed in the chronology.
      await page.locator('#eventTypeCode').selectOption('weapon_incident');
      await page.locator('#occurred-day').fill('9');
      await page.locator('#occurred-month').fill('10');
      await page.locator('#occurred-year').fill('2026');
      await page.locator('#occurredTime').fill('18:20');
      await page.locator('#summary').fill(RECORDED);
      await page.getByLabel('Confirmed').check();
      await page.getByRole('button', { name: 'Record event', exact: true }).click();
      await page.waitForURL((url) => url.pathname === `/people/${childId}` && url.searchParams.has('recorded'));
      await page.locator('.govuk-notification-banner--success').waitFor();
      await settled(page);
      expect(await page.locator('.govuk-notification-banner--success').innerText()).toContain('Event recorded');
      const recordedId = new URL(page.url()).searchParams.get('recorded');
      const newEntry = page.locator(`#event-${recordedId}`);
      expect(await newEntry.count()).toBe(1);
      expect(await newEntry.innerText()).toContain(RECORDED);
      expect(await newEntry.locator('.moj-timeline__title').innerText()).toContain('Weapon incident');
      expect(await entries.count()).toBe(4);
      expect(await page.locator('.app-timeline-svg svg').innerHTML()).toContain('Weapon incident');
      await expectAccessible(page, 'the person page after recording an event');

      expect(problems.pageErrors, 'uncaught script errors').toEqual([]);
      expect(problems.assetFailures, 'asset requests that failed').toEqual([]);
    } finally {
      await context.close();
    }
  }, JOURNEY_TIMEOUT);

  it("runs under the app's own Content-Security-Policy without violations", async () => {
    const context: BrowserContext = await browser.newContext();
    const page = await context.newPage();
    const problems = watch(page);
    try {
      await signInThroughTheForm(page);

      const visits: { where: string; go: () => Promise<void> }[] = [
        { where: 'home', go: async () => void (await page.goto(`${base}/`)) },
        { where: 'find', go: async () => void (await page.goto(`${base}/people?name=${encodeURIComponent(MISSPELT)}`)) },
        { where: 'person page', go: async () => void (await page.goto(`${base}/people/${childId}`)) },
        { where: 'filtered person page', go: async () => void (await page.goto(`${base}/people/${childId}?category=police_justice`)) },
        { where: 'record form', go: async () => void (await page.goto(`${base}/people/${childId}/events/new`)) },
      ];
      for (const visit of visits) {
        await visit.go();
        await settled(page);
        // The template's inline script carries the nonce: if it ran, the body is marked as supporting GOV.UK Frontend.
        expect(await page.locator('body').getAttribute('class'), `inline nonce script ran on the ${visit.where}`).toContain('govuk-frontend-supported');
        // The stylesheet loaded and applied (GOV.UK's width container is constrained by it).
        expect(await page.locator('link[rel="stylesheet"][href="/assets/app.css"]').evaluate((l) => (l as HTMLLinkElement).sheet !== null), `app.css applied on the ${visit.where}`).toBe(true);
      }

      // The module script runs under the CSP too: on a form with errors, govuk-frontend moves focus to the summary.
      await page.getByRole('button', { name: 'Record event', exact: true }).click();
      await page.locator('.govuk-error-summary').waitFor();
      await settled(page);
      await page.waitForFunction(() => document.activeElement?.classList.contains('govuk-error-summary') === true, undefined, { timeout: 10_000 });

      const cspErrors = problems.consoleErrors.filter((m) => /Content Security Policy/i.test(m));
      expect(cspErrors, `CSP violations reported in the console:\n${cspErrors.join('\n')}`).toEqual([]);
      expect(problems.pageErrors, 'uncaught script errors').toEqual([]);
      expect(problems.assetFailures, 'asset requests that failed').toEqual([]);
    } finally {
      await context.close();
    }
  }, JOURNEY_TIMEOUT);
});
