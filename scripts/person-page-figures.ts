/**
 * Figures for the person page of the demo's child with the longest history that the demo
 * practitioner works with: the SQL statements one request issues, and the page's height in
 * Chromium at 1280 px wide. Reads a database the demo has loaded (`npm start`, or
 * `npx jigsaw seed --demo`), in DATA_DIR or DATABASE_URL.
 *
 *   npx tsx scripts/person-page-figures.ts [email]      (SCREENSHOT=file.png also saves the whole page)
 */
import type { AddressInfo } from 'node:net';
import type { KyselyPlugin } from 'kysely';
import { chromium } from 'playwright-core';
import { openConfiguredDb } from '../src/cli/commands/open.js';
import { buildApp } from '../src/server/app.js';
import { loadConfig } from '../src/server/config.js';

const email = process.argv[2] ?? 'practitioner@northbridge.jigsaw.test';
const password = process.env.DEMO_PASSWORD ?? 'jigsaw-demo-2026';

let statements = 0;
const counter: KyselyPlugin = {
  transformQuery: (args) => {
    statements += 1;
    return args.node;
  },
  transformResult: async (args) => args.result,
};

const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' });
const d = await openConfiguredDb(config);
const app = await buildApp({ db: { ...d, db: d.db.withPlugin(counter) }, config, logger: false });
try {
  const user = await d.db.selectFrom('app_user').select('id').where('email', '=', email).executeTakeFirstOrThrow();
  const child = await d.db.selectFrom('involvement as i')
    .innerJoin('event_person as ep', 'ep.person_id', 'i.person_id')
    .select(['i.person_id', (eb) => eb.fn.count<number>('ep.event_id').distinct().as('entries')])
    .where('i.user_id', '=', user.id)
    .groupBy('i.person_id')
    .orderBy('entries', 'desc')
    .limit(1)
    .executeTakeFirstOrThrow();

  const signInPage = await app.inject({ method: 'GET', url: '/sign-in' });
  const pre = signInPage.cookies.find((c) => c.name === 'jigsaw_signin');
  const token = /name="_csrf" value="([^"]+)"/.exec(signInPage.body)?.[1];
  if (!pre || !token) throw new Error('The sign-in page gave no form');
  const signedIn = await app.inject({
    method: 'POST', url: '/sign-in', headers: { cookie: `jigsaw_signin=${pre.value}`, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ email, password, _csrf: token }).toString(),
  });
  const session = signedIn.cookies.find((c) => c.name === 'jigsaw_session');
  if (!session || String(signedIn.headers.location) !== '/') throw new Error(`Signing in as ${email} did not reach the home page (a second factor is not supported here)`);

  const url = `/people/${child.person_id}`;
  statements = 0;
  const res = await app.inject({ method: 'GET', url, headers: { cookie: `jigsaw_session=${session.value}` } });
  if (res.statusCode !== 200) throw new Error(`The person page answered ${res.statusCode}`);
  const counted = statements;

  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.addCookies([{ name: 'jigsaw_session', value: session.value, url: base }]);
    const page = await context.newPage();
    await page.goto(`${base}${url}`);
    const height = await page.evaluate('document.documentElement.scrollHeight') as number;
    if (process.env.SCREENSHOT) await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true });
    // A string, not a function: the script runs through tsx, whose helpers do not exist in the page.
    const firstChronology = await page.evaluate(`(() => {
      const at = (id) => { const el = document.getElementById(id); return el ? Math.round(el.getBoundingClientRect().top + window.scrollY) : null; };
      return { timeline: at('timeline'), chronology: at('chronology') };
    })()`) as { timeline: number | null; chronology: number | null };
    console.log(`person page: child with ${child.entries} entries (the longest history of ${email}'s children)`);
    console.log(`person page height at 1280 px: ${height} px`);
    console.log(`person page timeline starts at: ${firstChronology.timeline ?? 'n/a'} px; chronology at: ${firstChronology.chronology ?? 'n/a'} px`);
    console.log(`person page SQL statements: ${counted}`);
  } finally {
    await browser.close();
  }
} finally {
  await app.close();
  await d.close();
}
