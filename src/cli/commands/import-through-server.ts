import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { IntakeFormat } from '../../intake/types.js';
import type { BatchReport } from '../../server/modules/intake/intake.report.js';

/** Where the running server is and the organisation's API key, for an import sent through it. */
export interface ThroughServer {
  baseUrl: string;
  apiKey: string;
  /** How long to wait between status checks, in milliseconds. */
  pollMs?: number;
}

const CONTENT_TYPES: Partial<Record<IntakeFormat, string>> = { jsonl: 'application/x-ndjson', 'cin-xml': 'application/xml', ssda903: 'text/csv' };

/**
 * Sends each file to the running server's intake API (`POST /api/v1/intake`, as the organisation's
 * system), waits for its batch to finish and returns the reports: the way to import while a server
 * holds the embedded database, which one process at a time may open. The server's outbox worker does
 * the import, so the server keeps answering. CSV with a column mapping is not sent this way (the API
 * takes JSON Lines, the CIN census and SSDA903 tables).
 */
export async function importThroughServer(server: ThroughServer, format: IntakeFormat, files: string[], opts: { sourceSystem?: string; encoding?: string } = {}): Promise<BatchReport[]> {
  const contentType = CONTENT_TYPES[format];
  if (!contentType) throw new Error(`A ${format} file cannot be sent through the running server: stop the server and import it, or use the upload page`);
  const base = server.baseUrl.replace(/\/+$/, '');
  const headers = { authorization: `Bearer ${server.apiKey}` };
  const reports: BatchReport[] = [];
  for (const file of files) {
    const query = new URLSearchParams({ format, fileName: basename(file), ...(opts.sourceSystem ? { sourceSystem: opts.sourceSystem } : {}), ...(opts.encoding ? { encoding: opts.encoding } : {}) });
    const sent = await fetch(`${base}/api/v1/intake?${query.toString()}`, { method: 'POST', headers: { ...headers, 'content-type': contentType }, body: await readFile(file) });
    if (sent.status !== 202) throw new Error(`The server refused ${basename(file)} (${sent.status}): ${await sent.text()}`);
    const { statusUrl } = (await sent.json()) as { statusUrl: string };
    for (;;) {
      const res = await fetch(`${base}${statusUrl}`, { headers });
      if (res.status !== 200) throw new Error(`The server did not answer for the batch of ${basename(file)} (${res.status})`);
      const status = (await res.json()) as { status: string; report?: BatchReport | null };
      if (status.report && ['completed', 'failed', 'interrupted'].includes(status.status)) {
        reports.push(status.report);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, server.pollMs ?? 500));
    }
  }
  return reports;
}
