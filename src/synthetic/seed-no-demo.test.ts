import { describe, expect, it } from 'vitest';
import { TEST_ENGINE, useTestDb } from '../../test/helpers.js';
import { seedBorough } from './seed.js';

// Seeding without --demo makes the organisations, people and accounts, but no account anyone can sign
// in to with the published password or authenticator key.
describe(`seeding without demo accounts on ${TEST_ENGINE}`, () => {
  const h = useTestDb({ isolated: 'seed_nodemo' });

  it('leaves every account without a password and without an authenticator, and reports no demo users', async () => {
    const borough = `Quietmere ${Date.now().toString(36)}`;
    const report = await seedBorough(h.db, { children: 8, seed: 3, borough, demoUsers: false });
    expect(report.users).toBeGreaterThan(0);
    expect(report.demoUsers).toEqual([]);
    const orgs = h.db.selectFrom('organisation').select('id').where('borough', '=', borough);
    const users = await h.db.selectFrom('app_user').select(['email', 'password_hash']).where('organisation_id', 'in', orgs).execute();
    expect(users.length).toBeGreaterThan(0);
    expect(users.filter((u) => u.password_hash !== null)).toEqual([]);
    const totp = await h.db.selectFrom('user_totp').select('user_id')
      .where('user_id', 'in', h.db.selectFrom('app_user').select('id').where('organisation_id', 'in', orgs)).execute();
    expect(totp).toEqual([]);
  });
});
