import { describe, expect, it } from 'vitest';
import { seedBorough } from '../../../../synthetic/seed.js';
import { TEST_ENGINE, useTestApp } from '../../../../../test/helpers.js';
import { signInDemo } from '../../../../../test/e2e/demo-roles.js';
import { seedDemoEmergencyAccess } from './demo-emergency-access.js';

describe(`the demo's emergency access use on ${TEST_ENGINE}`, () => {
  const t = useTestApp();

  it('waits for the data protection officer, on their home page, once per officer', async () => {
    const report = await seedBorough(t.db, { children: 24, seed: 3 });
    const uses = await t.db.selectFrom('break_glass as b').innerJoin('app_user as u', 'u.id', 'b.user_id').select(['u.email', 'b.person_id']).execute();
    expect(uses.map((u) => u.email)).toEqual(report.demoUsers.filter((u) => u.email.startsWith('police@')).map((u) => u.email));
    const logged = await t.db.selectFrom('access_log').select('person_id').where('action', '=', 'break_glass.open').execute();
    expect(logged.map((r) => r.person_id)).toEqual(uses.map((u) => u.person_id));
    expect(await seedDemoEmergencyAccess(t.db, report.demoUsers.map((u) => u.email))).toBe(0);

    const dpo = report.demoUsers.find((u) => u.role === 'data_protection_officer')!;
    const home = await t.app.inject({ method: 'GET', url: '/', headers: { cookie: `jigsaw_session=${await signInDemo(t.app, dpo)}` } });
    expect(home.body).toMatch(/Waiting for you[\s\S]*href="\/admin\/break-glass">Emergency access<\/a>: 1 to review/);
    // A practitioner's home page offers no review of emergency access.
    const practitioner = report.demoUsers.find((u) => u.email.startsWith('practitioner@'))!;
    const theirs = await t.app.inject({ method: 'GET', url: '/', headers: { cookie: `jigsaw_session=${await signInDemo(t.app, practitioner)}` } });
    expect(theirs.body).not.toContain('href="/admin/break-glass"');
  });
});
