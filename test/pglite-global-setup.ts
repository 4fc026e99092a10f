import { writeFile, rm, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { openDb } from '../src/db/client.js';
import { DEFAULT_APP_ROLE } from '../src/db/grants.js';
import { migrateToLatest } from '../src/db/migrate.js';

/**
 * Migrates one embedded database (and grants the application's role) once per run and keeps its
 * data directory as a tarball; each test file's in-memory PGlite opens a copy of it
 * (test/helpers.ts openTestDb) instead of running every migration again.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const d = await openDb({ memory: true });
  let tarball: Blob;
  try {
    await migrateToLatest(d.db, { appRole: DEFAULT_APP_ROLE });
    tarball = await d.dumpDataDir!();
  } finally {
    await d.close();
  }
  const dir = await mkdtemp(join(tmpdir(), 'jigsaw-pglite-'));
  const file = join(dir, 'migrated.tar');
  await writeFile(file, Buffer.from(await tarball.arrayBuffer()));
  project.provide('pgliteSnapshot', file);
  return async () => {
    await rm(dir, { recursive: true, force: true });
  };
}
