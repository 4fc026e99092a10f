import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../db/client.js';
import { openIsolatedTestDb } from '../../test/isolated-db.js';
import type { Actor, Role } from '../server/actor.js';
import { verifyPassword } from '../server/modules/auth/password.js';
import { ENTRIES_RECORDED } from '../server/modules/chronology/commands/append-entry.js';
import { inbox } from '../server/modules/considerations/considerations.queries.js';
import { drainOutbox } from '../../test/drain-outbox.js';
import { DEMO_PASSWORD } from './rates.js';
import { seedBorough, type SeedReport } from './seed.js';
import { generateWorld, referenceDateOn } from './world.js';

// On PGlite each run gets a fresh database. When the suite runs against a shared PostgreSQL
// server, a borough name unique to this run keeps the seed from colliding with earlier runs.
const onServer = process.env.JIGSAW_TEST_ENGINE === 'postgres' && !!process.env.DATABASE_URL;
const borough = onServer ? `Testbridge ${randomUUID().slice(0, 8)}` : 'Northbridge';
const slug = borough.toLowerCase().replace(/[^a-z0-9]/g, '');
const options = { children: 150, seed: 7, borough };
// The seed reads this clock; the world it writes is the one generated for that clock's reference date.
const now = new Date();
const worldOptions = { ...options, referenceDate: referenceDateOn(now) };

describe(`seedBorough on ${onServer ? 'PostgreSQL' : 'PGlite'}`, () => {
  let d: Db;
  let report: SeedReport;
  const progress: [number, number][] = [];

  let drop: () => Promise<void>;

  // A database of its own: the seeded entries' queued rules must be run by this file's drain, not
  // claimed by another file's worker on a shared server database.
  beforeAll(async () => {
    ({ d, drop } = await openIsolatedTestDb('seed'));
    report = await seedBorough(d.db, { ...options, now, chunkSize: 40, onProgress: (done, total) => progress.push([done, total]) });
  });

  afterAll(async () => {
    await drop?.();
  });

  it('writes exactly the rows it reports, and they are the generated world', async () => {
    const world = generateWorld(worldOptions);
    const count = async (table: string, column: string, ids: string[]) => {
      const row = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)} WHERE ${sql.ref(column)} = ANY(${ids}::uuid[])`.execute(d.db);
      return row.rows[0]!.n;
    };
    expect(report.skipped).toBe(false);
    expect(report.children).toBe(150);
    expect(await count('organisation', 'id', world.organisations.map((o) => o.id))).toBe(report.organisations);
    expect(await count('app_user', 'id', world.users.map((u) => u.id))).toBe(report.users);
    expect(await count('person', 'id', world.people.map((p) => p.id))).toBe(report.people);
    expect(await count('event', 'id', world.events.map((e) => e.id))).toBe(report.events);
    expect(await count('event_person', 'event_id', world.events.map((e) => e.id))).toBe(report.eventPeople);
    expect(await count('involvement', 'id', world.involvements.map((i) => i.id))).toBe(report.involvements);
    expect(report.organisations).toBe(world.organisations.length);
    expect(report.people).toBe(world.people.length);
    expect(report.events).toBe(world.events.length);
    expect(report.eventPeople).toBe(world.eventPeople.length);
    expect(report.involvements).toBe(world.involvements.length);
    expect(report.users).toBe(world.users.length);
    expect(await count('person_name', 'person_id', world.people.map((p) => p.id))).toBe(world.personNames.length);
    expect(await count('person_identifier', 'person_id', world.people.map((p) => p.id))).toBe(world.identifiers.length);
    expect(await count('place', 'id', world.places.map((p) => p.id))).toBe(world.places.length);
    expect(await count('event_place', 'event_id', world.events.map((e) => e.id))).toBe(world.eventPlaces.length);
    expect(await count('person_place', 'id', world.personPlaces.map((p) => p.id))).toBe(world.personPlaces.length);
    expect(await count('peer_group', 'id', world.peerGroups.map((g) => g.id))).toBe(world.peerGroups.length);
    expect(await count('peer_group_member', 'id', world.peerGroupMembers.map((m) => m.id))).toBe(world.peerGroupMembers.length);
    expect(await count('person_relationship', 'id', world.peerRelationships.map((r) => r.id))).toBe(world.peerRelationships.length);
    expect(world.peerRelationships.length).toBeGreaterThan(0);
    if (!onServer) {
      const total = await d.db.selectFrom('event').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      expect(Number(total.n)).toBe(report.events);
    }
    expect(progress.at(-1)).toEqual([150, 150]);
    expect(progress.length).toBeGreaterThan(1);
  });

  it('gives the demo practitioner active involvements with children who have chronologies', async () => {
    const rows = await d.db
      .selectFrom('involvement as i')
      .innerJoin('app_user as u', 'u.id', 'i.user_id')
      .select(['i.person_id'])
      .where('u.email', '=', `practitioner@${slug}.jigsaw.test`)
      .where('i.started_on', '<=', sql<string>`current_date`)
      .where('i.ended_on', 'is', null)
      .execute();
    expect(rows.length).toBeGreaterThanOrEqual(3);
    const entries = await d.db
      .selectFrom('event_person')
      .select((eb) => ['person_id', eb.fn.countAll<number>().as('n')])
      .where('person_id', 'in', rows.map((r) => r.person_id))
      .groupBy('person_id')
      .execute();
    expect(entries.filter((e) => Number(e.n) >= 20).length).toBeGreaterThanOrEqual(3);
    const unrelated = await d.db
      .selectFrom('involvement as i')
      .innerJoin('app_user as u', (j) => j.on((eb) => eb.or([eb('u.id', '=', eb.ref('i.user_id')), eb('u.team_id', '=', eb.ref('i.team_id'))])))
      .select('i.id')
      .where('u.email', '=', `unrelated@${slug}.jigsaw.test`)
      .execute();
    expect(unrelated).toHaveLength(0);
  });

  it('signs every demo user in with the documented password', async () => {
    expect(report.demoUsers.map((u) => u.email)).toContain(`practitioner@${slug}.jigsaw.test`);
    const user = await d.db.selectFrom('app_user').select('password_hash').where('email', '=', `admin@${slug}.jigsaw.test`).executeTakeFirstOrThrow();
    expect(await verifyPassword(user.password_hash, DEMO_PASSWORD)).toBe(true);
    const hashes = await d.db.selectFrom('app_user').select('password_hash').where('email', 'like', `%@${slug}.jigsaw.test`).distinct().execute();
    expect(hashes).toHaveLength(1); // hashed once and shared
  });

  it('writes entries through the chronology writer: restrictions, an access-log row and an outbox row per chunk', async () => {
    const world = generateWorld(worldOptions);
    const ids = new Set(world.events.map((e) => e.id));
    const queued = (await d.db.selectFrom('outbox').select(['payload', 'status']).where('kind', '=', ENTRIES_RECORDED).execute())
      .map((r) => r.payload as { eventIds: string[]; personIds: string[] })
      .filter((p) => p.eventIds.some((id) => ids.has(id)));
    expect(queued.length).toBeGreaterThan(1);
    expect(queued.flatMap((p) => p.eventIds).sort()).toEqual([...ids].sort());
    expect(new Set(queued.flatMap((p) => p.personIds))).toEqual(new Set(world.eventPeople.map((ep) => ep.person_id)));
    const logged = await d.db.selectFrom('access_log').select('id').where('route', '=', 'jigsaw seed')
      .where(sql<string>`detail->>'source'`, '=', `${borough} (seed ${options.seed})`).execute();
    expect(logged).toHaveLength(queued.length);
    const restricted = world.events.filter((e) => e.sensitivity === 'restricted').map((e) => e.id);
    expect(restricted.length).toBeGreaterThan(0);
    const withContact = await d.db.selectFrom('event_restriction').select('event_id').where('event_id', 'in', restricted).execute();
    expect(withContact).toHaveLength(restricted.length);
  });

  it('gives the demo practitioner considerations in their inbox once the queued rules have run', async () => {
    const u = await d.db.selectFrom('app_user as u').innerJoin('organisation as o', 'o.id', 'u.organisation_id')
      .select(['u.id', 'u.name', 'u.email', 'u.organisation_id', 'o.name as organisation', 'u.team_id', 'u.roles'])
      .where('u.email', '=', `practitioner@${slug}.jigsaw.test`).executeTakeFirstOrThrow();
    const actor: Actor = { kind: 'user', userId: u.id, name: u.name, email: u.email, organisationId: u.organisation_id, organisationName: u.organisation, teamId: u.team_id, roles: u.roles as Role[], partnershipId: '00000000-0000-4000-8000-000000000000' };
    expect(await inbox(d.db, actor, 'open')).toEqual([]);
    await drainOutbox(d.db);
    expect((await inbox(d.db, actor, 'open')).length).toBeGreaterThan(0);
  });

  it('gives the partnership a service directory and the demo practitioner\'s children plans and offers of help', async () => {
    const u = await d.db.selectFrom('app_user').select(['id', 'partnership_id']).where('email', '=', `practitioner@${slug}.jigsaw.test`).executeTakeFirstOrThrow();
    expect((await d.db.selectFrom('service').select('id').where('partnership_id', '=', u.partnership_id).execute()).length).toBe(5);
    const plans = await d.db.selectFrom('risk_plan').select('id').where('created_by_user_id', '=', u.id).execute();
    expect(plans.length).toBeGreaterThan(0);
    expect((await d.db.selectFrom('plan_action').select('id').where('plan_id', 'in', plans.map((p) => p.id)).execute()).length).toBe(plans.length * 2);
    expect((await d.db.selectFrom('offer_of_help').select('id').where('created_by_user_id', '=', u.id).execute()).length).toBe(plans.length + 1);
  });

  it('skips a borough that is already seeded, and says so', async () => {
    const again = await seedBorough(d.db, { ...options, seed: 8 });
    expect(again.skipped).toBe(true);
    expect(again.message).toMatch(/already has synthetic data/);
    expect(again.events).toBe(0);
  });

  it('ends the borough\'s history in the week the seed runs, so its entries are recent whenever it is seeded', async () => {
    expect(report.referenceDate).toBe(referenceDateOn(now));
    const days = (Date.parse(now.toISOString().slice(0, 10)) - Date.parse(report.referenceDate)) / 86_400_000;
    expect(days).toBeGreaterThanOrEqual(0);
    expect(days).toBeLessThan(7);
    const ids = generateWorld(worldOptions).events.map((e) => e.id);
    const span = await d.db.selectFrom('event').where('id', 'in', ids)
      .select((eb) => [eb.fn.max('occurred_at').as('last'), eb.fn.countAll<number>().as('n')]).executeTakeFirstOrThrow();
    expect(Number(span.n)).toBe(ids.length);
    expect(new Date(span.last as unknown as string).getTime()).toBeLessThan(Date.parse(`${report.referenceDate}T00:00:00Z`));
    expect(new Date(span.last as unknown as string).getTime()).toBeGreaterThan(Date.parse(`${report.referenceDate}T00:00:00Z`) - 14 * 86_400_000);
  });

  it('seeds another borough into the same database without colliding, dated from the clock it is given', async () => {
    const later = new Date('2027-03-10T09:00:00Z'); // a Wednesday, 18 weeks and 3 days after the fixed reference date
    const other = await seedBorough(d.db, { children: 30, seed: 7, borough: `${borough} East`, now: later });
    expect(other.skipped).toBe(false);
    expect(other.children).toBe(30);
    expect(other.demoUsers[0]!.email).toMatch(new RegExp(`@${slug}east\\.jigsaw\\.test$`));
    expect(other.referenceDate).toBe('2027-03-07');
    const ids = generateWorld({ children: 30, seed: 7, borough: `${borough} East`, referenceDate: '2027-03-07' }).events.map((e) => e.id);
    const span = await d.db.selectFrom('event').where('id', 'in', ids).select((eb) => eb.fn.max('occurred_at').as('last')).executeTakeFirstOrThrow();
    expect(new Date(span.last as unknown as string).toISOString() < '2027-03-07').toBe(true);
    expect(new Date(span.last as unknown as string).toISOString() > '2027-02-01').toBe(true);
  });
});
