/**
 * Uploads through the web page run after the response, so the person sees the batch page (and its
 * progress) at once. Running imports are tracked here so that shutdown, and tests, can wait for them.
 */
import pino from 'pino';

const running = new Set<Promise<unknown>>();
const log = pino({ name: 'intake', level: process.env.LOG_LEVEL ?? 'info' });

/** Runs an import in the background; failures are logged by batch id (the batch records its own failure). */
export function startImport(batchId: string, work: () => Promise<unknown>): void {
  const job = work().catch((err: unknown) => log.error({ err, batchId }, 'a background import failed'));
  running.add(job);
  void job.finally(() => running.delete(job));
}

/** Waits until every running import has finished. */
export async function settleImports(): Promise<void> {
  while (running.size) await Promise.allSettled([...running]);
}
