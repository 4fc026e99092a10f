/**
 * Loads a synthetic borough into the database (PGlite or a PostgreSQL server) chunk by
 * chunk: each chunk of families is one transaction of multi-row inserts, so a borough
 * of 100,000 children streams through in bounded memory. The demo administrator is
 * written last and marks a finished seed: seeding a borough that already has one is
 * skipped, and a seed that stopped half way is reported rather than silently topped up.
 * Each chunk also stores its people's blocking keys (the match index), as intake does. Entries go
 * through the chronology's one writer, so each chunk also queues the outbox work that follows new
 * entries (the early identification rules), run by the server's worker or by `jigsaw seed` itself.
 * Several neighbouring boroughs (`boroughs`) are written the same way: each borough's organisations
 * make its partnership (the database puts each organisation in its home borough's partnership), the
 * shared police command unit and NHS trust also join the other boroughs' partnerships, and each
 * partnership's front door is its MASH.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { hashPassword } from '../server/modules/auth/password.js';
import { joinPartnership } from '../server/modules/partnerships/commands/operate-partnerships.js';
import { appendEntries, type NewEntry } from '../server/modules/chronology/commands/append-entry.js';
import { indexPeople } from '../server/modules/identity/match-index.js';
import { USED_EVENT_CODES } from './experiences.js';
import { DEFAULT_BOROUGH, boroughSlug, boroughsOf } from './places.js';
import { DEMO_PASSWORD } from './rates.js';
import type { DemoUser, WorldChunk } from './types.js';
import { demoUsersOfWorld, generateChildrenChunks, referenceDateOn } from './world.js';
import { seedDemoPanels } from '../server/modules/panels/commands/demo-panels.js';
import { seedDemoPlansAndOffers } from '../server/modules/plans/commands/demo-plans-offers.js';
import { enrolDemoAuthenticators } from './demo-authenticators.js';
import { seedDemoEmergencyAccess } from '../server/modules/break-glass/commands/demo-emergency-access.js';

/** What to seed. */
export interface SeedOptions {
  children: number;
  seed: number;
  borough?: string;
  /** Neighbouring boroughs to make, each its own partnership with `children` children (1 to 4; default 1). */
  boroughs?: number;
  /** Children per transaction (whole families); defaults to 1,000. */
  chunkSize?: number;
  onProgress?: (done: number, total: number) => void;
  /**
   * Whether the accounts get the published demo password (and the published authenticator key).
   * Without it the accounts exist (involvements name them) but nobody can sign in as them until the
   * partnership administrator invites them. Defaults to true; `jigsaw seed` sets it only with --demo.
   */
  demoUsers?: boolean;
  /**
   * The clock the seed reads (default: now). The world's "today" is the day `referenceDateOn` gives
   * for it, so the borough's history ends in the week the seed runs; the demo panels, plans and
   * emergency access are dated from it too.
   */
  now?: Date;
}

/** What was written (all zero when the borough was already seeded). */
export interface SeedReport {
  /** The first borough. */
  borough: string;
  /** The world's "today": every seeded entry happened before it. */
  referenceDate: string;
  /** Every borough seeded (each its own partnership). */
  boroughs: string[];
  seed: number;
  skipped: boolean;
  message: string;
  organisations: number;
  users: number;
  people: number;
  children: number;
  events: number;
  eventPeople: number;
  involvements: number;
  durationMs: number;
  demoUsers: DemoUser[];
}

// PostgreSQL allows 65,535 bind parameters per statement; stay well under it.
const MAX_PARAMETERS = 60_000;
const MAX_ROWS = 1_000;

function* batches<T extends object>(rows: readonly T[]): Generator<T[]> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!).length;
  const size = Math.max(1, Math.min(MAX_ROWS, Math.floor(MAX_PARAMETERS / columns)));
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}

/** The demo accounts of a borough, or of `boroughs` neighbouring boroughs (fixed emails, the shared password), without touching the database. */
export function demoUsersFor(borough = DEFAULT_BOROUGH, boroughs = 1): DemoUser[] {
  return demoUsersOfWorld(borough, boroughs);
}

async function insertChunk(trx: Kysely<Database>, chunk: WorldChunk, passwordHash: string | null, heldBack: ReadonlySet<string>, organisationNames: Map<string, string>, source: string): Promise<void> {
  for (const b of batches(chunk.organisations)) await trx.insertInto('organisation').values(b).execute();
  for (const b of batches(chunk.teams)) await trx.insertInto('team').values(b).execute();
  // Each partnership's front door is its MASH, unless an administrator has already chosen one.
  for (const f of chunk.frontDoors) {
    await trx.insertInto('partnership_front_door')
      .columns(['partnership_id', 'organisation_id', 'team_id'])
      .expression((eb) => eb.selectFrom('partnership_area').select(['partnership_id', sql.val(f.organisation_id).as('organisation_id'), sql.val(f.team_id).as('team_id')]).where('borough', '=', f.borough))
      .onConflict((oc) => oc.column('partnership_id').doNothing())
      .execute();
  }
  const users = chunk.users.filter((u) => !heldBack.has(u.email)).map((u) => ({ ...u, password_hash: passwordHash }));
  for (const b of batches(users)) await trx.insertInto('app_user').values(b).execute();
  // A shared organisation's staff work on the partnership of their own borough (the database
  // defaults a user to their organisation's home partnership).
  for (const u of chunk.userBoroughs) {
    await trx.updateTable('app_user')
      .set((eb) => ({ partnership_id: eb.selectFrom('partnership_area').select('partnership_id').where('borough', '=', u.borough) }))
      .where('id', '=', u.user_id)
      .execute();
  }
  for (const b of batches(chunk.places)) await trx.insertInto('place').values(b).execute();
  for (const b of batches(chunk.peerGroups)) await trx.insertInto('peer_group').values(b).execute();
  for (const b of batches(chunk.people)) await trx.insertInto('person').values(b).execute();
  for (const b of batches(chunk.personNames)) await trx.insertInto('person_name').values(b).execute();
  for (const b of batches(chunk.identifiers)) await trx.insertInto('person_identifier').values(b).execute();
  for (const b of batches(chunk.addresses)) await trx.insertInto('person_address').values(b).execute();
  for (const b of batches(chunk.relationships)) await trx.insertInto('person_relationship').values(b).execute();
  for (const b of batches(chunk.involvements)) await trx.insertInto('involvement').values(b).execute();
  // Corrections follow the entries they supersede in the array, so a batch never refers forward.
  await appendEntries(trx, entriesOf(chunk, organisationNames), {
    audit: [{ actor: null, action: 'event.record', route: 'jigsaw seed', outcome: 'allowed', detail: { via: 'synthetic', source, entries: chunk.events.length, children: chunk.childIds.length } }],
  });
  // The network rows that name entries as their source come after them.
  for (const b of batches(chunk.eventPlaces)) await trx.insertInto('event_place').values(b).execute();
  for (const b of batches(chunk.personPlaces)) await trx.insertInto('person_place').values(b).execute();
  for (const b of batches(chunk.peerGroupMembers)) await trx.insertInto('peer_group_member').values(b).execute();
  for (const b of batches(chunk.peerRelationships)) await trx.insertInto('person_relationship').values(b).execute();
  // The people's blocking keys, so that agency records arriving later find them as candidates.
  await indexPeople(trx, chunk.people.map((p) => p.id));
}

/** The chunk's entries as the chronology's writer takes them (restricted entries name their organisation to ask). */
function entriesOf(chunk: WorldChunk, organisationNames: Map<string, string>): NewEntry[] {
  const people = new Map<string, { personId: string; role: string }[]>();
  for (const ep of chunk.eventPeople) {
    const list = people.get(ep.event_id) ?? [];
    list.push({ personId: ep.person_id, role: ep.role });
    people.set(ep.event_id, list);
  }
  return chunk.events.map((e) => ({
    id: e.id, organisationId: e.organisation_id, eventTypeCode: e.event_type_code, vocabularyVersion: e.vocabulary_version,
    occurredAt: e.occurred_at, occurredPrecision: e.occurred_precision, recordedAt: e.recorded_at, recordedByUserId: e.recorded_by_user_id,
    apiKeyId: e.api_key_id, recordedVia: e.recorded_via, sourceSystem: e.source_system, sourceRecordId: e.source_record_id, summary: e.summary,
    narrative: e.narrative, place: e.place, factorCodes: e.factor_codes, sensitivity: e.sensitivity, reliability: e.reliability,
    supersedes: e.supersedes, correctionReason: e.correction_reason, people: people.get(e.id) ?? [],
    restriction: e.sensitivity === 'restricted' ? { contact: organisationNames.get(e.organisation_id) ?? 'The recording organisation', reason: 'Restricted by the recording organisation' } : null,
    audit: null,
  }));
}

/**
 * The police command unit and the NHS trust serve further boroughs: they join those boroughs'
 * partnerships through the operators' command (`jigsaw partnership join`), so each partnership's
 * settings history shows it. Each borough's partnership exists once its organisations are in.
 */
async function joinFurtherPartnerships(db: Kysely<Database>, chunk: WorldChunk): Promise<void> {
  for (const m of chunk.organisationBoroughs) {
    const p = await db.selectFrom('partnership_area as a').innerJoin('partnership as p', 'p.id', 'a.partnership_id')
      .select('p.code').where('a.borough', '=', m.borough).executeTakeFirstOrThrow();
    await joinPartnership(db, { organisationId: m.organisation_id, partnershipCode: p.code });
  }
}

async function assertVocabularyLoaded(db: Kysely<Database>): Promise<void> {
  const rows = await db.selectFrom('event_type').select('code').execute();
  const loaded = new Set(rows.map((r) => r.code));
  const missing = USED_EVENT_CODES.filter((c) => !loaded.has(c));
  if (missing.length === USED_EVENT_CODES.length) throw new Error('The vocabulary is not loaded: run the migrations before seeding.');
  if (missing.length) throw new Error(`The database vocabulary lacks event types the generator uses: ${missing.join(', ')}`);
}

/**
 * Seeds a deterministic synthetic borough (or `boroughs` neighbouring ones); skips (and says so)
 * when the first borough's demo administrator already exists.
 */
export async function seedBorough(db: Kysely<Database>, opts: SeedOptions): Promise<SeedReport> {
  const started = performance.now();
  const borough = (opts.borough ?? DEFAULT_BOROUGH).trim();
  const boroughs = boroughsOf(borough, opts.boroughs ?? 1);
  const adminEmail = `admin@${boroughSlug(borough)}.jigsaw.test`;
  // Every borough's administrator is written last; the first's marks a finished seed.
  const adminEmails = boroughs.map((b) => `admin@${boroughSlug(b)}.jigsaw.test`);
  const demoUsers = demoUsersFor(borough, boroughs.length);
  const now = opts.now ?? new Date();
  const referenceDate = referenceDateOn(now);
  const report: SeedReport = {
    borough, referenceDate, boroughs, seed: opts.seed, skipped: false, message: '', organisations: 0, users: 0, people: 0, children: 0, events: 0,
    eventPeople: 0, involvements: 0, durationMs: 0, demoUsers,
  };

  const existing = await db.selectFrom('app_user').select('id').where(sql<string>`lower(email)`, '=', adminEmail).executeTakeFirst();
  if (existing) {
    report.skipped = true;
    report.message = `${borough} already has synthetic data (${adminEmail} exists); nothing was added. Seed another borough or use a fresh database.`;
    report.durationMs = Math.round(performance.now() - started);
    return report;
  }
  await assertVocabularyLoaded(db);

  const demo = opts.demoUsers !== false;
  const passwordHash = demo ? await hashPassword(DEMO_PASSWORD) : null; // argon2 is slow by design: hash once, share it
  const admins = new Map<string, WorldChunk['users'][number]>();
  const heldBack = new Set(adminEmails);
  let first = true;
  const organisationNames = new Map<string, string>();
  const total = opts.children * boroughs.length;
  const source = boroughs.length > 1 ? `${boroughs.join(', ')} (seed ${opts.seed})` : `${borough} (seed ${opts.seed})`;
  for (const chunk of generateChildrenChunks({ children: opts.children, seed: opts.seed, borough, boroughs: boroughs.length, referenceDate }, opts.chunkSize ?? 1000)) {
    for (const u of chunk.users) if (heldBack.has(u.email)) admins.set(u.email, u);
    for (const o of chunk.organisations) organisationNames.set(o.id, o.name);
    try {
      await db.transaction().execute((trx) => insertChunk(trx, chunk, passwordHash, heldBack, organisationNames, source));
    } catch (err) {
      if (first) {
        const leftover = await db.selectFrom('organisation').select('id').where('id', '=', chunk.organisations[0]?.id ?? '').executeTakeFirst();
        if (leftover) throw new Error(`An earlier seed of ${borough} (seed ${opts.seed}) did not finish: start from a fresh database.`, { cause: err });
      }
      throw err;
    }
    if (first) await joinFurtherPartnerships(db, chunk);
    first = false;
    report.organisations += chunk.organisations.length;
    report.users += chunk.users.length;
    report.people += chunk.people.length;
    report.children += chunk.childIds.length;
    report.events += chunk.events.length;
    report.eventPeople += chunk.eventPeople.length;
    report.involvements += chunk.involvements.length;
    opts.onProgress?.(chunk.childrenDone, total);
  }
  // Written last (the first borough's the very last), so its presence means the whole world is in.
  for (const email of [...adminEmails].reverse()) {
    const admin = admins.get(email);
    if (!admin) throw new Error(`The generated world has no demo administrator ${email}`);
    await db.insertInto('app_user').values({ ...admin, password_hash: passwordHash }).execute();
  }
  // Each partnership's MACE panel and its next meeting, for the panel coordinator.
  await seedDemoPanels(db, now);
  // A service directory per partnership, and plans and offers of help for the demo social worker's children.
  await seedDemoPlansAndOffers(db, now);
  // The demo accounts that must use a second factor start with the published authenticator key, so a newcomer can try every role.
  if (demo) await enrolDemoAuthenticators(db, report.demoUsers.map((u) => u.email));
  // An emergency access use by each partnership's demo police officer, waiting for the data protection officer's review.
  if (demo) await seedDemoEmergencyAccess(db, report.demoUsers.map((u) => u.email), now);
  else report.demoUsers = [];
  // Planner statistics for the tables just filled: embedded PGlite runs no autovacuum, and without
  // them every query is planned for empty tables.
  await sql`ANALYZE`.execute(db);

  report.durationMs = Math.round(performance.now() - started);
  report.message = `Seeded ${boroughs.join(', ')} (seed ${opts.seed}): ${report.children} children, ${report.events} events, the last before ${referenceDate}.`;
  return report;
}
