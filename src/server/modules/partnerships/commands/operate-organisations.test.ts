import { describe, expect, it } from 'vitest';
import { TEST_ENGINE, useTestDb } from '../../../../../test/helpers.js';
import { addOrganisation, changeOrganisation, findOrganisation, listOrganisations } from './operate-organisations.js';
import { OperatorError } from './operate-partnerships.js';

// Organisations are partnership-wide settings: this file has a database of its own.
describe(`organisations with their codes on ${TEST_ENGINE}`, () => {
  const h = useTestDb({ isolated: 'orgs' });
  const cli = { actor: null, route: 'jigsaw org add' };

  it('adds, finds by code whatever its case, lists and changes organisations; the history and the access log say so; no accounts are made', async () => {
    const suffix = Date.now().toString(36);
    const health = await addOrganisation(h.db, { code: `RX1${suffix}`, name: 'Northmere Community Health', kind: 'community_health', borough: `Northmere ${suffix}` }, cli);
    expect(health).toMatchObject({ code: `RX1${suffix}`, name: 'Northmere Community Health', kind: 'community_health' });
    const police = await addOrganisation(h.db, { code: `MPS${suffix}`, name: 'Synthetic Area Police', kind: 'police', borough: 'Testborough' }, { ...cli, id: '6f1c2a4e-0000-4000-8000-00000000abcd' });
    expect(police.id).toBe('6f1c2a4e-0000-4000-8000-00000000abcd');
    expect(await findOrganisation(h.db, `rx1${suffix}`)).toEqual({ id: health.id, name: 'Northmere Community Health' });

    const changed = await changeOrganisation(h.db, health.id, { name: 'Northmere Community Health NHS Trust', code: `RX1-NT${suffix}` }, { actor: null, route: 'jigsaw org change' });
    expect(changed).toMatchObject({ name: 'Northmere Community Health NHS Trust', code: `RX1-NT${suffix}`, kind: 'community_health' });
    expect((await listOrganisations(h.db)).filter((o) => [health.id, police.id].includes(o.id)).map((o) => o.code)).toEqual([`RX1-NT${suffix}`, `MPS${suffix}`]);

    const audit = await h.db.selectFrom('access_log').select(['action', 'route', 'user_id', 'detail']).where('route', 'like', 'jigsaw org%').orderBy('id').execute();
    expect(audit.map((a) => [a.action, a.route, a.user_id])).toEqual([
      ['partnership.configure', 'jigsaw org add', null], ['partnership.configure', 'jigsaw org add', null], ['partnership.configure', 'jigsaw org change', null],
    ]);
    expect(await h.db.selectFrom('app_user').select('id').where('organisation_id', 'in', [health.id, police.id]).execute()).toEqual([]);
  });

  it('refuses a bad code, kind or name, a code another organisation has (whatever its case), an id in use and an unknown organisation', async () => {
    const taken = await addOrganisation(h.db, { code: 'TAKEN1', name: 'Taken', kind: 'school', borough: 'Testborough' }, cli);
    const refusal = (p: Promise<unknown>) => p.then(() => 'accepted', (e: unknown) => (e instanceof OperatorError ? e.message : String(e)));
    expect(await refusal(addOrganisation(h.db, { code: 'X 1', name: ' ', kind: 'bank', borough: 'Testborough' }, cli))).toBe(
      'The code must be 1 to 40 letters, digits, dots, dashes or underscores, starting with a letter or digit; Enter the organisation\'s name; '
      + 'The kind must be one of: police, school, gp, acute_hospital, community_health, camhs, childrens_social_care, early_help, youth_justice, targeted_youth_support, housing, probation, substance_misuse, voluntary_sector, youth_centre');
    expect(await refusal(addOrganisation(h.db, { code: 'taken1', name: 'Another', kind: 'gp', borough: 'Testborough' }, cli))).toBe('Another organisation has the code "taken1"');
    expect(await refusal(addOrganisation(h.db, { code: 'NEW1', name: 'Again', kind: 'gp', borough: 'Testborough' }, { ...cli, id: taken.id }))).toBe(`An organisation has the id ${taken.id} already`);
    const other = await addOrganisation(h.db, { code: 'OTHER1', name: 'Other', kind: 'gp', borough: 'Testborough' }, cli);
    expect(await refusal(changeOrganisation(h.db, other.id, { code: 'Taken1' }, cli))).toBe('Another organisation has the code "Taken1"');
    expect(await refusal(changeOrganisation(h.db, '6f1c2a4e-0000-4000-8000-0000000fffff', { name: 'x' }, cli))).toBe('No organisation has id 6f1c2a4e-0000-4000-8000-0000000fffff');
    expect(await findOrganisation(h.db, 'NOPE')).toBeUndefined();
  });
});
