import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, inject } from 'vitest';
import { openAppDb } from '../src/db/app-db.js';
import type { Db } from '../src/db/client.js';
import type { Database } from '../src/db/database.js';
import { createScratchDatabase } from '../src/db/scratch.js';
import { writeEntry } from './entries.js';
import { buildApp } from '../src/server/app.js';
import { loadConfig } from '../src/server/config.js';
import { hashPassword } from '../src/server/modules/auth/password.js';
import type { Role } from '../src/server/actor.js';

/** The engine this test project runs on (set per Vitest project). */
export const TEST_ENGINE = process.env.JIGSAW_TEST_ENGINE === 'postgres' ? 'postgres' : 'pglite';

/**
 * Opens a test database of the file's own as the application does, acting as its role (which owns
 * nothing): an in-memory PGlite opened from the run's migrated snapshot, or on the server a copy of
 * the run's migrated template (test/*-global-setup.ts). Closing it drops the server copy.
 */
export async function openTestDb(label?: string): Promise<Db> {
  if (TEST_ENGINE === 'postgres') {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error('DATABASE_URL must be set for the postgres test project');
    const scratch = await createScratchDatabase(url, `jigsaw_t_${process.pid}_${++copies}${label ? `_${label}` : ''}`.slice(0, 63), { template: inject('postgresTemplate') });
    let d: Db;
    try {
      // Database-level grants are not copied with the template: the owner grants them again (no migration is pending).
      d = await openAppDb({ target: { databaseUrl: scratch.url } });
    } catch (err) {
      await scratch.drop();
      throw err;
    }
    const opened: Db = { ...d, close: async () => { await d.close(); await scratch.drop(); } };
    serverUrls.set(opened, scratch.url);
    return opened;
  }
  snapshot ??= readFile(inject('pgliteSnapshot'));
  return openAppDb({ target: { memory: true, loadDataDir: new Blob([new Uint8Array(await snapshot)]) }, migrate: false });
}

let copies = 0;
let snapshot: Promise<Buffer> | undefined;
const serverUrls = new WeakMap<Db, string>();

/** The server URL of a test database (for a second connection to it, as another process would have). */
export function serverUrlOf(d: Db): string {
  const url = serverUrls.get(d);
  if (!url) throw new Error('Not a server test database opened by openTestDb');
  return url;
}

/**
 * Runs `fn` as the tables' owner, in one transaction, for tests that tamper with what the
 * application's role may not touch. Test databases log in as the owner and act as the app role
 * (the development set-up), so SET LOCAL ROLE NONE returns to the owner; production's own login cannot.
 */
export async function asOwner<T>(db: Kysely<Database>, fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await sql`SET LOCAL ROLE NONE`.execute(trx);
    return fn(trx);
  });
}

/** The app as tests see it: real plugins, silent logs; `env` sets configuration as the environment would. */
export async function buildTestApp(db: Db, env: Record<string, string> = {}): Promise<FastifyInstance> {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env });
  return buildApp({ db, config, logger: false });
}

/** A test file's database, open from before its first test until after its last. */
export interface TestDb {
  /** The open database (its engine, and close for tests that reopen it). */
  readonly d: Db;
  /** The database's query builder. */
  readonly db: Kysely<Database>;
}

/** A test file's database and app, ready from before its first test until after its last. */
export interface TestApp extends TestDb {
  readonly app: FastifyInstance;
}

function opened<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`The test ${what} is opened in beforeAll: use it inside a test or hook`);
  return value;
}

/** Every test file's database is its own; `isolated` (a name prefix) names it, for tests whose writes change partnership-wide settings or the audit chain. */
export interface TestDbOptions {
  /** For tests whose writes would change what other files read (partnership-wide settings, the audit chain). */
  isolated?: string;
}

async function openFor(opts: TestDbOptions): Promise<{ d: Db; close: () => Promise<void> }> {
  const d = await openTestDb(opts.isolated);
  return { d, close: () => d.close() };
}

/**
 * Opens the test database before the file's tests and closes it after them (registers its own
 * beforeAll and afterAll). Call it in a describe block (or at the top of the file) and read
 * `.db` inside tests and hooks.
 */
export function useTestDb(opts: TestDbOptions = {}): TestDb {
  let d: Db | undefined;
  let close: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    ({ d, close } = await openFor(opts));
  });
  afterAll(async () => {
    await close?.();
  });
  return {
    get d() { return opened(d, 'database'); },
    get db() { return opened(d, 'database').db; },
  };
}

/**
 * Opens the test database and builds the app on it before the file's tests; closes both after them
 * (registers its own beforeAll and afterAll). `env` sets configuration as the environment would.
 */
export function useTestApp(opts: TestDbOptions & { env?: Record<string, string> } = {}): TestApp {
  let d: Db | undefined;
  let close: (() => Promise<void>) | undefined;
  let app: FastifyInstance | undefined;
  beforeAll(async () => {
    ({ d, close } = await openFor(opts));
    app = await buildTestApp(d, opts.env);
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await close?.();
  });
  return {
    get d() { return opened(d, 'database'); },
    get db() { return opened(d, 'database').db; },
    get app() { return opened(app, 'app'); },
  };
}

/** The password every test user has. */
export const TEST_PASSWORD = 'correct-horse-battery-staple';
let passwordHash: Promise<string> | undefined;

const unique = () => randomUUID().slice(0, 8);

/** Makes an organisation of a kind. */
export async function makeOrg(db: Kysely<Database>, kind = 'childrens_social_care', borough = 'Testborough') {
  return db.insertInto('organisation').values({ name: `Test ${kind} ${unique()}`, kind, borough }).returning(['id', 'name']).executeTakeFirstOrThrow();
}

/** Makes a team in an organisation. */
export async function makeTeam(db: Kysely<Database>, organisationId: string) {
  return db.insertInto('team').values({ organisation_id: organisationId, name: `Team ${unique()}` }).returning('id').executeTakeFirstOrThrow();
}

/** Makes a user (with the shared test password) in an organisation. */
export async function makeUser(db: Kysely<Database>, opts: { organisationId: string; roles?: Role[]; teamId?: string | null }) {
  passwordHash ??= hashPassword(TEST_PASSWORD);
  const email = `user-${unique()}@test.jigsaw.test`;
  const row = await db
    .insertInto('app_user')
    .values({
      email, name: `Test User ${unique()}`, organisation_id: opts.organisationId, team_id: opts.teamId ?? null,
      roles: opts.roles ?? ['practitioner'], password_hash: await passwordHash, job_title: 'Tester',
    })
    .returning(['id', 'name'])
    .executeTakeFirstOrThrow();
  return { ...row, email, organisationId: opts.organisationId };
}

/** Makes a person with a legal name. */
export async function makePerson(db: Kysely<Database>, opts: { given?: string; family?: string; dob?: string } = {}) {
  const person = await db
    .insertInto('person')
    .values({ date_of_birth: opts.dob ?? '2010-05-04', sex: 'male', ethnicity: 'WBRI' })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('person_name')
    .values({ person_id: person.id, kind: 'legal', given_names: opts.given ?? 'Testchild', family_name: opts.family ?? `Fam${unique()}` })
    .execute();
  return person;
}

/** Records an active involvement of a user (or a team) with a person. */
export async function involve(db: Kysely<Database>, opts: { personId: string; organisationId: string; userId?: string; teamId?: string; endedOn?: string; startedOn?: string }) {
  await db
    .insertInto('involvement')
    .values({
      person_id: opts.personId, organisation_id: opts.organisationId, user_id: opts.userId ?? null, team_id: opts.teamId ?? null,
      role: 'key_worker', started_on: opts.startedOn ?? '2024-01-01', ended_on: opts.endedOn ?? null,
    })
    .execute();
}

/** Inserts an event directly (for read tests). */
export async function makeEvent(
  db: Kysely<Database>,
  opts: { personId: string; organisationId: string; type?: string; occurredAt?: string; summary?: string; sensitivity?: string },
) {
  return writeEntry(db, {
    personId: opts.personId, organisationId: opts.organisationId, eventTypeCode: opts.type ?? 'missing_episode', occurredAt: opts.occurredAt ?? '2025-03-01T10:00:00Z',
    sourceRecordId: unique(), summary: opts.summary ?? 'A synthetic test event', sensitivity: opts.sensitivity ?? 'standard',
  });
}

/** Signs in through the real form; returns the cookie header and the session's CSRF token. */
export async function signIn(app: FastifyInstance, email: string, password = TEST_PASSWORD): Promise<{ cookie: string; csrf: string }> {
  const page = await app.inject({ method: 'GET', url: '/sign-in' });
  const preCookie = page.cookies.find((c) => c.name === 'jigsaw_signin');
  const token = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
  if (!preCookie || !token) throw new Error('sign-in page did not issue a CSRF token');
  const res = await app.inject({
    method: 'POST', url: '/sign-in',
    headers: { cookie: `jigsaw_signin=${preCookie.value}`, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ email, password, _csrf: token }).toString(),
  });
  const session = res.cookies.find((c) => c.name === 'jigsaw_session');
  if (res.statusCode !== 303 || !session) throw new Error(`sign-in failed with ${res.statusCode}`);
  let cookie = `jigsaw_session=${session.value}`;
  // Users who must use a second factor complete it as a person would (completeSecondFactor, below).
  if (/^\/(account|sign-in)\/two-factor/.test(String(res.headers.location))) cookie = await completeSecondFactor(app, cookie, email);
  const home = await app.inject({ method: 'GET', url: '/', headers: { cookie } });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(home.body)?.[1];
  if (!csrf) throw new Error('signed-in page carried no CSRF token');
  return { cookie, csrf };
}

/** Access-log rows written for a request id. */
export async function auditRowsFor(db: Kysely<Database>, filter: { userId?: string; personId?: string; since?: number }) {
  let q = db.selectFrom('access_log').selectAll().orderBy('id');
  if (filter.userId) q = q.where('user_id', '=', filter.userId);
  if (filter.personId) q = q.where('person_id', '=', filter.personId);
  if (filter.since !== undefined) q = q.where('id', '>', filter.since);
  return q.execute();
}

/** The highest access-log id so far (to count rows written after it). */
export async function lastAuditId(db: Kysely<Database>): Promise<number> {
  const row = await db.selectFrom('access_log').select((eb) => eb.fn.max('id').as('max')).executeTakeFirst();
  return Number(row?.max ?? 0);
}

/** The authenticator secrets test users have set up, by email, with the last time step each used. */
export const testAuthenticators = new Map<string, { secret: string; lastStep: number }>();

/**
 * Completes the second factor after the password: sets up an authenticator on first sign-in (reading
 * the key from the set-up page, as a person would type it into an app), then enters a code that has
 * not been used before. Returns the new session cookie.
 */
export async function completeSecondFactor(app: FastifyInstance, cookie: string, email: string): Promise<string> {
  const { totpCode, totpStep } = await import('../src/server/modules/auth/totp.js');
  const key = email.toLowerCase();
  let known = testAuthenticators.get(key);
  const path = known ? '/sign-in/two-factor' : '/account/two-factor';
  const page = await app.inject({ method: 'GET', url: path, headers: { cookie } });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
  if (!csrf) throw new Error(`second-factor page answered ${page.statusCode} without a form`);
  if (!known) {
    const secret = /id="secret">([A-Z2-7 ]+)</.exec(page.body)?.[1]?.replace(/ /g, '');
    if (!secret) throw new Error('set-up page showed no key');
    known = { secret, lastStep: -1 };
    testAuthenticators.set(key, known);
  }
  // A code is accepted once: wait for a fresh time step when this user has just used the current one.
  let step = totpStep(Date.now());
  if (step <= known.lastStep) step = known.lastStep + 1;
  while (step > totpStep(Date.now()) + 1) await new Promise((r) => setTimeout(r, 250));
  const res = await app.inject({
    method: 'POST', url: path, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ code: totpCode(known.secret, step * 30_000), _csrf: csrf }).toString(),
  });
  const session = res.cookies.find((c) => c.name === 'jigsaw_session');
  if (res.statusCode !== 303 || !session) throw new Error(`second factor failed with ${res.statusCode}`);
  known.lastStep = step;
  return `jigsaw_session=${session.value}`;
}
