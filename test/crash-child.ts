import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DbTarget } from '../src/db/client.js';
import { createScratchDatabase } from '../src/db/scratch.js';
import { TEST_ENGINE } from './helpers.js';

/** A database that outlives one process, for crash tests: a PGlite data directory, or a scratch database on the server. */
export async function crashDatabase(name: string): Promise<{ target: DbTarget; drop: () => Promise<void> }> {
  if (TEST_ENGINE === 'postgres') {
    const scratch = await createScratchDatabase(process.env.DATABASE_URL!, `jigsaw_${name}_${randomUUID().slice(0, 8)}`, { force: true });
    return { target: { databaseUrl: scratch.url }, drop: () => scratch.drop() };
  }
  const dir = mkdtempSync(join(tmpdir(), `jigsaw-${name}-`));
  return { target: { dataDir: dir }, drop: async () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Runs a script as a child process that does its work and kills itself; resolves with the last line it
 * printed (as JSON) and the signal it ended with.
 */
export function runChildThatDies<T>(script: string, args: unknown): Promise<T & { signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      const line = out.trim().split('\n').pop();
      if (!line) return reject(new Error(`the child reported nothing:\n${err}`));
      resolve({ ...(JSON.parse(line) as T), signal });
    });
  });
}
