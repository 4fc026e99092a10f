import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../db/client.js';
import { openIsolatedTestDb } from '../../test/isolated-db.js';
import { drainOutbox } from '../../test/drain-outbox.js';
import { verifyPassword } from '../server/modules/auth/password.js';
import { rulesProcessor } from '../server/modules/considerations/rules.processor.js';
import { DEMO_PASSWORD } from './rates.js';
import { seedBorough, type SeedReport } from './seed.js';
import { generateWorld, referenceDateOn } from './world.js';

// Three neighbouring boroughs in one deployment, in a database of their own (on either engine), so
// the partnerships counted here are exactly the ones this seed made.
const engine = process.env.JIGSAW_TEST_ENGINE === 'postgres' && process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';
const options = { children: 120, seed: 7, boroughs: 3 };
const BOROUGHS = ['Northbridge', 'Eastmere', 'Ravensmoor'];

describe(`seedBorough with three boroughs on ${engine}`, () => {
  let d: Db;
  let drop: () => Promise<void>;
  let report: SeedReport;
  const now = new Date();
  const world = generateWorld({ ...options, referenceDate: referenceDateOn(now) });
  const progress: [number, number][] = [];

  beforeAll(async () => {
    ({ d, drop } = await openIsolatedTestDb('seed_boroughs'));
    report = await seedBorough(d.db, { ...options, now, chunkSize: 50, onProgress: (done, total) => progress.push([done, total]) });
  });

  afterAll(async () => {
    await drop?.();
  });

  const partnershipOf = async (borough: string) =>
    (await d.db.selectFrom('partnership_area').select('partnership_id').where('borough', '=', borough).executeTakeFirstOrThrow()).partnership_id;

  it('writes the generated world: three boroughs of children, every row it reports', async () => {
    expect(report.skipped).toBe(false);
    expect(report.boroughs).toEqual(BOROUGHS);
    expect(report.children).toBe(360);
    expect(progress.at(-1)).toEqual([360, 360]);
    expect(report.people).toBe(world.people.length);
    expect(report.events).toBe(world.events.length);
    expect(report.involvements).toBe(world.involvements.length);
    expect(report.users).toBe(world.users.length);
    const count = async (table: 'person' | 'event' | 'involvement' | 'app_user' | 'organisation') =>
      Number((await d.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    expect(await count('person')).toBe(world.people.length);
    expect(await count('event')).toBe(world.events.length);
    expect(await count('involvement')).toBe(world.involvements.length);
    expect(await count('app_user')).toBe(world.users.length);
    expect(await count('organisation')).toBe(world.organisations.length);
  });

  it('makes each borough its own partnership, with its own front door (its MASH)', async () => {
    const partnerships = await d.db.selectFrom('partnership').select(['id', 'name']).execute();
    expect(partnerships).toHaveLength(3);
    const areas = await d.db.selectFrom('partnership_area').select(['borough', 'partnership_id']).orderBy('borough').execute();
    expect(areas.map((a) => a.borough).sort()).toEqual([...BOROUGHS].sort());
    expect(new Set(areas.map((a) => a.partnership_id)).size).toBe(3);
    for (const borough of BOROUGHS) {
      const door = await d.db.selectFrom('partnership_front_door as f')
        .innerJoin('organisation as o', 'o.id', 'f.organisation_id')
        .innerJoin('team as t', 't.id', 'f.team_id')
        .select(['o.borough', 'o.kind', 't.name'])
        .where('f.partnership_id', '=', await partnershipOf(borough))
        .executeTakeFirstOrThrow();
      expect(door).toEqual({ borough, kind: 'childrens_social_care', name: 'Front door (MASH)' });
      // Its own council services, schools and youth services.
      const kinds = await d.db.selectFrom('organisation').select('kind').distinct().where('borough', '=', borough).execute();
      for (const kind of ['childrens_social_care', 'early_help', 'school', 'youth_justice', 'targeted_youth_support']) {
        expect(kinds.map((k) => k.kind)).toContain(kind);
      }
    }
  });

  it('puts the one police command unit in every partnership and the NHS trust in the first two', async () => {
    const police = await d.db.selectFrom('organisation').select(['id', 'name']).where('kind', '=', 'police').execute();
    expect(police).toHaveLength(1);
    const policeIn = await d.db.selectFrom('organisation_partnership').select('partnership_id').where('organisation_id', '=', police[0]!.id).execute();
    expect(new Set(policeIn.map((r) => r.partnership_id))).toEqual(new Set(await Promise.all(BOROUGHS.map(partnershipOf))));
    const trust = await d.db.selectFrom('organisation').select('id').where('kind', '=', 'acute_hospital').where('name', 'like', '%NHS Trust').executeTakeFirstOrThrow();
    const trustIn = await d.db.selectFrom('organisation_partnership').select('partnership_id').where('organisation_id', '=', trust.id).execute();
    expect(new Set(trustIn.map((r) => r.partnership_id))).toEqual(new Set([await partnershipOf('Northbridge'), await partnershipOf('Eastmere')]));
    // They joined through the operators' command, so the partnerships' settings history shows it.
    const joined = await d.db.selectFrom('partnership_change').select(['partnership_id', 'changed_by_operator']).where('setting', '=', 'membership').execute();
    expect(joined.map((j) => j.partnership_id).sort()).toEqual([await partnershipOf('Eastmere'), await partnershipOf('Eastmere'), await partnershipOf('Ravensmoor')].sort());
    expect(joined.every((j) => j.changed_by_operator)).toBe(true);
    // Each borough's police teams work inside the shared command unit.
    const teams = await d.db.selectFrom('team').select('name').where('organisation_id', '=', police[0]!.id).execute();
    for (const borough of BOROUGHS) expect(teams.map((t) => t.name)).toContain(`${borough} exploitation and missing team`);
  });

  it('puts every organisation in at least one partnership', async () => {
    const orphans = await d.db.selectFrom('organisation as o')
      .select('o.id')
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('organisation_partnership as op').select('op.organisation_id').whereRef('op.organisation_id', '=', 'o.id'))))
      .execute();
    expect(orphans).toEqual([]);
  });

  it('has children who moved between boroughs: a previous address in one, the current partnership the other', async () => {
    const moved = await sql<{ person_id: string; previous: string; current: string; partnership_id: string }>`
      SELECT pp.person_id, prev.borough AS previous, pp.borough AS current, pp.partnership_id
      FROM person_partnership pp
      JOIN person_address prev ON prev.person_id = pp.person_id AND prev.valid_to IS NOT NULL AND prev.borough <> pp.borough
      WHERE pp.person_id = ANY(${world.childIds}::uuid[])`.execute(d.db);
    const children = new Set(moved.rows.map((r) => r.person_id));
    expect(children.size).toBeGreaterThanOrEqual(5);
    for (const r of moved.rows) {
      expect(BOROUGHS).toContain(r.previous);
      expect(r.partnership_id).toBe(await partnershipOf(r.current));
      expect(r.partnership_id).not.toBe(await partnershipOf(r.previous));
    }
    // Both directions: some now live in the first borough, some moved out of it.
    expect(new Set(moved.rows.map((r) => r.current)).size).toBeGreaterThan(1);
    // The move is in their chronology, and agencies of both boroughs have been involved with some of them.
    const moves = await d.db.selectFrom('event_person as ep').innerJoin('event as e', 'e.id', 'ep.event_id')
      .select('ep.person_id').distinct()
      .where('ep.person_id', 'in', [...children]).where('e.event_type_code', 'in', ['move_to_another_borough', 'relocation_for_safety'])
      .execute();
    expect(moves.length).toBeGreaterThan(0);
    const addressChanges = await d.db.selectFrom('event_person as ep').innerJoin('event as e', 'e.id', 'ep.event_id')
      .select('ep.person_id').distinct()
      .where('ep.person_id', 'in', [...children]).where('e.event_type_code', '=', 'change_of_address')
      .execute();
    expect(addressChanges.length).toBeGreaterThan(0);
    const involved = await d.db.selectFrom('involvement as i').innerJoin('organisation as o', 'o.id', 'i.organisation_id')
      .select(['i.person_id', (eb) => eb.fn.count<number>('o.borough').distinct().as('boroughs')])
      .where('i.person_id', 'in', [...children]).where('o.kind', '<>', 'police')
      .groupBy('i.person_id')
      .execute();
    expect(involved.filter((r) => Number(r.boroughs) > 1).length).toBeGreaterThan(0);
  });

  it('keeps the first borough\'s demo accounts and gives every borough an administrator of its own partnership', async () => {
    const emails = report.demoUsers.map((u) => u.email);
    for (const local of ['practitioner', 'manager', 'youthworker', 'police', 'admin', 'dpo', 'unrelated', 'panel']) expect(emails).toContain(`${local}@northbridge.jigsaw.test`);
    for (const [borough, slug] of [['Northbridge', 'northbridge'], ['Eastmere', 'eastmere'], ['Ravensmoor', 'ravensmoor']] as const) {
      const admin = await d.db.selectFrom('app_user').select(['password_hash', 'partnership_id', 'roles']).where('email', '=', `admin@${slug}.jigsaw.test`).executeTakeFirstOrThrow();
      expect(admin.roles).toEqual(['partnership_admin']);
      expect(admin.partnership_id).toBe(await partnershipOf(borough));
      expect(await verifyPassword(admin.password_hash, DEMO_PASSWORD)).toBe(true);
    }
    // Each borough's police officers work on their own borough's partnership, inside the shared command unit.
    for (const [borough, slug] of [['Northbridge', 'northbridge'], ['Eastmere', 'eastmere'], ['Ravensmoor', 'ravensmoor']] as const) {
      const officer = await d.db.selectFrom('app_user as u').innerJoin('organisation as o', 'o.id', 'u.organisation_id')
        .select(['u.partnership_id', 'o.kind', 'o.borough']).where('u.email', '=', `police@${slug}.jigsaw.test`).executeTakeFirstOrThrow();
      expect(officer).toEqual({ partnership_id: await partnershipOf(borough), kind: 'police', borough: 'Northbridge' });
    }
    // The first borough's practitioner still holds the featured children.
    const held = await d.db.selectFrom('involvement as i').innerJoin('app_user as u', 'u.id', 'i.user_id')
      .select('i.person_id').where('u.email', '=', 'practitioner@northbridge.jigsaw.test').where('i.ended_on', 'is', null).execute();
    expect(held.length).toBeGreaterThanOrEqual(3);
  });

  it('runs the early identification rules of each partnership: considerations for children of every borough', async () => {
    await drainOutbox(d.db, { processors: [rulesProcessor] });
    const rows = await sql<{ borough: string }>`
      SELECT pp.borough FROM consideration c JOIN person_partnership pp ON pp.person_id = c.person_id`.execute(d.db);
    expect(new Set(rows.rows.map((r) => r.borough))).toEqual(new Set(BOROUGHS));
  });

  it('skips when seeded again, and says so', async () => {
    const again = await seedBorough(d.db, options);
    expect(again.skipped).toBe(true);
    expect(again.events).toBe(0);
  });
});
