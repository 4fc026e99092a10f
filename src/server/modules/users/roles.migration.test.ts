import { describe, expect, it } from 'vitest';
import * as migration from '../../../db/migrations/20261126230000_invitations_and_role_separation.js';
import { asOwner, makeOrg, TEST_ENGINE, useTestDb } from '../../../../test/helpers.js';

describe(`the migration that keeps case-holding and oversight roles apart on ${TEST_ENGINE}`, () => {
  // It takes the schema down and up again: a database of its own, changed as its owner (the app's role may not).
  const t = useTestDb({ isolated: 'roles_migration' });

  it('stops, saying how many accounts to fix, when an existing account holds both; runs once they are split', async () => {
    const org = await makeOrg(t.db);
    await asOwner(t.db, (trx) => migration.down(trx));
    const mixed = await t.db.insertInto('app_user')
      .values({ email: `mixed-${Date.now()}@test.jigsaw.test`, name: 'Held Both', organisation_id: org.id, roles: ['team_manager', 'data_protection_officer'] })
      .returning('id').executeTakeFirstOrThrow();
    await expect(asOwner(t.db, (trx) => migration.up(trx))).rejects.toThrow(/1 user account\(s\) hold both a case-holding role .* and an oversight role .*; remove one set from each before upgrading/);
    // Nothing was changed: the account is as it was, and no constraint or table was half-made.
    expect((await t.db.selectFrom('app_user').select('roles').where('id', '=', mixed.id).executeTakeFirstOrThrow()).roles).toEqual(['team_manager', 'data_protection_officer']);
    await t.db.updateTable('app_user').set({ roles: ['data_protection_officer'] }).where('id', '=', mixed.id).execute();
    await asOwner(t.db, (trx) => migration.up(trx));
    await expect(t.db.updateTable('app_user').set({ roles: ['team_manager', 'data_protection_officer'] }).where('id', '=', mixed.id).execute())
      .rejects.toThrow(/app_user_case_and_oversight_roles_apart/);
    expect(await t.db.selectFrom('user_invitation').select('id').execute()).toEqual([]);
  });
});
