import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import axe from 'axe-core';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll } from 'vitest';
import { signIn, TEST_PASSWORD } from '../helpers.js';

/** What the page tests in Chromium share: Debian's Chromium, the built assets, axe, a signed-in page. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
/** WCAG 2.0, 2.1 and 2.2 at levels A and AA. */
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/** Builds the stylesheet and script when a test runs without `npm test` having built them. */
export function ensureAssets(): void {
  if (!existsSync(`${ROOT}public/build/app.css`)) execFileSync(process.execPath, ['scripts/build-assets.mjs'], { cwd: ROOT, stdio: 'inherit' });
}

/** Debian's Chromium, headless; no test downloads a browser. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** Listens on a free loopback port; resolves with the base URL. */
export async function listenOnLoopback(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

/** The serious and critical axe violations on the page, each with where it is. */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: axe.source });
  return page.evaluate(async (tags: string[]) => {
    const engine = (window as unknown as { axe: typeof axe }).axe;
    const result = await engine.run(document, { runOnly: { type: 'tag', values: tags } });
    return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }, AXE_TAGS);
}

/** A page in a fresh browser context holding a session signed in (through the form) as `email`, opened at the home page. */
export async function pageSignedInAs(app: FastifyInstance, browser: Browser, base: string, email: string): Promise<Page> {
  const { cookie } = await signIn(app, email, TEST_PASSWORD);
  const context = await browser.newContext({ bypassCSP: true });
  await context.addCookies([{ name: 'jigsaw_session', value: cookie.slice('jigsaw_session='.length), url: base }]);
  const page = await context.newPage();
  await page.goto(`${base}/`);
  return page;
}

/** Collects the serious axe violations of each page checked, labelled with where it was. */
export function accessibilityLog(): { found: string[]; check: (page: Page, where: string) => Promise<void> } {
  const found: string[] = [];
  return { found, check: async (page, where) => { found.push(...(await seriousViolations(page)).map((v) => `${where}: ${v}`)); } };
}

/**
 * A test file's browser. `start()`, at the end of the file's beforeAll, makes the app listen on loopback
 * and launches Chromium, resolving with the base URL; the browser closes after the file's tests.
 * `signedIn(email)` is a page signed in as them (pageSignedInAs); `browser()` is the browser itself.
 */
export function useBrowser(app: () => FastifyInstance): { start(): Promise<string>; browser(): Browser; signedIn(email: string): Promise<Page> } {
  let browser: Browser | undefined;
  let base = '';
  const launched = (): Browser => {
    if (!browser) throw new Error('useBrowser: start() has not run');
    return browser;
  };
  afterAll(async () => {
    await browser?.close();
  });
  return {
    async start() {
      base = await listenOnLoopback(app());
      browser = await launchChromium();
      return base;
    },
    browser: launched,
    signedIn: (email) => pageSignedInAs(app(), launched(), base, email),
  };
}
