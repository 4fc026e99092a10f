import { beforeAll, describe, expect, it } from 'vitest';
import { makeOrg, TEST_ENGINE, useTestDb } from '../../../../test/helpers.js';
import { importText, policeRecord, toJsonl } from '../../../../test/intake-helpers.js';

// Identifiers agencies genuinely share, typed by who issues them: kept when they have their scheme's
// form, otherwise left out with a warning and the record kept.
describe(`typed identifiers on ${TEST_ENGINE}`, () => {
  const h = useTestDb();
  let org: { id: string };
  beforeAll(async () => {
    org = await makeOrg(h.db, 'police');
  });

  it('stores a ULN, a PNC id and a local authority child id with its issuer; a malformed one is named and left out', async () => {
    const base = policeRecord(org.id, 'T-1').person as Record<string, unknown>;
    const identifiers = [
      { scheme: 'uln', value: '1234 567890' }, { scheme: 'pnc_id', value: '01/123456z' }, { scheme: 'la_child_id', issuer: '201', value: 'DfEX0000001' },
      { scheme: 'la_child_id', value: '202/DfEX0000002' }, { scheme: 'uln', value: '12345' }, { scheme: 'la_child_id', value: 'DfEX0000003' },
      { scheme: 'pnc_id', value: 'NOM-1' }, { scheme: 'police_id', issuer: '201', value: 'NICHE-7' },
    ];
    const r = await importText(h.db, org.id, 'jsonl', 'ids.jsonl', toJsonl([policeRecord(org.id, 'T-1', { person: { ...base, identifiers } })]));
    expect(r).toMatchObject({ accepted: 1, rejected: 0 });
    const row = await h.db.selectFrom('intake_row').select(['warnings', 'person_id']).where('batch_id', '=', r.batchId).executeTakeFirstOrThrow();
    expect(row.warnings).toEqual([
      { field: 'person.identifiers.4.value', reason: 'is not a Unique Learner Number (10 digits), so it was not used' },
      { field: 'person.identifiers.5.value', reason: 'is a local authority child id without its issuer (the authority\'s three-digit code, in issuer or as 201/ID), so it was not used' },
      { field: 'person.identifiers.6.value', reason: 'is not a Police National Computer id (such as 01/123456Z), so it was not used' },
      { field: 'person.identifiers.7.issuer', reason: 'is only for a la_child_id, so it was not used' },
    ]);
    const stored = await h.db.selectFrom('person_identifier').select(['scheme', 'value']).where('person_id', '=', row.person_id!).orderBy('scheme').orderBy('value').execute();
    expect(stored.filter((s) => s.scheme !== 'police_id' || s.value === 'NICHE7')).toEqual([
      { scheme: 'la_child_id', value: '201DFEX0000001' }, { scheme: 'la_child_id', value: '202DFEX0000002' },
      { scheme: 'pnc_id', value: '01123456Z' }, { scheme: 'police_id', value: 'NICHE7' }, { scheme: 'uln', value: '1234567890' },
    ]);
  });
});
