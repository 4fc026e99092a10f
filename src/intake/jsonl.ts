/** JSON Lines reader for interchange v1: one record per line, each checked on its own. */
import { encodingProblem, REPLACEMENT } from './decode.js';
import { checkInterchangeRecord } from './interchange.js';
import { readLines } from './lines.js';
import { rejected, type IntakeItem } from './types.js';

/** The table name JSON Lines records are counted under in the batch report. */
export const JSONL_TABLE = 'records';

/** Reads interchange v1 records from JSON Lines text: one item per non-blank line. */
export async function* parseJsonl(text: AsyncIterable<string>, encoding = 'utf-8'): AsyncGenerator<IntakeItem> {
  for await (const line of readLines(text)) {
    const raw = line.text.trim();
    if (raw === '') continue;
    if (line.text.includes(REPLACEMENT)) {
      yield rejected(JSONL_TABLE, line.number, null, [{ field: '(encoding)', reason: encodingProblem(encoding) }]);
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      const reason = line.terminated
        ? 'is not valid JSON (each line must be one complete JSON object)'
        : 'is incomplete: the file ends part-way through this line, so it may have been cut off during upload';
      yield rejected(JSONL_TABLE, line.number, null, [{ field: '(line)', reason }]);
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      yield rejected(JSONL_TABLE, line.number, null, [{ field: '(line)', reason: 'must be a JSON object, one record per line' }]);
      continue;
    }
    const checked = checkInterchangeRecord(value);
    yield { table: JSONL_TABLE, row: line.number, recordId: checked.recordId, record: checked.record, errors: checked.errors, warnings: checked.warnings };
  }
}
