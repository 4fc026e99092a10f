import { describe, expect, it } from 'vitest';
import { evidenceKey } from '../../../domain/rules/evaluate.js';
import { relativeRate } from '../../../domain/rules/fairness.js';
import { auditRowsFor, lastAuditId, makeEvent, makeOrg, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';
import { makeRule } from '../../../../test/considerations-helpers.js';
import { parseBaseline } from './fairness.queries.js';

describe(`fairness page on ${TEST_ENGINE}`, () => {
  // Adds partnership rules, which would run on every other test's children: a database of its own.
  const t = useTestApp({ isolated: 'fairness' });

  async function world() {
    const org = await makeOrg(t.db, 'early_help');
    const analyst = await makeUser(t.db, { organisationId: org.id, roles: ['analyst'] });
    const admin = await makeUser(t.db, { organisationId: org.id, roles: ['partnership_admin'] });
    const practitioner = await makeUser(t.db, { organisationId: org.id });
    const name = `Fairness test rule ${Math.random().toString(36).slice(2, 8)}`;
    const rule = await makeRule(t.db, org.id, { name, definition: { kind: 'critical_moment', match: { eventTypes: ['arrest'] }, withinDays: 30 } });
    // Twelve considered children: eight Black Caribbean boys aged 15, four White British girls aged 12.
    const people = [...Array(8).fill(['BCRB', 'male', '2011-01-15']), ...Array(4).fill(['WBRI', 'female', '2014-01-15'])] as [string, string, string][];
    for (const [i, [ethnicity, sex, dob]] of people.entries()) {
      const p = await t.db.insertInto('person').values({ ethnicity, sex, date_of_birth: dob }).returning('id').executeTakeFirstOrThrow();
      await t.db.insertInto('person_name').values({ person_id: p.id, kind: 'legal', given_names: 'Fairchild', family_name: `Testperson${i}` }).execute();
      const e = await makeEvent(t.db, { personId: p.id, organisationId: org.id, type: 'arrest' });
      await t.db.insertInto('consideration').values({
        person_id: p.id, rule_version_id: rule.ruleVersionId, evidence_key: evidenceKey([e.id]), matched_event_ids: [e.id], explanation: 'test',
        recipient_kind: 'front_door', recipient_organisation_id: org.id, created_via: 'full_pass', created_at: new Date('2026-06-01T00:00:00Z'),
      }).execute();
    }
    return { org, analyst, admin, practitioner, name };
  }

  const section = (body: string, title: string) => {
    const at = body.indexOf(`<h2 class="govuk-heading-m">${title}</h2>`);
    return body.slice(at, body.indexOf('<h2', at + 10));
  };
  const post = (s: { cookie: string; csrf: string }, fields: Record<string, string>) => t.app.inject({
    method: 'POST', url: '/fairness/baseline',
    headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ _csrf: s.csrf, ...fields }).toString(),
  });

  it('answers 401, and 404 with a denied row to roles without aggregate access', async () => {
    const w = await world();
    expect((await t.app.inject({ method: 'GET', url: '/fairness' })).statusCode).toBe(401);
    const s = await signIn(t.app, w.practitioner.email);
    const a = await signIn(t.app, w.analyst.email);
    const before = await lastAuditId(t.db);
    expect((await t.app.inject({ method: 'GET', url: '/fairness', headers: { cookie: s.cookie } })).statusCode).toBe(404);
    expect((await post(a, { baseline: 'sex,male,10', source: 'x' })).statusCode).toBe(404);
    const rows = [...(await auditRowsFor(t.db, { since: before, userId: w.practitioner.id })), ...(await auditRowsFor(t.db, { since: before, userId: w.analyst.id }))];
    expect(rows.map((r) => [r.action, r.outcome, r.person_id])).toEqual([['fairness.read', 'denied', null], ['baseline.change', 'denied', null]]);
  });

  it('refuses a bad baseline row by row, keeping what was typed', async () => {
    const w = await world();
    const s = await signIn(t.app, w.admin.email);
    const res = await post(s, { baseline: 'sex,male,100\nsex,female,lots\nplanet,mars,3', source: 'Synthetic mid-year estimate' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('Row 2: children must be a whole number, got &quot;lots&quot;');
    expect(res.body).toContain('Row 3: dimension &quot;planet&quot; must be ethnicity_group, sex or age_band');
    expect(res.body).toContain('sex,female,lots');
  });

  it('shows counts, suppression and relative rates with intervals, and no personal data', async () => {
    const w = await world();
    const s = await signIn(t.app, w.admin.email);
    const baseline = [
      'ethnicity_group,White,6000', 'ethnicity_group,Black, Black British, Caribbean or African,2000', 'ethnicity_group,Asian or Asian British,2000',
      'sex,female,5000', 'sex,male,5000', 'age_band,10 to 14,5000', 'age_band,15 to 17,5000',
    ].join('\n');
    expect((await post(s, { baseline, source: 'Synthetic mid-year estimate' })).statusCode).toBe(303);
    const a = await signIn(t.app, w.analyst.email);
    const before = await lastAuditId(t.db);
    const res = await t.app.inject({ method: 'GET', url: '/fairness', headers: { cookie: a.cookie } });
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain('Testperson');
    expect(res.body).not.toContain('Fairchild');
    const mine = section(res.body, w.name);
    expect(mine).toContain('Children considered: 12');
    const expected = relativeRate(8, 2000, 4, 8000);
    expect(expected.ratio).toBeCloseTo(8, 10);
    expect(mine).toContain(`8.00 (${expected.low!.toFixed(2)} to ${expected.high!.toFixed(2)}) higher`);
    expect(mine).toMatch(/White<\/th>\s*<td[^>]*>fewer than 5<\/td>/);
    expect(mine).toContain('Withheld (small count)');
    const rows = await auditRowsFor(t.db, { since: before, userId: w.analyst.id });
    expect(rows.map((r) => [r.action, r.outcome, r.person_id])).toEqual([['fairness.read', 'allowed', null]]);
  });

  it('parses a baseline and names every problem', () => {
    expect(parseBaseline('# comment\nage_band,5 to 9,120\n').rows).toEqual([{ dimension: 'age_band', category: '5 to 9', children: 120 }]);
    expect(parseBaseline('sex,male,1\nsex,male,2').problems).toEqual([{ row: 2, message: 'sex "male" is given twice' }]);
    expect(parseBaseline('sex,other,2').problems[0]!.message).toMatch(/category "other" is not one of/);
  });
});
