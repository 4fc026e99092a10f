import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';

/**
 * The folder of public synthetic data for tests and benchmarks (FEBRL, DfE samples). It sits
 * beside the repository in this workplace; a checkout elsewhere names it with JIGSAW_SHARED_DATA.
 */
export function sharedDataDir(): string {
  const repo = fileURLToPath(new URL('..', import.meta.url));
  const candidates = [process.env.JIGSAW_SHARED_DATA, resolve(repo, '../shared/data'), '/work/shared/data'].filter((x): x is string => Boolean(x));
  const found = candidates.find((c) => existsSync(join(c, 'dfe-samples')));
  if (!found) throw new Error(`The shared test data was not found (looked in ${candidates.join(', ')}); set JIGSAW_SHARED_DATA`);
  return found;
}
