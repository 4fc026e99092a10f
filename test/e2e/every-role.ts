/**
 * Every role of the demo, in Chromium at 1280 px: each demo account (one per role, taken from the
 * seeded demo, so a new role's demo account is visited without changing this test) signs in, opens
 * its home page and every page its navigation offers (the bar and "More"): each answers, carries
 * no GOV.UK crown or Crown copyright, links the accessibility statement and privacy notice, and
 * keeps the bar on one line. Axe (WCAG 2.2 A and AA) checks each role's home page and "More", and
 * every other page the first time one of the file's roles reaches it. The roles are shared between
 * test files (`part` of `parts`) so each file stays short.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedBorough } from '../../src/synthetic/seed.js';
import type { DemoUser } from '../../src/synthetic/types.js';
import { useTestApp } from '../helpers.js';
import { accessibilityLog, ensureAssets, launchChromium, listenOnLoopback } from './browser.js';
import { oneAccountPerRole, signInDemo } from './demo-roles.js';

const CROWN_SELECTOR = '.govuk-header__logo, .govuk-logo, .govuk-footer__crown, .govuk-footer__copyright-logo';

/** Registers the every-role page test for the roles whose place in the sorted list is `part` modulo `parts`. */
export function describeEveryRole(part: number, parts: number): void {
  describe(`every demo role in Chromium (part ${part + 1} of ${parts})`, () => {
    const t = useTestApp();
    let browser: Browser;
    let base: string;
    let accounts: DemoUser[];

    beforeAll(async () => {
      ensureAssets();
      const report = await seedBorough(t.db, { children: 24, seed: 7 });
      accounts = oneAccountPerRole(report.demoUsers).filter((_, i) => i % parts === part);
      base = await listenOnLoopback(t.app);
      browser = await launchChromium();
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
    });

    /** What a page shows: its status, the crown, the footer links, and the bar items' distance from the first one's line. */
    async function inspect(page: Page, url: string) {
      const res = await page.goto(`${base}${url}`);
      const shown = await page.evaluate(`(() => {
        const tops = [...document.querySelectorAll('.govuk-service-navigation__list > li')].map((li) => Math.round(li.getBoundingClientRect().top));
        return {
          crown: document.querySelector(${JSON.stringify(CROWN_SELECTOR)}) !== null || /Crown copyright/i.test(document.body.innerText),
          barTops: tops,
          footer: document.querySelector('footer a[href="/accessibility"]') !== null && document.querySelector('footer a[href="/privacy"]') !== null,
        };
      })()`) as { crown: boolean; barTops: number[]; footer: boolean };
      return { status: res?.status() ?? 0, ...shown };
    }

    it('signs in as each role, opens its home page and every page its navigation offers: accessible, no crown, the bar on one line', async () => {
      expect(accounts.length).toBeGreaterThanOrEqual(2);
      const { found, check } = accessibilityLog();
      const checked = new Set<string>();
      let visited = 0;
      for (const account of accounts) {
        const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
        await context.addCookies([{ name: 'jigsaw_session', value: await signInDemo(t.app, account), url: base }]);
        const page = await context.newPage();
        await page.goto(`${base}/`);
        expect(await page.locator('h1').first().textContent(), `${account.role}'s home page`).toBe('Home');
        // The navigation offered: the bar's links, and every link "More" lists.
        const bar = await page.locator('.govuk-service-navigation__list a').evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''));
        expect(bar, `${account.role}'s bar offers More`).toContain('/sections');
        await page.goto(`${base}/sections`);
        const more = await page.locator('main .app-sections a').evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''));
        for (const url of [...new Set(['/', ...bar, ...more])]) {
          const seen = await inspect(page, url);
          const where = `${account.role} (${account.email}) ${url}`;
          expect.soft(seen.status, where).toBe(200);
          expect.soft(seen.crown, `${where}: the crown or Crown copyright`).toBe(false);
          expect.soft(seen.footer, `${where}: accessibility statement and privacy notice in the footer`).toBe(true);
          expect.soft(seen.barTops.filter((top) => Math.abs(top - seen.barTops[0]!) > 4), `${where}: the navigation bar on one line at 1280 px (${seen.barTops.join(', ')})`).toEqual([]);
          if (url === '/' || url === '/sections' || !checked.has(url)) {
            checked.add(url);
            await check(page, where);
          }
          visited += 1;
        }
        await context.close();
      }
      if (part === 0) {
        // The public pages, signed out.
        const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
        const page = await context.newPage();
        for (const url of ['/sign-in', '/accessibility', '/privacy']) {
          const seen = await inspect(page, url);
          expect.soft(seen.status, url).toBe(200);
          expect.soft(seen.crown, `${url}: the crown`).toBe(false);
          await check(page, url);
        }
        await context.close();
      }
      console.log(`every role, part ${part + 1} of ${parts}: ${accounts.map((a) => a.role).join(', ')}; ${visited} pages, ${checked.size} checked with axe`);
      expect(found, found.join('\n')).toEqual([]);
    }, 180_000);
  });
}
