/**
 * Screenshots of each role's home page, for the README: seeds a small synthetic borough into a
 * scratch embedded database, signs in as one demo account per role (the published password and
 * authenticator codes) and saves docs/screenshots/<role>.png at 1280 px wide.
 *
 *   npm run screenshots
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { openConfiguredDb } from '../src/cli/commands/open.js';
import { buildApp } from '../src/server/app.js';
import { loadConfig } from '../src/server/config.js';
import { seedBorough } from '../src/synthetic/seed.js';
import { oneAccountPerRole, signInDemo } from '../test/e2e/demo-roles.js';

const out = fileURLToPath(new URL('../docs/screenshots/', import.meta.url));
mkdirSync(out, { recursive: true });
const dataDir = mkdtempSync(join(tmpdir(), 'jigsaw-screenshots-'));
const config = loadConfig({ ...process.env, DATABASE_URL: '', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
const d = await openConfiguredDb(config);
const app = await buildApp({ db: d, config, logger: false });
try {
  const report = await seedBorough(d.db, { children: Number(process.env.SCREENSHOT_CHILDREN ?? 200), seed: 1 });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
  try {
    for (const account of oneAccountPerRole(report.demoUsers)) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      await context.addCookies([{ name: 'jigsaw_session', value: await signInDemo(app, account), url: base }]);
      const page = await context.newPage();
      await page.goto(`${base}/`);
      const file = join(out, `${account.role.replace(/_/g, '-')}.png`);
      await page.screenshot({ path: file, fullPage: true });
      console.log(`${account.role}: ${file}`);
      await context.close();
    }
  } finally {
    await browser.close();
  }
} finally {
  await app.close();
  await d.close();
  rmSync(dataDir, { recursive: true, force: true });
}
