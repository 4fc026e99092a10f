import { readdirSync, readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { todayIso } from '../../../intake/dates.js';
import { detectFormat } from '../../../intake/read.js';
import { makeOrg, TEST_ENGINE, useTestDb } from '../../../../test/helpers.js';
import { DFE_SAMPLES, importFiles, tableCounts } from '../../../../test/intake-helpers.js';
import type { BatchReport } from './intake.report.js';

// Every file in the shared DfE samples folder is accounted for: data files import with every record
// accepted or rejected with a reason, and the counts reconcile per table; the rest are refused clearly.
describe(`DfE sample files on ${TEST_ENGINE}`, () => {
  const h = useTestDb();

  const expectReconciled = (report: BatchReport) => {
    expect(report.reconciled).toBe(true);
    for (const t of report.tables) expect(t.received, t.table).toBe(t.accepted + t.rejected);
    expect(report.received).toBe(report.accepted + report.rejected);
    expect(report.accepted).toBe(report.outcomes.new + report.outcomes.updated + report.outcomes.unchanged);
  };

  it('imports every CIN census and SSDA903 file with reconciled counts, and importing each again changes nothing', async () => {
    const la = await makeOrg(h.db, 'childrens_social_care');
    const files = readdirSync(DFE_SAMPLES).filter((f) => statSync(DFE_SAMPLES + f).isFile()).sort();
    const batches: { name: string; format: Parameters<typeof importFiles>[2]; paths: string[] }[] = [];
    const refused: string[] = [];
    for (const f of files) {
      const format = detectFormat(f, readFileSync(DFE_SAMPLES + f).subarray(0, 2048).toString('latin1'), false);
      if (format) batches.push({ name: f, format, paths: [DFE_SAMPLES + f] });
      else refused.push(f);
    }
    batches.push({ name: 'ssda903/', format: 'ssda903', paths: readdirSync(`${DFE_SAMPLES}ssda903`).sort().map((f) => `${DFE_SAMPLES}ssda903/${f}`) });
    // README, licence and the Excel template are not data; the XSD is XML but not a census.
    expect(refused.sort()).toEqual(['Annex_A.xlsx', 'LICENSE.liia-tools', 'README.md']);

    const first = new Map<string, BatchReport>();
    for (const b of batches) {
      const report = await importFiles(h.db, la.id, b.format, b.paths);
      expectReconciled(report);
      for (const r of report.rejections) expect(r.errors.length, `${b.name} line ${r.row}`).toBeGreaterThan(0);
      first.set(b.name, report);
      // Importing the same file again straight away changes nothing.
      const before = await tableCounts(h.db, la.id);
      const again = await importFiles(h.db, la.id, b.format, b.paths);
      expectReconciled(again);
      expect(again.received).toBe(report.received);
      expect(again.rejected).toBe(report.rejected);
      expect(again.outcomes).toEqual({ new: 0, updated: 0, unchanged: report.accepted });
      // The report says nothing about what became of the people (linked, new, sent for review).
      expect(again).not.toHaveProperty('people');
      expect(await tableCounts(h.db, la.id)).toEqual(before);
    }
    const xsd = first.get('CIN_schema_2022.xsd')!;
    expect(xsd.status).toBe('failed');
    expect(xsd.fileErrors[0]!.message).toMatch(/not a CIN census/);

    const fake = first.get('fake_CIN_data.xml')!;
    expect(fake.status).toBe('completed');
    expect(fake.tables.find((t) => t.table === 'child')).toMatchObject({ received: 332, accepted: 332 });
    expect(fake.tables.find((t) => t.table === 'referral')!.received).toBe(402);
    const people = await h.db.selectFrom('intake_row').select((eb) => eb.fn.count('person_id').distinct().as('n'))
      .where('batch_id', '=', fake.batchId).where('outcome', '<>', 'rejected').executeTakeFirstOrThrow();
    expect(Number(people.n)).toBe(332);

    const ssda = first.get('ssda903/')!;
    const t = Object.fromEntries(ssda.tables.map((x) => [x.table, x]));
    expect(t.header).toMatchObject({ received: 2675, accepted: 2675 });
    expect(t.episodes!.received).toBe(5050);
    expect(t.missing).toMatchObject({ received: 43, accepted: 43 });
    expect(t.uasc).toMatchObject({ received: 132, accepted: 132 });
    // Reviews are looked-after child reviews. Rejected are the reviews dated after today (68 on
    // 23 November 2026: the file has reviews planned into 2030), the 2 rows that repeat an earlier row
    // exactly, and the 12 rows that repeat an earlier row's child and date with another participation
    // code; so on that day 12,500 were accepted and 82 rejected.
    const today = todayIso();
    const futureReviews = readFileSync(`${DFE_SAMPLES}ssda903/reviews.csv`, 'utf8').trim().split(/\r?\n/).slice(1)
      .map((line) => line.split(',')[2]!.split('/').reverse().join('-')).filter((iso) => iso > today).length;
    expect(t.reviews).toEqual({ table: 'reviews', received: 12582, accepted: 12582 - futureReviews - 14, rejected: futureReviews + 14 });
    const reviewRejections = await h.db.selectFrom('intake_row').select('errors').where('batch_id', '=', ssda.batchId).where('table_name', '=', 'reviews').where('outcome', '=', 'rejected').execute();
    const reasons = reviewRejections.map((r) => (r.errors as { field: string; reason: string }[]).map((e) => `${e.field}: ${e.reason.replace(/line \d+/, 'line N')}`).join('; '));
    expect(reasons.filter((r) => r === 'REVIEW: is in the future')).toHaveLength(futureReviews);
    const others = reasons.filter((r) => r !== 'REVIEW: is in the future');
    expect(others.filter((r) => r === 'recordId: duplicates line N (same record id and content), so it was not imported twice')).toHaveLength(2);
    expect(others.filter((r) => r === 'REVIEW_CODE: has the same child and review date as line N but a different participation code, so it was not imported: correct the return and import it again')).toHaveLength(12);
    expect(others).toHaveLength(14);
    const reviewEntries = await h.db.selectFrom('event').select(['event_type_code', 'vocabulary_version', 'narrative'])
      .where('organisation_id', '=', la.id).where('source_record_id', 'like', '%/review/%').execute();
    expect(reviewEntries).toHaveLength(t.reviews!.accepted);
    expect(new Set(reviewEntries.map((e) => `${e.event_type_code} v${e.vocabulary_version}`))).toEqual(new Set(['looked_after_review v2']));
    expect(reviewEntries.every((e) => /^Participation code \(SSDA903 REVIEW_CODE\): PN[0-7]$/.test(e.narrative ?? ''))).toBe(true);
    // Legal-status-only episodes need the organisation's own code mapping first.
    expect(ssda.rejections.some((r) => r.errors.some((e) => e.field === 'event.agencyCode'))).toBe(true);

    // The 2020 episodes file has no header table: each row is refused with the reason.
    const lone = first.get('SSDA903_2020_episodes.csv')!;
    expect(lone.accepted).toBe(0);
    expect(lone.rejections[0]!.errors[0]!.reason).toMatch(/header table/);
  }, 600_000); // about 45,000 records imported twice, each through identity resolution and the new-entry listeners
});
