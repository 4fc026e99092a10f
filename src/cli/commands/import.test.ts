import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BatchReport } from '../../server/modules/intake/intake.report.js';
import { importExitCode } from './import.js';

const report = (over: Partial<BatchReport>): BatchReport => ({
  batchId: 'b-1', organisationId: 'o-1', format: 'jsonl', files: ['a.jsonl'], status: 'completed', received: 5000, accepted: 5000, rejected: 0,
  outcomes: { new: 5000, updated: 0, unchanged: 0 }, tables: [], reconciled: true, warnings: 0, fileErrors: [], notes: [], rejections: [], ...over,
});

describe('jigsaw import exit status', () => {
  afterEach(() => { vi.restoreAllMocks(); });

  it('is 0 when every record was accepted, with nothing on standard error', () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(importExitCode(report({}))).toBe(0);
    expect(err).not.toHaveBeenCalled();
  });

  it('is 3 when records were rejected, with a one-line summary', () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(importExitCode(report({ accepted: 4936, rejected: 64 }))).toBe(3);
    expect(err.mock.calls).toEqual([['jigsaw import: 64 of 5,000 records rejected (batch b-1); each is listed with its line, field and reason in the batch report']]);
  });

  it('is 2 when a problem with a file stopped the import, saying what', () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(importExitCode(report({ status: 'failed', accepted: 120, fileErrors: [{ code: 'too_large', message: 'The file is larger than the limit' }] }))).toBe(2);
    expect(err.mock.calls).toEqual([['jigsaw import: failed: The file is larger than the limit (batch b-1; 120 records stored before it)']]);
  });
});
